"""Coverage map: which property checks the behaviour of each upstream workload conformance test, and which
property checks each fact-sheet rule. The tables are generated from this metadata and from the rule lists
the properties run, so the README and the reports cannot drift from the code (a test compares them).

Conformance tests: test/conformance/testdata/conformance.yaml of kubernetes/kubernetes as stored for
reading (newest `release:` in it: v1.32, commit 002c17be); workload tests promoted in 1.33-1.35 are not in
that copy and so not listed. Tests of the API server's surface (CRUD, list/deleteCollection, the status and
scale subresources) check no controller behaviour: kubeprops marks them out of scope rather than covered.
"""

from __future__ import annotations

import attrs

from kubeprops.reference_model import (
    apps_invariants,
    invariants,
    per_sync,
    per_sync_cronjob,
    per_sync_daemonset,
    per_sync_job,
    per_sync_statefulset,
)

from .conformance import IMPLEMENTED, PROPERTIES

ALWAYS_P, SETTLED_P, PER_SYNC_P = (p.name for p in PROPERTIES[:3])
ALL = (ALWAYS_P, SETTLED_P, PER_SYNC_P)
STATE = (ALWAYS_P, SETTLED_P)
API = "out of scope: API-server surface (CRUD, subresources), no controller behaviour"


@attrs.frozen
class ConformanceTest:
    controller: str
    testname: str
    release: str
    properties: tuple[str, ...]  # which properties check its behaviour; () when not covered
    note: str = ""  # how, or why not


def _t(controller: str, name: str, release: str, props: tuple[str, ...], note: str = "") -> ConformanceTest:
    return ConformanceTest(controller, name, release, props, note)


CONFORMANCE: tuple[ConformanceTest, ...] = (
    _t(
        "cronjob",
        "CronJob Suspend",
        "v1.21",
        ALL,
        "no Job while suspended; on resume only the latest missed slot runs",
    ),
    _t(
        "cronjob",
        "CronJob ForbidConcurrent",
        "v1.21",
        ALL,
        "Forbid defers the slot; no Job added while one is listed active",
    ),
    _t(
        "cronjob",
        "CronJob ReplaceConcurrent",
        "v1.21",
        ALL,
        "Replace deletes the active Job before the next starts",
    ),
    _t(
        "cronjob",
        "CronJob AllowConcurrent",
        "v1.21",
        ALL,
        "the Jobs created over a timeline equal the model's",
    ),
    _t("cronjob", "CronJob API Operations", "v1.21", (), API),
    _t("daemonset", "DaemonSet, list and delete a collection of DaemonSets", "v1.22", (), API),
    _t("daemonset", "DaemonSet-FailedPodCreation", "v1.10", ALL, "failed daemon pods are replaced"),
    _t("daemonset", "DaemonSet-Rollback", "v1.10", ALL, "template updates back to an earlier template"),
    _t("daemonset", "DaemonSet-NodeSelection", "v1.10", ALL, "generated node labels, selectors and taints"),
    _t("daemonset", "DaemonSet-Creation", "v1.10", ALL, "one pod per eligible node; deleted pods replaced"),
    _t("daemonset", "DaemonSet-RollingUpdate", "v1.10", ALL, "RollingUpdate with maxUnavailable/maxSurge"),
    _t("daemonset", "DaemonSet, status sub-resource", "v1.22", (), API),
    _t("deployment", "Deployment, completes the scaling of a Deployment subresource", "v1.21", (), API),
    _t("deployment", "Deployment Recreate", "v1.12", ALL, "old pods gone before new ones start"),
    _t("deployment", "Deployment RollingUpdate", "v1.12", ALL, "maxSurge/maxUnavailable per sync"),
    _t("deployment", "Deployment RevisionHistoryLimit", "v1.12", ALL, "history cleanup per sync and settled"),
    _t(
        "deployment",
        "Deployment Proportional Scaling",
        "v1.12",
        ALL,
        "scaling mid-rollout or paused",
    ),
    _t("deployment", "Deployment Rollover", "v1.12", ALL, "template updates in the middle of a rollout"),
    _t(
        "deployment",
        "Deployment, completes the lifecycle of a Deployment",
        "v1.20",
        STATE,
        "create, scale and delete; patching the status is API surface",
    ),
    _t("deployment", "Deployment, status sub-resource", "v1.22", (), API),
    _t(
        "job",
        "Jobs, orphan pods, re-adoption",
        "v1.16",
        STATE,
        "a pod orphaned is adopted back with the tracking finalizer, a relabelled pod released (no longer "
        "counted, replaced) and kept running; running pods without a controller compared settled",
    ),
    _t(
        "job",
        "Ensure pod failure policy allows to ignore failure matching on the DisruptionTarget condition",
        "v1.32",
        STATE,
        "Ignore rules on DisruptionTarget with generated evictions; failures not counted",
    ),
    _t(
        "job",
        "Verify Pod Failure policy allows to fail job early on exit code.",
        "v1.31",
        STATE,
        "FailJob rules on exit code 42: FailureTarget, then Failed with reason PodFailurePolicy",
    ),
    _t("job", "Jobs, apply changes to status", "v1.24", (), API),
    _t(
        "job",
        "Ensure Pods of an Indexed Job get a unique index.",
        "v1.24",
        STATE,
        "completedIndexes",
    ),
    _t(
        "job",
        "Jobs, active pods, graceful termination",
        "v1.15",
        STATE,
        "active <= parallelism",
    ),
    _t(
        "job",
        "Jobs, manage lifecycle",
        "v1.25",
        STATE,
        "suspend/resume; rest is API surface",
    ),
    _t(
        "job",
        "Jobs, completion after task failure",
        "v1.16",
        STATE,
        "pods fail; OnFailure and Never",
    ),
    _t("replicaset", "ReplicaSet, is created, Replaced and Patched", "v1.21", ALL, "create and scale"),
    _t("replicaset", "ReplicaSet, completes the scaling of a ReplicaSet subresource", "v1.21", (), API),
    _t(
        "replicaset",
        "Replica Set, adopt matching pods and release non matching pods",
        "v1.13",
        ALL,
        "bare pods adopted, the ranking picks who goes when one is too many; relabelled pods released "
        "and replaced, orphans keep running; ownerReference writes judged per sync",
    ),
    _t("replicaset", "ReplicaSet, list and delete a collection of ReplicaSets", "v1.22", (), API),
    _t(
        "replicaset",
        "Replica Set, run basic image",
        "v1.9",
        STATE,
        "pods run and turn Ready",
    ),
    _t("replicaset", "ReplicaSet, status sub-resource", "v1.22", (), API),
    _t("statefulset", "StatefulSet, Burst Scaling", "v1.9", ALL, "podManagementPolicy Parallel"),
    _t(
        "statefulset",
        "StatefulSet, Scaling",
        "v1.9",
        ALL,
        "OrderedReady creation and reverse-ordered deletion, checked where unready pods stall them",
    ),
    _t("statefulset", "StatefulSet, Recreate Failed Pod", "v1.9", ALL, "failed pods are recreated"),
    _t("statefulset", "StatefulSet resource Replica scaling", "v1.16, v1.21", (), API),
    _t("statefulset", "StatefulSet, list, patch and delete a collection of StatefulSets", "v1.22", (), API),
    _t(
        "statefulset",
        "StatefulSet, Rolling Update with Partition",
        "v1.9",
        ALL,
        "partition and ordinals.start edits",
    ),
    _t(
        "statefulset",
        "StatefulSet, Rolling Update",
        "v1.9",
        ALL,
        "revisions, rollbacks, OnDelete; maxUnavailable is dropped: MaxUnavailableStatefulSet is beta but "
        "off by default in v1.35",
    ),
    _t("statefulset", "StatefulSet, status sub-resource", "v1.22", (), API),
)


def status(test: ConformanceTest) -> str:
    if not test.properties:
        return "out of scope" if test.note == API else "not covered"
    if test.controller not in IMPLEMENTED:
        return "not yet (controller not implemented)"
    return "covered"


#: The fact-sheet rules each property checks, per controller (the lists the machines run).
RULES_CHECKED: dict[str, dict[str, tuple[object, ...]]] = {
    "replicaset": {
        ALWAYS_P: invariants.RULES,
        PER_SYNC_P: (per_sync.RS_CLAIM, per_sync.RS_MANAGE, per_sync.RS_STATUS),
    },
    "deployment": {ALWAYS_P: invariants.RULES, PER_SYNC_P: per_sync.RS_DEPLOYMENT_RULES},
    "daemonset": {PER_SYNC_P: per_sync_daemonset.RULES},
    "job": {PER_SYNC_P: per_sync_job.RULES},
    "statefulset": {
        ALWAYS_P: (
            apps_invariants.STS_UNIQUE_ORDINALS,
            apps_invariants.STS_CLAIM_NAMES,
            apps_invariants.STS_STATUS,
            apps_invariants.STS_OBSERVED_GENERATION,
            apps_invariants.OBSERVED_GENERATION_MONOTONIC,
        ),
        PER_SYNC_P: per_sync_statefulset.RULES,
    },
    "cronjob": {PER_SYNC_P: per_sync_cronjob.RULES},
}
LEFT_OUT = invariants.LEFT_OUT


def conformance_table() -> str:
    lines = [
        "| controller | upstream conformance test | release | checked by | status |",
        "|---|---|---|---|---|",
    ]
    for t in CONFORMANCE:
        props = ", ".join(t.properties) or "—"
        note = f" ({t.note})" if t.note and t.note != API else ""
        lines.append(f"| {t.controller} | {t.testname} | {t.release} | {props} | {status(t)}{note} |")
    counted = [t for t in CONFORMANCE if t.note != API]
    covered = sum(status(t) == "covered" for t in counted)
    lines.append("")
    lines.append(
        f"{covered} of {len(counted)} behavioural conformance tests are covered; "
        f"{len(CONFORMANCE) - len(counted)} test only the API surface."
    )
    return "\n".join(lines)


def rules_table() -> str:
    lines = ["| controller | property | rule | section |", "|---|---|---|---|"]
    for controller, by_property in RULES_CHECKED.items():
        for prop, rules in by_property.items():
            for rule in rules:
                rid, section = getattr(rule, "id"), getattr(rule, "section")  # noqa: B009
                lines.append(f"| {controller} | {prop} | {rid} | {section} |")
    lines += ["", "Not checked, with the reason:", ""]
    lines += [f"- {rule}: {why}" for rule, why in LEFT_OUT]
    return "\n".join(lines)


def readme_section() -> str:
    """The README's coverage section body (regenerate with `python -m kubeprops.properties.coverage`)."""
    return "\n\n".join(
        [
            "### Upstream conformance tests (workloads)",
            conformance_table(),
            "### Fact-sheet rules and the property that checks them",
            rules_table(),
        ]
    )


if __name__ == "__main__":
    print(readme_section())

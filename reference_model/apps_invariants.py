"""StatefulSet and DaemonSet invariants (fact sheet 10.3, 10.4), in the style of `invariants`.

[ALWAYS] rules read one observed `AppsClusterView` (or two consecutive ones) and hold under any timing.
[PER-SYNC] rules judge what one sync did against the snapshot it read: the pods it created (by name, or by
node for a DaemonSet) and deleted. They classify every action from the snapshot alone, never from the
model's own decision, so a model bug cannot hide a target bug. World-level versions of these claims are
false on a real cluster (external deletions, stale caches, spec edits between syncs) and are not checked.

Left out, and why (`LEFT_OUT`): see the tuples at the bottom.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    DAEMONSET,
    ON_DELETE,
    ORDERED_READY,
    ROLLING_UPDATE,
    STATEFULSET,
    AppsClusterView,
    AppsNodeView,
    ControllerRevisionView,
    DaemonSetView,
    StatefulSetStatus,
    StatefulSetView,
)
from kubeprops.scenario.view import FAILED, SUCCEEDED, PodView

from . import daemonset as ds_util
from . import pods as podutil
from . import statefulset as sts_util
from .apps_common import max_unavailable_statefulset, statefulset_max_unavailable
from .invariants import ALWAYS, PER_SYNC, Rule, Violation
from .release import DEFAULT, Release


def _rule(rule_id: str, section: str, cls: str, description: str, views: int = 1) -> Rule:
    return Rule(rule_id, section, cls, description, views)


STS_UNIQUE_ORDINALS = _rule(
    "statefulset/unique-ordinals",
    "10.3",
    ALWAYS,
    "at most one pod object per ordinal; every pod a StatefulSet owns is named <set>-<ordinal>",
)
STS_CLAIM_NAMES = _rule(
    "statefulset/claim-names",
    "10.3",
    ALWAYS,
    "a claim owned by a StatefulSet (or by one of its pods) is named <template>-<set>-<ordinal>",
)
STS_STATUS = _rule(
    "statefulset/status-ordering",
    "10.3",
    ALWAYS,
    "readyReplicas >= availableReplicas, currentReplicas <= replicas, updatedReplicas <= replicas, all >= 0",
)
STS_OBSERVED_GENERATION = _rule(
    "statefulset/observed-generation-bound",
    "10.0",
    ALWAYS,
    "status.observedGeneration <= metadata.generation",
)
DS_STATUS = _rule(
    "daemonset/status-ordering",
    "10.4",
    ALWAYS,
    "current <= desired, ready <= current, available <= ready, updated <= current, "
    "unavailable == desired - available, all >= 0",
)
DS_OBSERVED_GENERATION = _rule(
    "daemonset/observed-generation-bound", "10.0", ALWAYS, "status.observedGeneration <= metadata.generation"
)
OBSERVED_GENERATION_MONOTONIC = _rule(
    "apps/observed-generation-monotonic",
    "10.0",
    ALWAYS,
    "a StatefulSet's or DaemonSet's observedGeneration never decreases",
    views=2,
)
STS_ORDERED_CREATION = _rule(
    "statefulset/ordered-creation",
    "10.3",
    PER_SYNC,
    "OrderedReady: at most one pod creation or scale-down / failed-pod deletion per sync (rolling-update "
    "deletions follow update-budget); index i is created only when every lower index is Running, Ready, "
    "Available and not terminating in the snapshot",
)
STS_ORDERED_SCALE_DOWN = _rule(
    "statefulset/ordered-scale-down",
    "10.3",
    PER_SYNC,
    "OrderedReady: a scale-down deletes only the highest condemned ordinal, only when it is not terminating "
    "and every replica is healthy, and when it is unhealthy only if it is the first unhealthy pod",
)
STS_UPDATE_BUDGET = _rule(
    "statefulset/update-budget",
    "10.3",
    PER_SYNC,
    "RollingUpdate deletions: with MaxUnavailableStatefulSet at most max(0, mu - unavailable) and never "
    "below the partition; without it at most one, the highest outdated index with every higher index "
    "updated and healthy",
)
STS_ON_DELETE = _rule(
    "statefulset/on-delete-no-update",
    "10.3",
    PER_SYNC,
    "OnDelete: the controller never deletes a healthy in-range pod (no deletion for revision reasons)",
)
STS_PARTITION_RECREATE = _rule(
    "statefulset/partition-recreate",
    "10.3",
    PER_SYNC,
    "a missing pod below the partition is recreated at the current revision, at or above it at the update "
    "revision",
)
STS_ROLLOUT_COMPLETION = _rule(
    "statefulset/current-revision-switch",
    "10.3",
    PER_SYNC,
    "currentRevision switches to updateRevision only in a write where updatedReplicas == readyReplicas == "
    "replicas == spec.replicas (RollingUpdate)",
)
DS_NO_INELIGIBLE_CREATE = _rule(
    "daemonset/no-create-ineligible",
    "10.4",
    PER_SYNC,
    "no creation on a node with shouldRun false, nor on a node that already has a daemon pod (without "
    "surge: any pod, even terminating or Failed; with surge: a running pod other than one old pod)",
)
DS_BURST = _rule("daemonset/burst", "10.4", PER_SYNC, "at most 250 creations and 250 deletions per sync")
DS_UPDATE_BUDGET = _rule(
    "daemonset/update-budget",
    "10.4",
    PER_SYNC,
    "maxSurge 0: Available old pods deleted <= max(0, mu - unavailable); maxSurge > 0: surge creations on "
    "nodes with an Available old pod <= max(0, ms - surge)",
)
DS_ONE_PER_NODE = _rule(
    "daemonset/at-most-one-per-node-at-quiescence",
    "10.4",
    "QUIESCENT",
    "at quiescence every shouldRun node runs exactly one daemon pod at the current revision and every node "
    "with shouldContinueRunning false runs none",
)

RULES: tuple[Rule, ...] = (
    STS_UNIQUE_ORDINALS, STS_CLAIM_NAMES, STS_STATUS, STS_OBSERVED_GENERATION, DS_STATUS,
    DS_OBSERVED_GENERATION, OBSERVED_GENERATION_MONOTONIC, STS_ORDERED_CREATION, STS_ORDERED_SCALE_DOWN,
    STS_UPDATE_BUDGET, STS_ON_DELETE, STS_PARTITION_RECREATE, STS_ROLLOUT_COMPLETION, DS_NO_INELIGIBLE_CREATE,
    DS_BURST, DS_UPDATE_BUDGET, DS_ONE_PER_NODE,
)  # fmt: skip

LEFT_OUT: tuple[tuple[str, str], ...] = (
    ("10.3 [NOT] OrderedReady never has two not-Ready pods", "false: external failures break it"),
    (
        "10.3 convergence when a pod can never become Ready",
        "false (#67250, #137409): asserted as a stall by apps_quiescent, never reported as a violation",
    ),
    (
        "10.3 world-level ordering (pod i exists only if i-1 is Ready)",
        "false on a real cluster: pods fail or are deleted after creation; checked per sync instead",
    ),
    (
        "10.4 every daemon pod carries the automatic tolerations and the metadata.name affinity",
        "not in the shared PodView; node_eligibility.daemon_pod_tolerations gives the expected set",
    ),
)


def _v(rule: Rule, kind: str, name: str, message: str) -> Violation:
    return Violation(rule.id, f"{kind}/{name}", message)


# ---------------------------------------------------------------- ALWAYS, one view


def _owned(pods: Sequence[PodView], uid: str) -> list[PodView]:
    return [p for p in pods if p.owner is not None and p.owner.uid == uid]


def _sts_identity(view: AppsClusterView, sts: StatefulSetView) -> Iterator[Violation]:
    ordinals: dict[int, str] = {}
    for pod in _owned(view.pods, sts.uid):
        parent, ordinal = sts_util.parent_and_ordinal(pod.name)
        if parent != sts.name or ordinal < 0:
            yield _v(
                STS_UNIQUE_ORDINALS, STATEFULSET, sts.name, f"pod {pod.name} is not named {sts.name}-<n>"
            )
        elif ordinal in ordinals:
            msg = f"pods {ordinals[ordinal]} and {pod.name} share ordinal {ordinal}"
            yield _v(STS_UNIQUE_ORDINALS, STATEFULSET, sts.name, msg)
        else:
            ordinals[ordinal] = pod.name


def _sts_claims(view: AppsClusterView, sts: StatefulSetView) -> Iterator[Violation]:
    pod_uids = {p.uid for p in _owned(view.pods, sts.uid)}
    prefixes = tuple(f"{t}-{sts.name}-" for t in sts.spec.volume_claim_templates)
    for claim in view.claims:
        if not any(o.uid == sts.uid or o.uid in pod_uids for o in claim.owners):
            continue
        rest = next((claim.name[len(p) :] for p in prefixes if claim.name.startswith(p)), "")
        if not rest.isdigit():
            msg = f"claim {claim.name} is not <template>-{sts.name}-<ordinal> for templates {prefixes}"
            yield _v(STS_CLAIM_NAMES, STATEFULSET, sts.name, msg)


def _ordering(rule: Rule, kind: str, name: str, checks: Sequence[tuple[str, bool]]) -> Iterator[Violation]:
    for what, ok in checks:
        if not ok:
            yield _v(rule, kind, name, what)


def _sts_status(sts: StatefulSetView) -> Iterator[Violation]:
    s = sts.status
    checks = [
        (f"readyReplicas {s.ready_replicas} < availableReplicas {s.available_replicas}",
         s.ready_replicas >= s.available_replicas),
        (f"currentReplicas {s.current_replicas} > replicas {s.replicas}", s.current_replicas <= s.replicas),
        (f"updatedReplicas {s.updated_replicas} > replicas {s.replicas}", s.updated_replicas <= s.replicas),
        ("a count is negative", min(s.replicas, s.ready_replicas, s.available_replicas, s.current_replicas,
                                     s.updated_replicas) >= 0),
    ]  # fmt: skip
    yield from _ordering(STS_STATUS, STATEFULSET, sts.name, checks)
    if s.observed_generation > sts.generation:
        msg = f"observedGeneration {s.observed_generation} > generation {sts.generation}"
        yield _v(STS_OBSERVED_GENERATION, STATEFULSET, sts.name, msg)


def _ds_status(ds: DaemonSetView) -> Iterator[Violation]:
    s = ds.status
    checks = [
        (f"current {s.current_number_scheduled} > desired {s.desired_number_scheduled}",
         s.current_number_scheduled <= s.desired_number_scheduled),
        (f"ready {s.number_ready} > current {s.current_number_scheduled}",
         s.number_ready <= s.current_number_scheduled),
        (f"available {s.number_available} > ready {s.number_ready}", s.number_available <= s.number_ready),
        (f"updated {s.updated_number_scheduled} > current {s.current_number_scheduled}",
         s.updated_number_scheduled <= s.current_number_scheduled),
        (f"unavailable {s.number_unavailable} != desired - available",
         s.number_unavailable == s.desired_number_scheduled - s.number_available),
        ("a count is negative", min(s.number_misscheduled, s.number_available, s.number_ready) >= 0),
    ]  # fmt: skip
    yield from _ordering(DS_STATUS, DAEMONSET, ds.name, checks)
    if s.observed_generation > ds.generation:
        msg = f"observedGeneration {s.observed_generation} > generation {ds.generation}"
        yield _v(DS_OBSERVED_GENERATION, DAEMONSET, ds.name, msg)


def check_always(view: AppsClusterView) -> list[Violation]:
    """Every one-view [ALWAYS] rule on `view`."""
    found: list[Violation] = []
    for sts in view.statefulsets:
        found += [*_sts_identity(view, sts), *_sts_claims(view, sts), *_sts_status(sts)]
    for ds in view.daemonsets:
        found += list(_ds_status(ds))
    return found


def check_transition(before: AppsClusterView, after: AppsClusterView) -> list[Violation]:
    """observedGeneration never decreases for an object (same uid) seen in both views."""
    old = {o.uid: o for o in (*before.statefulsets, *before.daemonsets)}
    found = []
    for obj in (*after.statefulsets, *after.daemonsets):
        prev = old.get(obj.uid)
        if prev is not None and obj.status.observed_generation < prev.status.observed_generation:
            kind = STATEFULSET if isinstance(obj, StatefulSetView) else DAEMONSET
            msg = f"observedGeneration {prev.status.observed_generation} -> {obj.status.observed_generation}"
            found.append(_v(OBSERVED_GENERATION_MONOTONIC, kind, obj.name, msg))
    return found


# ---------------------------------------------------------------- PER-SYNC, StatefulSet


@attrs.frozen
class StatefulSetSnapshot:
    """What one StatefulSet sync read."""

    sts: StatefulSetView
    revisions: tuple[ControllerRevisionView, ...]
    pods: tuple[PodView, ...]
    now: float


@attrs.frozen
class StatefulSetActions:
    """What the sync did: pods created as (name, revision name), pods deleted, the status it wrote."""

    created: tuple[tuple[str, str], ...] = ()
    deleted: tuple[str, ...] = ()
    status: StatefulSetStatus | None = None  # when the sync wrote one


def _healthy(pod: PodView | None, mrs: int, now: float) -> bool:
    return sts_util.is_running_and_available(pod, mrs, now) and not sts_util.is_terminating(pod)


def _sts_context(snap: StatefulSetSnapshot) -> tuple[dict[int, PodView], int, int]:
    pods = {sts_util.ordinal_of(p): p for p in sts_util.claim_pods(snap.sts, snap.pods)}
    return pods, sts_util.start_ordinal(snap.sts.spec), snap.sts.spec.min_ready_seconds


def _ordered_creation(snap: StatefulSetSnapshot, acts: StatefulSetActions) -> Iterator[Violation]:
    if snap.sts.spec.pod_management_policy != ORDERED_READY:
        return
    name = snap.sts.name
    # update deletions are bounded by maxUnavailable instead (several per sync with the 1.35 gate)
    updates = {p.name for p in _update_deletions(snap, acts)}
    others = [d for d in acts.deleted if d not in updates]
    if len(acts.created) + len(others) > 1:
        msg = f"{len(acts.created)} creations and {len(others)} non-update deletions in one OrderedReady sync"
        yield _v(STS_ORDERED_CREATION, STATEFULSET, name, msg)
    pods, start, mrs = _sts_context(snap)
    for pod_name, _ in acts.created:
        ordinal = sts_util.parent_and_ordinal(pod_name)[1]
        lower = [o for o in range(start, ordinal) if not _healthy(pods.get(o), mrs, snap.now)]
        if lower:
            msg = f"created {pod_name} while ordinal {lower[0]} was not Running+Ready+Available"
            yield _v(STS_ORDERED_CREATION, STATEFULSET, name, msg)


def _condemned(snap: StatefulSetSnapshot) -> list[PodView]:
    pods, _, _ = _sts_context(snap)
    out = [p for o, p in pods.items() if o >= 0 and not sts_util.in_range(o, snap.sts.spec)]
    return sorted(out, key=sts_util.ordinal_of, reverse=True)


def _ordered_scale_down(snap: StatefulSetSnapshot, acts: StatefulSetActions) -> Iterator[Violation]:
    if snap.sts.spec.pod_management_policy != ORDERED_READY:
        return
    condemned = _condemned(snap)
    doomed = [p for p in condemned if p.name in acts.deleted]
    if not doomed:
        return
    pods, start, mrs = _sts_context(snap)
    spec, name, target = snap.sts.spec, snap.sts.name, doomed[0]
    replicas = [pods.get(o) for o in range(start, start + spec.replicas)]
    unhealthy = [p for p in replicas if not _healthy(p, mrs, snap.now)]
    first_unhealthy = next((p.name for p in reversed(condemned) if not _healthy(p, mrs, snap.now)), "")
    if target is not condemned[0]:
        yield _v(
            STS_ORDERED_SCALE_DOWN, STATEFULSET, name, f"deleted {target.name} before {condemned[0].name}"
        )
    # upstream waits only while the highest condemned pod (its target) terminates, not for lower ones
    if condemned[0].deleting or unhealthy:
        msg = f"deleted {target.name} while a replica was unhealthy or {condemned[0].name} was terminating"
        yield _v(STS_ORDERED_SCALE_DOWN, STATEFULSET, name, msg)
    elif not _healthy(target, mrs, snap.now) and target.name != first_unhealthy:
        msg = f"deleted unhealthy {target.name}, but the first unhealthy pod is {first_unhealthy}"
        yield _v(STS_ORDERED_SCALE_DOWN, STATEFULSET, name, msg)


def _update_deletions(snap: StatefulSetSnapshot, acts: StatefulSetActions) -> list[PodView]:
    """Deleted in-range pods that were neither Failed/Succeeded: deletions for revision reasons."""
    pods, _, _ = _sts_context(snap)
    spec = snap.sts.spec
    return [
        p
        for o, p in pods.items()
        if p.name in acts.deleted and sts_util.in_range(o, spec) and p.phase not in (FAILED, SUCCEEDED)
    ]


def _update_budget(
    snap: StatefulSetSnapshot, acts: StatefulSetActions, release: Release
) -> Iterator[Violation]:
    spec, name = snap.sts.spec, snap.sts.name
    deleted = _update_deletions(snap, acts)
    if spec.update_strategy.type == ON_DELETE:
        for pod in deleted:
            yield _v(STS_ON_DELETE, STATEFULSET, name, f"deleted in-range pod {pod.name} under OnDelete")
        return
    if not deleted:
        return
    pods, start, mrs = _sts_context(snap)
    block = spec.update_strategy.rolling_update
    partition = block.partition if block is not None else 0
    for pod in deleted:
        if sts_util.ordinal_of(pod) - start < partition:
            yield _v(STS_UPDATE_BUDGET, STATEFULSET, name, f"deleted {pod.name} below partition {partition}")
    replicas = [pods.get(o) for o in range(start, start + spec.replicas)]
    if max_unavailable_statefulset(release):
        mu = statefulset_max_unavailable(block.max_unavailable, spec.replicas) if block else 1
        unavailable = sum(1 for p in replicas if sts_util.is_unavailable(p, mrs, snap.now))
        if len(deleted) > max(0, mu - unavailable):
            msg = f"{len(deleted)} update deletions with maxUnavailable {mu} and {unavailable} unavailable"
            yield _v(STS_UPDATE_BUDGET, STATEFULSET, name, msg)
        return
    if len(deleted) > 1:
        yield _v(STS_UPDATE_BUDGET, STATEFULSET, name, f"{len(deleted)} update deletions in one sync")
    index = sts_util.ordinal_of(deleted[0]) - start
    above = [p for p in replicas[index + 1 :] if not _healthy(p, mrs, snap.now)]
    if above:
        msg = f"deleted {deleted[0].name} while a higher index was not updated and healthy"
        yield _v(STS_UPDATE_BUDGET, STATEFULSET, name, msg)


def _partition_recreate(snap: StatefulSetSnapshot, acts: StatefulSetActions) -> Iterator[Violation]:
    revs = sts_util.statefulset_revisions(snap.sts, snap.revisions)
    block = snap.sts.spec.update_strategy.rolling_update
    if block is None:
        return  # the no-block quirk recreates below status.currentReplicas at the current revision
    start = sts_util.start_ordinal(snap.sts.spec)
    for pod_name, revision in acts.created:
        below = sts_util.parent_and_ordinal(pod_name)[1] - start < block.partition
        want = revs.current.name if below else revs.update.name
        if revision != want:
            msg = f"recreated {pod_name} at {revision}, expected {want} (partition {block.partition})"
            yield _v(STS_PARTITION_RECREATE, STATEFULSET, snap.sts.name, msg)


def _rollout_completion(snap: StatefulSetSnapshot, acts: StatefulSetActions) -> Iterator[Violation]:
    status = acts.status
    old = snap.sts.status
    if status is None or status.current_revision in ("", old.current_revision) or not old.current_revision:
        return
    r = snap.sts.spec.replicas
    counts = (status.updated_replicas, status.ready_replicas, status.replicas)
    if snap.sts.spec.update_strategy.type != ROLLING_UPDATE or counts != (r, r, r):
        msg = f"currentRevision switched with updated/ready/replicas {counts}, spec.replicas {r}"
        yield _v(STS_ROLLOUT_COMPLETION, STATEFULSET, snap.sts.name, msg)


def check_statefulset_sync(
    snap: StatefulSetSnapshot, acts: StatefulSetActions, *, release: Release = DEFAULT
) -> list[Violation]:
    """Every [PER-SYNC] StatefulSet rule on one sync."""
    return [
        *_ordered_creation(snap, acts),
        *_ordered_scale_down(snap, acts),
        *_update_budget(snap, acts, release),
        *_partition_recreate(snap, acts),
        *_rollout_completion(snap, acts),
    ]


# ---------------------------------------------------------------- PER-SYNC and QUIESCENT, DaemonSet


@attrs.frozen
class DaemonSetSnapshot:
    ds: DaemonSetView
    revisions: tuple[ControllerRevisionView, ...]
    nodes: tuple[AppsNodeView, ...]
    pods: tuple[PodView, ...]
    now: float
    targets: Mapping[str, str] = attrs.field(factory=dict)


@attrs.frozen
class DaemonSetActions:
    created_on: tuple[str, ...] = ()  # node names (a node twice = two creations)
    deleted: tuple[str, ...] = ()


def _ds_counts(snap: DaemonSetSnapshot) -> tuple[dict[str, list[PodView]], dict[str, tuple[bool, bool]], str]:
    by_node = ds_util.nodes_to_pods(snap.ds, snap.pods, snap.targets)
    revs = ds_util.daemonset_revisions(snap.ds, snap.revisions)
    return by_node, ds_util.eligibility(snap.ds, snap.nodes), revs.current.hash


def _available(snap: DaemonSetSnapshot, pod: PodView) -> bool:
    return podutil.is_available(pod, snap.ds.spec.min_ready_seconds, snap.now)


def check_daemonset_sync(snap: DaemonSetSnapshot, acts: DaemonSetActions) -> list[Violation]:
    """Every [PER-SYNC] DaemonSet rule on one sync."""
    by_node, eligible, hash_ = _ds_counts(snap)
    name, found = snap.ds.name, []
    if len(acts.created_on) > ds_util.BURST_REPLICAS or len(acts.deleted) > ds_util.BURST_REPLICAS:
        found.append(
            _v(DS_BURST, DAEMONSET, name, f"{len(acts.created_on)} creations, {len(acts.deleted)} deletions")
        )
    surge = ds_util.allows_surge(snap.ds)
    for node, group in itertools.groupby(sorted(acts.created_on)):
        count, pods = len(list(group)), by_node.get(node, [])
        # surge mode counts running pods only (a Failed pod does not stop a replacement); without surge
        # any pod the controller sees, terminating or Failed, does
        live = [p for p in pods if not p.deleting and p.phase not in (FAILED, SUCCEEDED)]
        old = [p for p in live if not ds_util.is_updated(p, hash_)]
        blocked = (bool(live) and not (old and len(live) == 1)) if surge else bool(pods)
        if not eligible.get(node, (False, False))[0]:
            found.append(
                _v(DS_NO_INELIGIBLE_CREATE, DAEMONSET, name, f"created a pod on {node} (shouldRun false)")
            )
        elif count > 1 or blocked:
            msg = f"created {count} pod(s) on {node} which already had {len(pods)} daemon pod(s)"
            found.append(_v(DS_NO_INELIGIBLE_CREATE, DAEMONSET, name, msg))
    found += _ds_budget(snap, acts, by_node, eligible, hash_)
    return found


def _ds_budget(
    snap: DaemonSetSnapshot,
    acts: DaemonSetActions,
    by_node: dict[str, list[PodView]],
    eligible: dict[str, tuple[bool, bool]],
    hash_: str,
) -> list[Violation]:
    desired = sum(1 for run, _ in eligible.values() if run)
    max_surge, max_unavailable = ds_util.fenceposts(snap.ds, desired)
    if snap.ds.spec.update_strategy.type != ROLLING_UPDATE:
        return []
    walked = {n: [p for p in pods if not p.deleting] for n, pods in by_node.items()}
    walked.update({n: [] for n, (run, _) in eligible.items() if run and n not in walked})
    if max_surge == 0:
        unavailable = sum(1 for pods in walked.values() if _unavailable_node(snap, pods, hash_))
        # pods on nodes that must not keep them are the manage step's to delete, whatever the budget
        kept = {n for n, pods in walked.items() if eligible.get(n, (True, True))[1]}
        healthy_old = [
            p.name
            for n, pods in walked.items()
            for p in pods
            if n in kept and _sole_available_old(snap, pods, p, hash_)
        ]
        used = sum(1 for p in acts.deleted if p in healthy_old)
        limit = max(0, max_unavailable - unavailable)
        msg = (
            f"deleted {used} Available old pods (maxUnavailable {max_unavailable}, {unavailable} unavailable)"
        )
        return [] if used <= limit else [_v(DS_UPDATE_BUDGET, DAEMONSET, snap.ds.name, msg)]
    surging = sum(1 for pods in walked.values() if _surging(snap, pods, hash_))
    targets = {
        n for n, pods in walked.items() if len(pods) == 1 and _sole_available_old(snap, pods, pods[0], hash_)
    }
    used = sum(1 for n in acts.created_on if n in targets)
    msg = f"surged onto {used} nodes with maxSurge {max_surge}, {surging} already surging"
    return [] if used <= max(0, max_surge - surging) else [_v(DS_UPDATE_BUDGET, DAEMONSET, snap.ds.name, msg)]


def _unavailable_node(snap: DaemonSetSnapshot, pods: Sequence[PodView], hash_: str) -> bool:
    new = [p for p in pods if ds_util.is_updated(p, hash_)]
    old = [p for p in pods if not ds_util.is_updated(p, hash_)]
    if len(new) > 1 or len(old) > 1 or bool(new) == bool(old):
        return True
    return (bool(new) and not _available(snap, new[0])) or (bool(old) and not _available(snap, old[0]))


def _sole_available_old(snap: DaemonSetSnapshot, pods: Sequence[PodView], pod: PodView, hash_: str) -> bool:
    return len(pods) == 1 and pods[0] is pod and not ds_util.is_updated(pod, hash_) and _available(snap, pod)


def _surging(snap: DaemonSetSnapshot, pods: Sequence[PodView], hash_: str) -> bool:
    new = [p for p in pods if ds_util.is_updated(p, hash_)]
    old = [p for p in pods if not ds_util.is_updated(p, hash_)]
    if len(new) > 1 or len(old) > 1:
        return True
    return bool(new and old) and not _available(snap, new[0])


def check_daemonset_quiescent(view: AppsClusterView, ds: DaemonSetView) -> list[Violation]:
    """At quiescence: one non-deleting pod at the current revision per shouldRun node, none where
    shouldContinueRunning is false (nodes kept only by shouldContinueRunning may keep theirs)."""
    by_node = ds_util.nodes_to_pods(ds, view.pods, {})
    eligible = ds_util.eligibility(ds, view.nodes)
    hash_ = ds_util.daemonset_revisions(ds, view.revisions).current.hash
    found = []
    for node, (run, keep) in eligible.items():
        live = [p for p in by_node.get(node, []) if not p.deleting]
        if run and (len(live) != 1 or not ds_util.is_updated(live[0], hash_)):
            found.append(
                _v(DS_ONE_PER_NODE, DAEMONSET, ds.name, f"node {node} has {len(live)} pods (want 1 current)")
            )
        elif not keep and live:
            found.append(
                _v(DS_ONE_PER_NODE, DAEMONSET, ds.name, f"node {node} must run none, has {len(live)}")
            )
    return found

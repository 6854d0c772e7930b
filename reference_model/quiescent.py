"""What a settled state must agree on across targets: the QUIESCENT comparison (fact sheet 10.1, 10.2).

`summarize` keeps only what upstream determines once inputs stop changing, independent of timing and of
tie-breaks; `diff` lists the differences between two summaries in readable lines.

Kept, per Deployment: spec.replicas; whether observedGeneration caught up with generation; the revision
annotation; the Progressing condition as (type, status, reason). When the rollout has *landed* (a new
ReplicaSet at spec.replicas, every old one at 0: the only layout the controller settles in when the new pods
turn available) also: status replicas / updated / ready / available / unavailable, the Available condition,
every ReplicaSet keyed by its template (image, ready_after, labels without the hash, node selector) with
spec.replicas, status replicas / ready / available and revision, and how many old ReplicaSets are retained.

A rollout that has *not* landed (new pods never available, a paused rollout, pods that cannot be scheduled)
stalls wherever the interleaving of surge scale-ups and availability-bounded scale-downs left it: fact sheet
10.2 gives only the bound "old RSs >= R - U - surge already spent", and which old RS shrank first depends on
when each pod turned Ready relative to the edits. For such a Deployment the summary keeps the facts above
that do not depend on it (spec.replicas, observedGeneration, revision, Progressing) plus the template of
the new ReplicaSet; it drops the status numbers, the Available condition (it follows those numbers), the
per-ReplicaSet sizes and which older templates still have a ReplicaSet (with Recreate, whether an
intermediate template ever got one depends on how fast old pods terminated).

Kept, per bare ReplicaSet (no owner): spec.replicas, observedGeneration caught up, status replicas / ready /
available, active pods Ready and not Ready, Failed pods.

Kept for pods without a controller (bare pods nobody adopted, pods a ReplicaSet released), grouped by
labels and image: how many are active and Ready, active and not Ready, and Failed.

Left out everywhere, and why:
* pod, ReplicaSet and node names, uids and pod-template-hash values: generated names are random upstream and
  our hash is not bit-exact (deployment.template_hash);
* all timestamps (creation, Ready since, condition times) and condition messages: clock- and wording-
  dependent;
* which of several tied pods was deleted, and which node a pod runs on: upstream sorts are unstable and the
  real scheduler scores nodes differently;
* terminatingReplicas, fullyLabeledReplicas, collisionCount: 0 / equal to replicas / 0 at quiescence, or
  target-specific (hash collisions);
* the revision-history annotation and desired/max-replicas annotations: bookkeeping implied by the kept
  revisions and sizes;
* Failed pods of Deployment-owned ReplicaSets: they stay until history cleanup deletes their ReplicaSet,
  whose timing is covered by the retained count.
"""

from __future__ import annotations

import attrs

from kubeprops.scenario.spec import Labels, PodTemplate
from kubeprops.scenario.view import (
    FAILED,
    POD_TEMPLATE_HASH,
    ClusterView,
    DeploymentView,
    PodView,
    ReplicaSetView,
)

PROGRESSING, AVAILABLE = "Progressing", "Available"

TemplateKey = tuple[str, int | None, tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]
ConditionTriple = tuple[str, str, str]


def template_key(template: PodTemplate) -> TemplateKey:
    """(image, ready_after, labels without the hash label, node selector)."""
    plain = tuple(kv for kv in template.labels if kv[0] != POD_TEMPLATE_HASH)
    return (template.image, template.behavior.ready_after, plain, template.node_selector)


def render_key(key: TemplateKey) -> str:
    image, ready_after, plain, selector = key
    text = f"{image} ready_after={ready_after} labels={','.join(f'{k}={v}' for k, v in plain)}"
    return text + (f" nodeSelector={','.join(f'{k}={v}' for k, v in selector)}" if selector else "")


@attrs.frozen
class ReplicaSetSummary:
    template: TemplateKey
    revision: int
    replicas: int
    status_replicas: int
    ready: int
    available: int


@attrs.frozen
class DeploymentSummary:
    name: str
    replicas: int
    observed: bool
    revision: int
    progressing: ConditionTriple | None
    landed: bool
    new_template: TemplateKey | None
    # only when landed (None otherwise)
    status: tuple[int, int, int, int, int] | None = None  # replicas, updated, ready, available, unavailable
    available: ConditionTriple | None = None
    replicasets: tuple[ReplicaSetSummary, ...] | None = None
    old_retained: int | None = None
    # Progressing outcomes a race allows besides `progressing` (only in the model's summary)
    progressing_also: tuple[ConditionTriple, ...] = ()


@attrs.frozen
class BareReplicaSetSummary:
    name: str
    replicas: int
    observed: bool
    status: tuple[int, int, int]  # replicas, ready, available
    pods_ready: int
    pods_not_ready: int
    pods_failed: int


@attrs.frozen
class OrphanPodsSummary:
    labels: Labels
    image: str
    pods_ready: int
    pods_not_ready: int
    pods_failed: int


@attrs.frozen
class Summary:
    deployments: tuple[DeploymentSummary, ...] = ()
    replicasets: tuple[BareReplicaSetSummary, ...] = ()
    orphans: tuple[OrphanPodsSummary, ...] = ()


# ---------------------------------------------------------------- summarize


def _condition(d: DeploymentView, type_: str) -> ConditionTriple | None:
    c = d.status.condition(type_)
    return None if c is None else (c.type, c.status, c.reason)


def _new_rs(d: DeploymentView, rss: tuple[ReplicaSetView, ...]) -> ReplicaSetView | None:
    # FindNewReplicaSet: the oldest with the Deployment's template (ignoring the hash label)
    want = template_key(d.spec.template)
    return next(
        (rs for rs in sorted(rss, key=lambda r: r.created) if template_key(rs.template) == want), None
    )


def _landed(d: DeploymentView, new: ReplicaSetView | None, olds: list[ReplicaSetView]) -> bool:
    return new is not None and new.replicas == d.spec.replicas and all(rs.replicas == 0 for rs in olds)


def _rs_summary(rs: ReplicaSetView) -> ReplicaSetSummary:
    s = rs.status
    return ReplicaSetSummary(
        template_key(rs.template),
        rs.revision,
        rs.replicas,
        s.replicas,
        s.ready_replicas,
        s.available_replicas,
    )


def summarize_deployment(view: ClusterView, d: DeploymentView) -> DeploymentSummary:
    rss = view.replicasets_of(d.name)
    new = _new_rs(d, rss)
    olds = [rs for rs in rss if new is None or rs.name != new.name]
    base = DeploymentSummary(
        name=d.name,
        replicas=d.spec.replicas,
        observed=d.status.observed_generation == d.generation,
        revision=d.revision,
        progressing=_condition(d, PROGRESSING),
        landed=_landed(d, new, olds),
        new_template=template_key(new.template) if new is not None else None,
    )
    if not base.landed:
        return base
    s = d.status
    return attrs.evolve(
        base,
        status=(
            s.replicas,
            s.updated_replicas,
            s.ready_replicas,
            s.available_replicas,
            s.unavailable_replicas,
        ),
        available=_condition(d, AVAILABLE),
        replicasets=tuple(
            sorted((_rs_summary(rs) for rs in rss), key=lambda r: (render_key(r.template), r.revision))
        ),
        old_retained=len(olds),
    )


def summarize_replicaset(view: ClusterView, rs: ReplicaSetView) -> BareReplicaSetSummary:
    pods = view.pods_of("ReplicaSet", rs.name)
    active = [p for p in pods if p.active]
    s = rs.status
    return BareReplicaSetSummary(
        name=rs.name,
        replicas=rs.replicas,
        observed=s.observed_generation == rs.generation,
        status=(s.replicas, s.ready_replicas, s.available_replicas),
        pods_ready=sum(1 for p in active if p.ready),
        pods_not_ready=sum(1 for p in active if not p.ready),
        pods_failed=sum(1 for p in pods if p.phase == FAILED),
    )


def summarize_orphans(view: ClusterView) -> tuple[OrphanPodsSummary, ...]:
    """Pods without a controller, by (labels, image); terminating ones are left out (they are going)."""
    groups: dict[tuple[Labels, str], list[PodView]] = {}
    for p in view.pods:
        if p.owner is None and (p.active or p.phase == FAILED):
            groups.setdefault((p.labels, p.image), []).append(p)
    return tuple(
        OrphanPodsSummary(
            labels=key[0],
            image=key[1],
            pods_ready=sum(1 for p in pods if p.active and p.ready),
            pods_not_ready=sum(1 for p in pods if p.active and not p.ready),
            pods_failed=sum(1 for p in pods if p.phase == FAILED),
        )
        for key, pods in sorted(groups.items())
    )


def summarize(view: ClusterView) -> Summary:
    """The timing- and tie-independent part of a settled state (see the module docstring)."""
    return Summary(
        deployments=tuple(
            summarize_deployment(view, d) for d in sorted(view.deployments, key=lambda d: d.name)
        ),
        replicasets=tuple(
            summarize_replicaset(view, rs)
            for rs in sorted(view.replicasets, key=lambda r: r.name)
            if rs.owner is None
        ),
        orphans=summarize_orphans(view),
    )


# ---------------------------------------------------------------- diff


def _triple(c: ConditionTriple | None) -> str:
    return "(absent)" if c is None else f"{c[1]}/{c[2]}"


def _deployment_fields(d: DeploymentSummary) -> dict[str, str]:
    fields = {
        "spec.replicas": str(d.replicas),
        "status.observedGeneration == metadata.generation": str(d.observed),
        "annotation revision": str(d.revision),
        "condition Progressing": _triple(d.progressing),
        "rollout landed (new ReplicaSet at spec.replicas, old ones at 0)": str(d.landed),
        "new ReplicaSet template": render_key(d.new_template) if d.new_template else "(none)",
    }
    if d.status is not None:
        names = ("replicas", "updatedReplicas", "readyReplicas", "availableReplicas", "unavailableReplicas")
        fields.update({f"status.{n}": str(v) for n, v in zip(names, d.status, strict=True)})
        fields["condition Available"] = _triple(d.available)
        fields["old ReplicaSets retained"] = str(d.old_retained)
    for i, rs in enumerate(d.replicasets or ()):
        fields.update(_rs_fields(rs, i, d.replicasets or ()))
    return fields


def _rs_fields(rs: ReplicaSetSummary, i: int, all_rs: tuple[ReplicaSetSummary, ...]) -> dict[str, str]:
    same = [r for r in all_rs[:i] if r.template == rs.template]
    label = f"ReplicaSet[{render_key(rs.template)}]" + (f"#{len(same) + 1}" if same else "")
    return {
        f"{label}.revision": str(rs.revision),
        f"{label}.spec.replicas": str(rs.replicas),
        f"{label}.status.replicas": str(rs.status_replicas),
        f"{label}.status.readyReplicas": str(rs.ready),
        f"{label}.status.availableReplicas": str(rs.available),
    }


def _bare_fields(rs: BareReplicaSetSummary) -> dict[str, str]:
    return {
        "spec.replicas": str(rs.replicas),
        "status.observedGeneration == metadata.generation": str(rs.observed),
        "status.replicas": str(rs.status[0]),
        "status.readyReplicas": str(rs.status[1]),
        "status.availableReplicas": str(rs.status[2]),
        "active pods Ready": str(rs.pods_ready),
        "active pods not Ready": str(rs.pods_not_ready),
        "Failed pods": str(rs.pods_failed),
    }


def _orphan_fields(o: OrphanPodsSummary) -> dict[str, str]:
    return {
        "active pods Ready": str(o.pods_ready),
        "active pods not Ready": str(o.pods_not_ready),
        "Failed pods": str(o.pods_failed),
    }


def _orphan_key(o: OrphanPodsSummary) -> str:
    return f"Pods without controller[{o.image} labels={','.join(f'{k}={v}' for k, v in o.labels)}]"


def flatten(summary: Summary) -> dict[str, dict[str, str]]:
    """Object ("Deployment/web") -> field -> rendered value."""
    out = {f"Deployment/{d.name}": _deployment_fields(d) for d in summary.deployments}
    out.update({f"ReplicaSet/{rs.name}": _bare_fields(rs) for rs in summary.replicasets})
    out.update({_orphan_key(o): _orphan_fields(o) for o in summary.orphans})
    return out


def diff(expected: Summary, observed: Summary) -> list[str]:
    """Readable differences, e.g. "Deployment/web: status.availableReplicas expected 4, observed 3"."""
    exp, obs = flatten(expected), flatten(observed)
    also = _alternatives(expected)
    lines: list[str] = []
    for obj in sorted(exp.keys() | obs.keys()):
        if obj not in obs:
            lines.append(f"{obj}: expected to exist, observed absent")
            continue
        if obj not in exp:
            lines.append(f"{obj}: expected absent, observed present")
            continue
        for field in _ordered_fields(exp[obj], obs[obj]):
            e, o = exp[obj].get(field, "(absent)"), obs[obj].get(field, "(absent)")
            allowed = also.get((obj, field), ())
            if e != o and o not in allowed:
                either = "".join(f" or {a}" for a in allowed)
                lines.append(f"{obj}: {field} expected {e}{either}, observed {o}")
    return lines


def _alternatives(summary: Summary) -> dict[tuple[str, str], tuple[str, ...]]:
    """Other rendered values a field may take in a conforming target (races upstream allows)."""
    return {
        (f"Deployment/{d.name}", "condition Progressing"): tuple(_triple(c) for c in d.progressing_also)
        for d in summary.deployments
        if d.progressing_also
    }


def _ordered_fields(a: dict[str, str], b: dict[str, str]) -> list[str]:
    return list(a) + [k for k in b if k not in a]

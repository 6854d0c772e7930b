"""Invariants that hold in every observed state of a real cluster, under arbitrary timing.

Only the [ALWAYS] claims of fact-sheet sections 10.0-10.2 that a `ClusterView` (or two consecutive ones) can
decide are checked; `RULES` lists them. [PER-SYNC] claims need the controller's snapshot and [QUIESCENT] ones
need settling, so they live with the model and the properties; [NOT] claims are false and must never be
checked (the unit tests use them as negative cases). `LEFT_OUT` says why some [ALWAYS] claims are not here.

Every status rule reads the status *as written*: each status is computed from one snapshot by one controller
and the API server validates the orderings on every status write
(ref kubernetes/kubernetes:pkg/apis/apps/validation/validation.go (ValidateDeploymentStatus,
ValidateReplicaSetStatus)), so they hold however stale the numbers are.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Collection, Iterator, Sequence

import attrs

from kubeprops.scenario.spec import ROLLING_UPDATE, DeploymentSpec
from kubeprops.scenario.view import (
    POD_TEMPLATE_HASH,
    ClusterView,
    DeploymentView,
    PodView,
    ReplicaSetView,
)

from .intstr import resolve_fenceposts

ALWAYS, PER_SYNC, QUIESCENT = "ALWAYS", "PER-SYNC", "QUIESCENT"
DEPLOYMENT, REPLICASET = "Deployment", "ReplicaSet"


@attrs.frozen
class Rule:
    id: str
    section: str
    cls: str
    description: str
    views: int = 1  # 1: decided on one view; 2: on two consecutive views


@attrs.frozen
class Violation:
    rule: str
    obj: str
    message: str


def _rule(section: str, name: str, description: str, views: int = 1) -> Rule:
    return Rule(f"{section} {ALWAYS} {name}", section, ALWAYS, description, views)


OBSERVED_GENERATION_BOUND = _rule(
    "10.0",
    "observed-generation-bound",
    "status.observedGeneration <= metadata.generation (Deployment, ReplicaSet)",
)
RS_STATUS_ORDERING = _rule(
    "10.1",
    "replicaset-status-ordering",
    "ReplicaSet status: replicas >= readyReplicas >= availableReplicas >= 0, fullyLabeledReplicas in "
    "[0, replicas], terminatingReplicas nil or >= 0",
)
DEPLOYMENT_STATUS_ORDERING = _rule(
    "10.2",
    "deployment-status-ordering",
    "Deployment status: updatedReplicas <= replicas, availableReplicas <= readyReplicas <= replicas, "
    "all >= 0, unavailableReplicas >= 0, terminatingReplicas nil or >= 0",
)
AVAILABLE_CONDITION = _rule(
    "10.2",
    "deployment-available-condition",
    "when observedGeneration == generation, Available=True iff "
    "availableReplicas >= replicas - maxUnavailable",
)
RS_NAME_HASH = _rule(
    "10.2",
    "replicaset-name-hash",
    "a Deployment's ReplicaSet is named <deployment>-<pod-template-hash> and carries the hash on its "
    "template labels and selector",
)
RS_HASH_UNIQUE = _rule(
    "10.2", "replicaset-hash-unique", "two ReplicaSets of one Deployment never share a hash"
)
OBSERVED_GENERATION_MONOTONIC = _rule(
    "10.0", "observed-generation-monotonic", "an object's status.observedGeneration never decreases", views=2
)
PAUSED_NO_NEW_RS = _rule(
    "10.2",
    "paused-no-new-replicaset",
    "no ReplicaSet appears for a Deployment that stayed paused (same generation, already observed)",
    views=2,
)
RS_REVISION_MONOTONIC = _rule(
    "2.4",
    "replicaset-revision-monotonic",
    "a ReplicaSet's deployment.kubernetes.io/revision annotation never decreases (only ever raised)",
    views=2,
)
NO_OWNERSHIP_TRANSFER = _rule(
    "10.0",
    "no-ownership-transfer",
    "a pod never moves from a live owner whose selector still matches it to another controller",
    views=2,
)

RULES: tuple[Rule, ...] = (
    OBSERVED_GENERATION_BOUND,
    RS_STATUS_ORDERING,
    DEPLOYMENT_STATUS_ORDERING,
    AVAILABLE_CONDITION,
    RS_NAME_HASH,
    RS_HASH_UNIQUE,
    OBSERVED_GENERATION_MONOTONIC,
    PAUSED_NO_NEW_RS,
    RS_REVISION_MONOTONIC,
    NO_OWNERSHIP_TRANSFER,
)

LEFT_OUT: tuple[tuple[str, str], ...] = (
    (
        "10.2 history cleanup never deletes the new RS or an RS with replicas > 0",
        "between two views an RS can be scaled to 0 and then deleted, or deleted by the user or by cascading "
        "deletion; a disappearance does not say who deleted it",
    ),
    (
        "10.0 never adopts an object owned by another controller",
        "checked only in the decidable form no-ownership-transfer: a release followed by an adoption between "
        "two views is legal",
    ),
    ("10.1 [NOT] owned pods including terminating <= spec.replicas", "false after any scale-down"),
    (
        "10.1 [NOT] availableReplicas never drops on scale-down",
        "false: a ReplicaSet has no availability budget",
    ),
    ("10.2 [NOT] sum of available >= R - maxUnavailable at all times", "false: pods can fail"),
    ("10.2 [NOT] sum of pods (incl. terminating) <= R + maxSurge", "false: terminating pods are not counted"),
)


def _name(kind: str, name: str) -> str:
    return f"{kind}/{name}"


# ---------------------------------------------------------------- one view


def _observed_generation(view: ClusterView) -> Iterator[Violation]:
    objs: list[tuple[str, DeploymentView | ReplicaSetView]] = [(DEPLOYMENT, d) for d in view.deployments]
    objs += [(REPLICASET, r) for r in view.replicasets]
    for kind, obj in objs:
        if obj.status.observed_generation > obj.generation:
            yield Violation(
                OBSERVED_GENERATION_BOUND.id,
                _name(kind, obj.name),
                f"observedGeneration {obj.status.observed_generation} > generation {obj.generation}",
            )


def _ordering(
    rule: Rule, obj: str, chain: list[tuple[str, int]], extra: list[tuple[str, bool]]
) -> list[Violation]:
    """`chain` must be non-increasing and end >= 0; each `extra` check must be True."""
    found = [
        Violation(rule.id, obj, f"{a} {x} < {b} {y}") for (a, x), (b, y) in itertools.pairwise(chain) if x < y
    ]
    if chain[-1][1] < 0:
        found.append(Violation(rule.id, obj, f"{chain[-1][0]} {chain[-1][1]} < 0"))
    return found + [Violation(rule.id, obj, what) for what, ok in extra if not ok]


def _rs_status(rs: ReplicaSetView) -> list[Violation]:
    s = rs.status
    chain = [
        ("replicas", s.replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
    ]
    extra = [
        (
            f"fullyLabeledReplicas {s.fully_labeled_replicas} outside [0, replicas {s.replicas}]",
            0 <= s.fully_labeled_replicas <= s.replicas,
        ),
        (
            f"terminatingReplicas {s.terminating_replicas} < 0",
            s.terminating_replicas is None or s.terminating_replicas >= 0,
        ),
    ]
    return _ordering(RS_STATUS_ORDERING, _name(REPLICASET, rs.name), chain, extra)


def _deployment_status(d: DeploymentView) -> list[Violation]:
    # Sums of per-RS statuses read from one RS list in one sync (sync.go calculateStatus); each per-RS status
    # is ordered, so the sums are; updatedReplicas is one of the summands of replicas.
    s = d.status
    chain = [
        ("replicas", s.replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
    ]
    extra = [
        (
            f"updatedReplicas {s.updated_replicas} outside [0, replicas {s.replicas}]",
            0 <= s.updated_replicas <= s.replicas,
        ),
        (f"unavailableReplicas {s.unavailable_replicas} < 0", s.unavailable_replicas >= 0),
        (
            f"terminatingReplicas {s.terminating_replicas} < 0",
            s.terminating_replicas is None or s.terminating_replicas >= 0,
        ),
    ]
    return _ordering(DEPLOYMENT_STATUS_ORDERING, _name(DEPLOYMENT, d.name), chain, extra)


def max_unavailable(spec: DeploymentSpec) -> int | None:
    """deployment_util.MaxUnavailable: 0 for Recreate or 0 replicas, else the fencepost capped at replicas."""
    # ref pkg/controller/deployment/util/deployment_util.go (MaxUnavailable, ResolveFenceposts)
    ru = spec.strategy.rolling_update
    if spec.strategy.type != ROLLING_UPDATE or spec.replicas == 0:
        return 0
    if ru is None:
        return None  # an invalid spec the API server rejects; nothing to check against
    _, unavailable = resolve_fenceposts(ru.max_surge, ru.max_unavailable, spec.replicas)
    return min(unavailable, spec.replicas)


def _available_condition(d: DeploymentView) -> Iterator[Violation]:
    # Available is computed from the availableReplicas it is written with and the spec of the generation it
    # records (sync.go calculateStatus); a write based on an older spec fails with a conflict. Once
    # observedGeneration == generation the spec in the view is that spec, so the pair must agree. With an
    # older observedGeneration the current spec may differ (a scale or strategy edit), so nothing is checked.
    cond, mu = d.status.condition("Available"), max_unavailable(d.spec)
    if d.status.observed_generation != d.generation or cond is None or mu is None:
        return
    if cond.status not in ("True", "False"):
        return
    floor = d.spec.replicas - mu
    expected = d.status.available_replicas >= floor
    if (cond.status == "True") != expected:
        yield Violation(
            AVAILABLE_CONDITION.id,
            _name(DEPLOYMENT, d.name),
            f"Available={cond.status} but availableReplicas {d.status.available_replicas} "
            f"{'>=' if expected else '<'} replicas {d.spec.replicas} - maxUnavailable {mu} = {floor}",
        )


def _template_hash(rs: ReplicaSetView) -> str | None:
    return dict(rs.template.labels).get(POD_TEMPLATE_HASH)


def _deployment_owned(view: ClusterView, foreign: Collection[str]) -> list[ReplicaSetView]:
    return [r for r in view.replicasets if r.owner and r.owner.kind == DEPLOYMENT and r.name not in foreign]


def _name_hash(rs: ReplicaSetView) -> Iterator[Violation]:
    obj, h = _name(REPLICASET, rs.name), _template_hash(rs)
    assert rs.owner is not None
    if h is None:
        yield Violation(RS_NAME_HASH.id, obj, f"template labels lack {POD_TEMPLATE_HASH}")
        return
    if dict(rs.selector).get(POD_TEMPLATE_HASH) != h:
        got = dict(rs.selector).get(POD_TEMPLATE_HASH)
        yield Violation(RS_NAME_HASH.id, obj, f"selector {POD_TEMPLATE_HASH}={got!r}, template has {h!r}")
    if rs.name != f"{rs.owner.name}-{h}":
        yield Violation(RS_NAME_HASH.id, obj, f"name is not {rs.owner.name}-{h}")


def _hash_unique(owned: list[ReplicaSetView]) -> Iterator[Violation]:
    seen: dict[tuple[str, str], str] = {}
    for rs in owned:
        h = _template_hash(rs)
        if h is None or rs.owner is None:
            continue
        other = seen.setdefault((rs.owner.uid, h), rs.name)
        if other != rs.name:
            yield Violation(
                RS_HASH_UNIQUE.id,
                _name(DEPLOYMENT, rs.owner.name),
                f"ReplicaSets {other} and {rs.name} share {POD_TEMPLATE_HASH}={h}",
            )


def check_always(view: ClusterView, *, foreign_replicasets: Collection[str] = ()) -> list[Violation]:
    """Every single-view [ALWAYS] rule on `view`.

    `foreign_replicasets` names ReplicaSets the scenario created itself: a Deployment may adopt them, and they
    follow none of the naming rules of the ReplicaSets a Deployment creates.
    """
    found = list(_observed_generation(view))
    for rs in view.replicasets:
        found += _rs_status(rs)
    for d in view.deployments:
        found += _deployment_status(d)
        found += _available_condition(d)
    owned = _deployment_owned(view, foreign_replicasets)
    for rs in owned:
        found += _name_hash(rs)
    return found + list(_hash_unique(owned))


# ---------------------------------------------------------------- two consecutive views


Workload = DeploymentView | ReplicaSetView


def _matched(
    kind: str, old: Sequence[Workload], new: Sequence[Workload]
) -> Iterator[tuple[str, Workload, Workload]]:
    """(kind, before, after) for every object present in both views (same uid: not deleted and recreated)."""
    by_uid = {o.uid: o for o in old}
    return ((kind, by_uid[n.uid], n) for n in new if n.uid in by_uid)


def _observed_generation_monotonic(before: ClusterView, after: ClusterView) -> Iterator[Violation]:
    # Status writes carry the generation of the informer copy, and informers only move forward; a stale
    # write fails with a conflict (Deployment) or is recomputed on a fresh GET (ReplicaSet).
    pairs = itertools.chain(
        _matched(DEPLOYMENT, before.deployments, after.deployments),
        _matched(REPLICASET, before.replicasets, after.replicasets),
    )
    for kind, old, new in pairs:
        was, now = old.status.observed_generation, new.status.observed_generation
        if now < was:
            yield Violation(
                OBSERVED_GENERATION_MONOTONIC.id,
                _name(kind, new.name),
                f"observedGeneration went from {was} to {now}",
            )


def _stayed_paused(d0: DeploymentView, d1: DeploymentView) -> bool:
    # Same generation: no edit (so no unpause/re-pause) in between; observed: no sync still working from an
    # older, unpaused copy.
    return (
        d0.spec.paused
        and d1.spec.paused
        and d0.generation == d1.generation
        and d0.status.observed_generation >= d0.generation
    )


def _paused_no_new_rs(before: ClusterView, after: ClusterView) -> Iterator[Violation]:
    # A ReplicaSet created by a sync that read the unpaused spec finished before the status write the
    # `before` view already shows; `created > before.now` keeps such a late-listed one out (it assumes the
    # target's clock and the view clock agree, which holds on the simulator and on a local cluster).
    existed = {r.uid for r in before.replicasets}
    old = {d.uid: d for d in before.deployments}
    by_name = {d.name: d for d in after.deployments}
    for rs in after.replicasets:
        d1 = by_name.get(rs.owner.name) if rs.owner and rs.owner.kind == DEPLOYMENT else None
        d0 = old.get(d1.uid) if d1 else None
        if rs.uid in existed or d0 is None or d1 is None or rs.created <= before.now:
            continue
        if _stayed_paused(d0, d1):
            yield Violation(
                PAUSED_NO_NEW_RS.id,
                _name(DEPLOYMENT, d1.name),
                f"ReplicaSet {rs.name} created at {rs.created} while paused at generation "
                f"{d1.generation} (views at {before.now} and {after.now})",
            )


def _revision_monotonic(before: ClusterView, after: ClusterView) -> Iterator[Violation]:
    # ref deployment_util.go (SetNewReplicaSetAnnotations): the revision is only ever raised.
    old = {r.uid: r for r in before.replicasets}
    for rs in after.replicasets:
        was = old.get(rs.uid)
        if was is not None and rs.revision < was.revision:
            yield Violation(
                RS_REVISION_MONOTONIC.id,
                _name(REPLICASET, rs.name),
                f"revision went from {was.revision} to {rs.revision}",
            )


def _still_claims(owner: ReplicaSetView | None, p0: PodView, p1: PodView) -> bool:
    """The old owner is alive, unchanged in identity, and its selector still matches the unchanged labels."""
    return (
        owner is not None
        and not owner.deleting
        and p0.labels == p1.labels
        and set(owner.selector) <= set(p1.labels)
    )


def _no_ownership_transfer(before: ClusterView, after: ClusterView) -> Iterator[Violation]:
    # A controller releases a pod only when its selector stops matching, or when it is deleted with orphaning
    # (ref controller_ref_manager.go ClaimObject); only an orphan can be adopted.
    old = {p.uid: p for p in before.pods}
    owners = {r.uid: r for r in after.replicasets}
    for p1 in after.pods:
        p0 = old.get(p1.uid)
        if p0 is None or p0.owner is None or p1.owner is None or p0.owner.uid == p1.owner.uid:
            continue
        if p0.owner.kind == REPLICASET and _still_claims(owners.get(p0.owner.uid), p0, p1):
            yield Violation(
                NO_OWNERSHIP_TRANSFER.id,
                _name("Pod", p1.name),
                f"owner changed from {p0.owner.kind}/{p0.owner.name} to {p1.owner.kind}/"
                f"{p1.owner.name} while the first still exists and matches it",
            )


_TRANSITIONS: tuple[Callable[[ClusterView, ClusterView], Iterator[Violation]], ...] = (
    _observed_generation_monotonic,
    _paused_no_new_rs,
    _revision_monotonic,
    _no_ownership_transfer,
)


def check_transition(before: ClusterView, after: ClusterView) -> list[Violation]:
    """Every two-view [ALWAYS] rule on consecutive observations `before` and `after`."""
    return [v for check in _TRANSITIONS for v in check(before, after)]

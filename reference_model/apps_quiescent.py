"""What a settled StatefulSet / DaemonSet scenario must agree on across targets (fact sheet 10.3-10.4
QUIESCENT), and the stalls upstream has instead of convergence.

Kept, per StatefulSet: which ordinals exist and at which revision *number* (revision names carry a hash
that is not bit-exact here), which are Ready, the claim names, the current / update revision numbers, the
status counts, and the stall (the pod an OrderedReady set or a rolling update waits for) when it did not
converge. Per DaemonSet: the placement (node, revision number) of its non-terminating pods and the status
numbers. Left out: uids, pod names of daemon pods, timestamps, node choice of StatefulSet pods.

A stall is an expected outcome, not a violation: an OrderedReady set waiting for a pod that never turns
Ready (#67250), the 1.35 maxUnavailable path that never replaces an unavailable old pod (#137409), a set
whose sync stopped on a stale claim and that no event wakes (`statefulset_pvc.StaleClaimWait`).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    ON_DELETE,
    AppsOperation,
    DaemonSetStatus,
    DaemonSetView,
    StatefulSetView,
)
from kubeprops.scenario.errors import InvalidSpec

from . import apps_operations, statefulset_sync
from . import apps_world as world
from . import statefulset as sts_util
from .release import DEFAULT, Release


class DidNotSettle(RuntimeError):
    """Work remained past the horizon: the verdict is unknown, not a violation."""


@attrs.frozen
class StatefulSetOutcome:
    name: str
    pods: frozenset[tuple[int, int]]  # (ordinal, revision number)
    ready: frozenset[int]
    claims: frozenset[str]
    current_revision: int
    update_revision: int
    counts: tuple[int, int, int, int, int]  # replicas, ready, current, updated, available
    converged: bool
    stalled_on: str  # "" when converged, else the pod the controller waits for ("" if none named)


@attrs.frozen
class DaemonSetOutcome:
    name: str
    placement: frozenset[tuple[str, int]]  # (node, revision number) of non-terminating pods
    status: tuple[
        int, int, int, int, int, int, int
    ]  # desired, current, ready, available, updated, miss, unav


@attrs.frozen
class AppsOutcome:
    statefulsets: tuple[StatefulSetOutcome, ...]
    daemonsets: tuple[DaemonSetOutcome, ...]


def _revision_numbers(state: world.AppsState, owner_uid: str) -> dict[str, int]:
    numbers = {}
    for r in state.revisions:
        if r.owner.uid == owner_uid:
            numbers[r.name] = r.revision
            numbers[r.hash] = r.revision
    return numbers


def converged(state: world.AppsState, sts: StatefulSetView) -> bool:
    """Exactly the in-range ordinals, all Running+Ready+Available and not terminating; with RollingUpdate,
    index >= partition at the update revision and below it at the current revision."""
    pods = [p for p in state.pods if p.owner and p.owner.uid == sts.uid]
    spec, mrs = sts.spec, sts.spec.min_ready_seconds
    if sorted(sts_util.ordinal_of(p) for p in pods) != list(
        range(spec.ordinals_start, sts_util.end_ordinal(spec) + 1)
    ):
        return False
    if any(sts_util.is_unavailable(p, mrs, state.now) for p in pods):
        return False
    if spec.update_strategy.type == ON_DELETE:
        return True
    block = spec.update_strategy.rolling_update
    partition = block.partition if block is not None else 0
    status = sts.status
    for pod in pods:
        below = sts_util.ordinal_of(pod) - spec.ordinals_start < partition
        want = status.current_revision if below else status.update_revision
        if sts_util.pod_revision(pod) != want:
            return False
    return True


def statefulset_outcome(state: world.AppsState, sts: StatefulSetView, release: Release) -> StatefulSetOutcome:
    numbers = _revision_numbers(state, sts.uid)
    pods = [p for p in state.pods if p.owner and p.owner.uid == sts.uid and not p.deleting]
    s = sts.status
    ok = converged(state, sts)
    blocked = ""
    if not ok:  # a set that waits after a stale claim would create the pod if it synced: it does not
        decision = statefulset_sync.sync(
            sts, state.revisions, state.pods, state.claims, state.now, release=release
        )
        blocked = world.stale_claim_stall(state, sts) or decision.blocked_on
    return StatefulSetOutcome(
        name=sts.name,
        pods=frozenset((sts_util.ordinal_of(p), numbers.get(sts_util.pod_revision(p), 0)) for p in pods),
        ready=frozenset(sts_util.ordinal_of(p) for p in pods if p.ready),
        claims=frozenset(c.name for c in state.claims if _claim_of(sts, c.name)),
        current_revision=numbers.get(s.current_revision, 0),
        update_revision=numbers.get(s.update_revision, 0),
        counts=(s.replicas, s.ready_replicas, s.current_replicas, s.updated_replicas, s.available_replicas),
        converged=ok,
        stalled_on=blocked,
    )


def _claim_of(sts: StatefulSetView, claim: str) -> bool:
    """`<template>-<set>-<ordinal>` for one of the set's claim templates."""
    for template in sts.spec.volume_claim_templates:
        prefix = f"{template}-{sts.name}-"
        if claim.startswith(prefix) and claim[len(prefix) :].isdigit():
            return True
    return False


def _ds_status(s: DaemonSetStatus) -> tuple[int, int, int, int, int, int, int]:
    return (
        s.desired_number_scheduled,
        s.current_number_scheduled,
        s.number_ready,
        s.number_available,
        s.updated_number_scheduled,
        s.number_misscheduled,
        s.number_unavailable,
    )


def daemonset_outcome(state: world.AppsState, ds: DaemonSetView) -> DaemonSetOutcome:
    numbers = _revision_numbers(state, ds.uid)
    targets = state.targets()
    placement = frozenset(
        (p.node or targets.get(p.name, ""), numbers.get(sts_util.pod_revision(p), 0))
        for p in state.pods
        if p.owner and p.owner.uid == ds.uid and not p.deleting
    )
    return DaemonSetOutcome(ds.name, placement, _ds_status(ds.status))


def outcome(state: world.AppsState, release: Release = DEFAULT) -> AppsOutcome:
    return AppsOutcome(
        tuple(statefulset_outcome(state, s, release) for s in state.statefulsets),
        tuple(daemonset_outcome(state, d) for d in state.daemonsets),
    )


def run(
    ops: Sequence[AppsOperation],
    *,
    nodes: int = 3,
    release: Release = DEFAULT,
    horizon: float = 3600.0,
    choose: world.Choose = world.choose_first,
    gc_after_sync: bool = True,
    removals: str = world.TOGETHER,
) -> world.AppsState:
    """Apply `ops` to a fresh world (rejected writes are skipped, as on a target) and settle."""
    state = world.initial_state(nodes, gc_after_sync=gc_after_sync, removals=removals)
    for op in ops:
        try:
            state = apps_operations.apply(state, op, release=release, choose=choose)
        except InvalidSpec:
            continue
    state, settled = world.settle(state, horizon=horizon, release=release, choose=choose)
    if not settled:
        raise DidNotSettle(f"work remained {horizon:g} s after the last operation (t={state.now:g})")
    return state


def settled_outcomes(
    ops: Sequence[AppsOperation], *, nodes: int = 3, release: Release = DEFAULT, horizon: float = 3600.0
) -> frozenset[AppsOutcome]:
    """Every settled outcome the model allows: one per tie-breaking policy for upstream's random choices
    (Go map walks, whether the garbage collector or the StatefulSet controller goes first, and whether pods
    whose deletions complete at one instant go together or one at a time)."""
    return frozenset(
        outcome(
            run(
                ops,
                nodes=nodes,
                release=release,
                horizon=horizon,
                choose=choose,
                gc_after_sync=gc,
                removals=removals,
            ),
            release,
        )
        for choose in (world.choose_first, world.choose_last)
        for gc in (True, False)
        for removals in world.REMOVALS
    )

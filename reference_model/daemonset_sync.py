"""One DaemonSet sync (`syncDaemonSet`) on a snapshot: per-node management, the rolling update, status.

Release: upstream v1.35.4. See `daemonset` for what is and is not modelled.

Order within a sync: revisions; if expectations are unsatisfied, status only (observedGeneration not
raised); else `manage` (creates and deletes per node); the rolling update only when manage issued nothing
(creations or deletions leave expectations unsatisfied until observed) and the strategy is RollingUpdate;
history cleanup; status from the snapshot with observedGeneration raised.

refs kubernetes/kubernetes:pkg/controller/daemon/daemon_controller.go (syncDaemonSet, updateDaemonSet,
manage, podsShouldBeOnNode, syncNodes, updateDaemonSetStatus),
kubernetes/kubernetes:pkg/controller/daemon/update.go (rollingUpdate, findUpdatedPodsOnNode,
updatedDesiredNodeCounts).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    ON_DELETE,
    AppsNodeView,
    ControllerRevisionView,
    DaemonSetStatus,
    DaemonSetView,
)
from kubeprops.scenario.view import FAILED, SUCCEEDED, PodView

from . import daemonset as ds_util
from . import pods as podutil
from .apps_common import AnyOf, any_of

PHASE_MANAGE, PHASE_ROLLING_UPDATE = "manage", "rolling-update"


@attrs.frozen
class DaemonSetDecision:
    """`creates` are node names, `deletes` pod names; both may leave a choice to upstream (`AnyOf`)."""

    revisions: ds_util.DaemonSetRevisions
    truncated: tuple[str, ...]
    phase: str  # "manage", "rolling-update" or "" (nothing issued)
    creates: AnyOf
    deletes: AnyOf
    backoff: tuple[tuple[str, ds_util.Backoff], ...]
    status: DaemonSetStatus
    requeue_after: float | None
    surge_nodes: frozenset[str] = frozenset()  # rolling update: nodes with an Available old pod (surge)
    unavailable_seen: int = 0  # rolling update: numUnavailable (maxSurge 0) or numSurge (maxSurge > 0)

    @property
    def hash(self) -> str:
        return self.revisions.current.hash


@attrs.frozen
class _Snapshot:
    ds: DaemonSetView
    hash: str
    by_node: dict[str, list[PodView]]
    eligible: dict[str, tuple[bool, bool]]
    now: float

    def available(self, pod: PodView) -> bool:
        return podutil.is_available(pod, self.ds.spec.min_ready_seconds, self.now)


# ---------------------------------------------------------------- manage (fact sheet 4.3)


@attrs.frozen
class _NodePlan:
    create: bool = False
    delete: tuple[str, ...] = ()
    backoff: tuple[tuple[str, ds_util.Backoff], ...] = ()
    requeue: float | None = None


def _failed_or_succeeded(
    snap: _Snapshot, node: str, pods: Sequence[PodView], backoff: Mapping[str, ds_util.Backoff]
) -> tuple[list[PodView], _NodePlan]:
    """Split non-deleting pods into running ones and a plan deleting Failed (under back-off) / Succeeded."""
    # ref daemon_controller.go (podsShouldBeOnNode): failedPodsBackoff per DS uid / generation / node
    key = ds_util.backoff_key(snap.ds, node)
    entry, running, delete, requeue = backoff.get(key), [], [], None
    written: tuple[tuple[str, ds_util.Backoff], ...] = ()
    for pod in (p for p in pods if not p.deleting):
        if pod.phase == FAILED and ds_util.in_backoff(entry, snap.now):
            requeue = entry.delay if entry is not None else None
        elif pod.phase == FAILED:
            entry = ds_util.backoff_next(entry, snap.now)
            written, delete = ((key, entry),), [*delete, pod.name]
        elif pod.phase == SUCCEEDED:
            delete.append(pod.name)
        else:
            running.append(pod)
    return running, _NodePlan(delete=tuple(delete), backoff=written, requeue=requeue)


def _surge_prune(snap: _Snapshot, running: Sequence[PodView]) -> tuple[str, ...]:
    """Surge on: keep the oldest new and oldest old pod; drop the old one once the new is Available or
    the old one is not Ready."""
    # ref daemon_controller.go (podsShouldBeOnNode): surge branch
    new = [p for p in running if ds_util.is_updated(p, snap.hash)]
    old = [p for p in running if not ds_util.is_updated(p, snap.hash)]
    doomed = [p.name for p in new[1:] + old[1:]]
    if new and old and (not podutil.is_ready(old[0]) or snap.available(new[0])):
        doomed.append(old[0].name)
    return tuple(doomed)


def plan_node(snap: _Snapshot, node: str, backoff: Mapping[str, ds_util.Backoff], surge: bool) -> _NodePlan:
    """What manage does on one node of the node list."""
    # ref daemon_controller.go (podsShouldBeOnNode)
    should_run, should_continue = snap.eligible[node]
    pods = snap.by_node.get(node, [])
    if should_run and not pods:
        return _NodePlan(create=True)
    if should_continue:
        running, plan = _failed_or_succeeded(snap, node, pods, backoff)
        if not surge:
            extra = tuple(p.name for p in running[1:])  # already sorted oldest first
            return attrs.evolve(plan, delete=plan.delete + extra)
        if len(running) <= 1:
            return attrs.evolve(plan, create=not running and should_run)
        return attrs.evolve(plan, delete=plan.delete + _surge_prune(snap, running))
    return _NodePlan(delete=tuple(p.name for p in pods if not p.deleting))


def _capped(certain: list[str]) -> AnyOf:
    # ref daemon_controller.go (syncNodes): at most BurstReplicas creations and deletions, list order
    if len(certain) <= ds_util.BURST_REPLICAS:
        return AnyOf(frozenset(certain))
    return AnyOf(frozenset(), frozenset(certain), ds_util.BURST_REPLICAS)


def manage(
    snap: _Snapshot, nodes: Sequence[AppsNodeView], backoff: Mapping[str, ds_util.Backoff]
) -> tuple[AnyOf, AnyOf, tuple[tuple[str, ds_util.Backoff], ...], float | None]:
    """(creates, deletes, back-off writes, re-queue) of the manage step."""
    # ref daemon_controller.go (manage, getUnscheduledPodsWithoutNode)
    surge = ds_util.allows_surge(snap.ds)
    plans = [plan_node(snap, n.name, backoff, surge) for n in nodes]
    known = {n.name for n in nodes}
    orphans = [p.name for node, pods in snap.by_node.items() if node not in known for p in pods if not p.node]
    creates = [n.name for n, plan in zip(nodes, plans, strict=True) if plan.create]
    deletes = [name for plan in plans for name in plan.delete] + orphans
    requeues = [plan.requeue for plan in plans if plan.requeue is not None]
    writes = tuple(w for plan in plans for w in plan.backoff)
    return _capped(creates), _capped(deletes), writes, min(requeues, default=None)


# ---------------------------------------------------------------- rolling update (fact sheet 4.4)


def _on_node(snap: _Snapshot, pods: Sequence[PodView]) -> tuple[PodView | None, PodView | None, bool]:
    """(new, old, ok): at most one non-deleting pod of each kind, else not ok."""
    # ref update.go (findUpdatedPodsOnNode)
    live = [p for p in pods if not p.deleting]
    new = [p for p in live if ds_util.is_updated(p, snap.hash)]
    old = [p for p in live if not ds_util.is_updated(p, snap.hash)]
    if len(new) > 1 or len(old) > 1:
        return None, None, False
    return (new[0] if new else None), (old[0] if old else None), True


def _walked(snap: _Snapshot) -> dict[str, list[PodView]]:
    """Every node with daemon pods plus every shouldRun node (with no pods)."""
    # ref update.go (updatedDesiredNodeCounts): empty entries for shouldRun nodes
    walked = {node: list(pods) for node, pods in snap.by_node.items()}
    for node, (should_run, _) in snap.eligible.items():
        walked.setdefault(node, []) if should_run else None
    return walked


def _rolling_no_surge(snap: _Snapshot, max_unavailable: int) -> tuple[AnyOf, int, frozenset[str]]:
    # ref update.go (rollingUpdate): maxSurge == 0
    unavailable, replace, candidates = 0, [], []
    for pods in _walked(snap).values():
        new, old, ok = _on_node(snap, pods)
        if not ok or (new is None) == (old is None):
            unavailable += 1
        elif new is not None:
            unavailable += 0 if snap.available(new) else 1
        elif old is not None and not snap.available(old):
            replace.append(old.name)
            unavailable += 1
        elif old is not None:
            candidates.append(old.name)
    # a candidate seen while the running count was below the budget: all of them whenever any is used
    return any_of(replace, candidates, max_unavailable - unavailable), unavailable, frozenset(candidates)


def _rolling_surge(
    snap: _Snapshot, max_surge: int, desired: int
) -> tuple[AnyOf, AnyOf, int, frozenset[str]] | None:
    """(deletes, creates on nodes, numSurge, surge candidates); None where upstream errors out."""
    # ref update.go (rollingUpdate): maxSurge > 0
    surge = available = 0
    deletes, not_run, allowed, candidates = [], [], [], []
    for node, pods in _walked(snap).items():
        new, old, ok = _on_node(snap, pods)
        if not ok:
            surge += 1
            continue
        counted = old if old is not None else new
        available += 1 if counted is not None and snap.available(counted) else 0
        if old is None:
            continue
        if new is not None:
            surge, deletes = (
                (surge + 1, deletes) if not snap.available(new) else (surge, [*deletes, old.name])
            )
            continue
        if node not in snap.eligible:
            return None  # ref update.go: nodeLister.Get fails -> the rolling update returns an error
        should_run = snap.eligible[node][0]
        if not snap.available(old):
            deletes, allowed = (deletes, [*allowed, node]) if should_run else ([*deletes, old.name], allowed)
        elif not should_run:
            not_run.append(old.name)
        else:
            candidates.append(node)
    delete_set = any_of(deletes, not_run, min(available - desired, len(not_run)))
    return delete_set, any_of(allowed, candidates, max_surge - surge), surge, frozenset(candidates)


def _capped_any(choice: AnyOf) -> AnyOf:
    cap = ds_util.BURST_REPLICAS
    if choice.count <= cap:
        return choice
    if len(choice.certain) >= cap:
        return AnyOf(frozenset(), choice.certain, cap)
    return AnyOf(choice.certain, choice.pool, cap - len(choice.certain))


# ---------------------------------------------------------------- status (fact sheet 4.5)


def compute_status(
    snap: _Snapshot, nodes: Sequence[AppsNodeView], observed_generation: int
) -> DaemonSetStatus:
    # ref daemon_controller.go (updateDaemonSetStatus): per node, first pod after sorting
    desired = current = misscheduled = ready = available = updated = 0
    for node in nodes:
        pods = snap.by_node.get(node.name, [])
        if not snap.eligible[node.name][0]:
            misscheduled += 1 if pods else 0
            continue
        desired += 1
        if not pods:
            continue
        current += 1
        first = pods[0]
        ready += 1 if podutil.is_ready(first) else 0
        available += 1 if podutil.is_ready(first) and snap.available(first) else 0
        updated += 1 if ds_util.is_updated(first, snap.hash) else 0
    return DaemonSetStatus(
        current_number_scheduled=current,
        number_misscheduled=misscheduled,
        desired_number_scheduled=desired,
        number_ready=ready,
        observed_generation=observed_generation,
        updated_number_scheduled=updated,
        number_available=available,
        number_unavailable=desired - available,
        collision_count=snap.ds.status.collision_count,
    )


def _status_requeue(ds: DaemonSetView, status: DaemonSetStatus) -> float | None:
    # ref daemon_controller.go (updateDaemonSetStatus): re-sync after minReadySeconds while ready != available
    mrs = ds.spec.min_ready_seconds
    return float(mrs) if mrs > 0 and status.number_ready != status.number_available else None


# ---------------------------------------------------------------- the sync


def sync(
    ds: DaemonSetView,
    revisions: Sequence[ControllerRevisionView],
    nodes: Sequence[AppsNodeView],
    pods: Sequence[PodView],
    now: float,
    *,
    targets: Mapping[str, str] | None = None,
    backoff: Mapping[str, ds_util.Backoff] | None = None,
    expectations_satisfied: bool = True,
    ranks: Mapping[str, int] | None = None,
) -> DaemonSetDecision:
    """One `syncDaemonSet`. `targets` maps unscheduled pod names to the node of their name affinity;
    `backoff` holds the failed-pod back-off entries by `daemonset.backoff_key`; `ranks` order pods created
    in the same second before their names do (`daemonset.nodes_to_pods`)."""
    # ref daemon_controller.go (syncDaemonSet, updateDaemonSet)
    targets, backoff = targets or {}, backoff or {}
    revs = ds_util.daemonset_revisions(ds, revisions)
    by_node = ds_util.nodes_to_pods(ds, pods, targets, ranks=ranks)
    snap = _Snapshot(ds, revs.current.hash, by_node, ds_util.eligibility(ds, nodes), now)
    none = AnyOf()
    if ds.deleting:  # ref syncDaemonSet: nothing, not even status, for a DaemonSet being deleted
        return DaemonSetDecision(revs, (), "", none, none, (), ds.status, None)
    if not expectations_satisfied:
        status = compute_status(snap, nodes, ds.status.observed_generation)
        return DaemonSetDecision(revs, (), "", none, none, (), status, _status_requeue(ds, status))
    creates, deletes, writes, requeue = manage(snap, nodes, backoff)
    decision = DaemonSetDecision(revs, (), PHASE_MANAGE, creates, deletes, writes, ds.status, requeue)
    if creates.count == 0 and deletes.count == 0:
        decision = _rolling_update(snap, nodes, decision)
    all_pods = ds_util.nodes_to_pods(ds, pods, targets, include_deleted_terminal=True, ranks=ranks)
    truncated = ds_util.history_to_delete(ds, revs.old, all_pods)
    status = compute_status(snap, nodes, ds.generation)
    requeues = [r for r in (decision.requeue_after, _status_requeue(ds, status)) if r is not None]
    return attrs.evolve(
        decision, truncated=truncated, status=status, requeue_after=min(requeues, default=None)
    )


def _rolling_update(
    snap: _Snapshot, nodes: Sequence[AppsNodeView], decision: DaemonSetDecision
) -> DaemonSetDecision:
    # ref daemon_controller.go (updateDaemonSet): OnDelete does nothing; update.go (rollingUpdate)
    if snap.ds.spec.update_strategy.type == ON_DELETE:
        return attrs.evolve(decision, phase="")
    desired = sum(1 for should_run, _ in snap.eligible.values() if should_run)
    max_surge, max_unavailable = ds_util.fenceposts(snap.ds, desired)
    if max_surge == 0:
        deletes, seen, pool = _rolling_no_surge(snap, max_unavailable)
        creates = AnyOf()
    else:
        outcome = _rolling_surge(snap, max_surge, desired)
        if outcome is None:
            return attrs.evolve(decision, phase="")
        deletes, creates, seen, pool = outcome
    phase = PHASE_ROLLING_UPDATE if deletes.count or creates.count else ""
    return attrs.evolve(
        decision,
        phase=phase,
        creates=_capped_any(creates),
        deletes=_capped_any(deletes),
        surge_nodes=pool,
        unavailable_seen=seen,
    )

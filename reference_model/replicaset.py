"""The ReplicaSet controller, as pure functions on observed views.

Release: upstream v1.35.4 by default; `Release` switches cover 1.31-1.35 (see `release`).

Modelled (fact sheet sections 0.2-0.5, 0.7, 1):
* claiming: active pods only; owned and matching are kept, matching orphans adopted, owned non-matching
  released (neither while the ReplicaSet is being deleted);
* manage phase: create `min(-diff, 500)` in slow-start batches 1, 2, 4, ..., or delete `min(diff, 500)`
  chosen by comparator B, never both; skipped while expectations are unsatisfied or the ReplicaSet is
  being deleted;
* status from the claimed pods of this sync, `terminatingReplicas` per release;
* the timed re-syncs for minReadySeconds.

Not modelled: API errors (so no `ReplicaFailure` condition: a sync without a manage error removes it, which is
every sync here), the expectations bookkeeping itself (the caller says whether they are satisfied), events,
the status-write conflict retry, and the 5-minute expectations timeout.

refs kubernetes/kubernetes:pkg/controller/replicaset/replica_set.go (syncReplicaSet, claimPods,
manageReplicas, slowStartBatch, getPodsToDelete, getIndirectlyRelatedPods, updatePod),
kubernetes/kubernetes:pkg/controller/replicaset/replica_set_utils.go (calculateStatus,
updateReplicaSetStatus),
kubernetes/kubernetes:pkg/controller/controller_ref_manager.go (ClaimPods, ClaimObject).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from kubeprops.scenario.spec import Labels
from kubeprops.scenario.view import PodView, ReplicaSetStatus, ReplicaSetView

from . import pods as podutil
from .release import DEFAULT, Release

BURST_REPLICAS = 500  # ref replica_set.go (BurstReplicas): creations or deletions per sync
SLOW_START_INITIAL_BATCH_SIZE = 1  # ref controller_utils.go (SlowStartInitialBatchSize)
REPLICASET = "ReplicaSet"


# ---------------------------------------------------------------- claiming


def matches(selector: Labels, labels: Labels) -> bool:
    """A matchLabels selector matches when every pair is among the labels."""
    return set(selector) <= set(labels)


def controlled_by(pod: PodView, rs: ReplicaSetView) -> bool:
    return pod.owner is not None and pod.owner.kind == REPLICASET and pod.owner.uid == rs.uid


def adoptions(rs: ReplicaSetView, pods: Iterable[PodView]) -> tuple[PodView, ...]:
    """Active orphans this ReplicaSet adopts: they match its selector and it is not being deleted."""
    # ref controller_ref_manager.go (ClaimObject): no adoption by a deleting controller
    if rs.deleting:
        return ()
    return tuple(p for p in pods if p.active and p.owner is None and matches(rs.selector, p.labels))


def releases(rs: ReplicaSetView, pods: Iterable[PodView]) -> tuple[PodView, ...]:
    """Active pods it owns that no longer match its selector; it lets them go unless it is being deleted."""
    # ref controller_ref_manager.go (ClaimObject): release only when neither side is being deleted
    if rs.deleting:
        return ()
    return tuple(p for p in pods if p.active and controlled_by(p, rs) and not matches(rs.selector, p.labels))


def claim_pods(rs: ReplicaSetView, pods: Iterable[PodView]) -> tuple[PodView, ...]:
    """The active pods this sync counts: owned and matching, plus the orphans it adopts."""
    # ref replica_set.go (syncReplicaSet): FilterActivePods, then claimPods
    pods = tuple(pods)
    kept = tuple(p for p in pods if p.active and controlled_by(p, rs) and matches(rs.selector, p.labels))
    return kept + adoptions(rs, pods)


def related_pods_of(
    rs: ReplicaSetView, replicasets: Iterable[ReplicaSetView], pods: Iterable[PodView]
) -> tuple[PodView, ...]:
    """Pods the co-location rank counts: those matching any ReplicaSet with the same controller owner.

    Empty for a ReplicaSet without an owner. Pods are matched by selector only, not by ownership.
    """
    # ref replica_set.go (getIndirectlyRelatedPods, getReplicaSetsWithSameController)
    if rs.owner is None:
        return ()
    siblings = [r for r in replicasets if r.owner is not None and r.owner.uid == rs.owner.uid]
    return tuple(p for p in pods if any(matches(r.selector, p.labels) for r in siblings))


# ---------------------------------------------------------------- manage phase


def slow_start_batches(n: int) -> tuple[int, ...]:
    """Batch sizes for `n` creations: 1, 2, 4, ... each at most what is left."""
    # ref replica_set.go (slowStartBatch)
    batches: list[int] = []
    size = min(n, SLOW_START_INITIAL_BATCH_SIZE)
    while size > 0:
        batches.append(size)
        size = min(2 * size, n - sum(batches))
    return tuple(batches)


# ---------------------------------------------------------------- status


def _terminating(rs: ReplicaSetView, pods: Iterable[PodView], release: Release) -> int | None:
    # ref replica_set.go (syncReplicaSet): FilterTerminatingPods then FilterClaimedPods (owned and matching)
    if not release.terminating_replicas:
        return None
    return sum(1 for p in pods if p.terminating and controlled_by(p, rs) and matches(rs.selector, p.labels))


def calculate_status(
    rs: ReplicaSetView, claimed: Sequence[PodView], pods: Iterable[PodView], now: float, release: Release
) -> ReplicaSetStatus:
    """Status from this sync's claimed active pods; `pods` are all pods, for terminatingReplicas."""
    # ref replica_set_utils.go (calculateStatus)
    template = rs.template.labels
    ready = [p for p in claimed if podutil.is_ready(p)]
    return ReplicaSetStatus(
        replicas=len(claimed),
        fully_labeled_replicas=sum(1 for p in claimed if matches(template, p.labels)),
        ready_replicas=len(ready),
        available_replicas=sum(1 for p in ready if podutil.is_available(p, rs.min_ready_seconds, now)),
        terminating_replicas=_terminating(rs, pods, release),
        observed_generation=rs.generation,
        conditions=(),  # no manage error in the model, so ReplicaFailure is always removed
    )


def availability_requeue(
    rs: ReplicaSetView, claimed: Sequence[PodView], status: ReplicaSetStatus, now: float
) -> float | None:
    """After a sync: while Ready pods are not all Available -> check again when the next one becomes
    Available (after minReadySeconds when none has a Ready time)."""
    # ref replica_set.go@v1.35.4 (syncReplicaSet: nextSyncDuration), controller_utils.go
    # (FindMinNextPodAvailabilityCheck, nextPodAvailabilityCheck)
    mrs = rs.min_ready_seconds
    if mrs <= 0 or status.ready_replicas == status.available_replicas:
        return None
    waits = [
        p.ready_since + mrs - now
        for p in claimed
        if podutil.is_ready(p) and p.ready_since is not None and p.ready_since + mrs > now
    ]
    return min(waits, default=float(mrs))


def ready_transition_requeue(rs: ReplicaSetView) -> float | None:
    """When one of its pods turns Ready: re-sync after minReadySeconds (v1.35.4 adds no second here)."""
    # ref replica_set.go@v1.35.4 (updatePod: enqueueRSAfter(rs, MinReadySeconds))
    return float(rs.min_ready_seconds) if rs.min_ready_seconds > 0 else None


# ---------------------------------------------------------------- one sync


@attrs.frozen
class ReplicaSetDecision:
    """What one sync does: create or delete (never both), the status it writes, and when it re-syncs."""

    create: int
    delete_count: int
    deletion_tiers: tuple[frozenset[str], ...]
    batches: tuple[int, ...]
    status: ReplicaSetStatus
    requeue_after: float | None
    deletions: podutil.AllowedDeletions = podutil.NO_DELETIONS

    def allows_deletion(self, chosen: Iterable[str]) -> bool:
        """Whether deleting exactly `chosen` is an outcome upstream could produce in this sync."""
        return self.deletions.allows(chosen)


def _scale_down(
    claimed: Sequence[PodView], count: int, related: Sequence[PodView], now: float, release: Release
) -> tuple[tuple[frozenset[str], ...], podutil.AllowedDeletions]:
    # ref replica_set.go (getPodsToDelete): no sorting when every pod goes
    if count >= len(claimed):
        everyone = frozenset(p.name for p in claimed)
        return (everyone,), podutil.AllowedDeletions(everyone, frozenset(), 0)
    tiers = podutil.deletion_tiers(claimed, related, now, release)
    return tiers, podutil.allowed_from_tiers(tiers, count)


def sync(
    rs: ReplicaSetView,
    pods: Sequence[PodView],
    now: float,
    *,
    release: Release = DEFAULT,
    related_pods: Sequence[PodView] = (),
    expectations_satisfied: bool = True,
) -> ReplicaSetDecision:
    """One `syncReplicaSet` on a snapshot: `pods` are all pods in the namespace.

    `related_pods` feeds the co-location rank (see `related_pods_of`); it is ignored for a ReplicaSet without
    an owner, as upstream ranks nothing then.
    """
    # ref replica_set.go (syncReplicaSet, manageReplicas)
    claimed = claim_pods(rs, pods)
    status = calculate_status(rs, claimed, pods, now, release)
    decision = ReplicaSetDecision(0, 0, (), (), status, availability_requeue(rs, claimed, status, now))
    diff = len(claimed) - rs.replicas
    if not expectations_satisfied or rs.deleting or diff == 0:
        return decision
    if diff < 0:
        create = min(-diff, BURST_REPLICAS)
        return attrs.evolve(decision, create=create, batches=slow_start_batches(create))
    count = min(diff, BURST_REPLICAS)
    related = related_pods if rs.owner is not None else ()
    tiers, allowed = _scale_down(claimed, count, related, now, release)
    return attrs.evolve(decision, delete_count=count, deletion_tiers=tiers, deletions=allowed)

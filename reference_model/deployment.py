"""The Deployment controller, as pure functions on observed views: one `sync` answers what one
`syncDeployment` does on a snapshot.

Release: upstream v1.35.4 (switches in `Release`). Status and conditions live in
`deployment_status`, shared arithmetic and lookups in `deployment_util`.

Modelled (fact sheet 2.2-2.12): the dispatch order of syncDeployment; new/old ReplicaSet lookup
(EqualIgnoreHash, oldest wins, #40415); the revision sync of getNewReplicaSet (revision max+1,
revision-history on rollback by template restore, minReadySeconds copy, FoundNewReplicaSet /
NewReplicaSetCreated); new ReplicaSet creation with the pod-template-hash; proportional scaling for scaling
events and paused Deployments; RollingUpdate (reconcileNewReplicaSet, then cleanupUnhealthyReplicas +
scaleDownOldReplicaSetsForRollingUpdate, then history cleanup when complete); Recreate; revisionHistoryLimit
cleanup; status, Available / Progressing conditions and the progress-deadline re-check (deployment_status).

Not modelled: API errors and retries (so no ReplicaSetCreateError, and the status-write conflicts upstream
hits after checkPausedConditions or getNewReplicaSet wrote status in the same sync are ignored: the model
writes once, as the retried sync would); events; the legacy rollback annotation
`deprecated.deployment.rollback.to` (apps/v1 has no rollback field; `kubectl rollout undo` is a template
write, see `world`); copying the Deployment's own annotations onto the new ReplicaSet; adoption/orphaning of
ReplicaSets (callers pass the Deployment's own ReplicaSets; others are filtered out by owner); the empty
selector `{}` is only recognised as "no labels".

Hashes. `template_hash` is a stand-in for ComputeHash: FNV-32a over a canonical text of the template (plus
the collision count as 4 little-endian bytes when non-zero), rendered in decimal through the
SafeEncodeString digit map (fact sheet 0.6). It is not bit-exact with upstream (the Go dump format cannot be
reproduced), so properties never compare hash values or ReplicaSet names across targets.

Ties. Upstream orders ReplicaSets of equal creationTimestamp by name, i.e. by hash, which differs between
targets. Where that order changes the outcome (proportional scaling among RSs of equal size and creation
time, oldest-first rolling scale-down among RSs of equal creation time) `DeploymentDecision.allowed_scales`
holds the outcome of every such order; `scale` is the one for the order by our names.

refs kubernetes/kubernetes:pkg/controller/deployment/deployment_controller.go (syncDeployment),
kubernetes/kubernetes:pkg/controller/deployment/sync.go (sync, getNewReplicaSet, scale, scaleReplicaSet,
cleanupDeployment, isScalingEvent), kubernetes/kubernetes:pkg/controller/deployment/rolling.go,
kubernetes/kubernetes:pkg/controller/deployment/recreate.go,
kubernetes/kubernetes:pkg/controller/deployment/util/deployment_util.go,
kubernetes/kubernetes:pkg/controller/controller_utils.go (ComputeHash, ReplicaSetsByCreationTimestamp,
ReplicaSetsBySizeOlder, ReplicaSetsBySizeNewer, FilterActiveReplicaSets).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence

import attrs

from kubeprops.scenario.ops import DEPLOYMENT
from kubeprops.scenario.spec import RECREATE, Labels, labels
from kubeprops.scenario.view import (
    DESIRED_REPLICAS,
    FAILED,
    POD_TEMPLATE_HASH,
    REVISION,
    SUCCEEDED,
    DeploymentStatus,
    DeploymentView,
    OwnerRef,
    PodView,
    ReplicaSetStatus,
    ReplicaSetView,
)

from . import deployment_status as ds
from . import deployment_util as du
from .deployment_status import resolve_fenceposts
from .deployment_util import (
    find_active_or_latest,
    find_new_replicaset,
    find_old_replicasets,
    get_proportion,
    is_saturated,
    new_rs_annotations,
    new_rs_new_replicas,
    owned,
    replicas_annotations,
    template_hash,
)
from .release import DEFAULT, Release

__all__ = [
    "DeploymentDecision",
    "cleanup",
    "find_active_or_latest",
    "find_new_replicaset",
    "find_old_replicasets",
    "is_saturated",
    "is_scaling_event",
    "new_rs_new_replicas",
    "old_pods_running",
    "owned",
    "reconcile_new",
    "resolve_fenceposts",
    "scale",
    "sync",
    "template_hash",
]

MAX_ORDERINGS = 5040  # tie orders enumerated for allowed_scales (7! : more ties than that are not expected)

Scales = tuple[tuple[str, int], ...]


@attrs.frozen
class DeploymentDecision:
    """What one Deployment sync does, to be applied in field order: annotate / min_ready_seconds (the revision
    sync of the new ReplicaSet), create, scale, delete, then the Deployment's annotations and status.

    Every `scale` entry also writes `replicas_annotations` (desired-replicas, max-replicas) on that
    ReplicaSet, as scaleReplicaSet does; an entry may keep the size and only refresh those annotations.
    """

    phase: str
    status: DeploymentStatus
    deployment_annotations: Labels = ()
    create: ReplicaSetView | None = None
    scale: Scales = ()
    replicas_annotations: Labels = ()
    annotate: tuple[tuple[str, Labels], ...] = ()
    min_ready_seconds: tuple[tuple[str, int], ...] = ()
    delete: tuple[str, ...] = ()
    requeue_after: float | None = None
    allowed_scales: frozenset[Scales] = frozenset()

    def allows_scale(self, scale: Iterable[tuple[str, int]]) -> bool:
        """Whether upstream could have issued exactly these (name, replicas) writes in this sync."""
        return tuple(sorted(scale)) in self.allowed_scales


# ---------------------------------------------------------------- revision sync (getNewReplicaSet)


@attrs.frozen
class _Snapshot:
    """The sync's view after getAllReplicaSetsAndSyncRevision: in-memory status and annotations included."""

    status: DeploymentStatus
    annotations: Labels
    new_rs: ReplicaSetView | None
    old_rss: tuple[ReplicaSetView, ...]
    create: ReplicaSetView | None = None
    annotate: tuple[tuple[str, Labels], ...] = ()
    min_ready: tuple[tuple[str, int], ...] = ()

    @property
    def all_rss(self) -> tuple[ReplicaSetView, ...]:
        return self.old_rss + ((self.new_rs,) if self.new_rs is not None else ())


def _new_replicaset(
    d: DeploymentView, olds: Sequence[ReplicaSetView], revision: int, now: float
) -> ReplicaSetView:
    # ref sync.go (getNewReplicaSet): name <deployment>-<hash>, hash on selector and template labels
    h = template_hash(d.spec.template, d.status.collision_count)
    template = attrs.evolve(
        d.spec.template, labels=du.with_annotations(d.spec.template.labels, **{POD_TEMPLATE_HASH: h})
    )
    rs = ReplicaSetView(
        name=f"{d.name}-{h}",
        uid="",
        owner=OwnerRef(DEPLOYMENT, d.name, d.uid),
        generation=1,
        replicas=0,
        selector=du.with_annotations(d.spec.selector, **{POD_TEMPLATE_HASH: h}),
        template=template,
        min_ready_seconds=d.spec.min_ready_seconds,
        annotations=(),
        status=ReplicaSetStatus(),
        created=now,
    )
    replicas = new_rs_new_replicas(d, (*olds, rs), rs)
    annotations = labels({REVISION: str(revision), **dict(replicas_annotations(d))})
    return attrs.evolve(rs, replicas=replicas, annotations=annotations)


def _revision_sync(
    d: DeploymentView, status: DeploymentStatus, rss: Sequence[ReplicaSetView], now: float, *, create: bool
) -> _Snapshot:
    # ref sync.go (getAllReplicaSetsAndSyncRevision, getNewReplicaSet)
    new, olds = find_new_replicaset(d, rss), find_old_replicasets(d, rss)
    revision = max((rs.revision for rs in olds), default=0) + 1  # ref deployment_util.go (MaxRevision)
    if new is not None:
        return _sync_existing(d, status, new, olds, revision, now)
    if not create:
        return _Snapshot(status, d.annotations, None, olds)
    created = _new_replicaset(d, olds, revision, now)
    if ds.has_progress_deadline(d.spec):
        status = ds.set_condition(status, ds.new_condition(ds.PROGRESSING, ds.TRUE, ds.NEW_RS_REASON, now))
    return _Snapshot(status, du.set_revision(d.annotations, revision), created, olds, create=created)


def _sync_existing(
    d: DeploymentView,
    status: DeploymentStatus,
    new: ReplicaSetView,
    olds: tuple[ReplicaSetView, ...],
    revision: int,
    now: float,
) -> _Snapshot:
    annotations, changed = new_rs_annotations(new, revision)
    mrs = d.spec.min_ready_seconds
    if changed or new.min_ready_seconds != mrs:
        # The ReplicaSet update returns early: the Deployment's revision follows on the next sync.
        updated = attrs.evolve(new, annotations=annotations, min_ready_seconds=mrs)
        annotate = ((new.name, annotations),) if changed else ()
        min_ready = ((new.name, mrs),) if new.min_ready_seconds != mrs else ()
        return _Snapshot(status, d.annotations, updated, olds, annotate=annotate, min_ready=min_ready)
    if ds.has_progress_deadline(d.spec) and status.condition(ds.PROGRESSING) is None:
        status = ds.set_condition(
            status, ds.new_condition(ds.PROGRESSING, ds.TRUE, ds.FOUND_NEW_RS_REASON, now)
        )
    # "Should use the revision in existingNewRS's annotation": the RS keeps a higher revision than
    # max(old)+1 when the old ReplicaSets it was computed from have been cleaned up since.
    return _Snapshot(status, du.set_revision(d.annotations, new.revision), new, olds)


# ---------------------------------------------------------------- tie orders


def _orderings(
    items: Sequence[ReplicaSetView],
    key: Callable[[ReplicaSetView], tuple[object, ...]],
    *,
    names_desc: bool = False,
) -> list[list[ReplicaSetView]]:
    """Every order of `items` sorted by `key` with ties (equal keys) permuted; first the order upstream gives
    with our names as the final tie-break (descending names when `names_desc`)."""
    canonical = sorted(sorted(items, key=lambda rs: rs.name, reverse=names_desc), key=key)
    groups = [list(g) for _, g in itertools.groupby(canonical, key=key)]
    per_group = [list(itertools.permutations(g)) for g in groups]
    orders = [
        [rs for group in combo for rs in group]
        for combo in itertools.islice(itertools.product(*per_group), MAX_ORDERINGS)
    ]
    return orders or [canonical]


def _outcomes(
    orders: list[list[ReplicaSetView]], run: Callable[[list[ReplicaSetView]], Scales]
) -> tuple[Scales, frozenset[Scales]]:
    results = [run(order) for order in orders]
    return results[0], frozenset(tuple(sorted(r)) for r in results)


def _merge(*steps: Scales) -> Scales:
    """Later writes to the same ReplicaSet win; order of first write kept."""
    merged: dict[str, int] = {}
    for step in steps:
        merged.update(step)
    return tuple(merged.items())


# ---------------------------------------------------------------- proportional scaling (fact sheet 2.6)


def _proportional(d: DeploymentView, order: list[ReplicaSetView], to_add: int) -> Scales:
    sizes: dict[str, int] = {}
    added = 0
    for rs in order:
        step = get_proportion(rs, d, to_add, added)
        sizes[rs.name] = rs.replicas + step
        added += step
    if to_add != 0 and order:  # leftovers to the first (largest) ReplicaSet, floored at 0
        first = order[0].name
        sizes[first] = max(0, sizes[first] + to_add - added)
    return tuple(sizes.items())


def scale(
    d: DeploymentView, new: ReplicaSetView | None, olds: Sequence[ReplicaSetView]
) -> tuple[Scales, frozenset[Scales]]:
    """The scaling-event / paused scale step: (writes for the by-name order, writes of every tie order)."""
    # ref sync.go (scale)
    r = d.spec.replicas
    only = find_active_or_latest(new, olds)
    if only is not None:
        writes: Scales = () if only.replicas == r else ((only.name, r),)
        return writes, frozenset({writes})
    if is_saturated(d, new):
        writes = tuple((rs.name, 0) for rs in du.active(olds))
        return writes, frozenset({tuple(sorted(writes))})
    if d.spec.strategy.type == RECREATE:
        return (), frozenset({()})
    active = du.active([*olds, new])
    allowed_size = r + ds.max_surge(d.spec) if r > 0 else 0
    to_add = allowed_size - sum(rs.replicas for rs in active)
    if to_add > 0:  # ReplicaSetsBySizeNewer: larger first, then newer first
        orders = _orderings(active, lambda rs: (-rs.replicas, -rs.created), names_desc=True)
    else:  # ReplicaSetsBySizeOlder: larger first, then older first (no sort at all when to_add == 0)
        orders = _orderings(active, lambda rs: (-rs.replicas, rs.created))
    return _outcomes(orders, lambda order: _proportional(d, order, to_add))


def _sync_scale(
    phase: str, d: DeploymentView, snap: _Snapshot, now: float, release: Release
) -> DeploymentDecision:
    # ref sync.go (sync): scale, cleanup only while paused, then syncDeploymentStatus (no Progressing update)
    writes, allowed = scale(d, snap.new_rs, snap.old_rss)
    delete = cleanup(d, snap.old_rss) if d.spec.paused else ()
    status = ds.calculate_status(d, snap.status, snap.all_rss, snap.new_rs, now, release)
    return _decision(phase, d, snap, status, writes, allowed, delete=delete)


# ---------------------------------------------------------------- history cleanup (fact sheet 2.10)


def cleanup(d: DeploymentView, olds: Sequence[ReplicaSetView]) -> tuple[str, ...]:
    """Old ReplicaSets past revisionHistoryLimit, lowest revision first; busy ones keep their slot."""
    # ref sync.go (cleanupDeployment), deployment_util.go (ReplicaSetsByRevision)
    if not ds.has_revision_history_limit(d.spec):
        return ()
    alive = [rs for rs in olds if not rs.deleting]
    diff = len(alive) - d.spec.revision_history_limit
    if diff <= 0:
        return ()
    by_revision = sorted(alive, key=lambda rs: (rs.revision, rs.created, rs.name))
    return tuple(
        rs.name
        for rs in by_revision[:diff]
        if rs.status.replicas == 0 and rs.replicas == 0 and rs.generation <= rs.status.observed_generation
    )


# ---------------------------------------------------------------- RollingUpdate (fact sheet 2.5)


def reconcile_new(d: DeploymentView, all_rss: Sequence[ReplicaSetView], new: ReplicaSetView) -> int | None:
    """The new ReplicaSet's new size, or None when it stays."""
    # ref rolling.go (reconcileNewReplicaSet)
    r = d.spec.replicas
    if new.replicas == r:
        return None
    if new.replicas > r:
        return r
    size = new_rs_new_replicas(d, all_rss, new)
    return None if size == new.replicas else size


def _reconcile_old(
    d: DeploymentView, all_rss: Sequence[ReplicaSetView], olds: list[ReplicaSetView], new: ReplicaSetView
) -> tuple[Scales, bool]:
    """(writes, whether upstream reports a scale-down) for one oldest-first order of the active old RSs."""
    # ref rolling.go (reconcileOldReplicaSets)
    if sum(rs.replicas for rs in olds) == 0:
        return (), False
    min_available = d.spec.replicas - ds.max_unavailable(d.spec)
    new_unavailable = new.replicas - new.status.available_replicas
    max_scaled_down = sum(rs.replicas for rs in all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return (), False
    cleaned, ok = _cleanup_unhealthy(olds, max_scaled_down)
    if not ok:
        raise _CleanupFailed(cleaned)
    down = _scale_down_old(d, [*olds, new], olds, dict(cleaned))
    return _merge(cleaned, down), bool(cleaned) or bool(down)


class _CleanupFailed(Exception):
    """cleanupUnhealthyReplicas met an old ReplicaSet with more available pods than its spec (its status
    still counts pods a scale-down removes) and returned an error: the sync ends after `writes`, with no
    status write, and is retried."""

    def __init__(self, writes: Scales) -> None:
        super().__init__("when cleaning up unhealthy replicas, got invalid request to scale down")
        self.writes = writes


def _cleanup_unhealthy(olds: list[ReplicaSetView], budget: int) -> tuple[Scales, bool]:
    # ref rolling.go (cleanupUnhealthyReplicas): oldest first, at most spec - available from each
    writes: list[tuple[str, int]] = []
    total = 0
    for rs in olds:
        if total >= budget:
            break
        if rs.replicas == 0 or rs.replicas == rs.status.available_replicas:
            continue
        count = min(budget - total, rs.replicas - rs.status.available_replicas)
        if count < 0:
            return tuple(writes), False
        writes.append((rs.name, rs.replicas - count))
        total += count
    return tuple(writes), True


def _scale_down_old(
    d: DeploymentView, all_rss: Sequence[ReplicaSetView], olds: list[ReplicaSetView], sizes: dict[str, int]
) -> Scales:
    # ref rolling.go (scaleDownOldReplicaSetsForRollingUpdate): Σavailable - minAvailable, oldest first;
    # sizes are the specs after the unhealthy cleanup, availability is the snapshot's status.
    min_available = d.spec.replicas - ds.max_unavailable(d.spec)
    available = sum(rs.status.available_replicas for rs in all_rss)
    if available <= min_available:
        return ()
    budget, total, writes = available - min_available, 0, []
    for rs in olds:
        if total >= budget:
            break
        size = sizes.get(rs.name, rs.replicas)
        if size == 0:
            continue
        count = min(size, budget - total)
        writes.append((rs.name, size - count))
        total += count
    return tuple(writes)


def _rollout_rolling(
    d: DeploymentView, status: DeploymentStatus, rss: Sequence[ReplicaSetView], now: float, release: Release
) -> DeploymentDecision:
    # ref rolling.go (rolloutRolling): scale up, else scale down, else cleanup when complete
    snap = _revision_sync(d, status, rss, now, create=True)
    new = snap.new_rs
    assert new is not None
    up = reconcile_new(d, snap.all_rss, new)
    if up is not None:
        writes = ((new.name, up),)
        return _rollout_decision("rollout-scale-up", d, snap, now, release, writes, frozenset({writes}))
    orders = _orderings(du.active(snap.old_rss), lambda rs: (rs.created,))
    try:
        results = [_reconcile_old(d, snap.all_rss, order, new) for order in orders]
    except _CleanupFailed as failed:
        # ref rolling.go (cleanupUnhealthyReplicas, rolloutRolling): the error ends the sync
        writes = failed.writes
        return _decision("rollout-error", d, snap, snap.status, writes, frozenset({tuple(sorted(writes))}))
    writes, reported = results[0]
    allowed = frozenset(tuple(sorted(w)) for w, _ in results)
    if reported:
        return _rollout_decision("rollout-scale-down", d, snap, now, release, writes, allowed)
    delete = cleanup(d, snap.old_rss) if ds.deployment_complete(d, d.status) else ()
    phase = "cleanup" if delete else "idle"
    return _rollout_decision(phase, d, snap, now, release, writes, allowed, delete=delete)


# ---------------------------------------------------------------- Recreate (fact sheet 2.7)


def old_pods_running(
    new: ReplicaSetView | None, olds: Sequence[ReplicaSetView], pods: Sequence[PodView]
) -> bool:
    """Any old ReplicaSet reporting pods, or any pod of an old ReplicaSet not Succeeded/Failed (terminating
    pods included)."""
    # ref recreate.go (oldPodsRunning)
    if sum(rs.status.replicas for rs in olds) > 0:
        return True
    old_uids = {rs.uid for rs in olds} - ({new.uid} if new is not None else set())
    return any(
        p.owner is not None
        and p.owner.kind == "ReplicaSet"
        and p.owner.uid in old_uids
        and p.phase not in (FAILED, SUCCEEDED)
        for p in pods
    )


def _rollout_recreate(
    d: DeploymentView,
    status: DeploymentStatus,
    rss: Sequence[ReplicaSetView],
    pods: Sequence[PodView],
    now: float,
    release: Release,
) -> DeploymentDecision:
    # ref recreate.go (rolloutRecreate)
    snap = _revision_sync(d, status, rss, now, create=False)
    down = tuple((rs.name, 0) for rs in du.active(snap.old_rss))
    if down:
        return _rollout_decision(
            "recreate-scale-down", d, snap, now, release, down, frozenset({tuple(sorted(down))})
        )
    if old_pods_running(snap.new_rs, snap.old_rss, pods):
        return _rollout_decision("recreate-wait", d, snap, now, release, (), frozenset({()}))
    if snap.new_rs is None:
        snap = _revision_sync(d, status, rss, now, create=True)
    new = snap.new_rs
    assert new is not None
    up: Scales = () if new.replicas == d.spec.replicas else ((new.name, d.spec.replicas),)
    delete = cleanup(d, snap.old_rss) if ds.deployment_complete(d, d.status) else ()
    phase = "recreate-scale-up" if up or snap.create else ("cleanup" if delete else "idle")
    return _rollout_decision(phase, d, snap, now, release, up, frozenset({up}), delete=delete)


# ---------------------------------------------------------------- decisions


def _decision(
    phase: str,
    d: DeploymentView,
    snap: _Snapshot,
    status: DeploymentStatus,
    writes: Scales,
    allowed: frozenset[Scales],
    *,
    delete: tuple[str, ...] = (),
    requeue_after: float | None = None,
) -> DeploymentDecision:
    return DeploymentDecision(
        phase=phase,
        status=status,
        deployment_annotations=snap.annotations,
        create=snap.create,
        scale=writes,
        replicas_annotations=replicas_annotations(d),
        annotate=snap.annotate,
        min_ready_seconds=snap.min_ready,
        delete=delete,
        requeue_after=requeue_after,
        allowed_scales=allowed or frozenset({tuple(sorted(writes))}),
    )


def _rollout_decision(
    phase: str,
    d: DeploymentView,
    snap: _Snapshot,
    now: float,
    release: Release,
    writes: Scales,
    allowed: frozenset[Scales],
    *,
    delete: tuple[str, ...] = (),
) -> DeploymentDecision:
    # ref progress.go (syncRolloutStatus): the re-check timer is set only by a sync that writes no status
    status = ds.rollout_status(d, snap.status, snap.all_rss, snap.new_rs, now, release)
    requeue = ds.requeue_stuck(d, snap.status, status, now) if status == snap.status else None
    return _decision(phase, d, snap, status, writes, allowed, delete=delete, requeue_after=requeue)


def sync(
    d: DeploymentView,
    rss: Sequence[ReplicaSetView],
    pods: Sequence[PodView],
    now: float,
    *,
    release: Release = DEFAULT,
) -> DeploymentDecision:
    """One syncDeployment on a snapshot: `rss` and `pods` may hold other objects; only `d`'s are used."""
    # ref deployment_controller.go (syncDeployment): dispatch order of fact sheet 2.3
    rss = owned(d, rss)
    if not d.spec.selector:
        status = attrs.evolve(d.status, observed_generation=max(d.status.observed_generation, d.generation))
        return DeploymentDecision("empty-selector", status, d.annotations)
    if d.deleting:
        snap = _revision_sync(d, d.status, rss, now, create=False)
        status = ds.calculate_status(d, snap.status, snap.all_rss, snap.new_rs, now, release)
        return _decision("status-only", d, snap, status, (), frozenset({()}))
    status = ds.paused_conditions(d, d.status, now)
    if d.spec.paused:
        return _sync_scale("paused-sync", d, _revision_sync(d, status, rss, now, create=False), now, release)
    snap = _revision_sync(d, status, rss, now, create=False)
    if is_scaling_event(d, snap.all_rss):
        return _sync_scale("scaling-event", d, snap, now, release)
    if d.spec.strategy.type == RECREATE:
        return _rollout_recreate(d, status, rss, pods, now, release)
    return _rollout_rolling(d, status, rss, now, release)


def is_scaling_event(d: DeploymentView, all_rss: Sequence[ReplicaSetView]) -> bool:
    """Some active ReplicaSet's desired-replicas annotation differs from spec.replicas."""
    # ref sync.go (isScalingEvent)
    for rs in du.active(all_rss):
        desired = du.int_annotation(rs, DESIRED_REPLICAS)
        if desired is not None and desired != d.spec.replicas:
            return True
    return False

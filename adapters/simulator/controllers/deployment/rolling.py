"""RollingUpdate: scale the new RS up within maxSurge, old RSs down within maxUnavailable.

ref: pkg/controller/deployment/rolling.go
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...objects import Obj
from .. import common
from . import progress, sync, util

if TYPE_CHECKING:
    from .controller import DeploymentController


def rollout_rolling(ctl: DeploymentController, d: Obj, rs_list: list[Obj]) -> None:
    # ref: rolling.go (rolloutRolling): one phase per sync
    new_rs, old_rss = sync.get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=True)
    all_rss = [*old_rss, new_rs]
    if reconcile_new_replicaset(ctl, all_rss, new_rs, d):
        progress.sync_rollout_status(ctl, all_rss, new_rs, d)
        return
    if reconcile_old_replicasets(ctl, all_rss, util.active(old_rss), new_rs, d):
        progress.sync_rollout_status(ctl, all_rss, new_rs, d)
        return
    if util.deployment_complete(d, d.get("status") or {}):
        sync.cleanup_deployment(ctl, old_rss, d)
    progress.sync_rollout_status(ctl, all_rss, new_rs, d)


def reconcile_new_replicaset(
    ctl: DeploymentController, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj
) -> bool:
    # ref: rolling.go (reconcileNewReplicaSet)
    if new_rs is None:
        return False
    r = util.replicas(d)
    if util.rs_replicas(new_rs) == r:
        return False
    if util.rs_replicas(new_rs) > r:
        return sync.scale_replicaset_and_record_event(ctl, new_rs, r, d)[0]
    count = sync.new_rs_new_replicas(d, [rs for rs in all_rss if rs is not None], new_rs)
    return sync.scale_replicaset_and_record_event(ctl, new_rs, count, d)[0]


def reconcile_old_replicasets(
    ctl: DeploymentController, all_rss: list[Obj | None], old_rss: list[Obj], new_rs: Obj | None, d: Obj
) -> bool:
    # ref: rolling.go (reconcileOldReplicaSets)
    if util.total_spec(old_rss) == 0 or new_rs is None:
        return False
    min_available = util.replicas(d) - util.max_unavailable(d)
    new_unavailable = util.rs_replicas(new_rs) - util.rs_status(new_rs, "availableReplicas")
    max_scaled_down = util.total_spec(all_rss) - min_available - new_unavailable
    if max_scaled_down <= 0:
        return False
    old_rss, cleaned = cleanup_unhealthy_replicas(ctl, old_rss, d, max_scaled_down)
    scaled = scale_down_old_replicasets_for_rolling_update(ctl, [*old_rss, new_rs], old_rss, d)
    return cleaned + scaled > 0


def old_replicasets_scale_down_order(olds: list[Obj]) -> list[Obj]:
    """Oldest first. ref: controller_utils.go (ReplicaSetsByCreationTimestamp)"""
    return sorted(olds, key=common.by_creation)


def cleanup_unhealthy_replicas(
    ctl: DeploymentController, old_rss: list[Obj], d: Obj, max_cleanup: int
) -> tuple[list[Obj], int]:
    """Scale down old replicas that are not available first (#16737).

    ref: rolling.go (cleanupUnhealthyReplicas)
    """
    ordered = old_replicasets_scale_down_order(old_rss)
    total = 0
    for i, rs in enumerate(ordered):
        if total >= max_cleanup:
            break
        unhealthy = util.rs_replicas(rs) - util.rs_status(rs, "availableReplicas")
        if util.rs_replicas(rs) == 0 or unhealthy == 0:
            continue
        if unhealthy < 0:
            # available > spec: the status still counts pods a scale-down is removing; upstream gives up
            # the whole sync (no status write) and retries once the ReplicaSet status has caught up
            name = rs["metadata"]["name"]
            raise common.SyncFailed(f"cleaning up unhealthy replicas: invalid request to scale down {name}")
        count = min(max_cleanup - total, unhealthy)
        _, ordered[i] = sync.scale_replicaset_and_record_event(ctl, rs, util.rs_replicas(rs) - count, d)
        total += count
    return ordered, total


def scale_down_old_replicasets_for_rolling_update(
    ctl: DeploymentController, all_rss: list[Obj | None], old_rss: list[Obj], d: Obj
) -> int:
    # ref: rolling.go (scaleDownOldReplicaSetsForRollingUpdate)
    min_available = util.replicas(d) - util.max_unavailable(d)
    available = util.total_status(all_rss, "availableReplicas")
    if available <= min_available:
        return 0
    budget, total = available - min_available, 0
    for rs in old_replicasets_scale_down_order(old_rss):
        if total >= budget:
            break
        if util.rs_replicas(rs) == 0:
            continue
        count = min(util.rs_replicas(rs), budget - total)
        sync.scale_replicaset_and_record_event(ctl, rs, util.rs_replicas(rs) - count, d)
        total += count
    return total

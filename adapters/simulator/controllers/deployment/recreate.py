"""Recreate: scale every old RS to 0, wait until no old pod runs, then create/scale the new RS.

ref: pkg/controller/deployment/recreate.go (v1.35; no podReplacementPolicy)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...objects import Obj
from .. import common
from . import progress, sync, util

if TYPE_CHECKING:
    from .controller import DeploymentController


def rollout_recreate(
    ctl: DeploymentController, d: Obj, rs_list: list[Obj], pod_map: dict[str, list[Obj]]
) -> None:
    # ref: recreate.go (rolloutRecreate)
    new_rs, old_rss = sync.get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=False)
    all_rss = [*old_rss, new_rs]
    if scale_down_old_replicasets_for_recreate(ctl, util.active(old_rss), d):
        progress.sync_rollout_status(ctl, all_rss, new_rs, d)
        return
    if old_pods_running(new_rs, old_rss, pod_map):
        progress.sync_rollout_status(ctl, all_rss, new_rs, d)
        return
    if new_rs is None:
        new_rs, old_rss = sync.get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=True)
        all_rss = [*old_rss, new_rs]
    if new_rs is not None:
        sync.scale_replicaset_and_record_event(ctl, new_rs, util.replicas(d), d)
    if util.deployment_complete(d, d.get("status") or {}):
        sync.cleanup_deployment(ctl, old_rss, d)
    progress.sync_rollout_status(ctl, all_rss, new_rs, d)


def scale_down_old_replicasets_for_recreate(ctl: DeploymentController, old_rss: list[Obj], d: Obj) -> bool:
    scaled = False
    for rs in old_rss:
        if util.rs_replicas(rs) == 0:
            continue
        changed, _ = sync.scale_replicaset_and_record_event(ctl, rs, 0, d)
        scaled = scaled or changed
    return scaled


def old_pods_running(new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]) -> bool:
    """Any old RS reports pods, or any pod of an old RS is not Succeeded/Failed (terminating too).

    ref: recreate.go (oldPodsRunning)
    """
    if util.total_status(old_rss, "replicas") > 0:
        return True
    new_uid = new_rs["metadata"]["uid"] if new_rs is not None else None
    return any(
        common.pod_phase(pod) not in common.TERMINAL
        for rs_uid, pods in pod_map.items()
        if rs_uid != new_uid
        for pod in pods
    )

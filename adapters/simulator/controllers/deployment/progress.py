"""The Progressing condition, progressDeadlineSeconds and the status write of a rollout sync.

ref: pkg/controller/deployment/progress.go
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...objects import DEPLOYMENT, Obj
from . import sync, util

if TYPE_CHECKING:
    from .controller import DeploymentController


def sync_rollout_status(
    ctl: DeploymentController, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj
) -> None:
    # ref: progress.go (syncRolloutStatus)
    now = ctl.clock.now
    status = sync.calculate_status(all_rss, new_rs, d, now)
    if not util.has_progress_deadline(d):
        util.remove_condition(status, util.PROGRESSING)
    current = util.get_condition(d.get("status") or {}, util.PROGRESSING)
    complete = (
        status["replicas"] == status["updatedReplicas"]
        and current is not None
        and current["reason"] == util.NEW_RS_AVAILABLE_REASON
    )
    if util.has_progress_deadline(d) and not complete:
        update_progressing(d, status, current, new_rs, now)
    failures = replica_failures(all_rss, new_rs)
    if failures:
        util.set_condition(status, failures[0])
    else:
        util.remove_condition(status, util.REPLICA_FAILURE)
    if status == (d.get("status") or {}):
        requeue_stuck_deployment(ctl, d, status)
        return
    ctl.client.update_status(DEPLOYMENT, {**d, "status": status})


def update_progressing(d: Obj, status: Obj, current: Obj | None, new_rs: Obj | None, now: float) -> None:
    name = f'ReplicaSet "{new_rs["metadata"]["name"]}"' if new_rs else f'Deployment "{d["metadata"]["name"]}"'
    if util.deployment_complete(d, status):
        cond = util.new_condition(
            util.PROGRESSING,
            "True",
            util.NEW_RS_AVAILABLE_REASON,
            f"{name} has successfully progressed.",
            now,
        )
        util.set_condition(status, cond)
    elif util.deployment_progressing(d, status):
        cond = util.new_condition(
            util.PROGRESSING, "True", util.RS_UPDATED_REASON, f"{name} is progressing.", now
        )
        if current is not None:
            if current["status"] == "True":
                cond["lastTransitionTime"] = current["lastTransitionTime"]
            util.remove_condition(status, util.PROGRESSING)
        util.set_condition(status, cond)
    elif util.deployment_timed_out(d, status, now):
        cond = util.new_condition(
            util.PROGRESSING, "False", util.TIMED_OUT_REASON, f"{name} has timed out progressing.", now
        )
        util.set_condition(status, cond)


def replica_failures(all_rss: list[Obj | None], new_rs: Obj | None) -> list[Obj]:
    """ReplicaFailure conditions of the new RS, else of any RS, as Deployment conditions.

    ref: progress.go (getReplicaFailures), deployment_util.go (ReplicaSetToDeploymentCondition)
    """

    def failures(rs: Obj | None) -> list[Obj]:
        return [
            {
                "type": c["type"],
                "status": c["status"],
                "lastUpdateTime": c.get("lastTransitionTime"),
                "lastTransitionTime": c.get("lastTransitionTime"),
                "reason": c.get("reason", ""),
                "message": c.get("message", ""),
            }
            for c in ((rs or {}).get("status") or {}).get("conditions") or ()
            if c["type"] == util.REPLICA_FAILURE
        ]

    found = failures(new_rs)
    if found:
        return found
    return [c for rs in all_rss for c in failures(rs)]


def requeue_stuck_deployment(ctl: DeploymentController, d: Obj, status: Obj) -> None:
    """Re-sync when the progress deadline would pass (+1 s for clock skew, #39785).

    ref: progress.go (requeueStuckDeployment)
    """
    current = util.get_condition(d.get("status") or {}, util.PROGRESSING)
    if not util.has_progress_deadline(d) or current is None:
        return
    if util.deployment_complete(d, status) or current["reason"] == util.TIMED_OUT_REASON:
        return
    deadline = util.condition_time(current, "lastUpdateTime") + d["spec"]["progressDeadlineSeconds"]
    after = deadline - ctl.clock.now
    key = d["metadata"]["name"]
    if after < 1:
        ctl.rate_limited_requeue(key)
    else:
        ctl.queue.add_after(key, after + 1)

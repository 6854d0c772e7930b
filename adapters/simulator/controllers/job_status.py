"""Status writing of the simulator's Job controller: conditions, the interim -> terminal protocol, the
Suspended condition with the startTime reset on resume.

ref: pkg/controller/job/job_controller.go (ensureJobConditionStatus, newCondition, enactJobFinished,
syncJob's suspend handling)
"""

from __future__ import annotations

from kubeprops.adapters.kube_objects import format_time

from ..client import Client
from ..objects import JOB, Obj

COMPLETE, FAILED, SUSPENDED = "Complete", "Failed", "Suspended"
SUCCESS_CRITERIA_MET, FAILURE_TARGET = "SuccessCriteriaMet", "FailureTarget"


def set_condition(status: Obj, type_: str, value: str, reason: str, message: str, now: float) -> bool:
    """ensureJobConditionStatus: a False condition is never added from nothing; True if anything changed."""
    conditions = status.setdefault("conditions", [])
    for i, cond in enumerate(conditions):
        if cond["type"] != type_:
            continue
        if (cond["status"], cond.get("reason"), cond.get("message")) == (value, reason, message):
            return False
        moved = cond["status"] != value
        transition = format_time(now) if moved else cond.get("lastTransitionTime")
        conditions[i] = _condition(type_, value, reason, message, now, transition)
        return True
    if value == "False":
        return False
    conditions.append(_condition(type_, value, reason, message, now, format_time(now)))
    return True


def _condition(type_: str, value: str, reason: str, message: str, now: float, transition: str | None) -> Obj:
    return {
        "type": type_,
        "status": value,
        "reason": reason,
        "message": message,
        "lastProbeTime": format_time(now),
        "lastTransitionTime": transition,
    }


def update_suspended(job: Obj, status: Obj, now: float) -> bool:
    if job["spec"].get("suspend"):
        return set_condition(status, SUSPENDED, "True", "JobSuspended", "Job suspended", now)
    if set_condition(status, SUSPENDED, "False", "JobResumed", "Job resumed", now):
        status["startTime"] = format_time(now)  # "Resumed jobs will always reset StartTime"
        return True
    return False


def set_finish_conditions(status: Obj, finish: tuple[bool, str, str], terminating: int, now: float) -> None:
    success, reason, message = finish
    set_condition(status, SUCCESS_CRITERIA_MET if success else FAILURE_TARGET, "True", reason, message, now)
    if terminating > 0:
        return  # the terminal condition waits until no pod is terminating
    set_condition(status, COMPLETE if success else FAILED, "True", reason, message, now)
    if success:
        status["completionTime"] = format_time(now)


def write_status(client: Client, job: Obj, status: Obj) -> int:
    """Write `status` unless unchanged; returns the Job's resourceVersion after the write."""
    if status == (job.get("status") or {}):
        return int(job["metadata"]["resourceVersion"])
    # The cached resourceVersion goes along: a stale cache gets a Conflict and a retry, never overwrites
    # the counters of a newer write.
    updated = client.update_status(JOB, {**job, "status": status})
    return int(updated["metadata"]["resourceVersion"])

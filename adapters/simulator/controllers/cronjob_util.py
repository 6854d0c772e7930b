"""The CronJob controller's helpers: which slot is due, when to sync next, the Job it creates, history order.

Times are Unix seconds (floats): the controller adds the simulator's epoch to its virtual clock, so Job
names are minutes since 1970 as upstream's.
ref: kubernetes/kubernetes v1.35.4 pkg/controller/cronjob/utils.go (mostRecentScheduleTime,
nextScheduleTimeDuration, nextScheduleTime, getJobFromTemplate2, getTimeHashInMinutes, byJobStartTime),
pkg/controller/cronjob/cronjob_controllerv2.go (getJobName, formatSchedule, nextScheduleDelta)
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime

import attrs

from kubeprops.adapters.kube_objects import SIM_EPOCH, parse_time

from ..objects import CRONJOB, Obj, clone, new_controller_ref
from . import cronjob_schedule as cron

EPOCH_UNIX = SIM_EPOCH.timestamp()  # Unix time of the virtual clock's zero
NEXT_SCHEDULE_DELTA = 0.1  # nextScheduleDelta = 100 * time.Millisecond
TOO_MANY_MISSED = 100
SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"
NONE, FEW, MANY = "none", "few", "many"


@attrs.frozen
class Due:
    earliest: float
    most_recent: float | None
    missed: str


def unix(virtual: float) -> float:
    return EPOCH_UNIX + virtual


def virtual(unix_time: float) -> float:
    return unix_time - EPOCH_UNIX


def load_zone(zone: str | None) -> bool:
    try:
        zoneinfo.ZoneInfo(zone) if zone else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


def format_schedule(cj: Obj) -> str:
    # ref cronjob_controllerv2.go (formatSchedule): a schedule holding TZ is used as is
    schedule, zone = cj["spec"]["schedule"], cj["spec"].get("timeZone")
    if "TZ" in schedule or zone is None or not load_zone(zone):
        return schedule
    return f"TZ={zone} {schedule}"


def most_recent_schedule_time(cj: Obj, now: float, sched: cron.CronSchedule, with_deadline: bool) -> Due:
    """The latest slot in (earliest, now]; earlier missed slots are never run. Raises BadSchedule when two
    slots are under a second apart (a schedule that never fires)."""
    # ref utils.go (mostRecentScheduleTime)
    status = cj.get("status") or {}
    last = status.get("lastScheduleTime") or cj["metadata"]["creationTimestamp"]
    earliest = unix(parse_time(last))
    deadline = cj["spec"].get("startingDeadlineSeconds")
    if with_deadline and deadline is not None:
        earliest = max(earliest, now - deadline)
    t1 = cron.next_after(sched, earliest)
    t2 = cron.next_after(sched, t1) if t1 is not None else None
    if t1 is not None and now < t1:
        return Due(earliest, None, NONE)
    if t1 is not None and t2 is not None and now < t2:
        return Due(earliest, t1, NONE)
    between = round(t2 - t1) if t1 is not None and t2 is not None else 0  # robfig's zero time
    if t1 is None or t2 is None or between < 1:
        raise cron.BadSchedule("time difference between two schedules is less than 1 second")
    missed = int(now - t1) // between + 1
    latest, t = None, cron.next_after(sched, t1 + (missed - 2) * between)
    while t is not None and t <= now:
        latest, t = t, cron.next_after(sched, t)
    return Due(earliest, latest, MANY if missed > TOO_MANY_MISSED else FEW)


def next_schedule_delay(cj: Obj, clock_now: float, sched: cron.CronSchedule) -> float | None:
    """Seconds until the next slot after the most recent one, + 100 ms; computed on the virtual clock, so a
    sync lands on the slot's exact nanosecond (Unix floats near 1.7e9 keep only ~0.2 us)."""
    # ref utils.go (nextScheduleTimeDuration)
    now = unix(clock_now)
    try:
        due = most_recent_schedule_time(cj, now, sched, with_deadline=False)
        base = due.most_recent
        if base is None:
            base = due.earliest if due.missed == NONE else now
    except cron.BadSchedule:
        base = now
    following = cron.next_after(sched, base)
    return None if following is None else virtual(following) + NEXT_SCHEDULE_DELTA - clock_now


def job_name(cj: Obj, scheduled: float) -> str:
    # ref cronjob_controllerv2.go (getJobName), utils.go (getTimeHashInMinutes): Unix() / 60
    return f"{cj['metadata']['name']}-{int(scheduled) // 60}"


def rfc3339_in_zone(scheduled: float, zone: str | None) -> str:
    tz = zoneinfo.ZoneInfo(zone) if zone else UTC
    text = datetime.fromtimestamp(int(scheduled), tz).isoformat()
    return text.replace("+00:00", "Z") if text.endswith("+00:00") else text


def job_from_template(cj: Obj, scheduled: float) -> Obj:
    """The Job for one slot: the template's labels, annotations and spec, the scheduled-timestamp annotation
    (RFC3339 in the CronJob's zone) and a controller reference."""
    # ref utils.go (getJobFromTemplate2)
    template = cj["spec"]["jobTemplate"]
    meta = template.get("metadata") or {}
    annotations = dict(meta.get("annotations") or {})
    annotations[SCHEDULED_TIMESTAMP] = rfc3339_in_zone(scheduled, cj["spec"].get("timeZone"))
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name(cj, scheduled),
            "labels": dict(meta.get("labels") or {}),
            "annotations": annotations,
            "ownerReferences": [new_controller_ref(cj, CRONJOB)],
        },
        "spec": clone(template["spec"]),
    }


def start_order(job: Obj) -> tuple[object, ...]:
    # ref utils.go (byJobStartTime): by status.startTime, Jobs without one last, ties by name
    start = (job.get("status") or {}).get("startTime")
    return (start is None, parse_time(start) if start else 0.0, job["metadata"]["name"])


def finished_type(job: Obj) -> str | None:
    # ref cronjob_controllerv2.go (getFinishedStatus)
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return cond["type"]
    return None


def completion_time(job: Obj) -> float | None:
    text = (job.get("status") or {}).get("completionTime")
    return parse_time(text) if text else None

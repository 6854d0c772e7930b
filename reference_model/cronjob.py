"""The CronJob controller ("v2"), as a pure function of one snapshot: `cronjob_sync` (fact sheet 6.3-6.5).

Release: upstream v1.35.4. Modelled: reconciling status.active with the child Jobs, lastSuccessfulTime,
suspend, the schedule in spec.timeZone (`TZ=<zone>` prefix, see `cron_schedule`), mostRecentScheduleTime
with startingDeadlineSeconds and the v2 behaviour for >100 missed slots (warn and still run the latest),
the "too late" check, the same-slot guard, concurrencyPolicy Allow / Forbid (defers: lastScheduleTime is
not advanced) / Replace (deletes every active Job first), Job naming `<cronjob>-<minutes since epoch>`, the
AlreadyExists case, history cleanup by status.startTime, and the requeue at the next slot + 100 ms.

Not modelled: events other than as `CronJobDecision.events` names; API errors; the live GET that confirms
a missing Job (a Job absent from the snapshot is missing); children matched by the owner's name only (the
model has no UIDs for Jobs); the controller-manager's local zone (a CronJob without timeZone uses UTC).

refs kubernetes/kubernetes:pkg/controller/cronjob/cronjob_controllerv2.go (sync, syncCronJob,
cleanupFinishedJobs, removeOldestJobs, getJobName, nextScheduleDelta),
kubernetes/kubernetes:pkg/controller/cronjob/utils.go (mostRecentScheduleTime, nextScheduleTime,
nextScheduleTimeDuration, getTimeHashInMinutes, byJobStartTime, inActiveListByName)
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.batch import (
    COMPLETE,
    FAILED_CONDITION,
    FORBID,
    REPLACE,
    CronJobStatus,
    CronJobView,
    JobView,
    zone_exists,
)

from . import cron_schedule as cron

NEXT_SCHEDULE_DELTA = 0.1  # ref cronjob_controllerv2.go (nextScheduleDelta = 100 ms)
TOO_MANY_MISSED = 100
NONE_MISSED, FEW_MISSED, MANY_MISSED = "none", "few", "many"


def job_name(cronjob: str, scheduled: float) -> str:
    """`<cronjob>-<scheduled time in minutes since the epoch>`: 2024-01-01T00:00Z -> hello-28401120."""
    # ref cronjob_controllerv2.go (getJobName), utils.go (getTimeHashInMinutes)
    return f"{cronjob}-{int(scheduled // 60)}"


@attrs.frozen
class ScheduleWindow:
    earliest: float
    most_recent: int | None
    missed: str


def most_recent_schedule_time(
    cj: CronJobView, now: float, schedule: cron.Schedule, include_deadline: bool
) -> ScheduleWindow:
    """The latest slot in (earliest, now], found from an estimate of the missed count; earlier missed slots
    are skipped for good. Raises ScheduleError when two consecutive slots are under 1 s apart."""
    # ref utils.go (mostRecentScheduleTime)
    earliest = cj.status.last_schedule_time if cj.status.last_schedule_time is not None else cj.created
    sds = cj.spec.starting_deadline_seconds
    if include_deadline and sds is not None:
        earliest = max(earliest, now - sds)
    t1 = cron.next_time(schedule, earliest)
    t2 = cron.next_time(schedule, t1) if t1 is not None else None
    if t1 is not None and now < t1:
        return ScheduleWindow(earliest, None, NONE_MISSED)
    if t1 is not None and t2 is not None and now < t2:
        return ScheduleWindow(earliest, t1, NONE_MISSED)
    # robfig returns the zero time when nothing fires within five years: the interval is then < 1 s
    interval = round(t2 - t1) if t1 is not None and t2 is not None else 0
    if t1 is None or interval < 1:
        raise cron.ScheduleError("time difference between two schedules is less than 1 second")
    missed = int(now - t1) // interval + 1
    potential = t1 + (missed - 2) * interval
    latest: int | None = None
    t = cron.next_time(schedule, potential)
    while t is not None and t <= now:
        latest, t = t, cron.next_time(schedule, t)
    kind = MANY_MISSED if missed > TOO_MANY_MISSED else FEW_MISSED
    return ScheduleWindow(earliest, latest, kind)


def next_schedule_requeue(cj: CronJobView, now: float, schedule: cron.Schedule) -> float | None:
    """Seconds until the sync after this one: the next slot + 100 ms."""
    # ref utils.go (nextScheduleTimeDuration)
    try:
        window = most_recent_schedule_time(cj, now, schedule, include_deadline=False)
    except cron.ScheduleError:
        window = ScheduleWindow(now, int(now // 1), FEW_MISSED)  # aim for the next slot from now
    base = window.most_recent
    if base is None:
        base = window.earliest if window.missed == NONE_MISSED else now
    following = cron.next_time(schedule, base)
    return None if following is None else following + NEXT_SCHEDULE_DELTA - now


def schedule_edit_requeue(cj: CronJobView, now: float) -> float | None:
    """After an edit of the schedule or time zone the CronJob is not synced at once: it is queued for the
    next slot of the new schedule (None when that schedule does not parse)."""
    # ref cronjob_controllerv2.go@v1.35.4 (updateCronJob: enqueueControllerAfter(nextScheduleTimeDuration))
    schedule = _schedule_of(cj)
    return None if isinstance(schedule, str) else next_schedule_requeue(cj, now, schedule)


@attrs.frozen
class CronJobDecision:
    """What one sync does: the Job it creates (name and slot), the Jobs it deletes (Replace first, then
    history cleanup), the status it writes, events by reason, and the requeue delay in seconds."""

    status: CronJobStatus
    create: tuple[str, float] | None = None
    delete_active: tuple[str, ...] = ()
    delete_history: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    requeue_after: float | None = None


def _finished_type(job: JobView) -> str | None:
    cond = job.status.finished
    return cond.type if cond is not None else None


def reconcile_active(cj: CronJobView, jobs: Sequence[JobView]) -> tuple[CronJobStatus, tuple[str, ...]]:
    """Drop finished and missing Jobs from status.active; raise lastSuccessfulTime from succeeded Jobs."""
    # ref cronjob_controllerv2.go@v1.35.4 (syncCronJob, first part: `if found {...}; if IsJobSucceeded {...}`)
    status, events = cj.status, []
    active = list(status.active)
    last_success = status.last_successful_time
    for job in jobs:
        finished = _finished_type(job)
        if job.name not in active and finished is None:
            events.append("UnexpectedJob")
        elif finished is not None and job.name in active:
            active.remove(job.name)
            events.append("SawCompletedJob")
        # v1.35.4 reads the success in the same sync that drops the Job from the active list (not one sync
        # later), so a Job the same sync's history cleanup deletes (limit 0) still sets it
        if finished == COMPLETE and job.status.completion_time is not None:
            last_success = max(last_success or job.status.completion_time, job.status.completion_time)
    names = {j.name for j in jobs}
    for name in [n for n in active if n not in names]:
        active.remove(name)
        events.append("MissingJob")
    return attrs.evolve(status, active=tuple(active), last_successful_time=last_success), tuple(events)


def _start_key(job: JobView) -> tuple[object, ...]:
    # ref utils.go (byJobStartTime): by status.startTime, Jobs without one last, ties by name
    start = job.status.start_time
    return (start is None, start or 0.0, job.name)


def history_cleanup(cj: CronJobView, jobs: Sequence[JobView]) -> tuple[str, ...]:
    """Finished Jobs beyond successfulJobsHistoryLimit (Complete) / failedJobsHistoryLimit (Failed), oldest
    first."""
    # ref cronjob_controllerv2.go (cleanupFinishedJobs, removeOldestJobs)
    doomed: list[str] = []
    for type_, limit in (
        (COMPLETE, cj.spec.successful_jobs_history_limit),
        (FAILED_CONDITION, cj.spec.failed_jobs_history_limit),
    ):
        finished = sorted((j for j in jobs if _finished_type(j) == type_), key=_start_key)
        doomed.extend(j.name for j in finished[: max(0, len(finished) - limit)])
    return tuple(doomed)


def _schedule_of(cj: CronJobView) -> cron.Schedule | str:
    """The parsed schedule, or the warning reason that stops the sync."""
    if cj.spec.time_zone is not None and not zone_exists(cj.spec.time_zone):
        return "UnknownTimeZone"
    try:
        return cron.parse(cron.controller_schedule(cj.spec.schedule, cj.spec.time_zone))
    except cron.ScheduleError:
        return "UnparseableSchedule"


def schedule_step(
    cj: CronJobView, jobs: Sequence[JobView], status: CronJobStatus, now: float
) -> CronJobDecision:
    """From the time-zone check to the Job creation (syncCronJob after reconciling `status`); `jobs` serve
    only the AlreadyExists case (a Job of the slot's name already there; none: the creation is attempted)."""
    # ref cronjob_controllerv2.go (syncCronJob)
    if cj.deleting:
        return CronJobDecision(status)
    schedule = _schedule_of(cj)
    if isinstance(schedule, str):
        return CronJobDecision(status, events=(schedule,))
    if cj.spec.suspend:
        return CronJobDecision(status)
    cj = attrs.evolve(cj, status=status)
    try:
        window = most_recent_schedule_time(cj, now, schedule, include_deadline=True)
    except cron.ScheduleError:
        return CronJobDecision(status, events=("InvalidSchedule",))
    events = ("TooManyMissedTimes",) if window.missed == MANY_MISSED and window.most_recent else ()
    requeue = next_schedule_requeue(cj, now, schedule)
    scheduled = window.most_recent
    if scheduled is None or scheduled > now:
        return CronJobDecision(status, events=events, requeue_after=requeue)
    sds = cj.spec.starting_deadline_seconds
    if sds is not None and scheduled + sds < now:
        return CronJobDecision(status, events=(*events, "MissSchedule"), requeue_after=requeue)
    name = job_name(cj.name, scheduled)
    if name in status.active or status.last_schedule_time == scheduled:
        return CronJobDecision(status, events=events, requeue_after=requeue)
    if cj.spec.concurrency_policy == FORBID and status.active:
        return CronJobDecision(status, events=(*events, "JobAlreadyActive"), requeue_after=requeue)
    replaced: tuple[str, ...] = ()
    if cj.spec.concurrency_policy == REPLACE:
        replaced, status = status.active, attrs.evolve(status, active=())
    existing = next((j for j in jobs if j.name == name), None)
    if existing is not None:  # AlreadyExists: adopt it into the active list if it is ours and running
        if existing.owner == cj.name and name not in status.active and existing.status.finished is None:
            status = attrs.evolve(status, active=(*status.active, name))
        return CronJobDecision(status, delete_active=replaced, events=events)
    status = attrs.evolve(status, active=(*status.active, name), last_schedule_time=float(scheduled))
    requeue = next_schedule_requeue(attrs.evolve(cj, status=status), now, schedule)
    return CronJobDecision(
        status, create=(name, float(scheduled)), delete_active=replaced, events=events, requeue_after=requeue
    )


def cronjob_sync(cj: CronJobView, jobs: Sequence[JobView], now: float) -> CronJobDecision:
    """One `sync` of a CronJob on a snapshot: `jobs` are the Jobs whose controller is this CronJob."""
    # ref cronjob_controllerv2.go (sync): syncCronJob, then cleanupFinishedJobs
    status, events = reconcile_active(cj, jobs)
    decision = schedule_step(cj, jobs, status, now)
    history = history_cleanup(cj, jobs)
    return attrs.evolve(decision, events=events + decision.events, delete_history=history)

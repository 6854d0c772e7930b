"""The CronJob controller ("v2", kube-controller-manager `cronjob`, v1.35.4), written from the source.

Modelled: one sync per key from the informer cache: history cleanup first (cleanupFinishedJobs, finished
children beyond successful/failedJobsHistoryLimit, oldest startTime first), then syncCronJob: reconciling
status.active with the children (matched by controller name, as upstream), lastSuccessfulTime, missing
Jobs confirmed by a live GET, deletion / time zone / suspend / schedule checks, the most recent due slot
(earlier missed slots are never run, >100 missed still runs), startingDeadlineSeconds, the same-slot guard,
Forbid (skips without advancing lastScheduleTime), Replace (GET and delete every active Job, background
propagation), Job creation `<name>-<minutes since 1970>` with AlreadyExists handling, and the requeue at
the next slot + 100 ms. One status write per sync. Schedule edits requeue at the next slot of the new
schedule (updateCronJob); Job events enqueue the controlling CronJob.
Not modelled: events (only their reasons, the latest in `events`, for tests), metrics, the
controller-manager's local zone (a CronJob without timeZone runs in UTC).
ref: kubernetes/kubernetes v1.35.4 pkg/controller/cronjob/cronjob_controllerv2.go (NewControllerV2,
processNextWorkItem, sync, syncCronJob, cleanupFinishedJobs, removeOldestJobs, deleteJob, addJob,
updateJob, updateCronJob), pkg/controller/cronjob/injection.go (realJobControl.DeleteJob: Background)
"""

from __future__ import annotations

from collections import deque

from kubeprops.adapters.kube_objects import format_time

from ..client import Client
from ..clock import Clock
from ..informer import Informer
from ..objects import CRONJOB, JOB, Obj, clone, controller_ref, is_deleting
from ..store import DELETED, AlreadyExists, ApiError, NotFound
from ..tracing import SyncTracer
from . import cronjob_schedule as cron
from . import cronjob_util as util
from .workqueue import WorkQueue

FORBID, REPLACE = "Forbid", "Replace"
EVENTS_KEPT = 100


class CronJobController:
    name = "cronjob"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self.events: deque[str] = deque(maxlen=EVENTS_KEPT)  # reasons of the latest events, for tests
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        self.reread: Obj | None = None  # the live copy the current sync replaced its cached one with
        informer.add_handler(CRONJOB, self._on_cronjob)
        informer.add_handler(JOB, self._on_job)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        # ref cronjob_controllerv2.go (processNextWorkItem)
        key = self.queue.pop()
        self.reread = None
        traced = self.tracer and self.tracer.begin(CRONJOB, key, self.informer)
        try:
            requeue = sync(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            completed = True
            if requeue is not None:
                self.queue.forget(key)
                self.queue.add_after(key, requeue)
        if self.tracer and traced:
            self.tracer.end(traced, completed, self.reread)

    # ------------------------------------------------------------ event handlers

    def _on_cronjob(self, type_: str, old: Obj | None, new: Obj) -> None:
        # ref cronjob_controllerv2.go (updateCronJob): a schedule edit waits for the new schedule's slot
        key = new["metadata"]["name"]
        if type_ == DELETED or old is None:
            self.queue.add(key)
            return
        before, after = old["spec"], new["spec"]
        if (before["schedule"], before.get("timeZone")) == (after["schedule"], after.get("timeZone")):
            self.queue.add(key)
            return
        try:
            sched = cron.parse(util.format_schedule(new))
        except cron.BadSchedule:
            return
        delay = util.next_schedule_delay(new, self.clock.now, sched)
        if delay is not None:
            self.queue.add_after(key, delay)

    def _owner(self, job: Obj) -> str | None:
        # ref cronjob_controllerv2.go (resolveControllerRef): kind and UID must match the cached CronJob
        ref = controller_ref(job)
        if ref is None or ref.get("kind") != CRONJOB:
            return None
        cj = self.informer.get(CRONJOB, ref["name"])
        return ref["name"] if cj is not None and cj["metadata"]["uid"] == ref["uid"] else None

    def _on_job(self, type_: str, old: Obj | None, new: Obj) -> None:
        # ref cronjob_controllerv2.go (addJob, updateJob, deleteJob)
        if old is not None and type_ != DELETED:
            if old["metadata"]["resourceVersion"] == new["metadata"]["resourceVersion"]:
                return
            if controller_ref(old) != controller_ref(new) and (previous := self._owner(old)):
                self.queue.add(previous)
        owner = self._owner(new)
        if owner is not None:
            self.queue.add(owner)


# ---------------------------------------------------------------- sync


def children(ctl: CronJobController, cj: Obj) -> list[Obj]:
    """Jobs whose controller reference names this CronJob (by name only, as getJobsToBeReconciled)."""
    name = cj["metadata"]["name"]
    return [j for j in ctl.informer.list(JOB) if (ref := controller_ref(j)) and ref["name"] == name]


def sync(ctl: CronJobController, key: str) -> float | None:
    """One sync; returns the requeue delay. Raises ApiError for a rate-limited retry."""
    # ref cronjob_controllerv2.go (sync)
    cached = ctl.informer.get(CRONJOB, key)
    if cached is None:
        return None
    jobs = children(ctl, cached)
    cj = clone(cached)
    cj.setdefault("status", {})
    cleaned = cleanup_finished_jobs(ctl, cj, jobs)
    requeue, changed, error = sync_cronjob(ctl, cj, jobs)
    if cleaned or changed:
        ctl.client.update_status(CRONJOB, cj)
    if requeue is not None:
        return requeue
    if error is not None:
        raise error
    return None


def _active(cj: Obj) -> list[Obj]:
    return cj["status"].setdefault("active", [])


def _drop_active(cj: Obj, uid: str) -> None:
    # ref utils.go (deleteFromActiveList)
    cj["status"]["active"] = [ref for ref in _active(cj) if ref["uid"] != uid]


def _delete_job(ctl: CronJobController, cj: Obj, job: Obj) -> bool:
    # ref cronjob_controllerv2.go (deleteJob): background propagation, then out of the active list
    try:
        ctl.client.delete(JOB, job["metadata"]["name"])
    except ApiError:
        ctl.events.append("FailedDelete")
        return False
    _drop_active(cj, job["metadata"]["uid"])
    ctl.events.append("SuccessfulDelete")
    return True


def remove_oldest_jobs(ctl: CronJobController, cj: Obj, jobs: list[Obj], limit: int) -> bool:
    # ref cronjob_controllerv2.go (removeOldestJobs)
    doomed = sorted(jobs, key=util.start_order)[: max(0, len(jobs) - limit)]
    return any([_delete_job(ctl, cj, job) for job in doomed])


def cleanup_finished_jobs(ctl: CronJobController, cj: Obj, jobs: list[Obj]) -> bool:
    # ref cronjob_controllerv2.go (cleanupFinishedJobs)
    spec = cj["spec"]
    changed = False
    for kind, field in (("Complete", "successfulJobsHistoryLimit"), ("Failed", "failedJobsHistoryLimit")):
        if spec.get(field) is not None:
            finished = [j for j in jobs if util.finished_type(j) == kind]
            changed = remove_oldest_jobs(ctl, cj, finished, spec[field]) or changed
    return changed


def _reconcile(ctl: CronJobController, cj: Obj, jobs: list[Obj]) -> tuple[Obj, bool]:
    """The first half of syncCronJob: status.active against the children, lastSuccessfulTime."""
    changed = False
    uids = {j["metadata"]["uid"] for j in jobs}
    # upstream scans the active list per child (inActiveList); a set keeps a CronJob that ran thousands
    # of Jobs (a mutant running every missed slot) linear
    active = {ref["uid"] for ref in _active(cj)}
    for job in jobs:
        uid, finished = job["metadata"]["uid"], util.finished_type(job)
        listed = uid in active
        if not listed and finished is None:
            fresh = ctl.client.get(CRONJOB, cj["metadata"]["name"])  # a live read before complaining
            if fresh is None:
                raise NotFound(f"cronjobs {cj['metadata']['name']!r} not found")
            if any(ref["uid"] == uid for ref in (fresh.get("status") or {}).get("active") or ()):
                cj = clone(fresh)
                cj.setdefault("status", {})
                active = {ref["uid"] for ref in _active(cj)}
                ctl.reread = fresh  # what the sync goes on from: traced (the snapshot lacks it)
                continue
            ctl.events.append("UnexpectedJob")
        elif finished is not None:
            if listed:
                _drop_active(cj, uid)
                active.discard(uid)
                ctl.events.append("SawCompletedJob")
                changed = True
            # in the same sync that drops it from the active list (not one sync later)
            done, last = util.completion_time(job), cj["status"].get("lastSuccessfulTime")
            if finished == "Complete" and done is not None and (last is None or done > util.parse_time(last)):
                cj["status"]["lastSuccessfulTime"] = job["status"]["completionTime"]
                changed = True
    for ref in list(_active(cj)):
        if ref["uid"] not in uids and ctl.client.get(JOB, ref["name"]) is None:
            _drop_active(cj, ref["uid"])  # confirmed missing by a live GET
            ctl.events.append("MissingJob")
            changed = True
    return cj, changed


def _schedule_of(ctl: CronJobController, cj: Obj) -> cron.CronSchedule | None:
    zone = cj["spec"].get("timeZone")
    if zone is not None and not util.load_zone(zone):
        ctl.events.append("UnknownTimeZone")
        return None
    try:
        return cron.parse(util.format_schedule(cj))
    except cron.BadSchedule:
        ctl.events.append("UnparseableSchedule")
        return None


def sync_cronjob(
    ctl: CronJobController, cj: Obj, jobs: list[Obj]
) -> tuple[float | None, bool, ApiError | None]:
    """(requeue delay, status changed, error); `cj` is updated in place."""
    # ref cronjob_controllerv2.go (syncCronJob)
    now = util.unix(ctl.clock.now)
    try:
        fresh, changed = _reconcile(ctl, cj, jobs)
    except ApiError as err:
        return None, False, err
    if fresh is not cj:  # the live read replaced the working copy
        cj.clear()
        cj.update(fresh)
    sched = None if is_deleting(cj) or cj["spec"].get("suspend") else _schedule_of(ctl, cj)
    if sched is None:
        return None, changed, None
    try:
        due = most_recent_due(ctl, cj, now, sched)
    except cron.BadSchedule:
        ctl.events.append("InvalidSchedule")
        return None, changed, None
    requeue = util.next_schedule_delay(cj, ctl.clock.now, sched)
    if due is None or skip_slot(ctl, cj, due, now):
        return requeue, changed, None
    if cj["spec"].get("concurrencyPolicy") == REPLACE and _active(cj):
        changed, error = True, replace_active_jobs(ctl, cj)
        if error is not None:
            return None, changed, error
    return start_job(ctl, cj, due, now, sched, changed)


def replace_active_jobs(ctl: CronJobController, cj: Obj) -> ApiError | None:
    """Replace: GET and delete every active Job (background propagation: its pods may still be terminating
    when the new Job starts); the first failure stops the sync."""
    for ref in list(_active(cj)):
        job = ctl.client.get(JOB, ref["name"])
        if job is None:
            ctl.events.append("FailedGet")
            return NotFound(f"jobs {ref['name']!r} not found")
        if not _delete_job(ctl, cj, job):
            return ApiError(f"could not replace job {ref['name']}")
    return None


def most_recent_due(ctl: CronJobController, cj: Obj, now: float, sched: cron.CronSchedule) -> float | None:
    # ref utils.go (nextScheduleTime)
    due = util.most_recent_schedule_time(cj, now, sched, with_deadline=True)
    if due.most_recent is None or due.most_recent > now:
        return None
    if due.missed == util.MANY:
        ctl.events.append("TooManyMissedTimes")
    return due.most_recent


def skip_slot(ctl: CronJobController, cj: Obj, due: float, now: float) -> bool:
    """Too late for startingDeadlineSeconds, already processed, or Forbid with a Job still active."""
    deadline = cj["spec"].get("startingDeadlineSeconds")
    if deadline is not None and due + deadline < now:
        ctl.events.append("MissSchedule")
        return True
    last = cj["status"].get("lastScheduleTime")
    name = util.job_name(cj, due)
    if any(ref["name"] == name for ref in _active(cj)) or (last and util.unix(util.parse_time(last)) == due):
        return True
    if cj["spec"].get("concurrencyPolicy") == FORBID and _active(cj):
        ctl.events.append("JobAlreadyActive")  # lastScheduleTime stays: the slot is deferred
        return True
    return False


def start_job(
    ctl: CronJobController, cj: Obj, due: float, now: float, sched: cron.CronSchedule, changed: bool
) -> tuple[float | None, bool, ApiError | None]:
    """Create the slot's Job (AlreadyExists: take ours into the active list), record it in the status."""
    try:
        job = ctl.client.create(JOB, util.job_from_template(cj, due))
        ctl.events.append("SuccessfulCreate")
    except AlreadyExists:
        ctl.client.note_failed("create", JOB, util.job_name(cj, due), "AlreadyExists")
        job = ctl.client.get(JOB, util.job_name(cj, due))
        ref = controller_ref(job) if job is not None else None
        if job is None:
            return None, changed, NotFound(f"jobs {util.job_name(cj, due)!r} not found")
        if ref is None or ref["uid"] != cj["metadata"]["uid"]:
            return None, changed, None  # not ours: its creator keeps the status
        if any(r["uid"] == job["metadata"]["uid"] for r in _active(cj)):
            return None, changed, None
    except ApiError as err:
        ctl.events.append("FailedCreate")
        return None, changed, err
    meta = job["metadata"]
    _active(cj).append(
        {"apiVersion": "batch/v1", "kind": JOB, "name": meta["name"], "namespace": meta.get("namespace"),
         "uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}
    )  # fmt: skip
    cj["status"]["lastScheduleTime"] = format_time(util.virtual(due))
    return util.next_schedule_delay(cj, ctl.clock.now, sched), True, None

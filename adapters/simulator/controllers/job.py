"""The Job controller (kube-controller-manager `job`, upstream v1.35), written from the upstream source.

Modelled: pods found through their controller ownerReference; finished pods counted once through the
`batch.kubernetes.io/job-tracking` finalizer, with in-memory finalizer-removal expectations so a stale cache
never counts a pod twice; NonIndexed and Indexed completion modes (lowest pending indexes first,
duplicate indexes removed, completedIndexes); the finish checks in upstream's order (kept interim
condition, backoffLimit with the OnFailure restart count, activeDeadlineSeconds, completions); the
SuccessCriteriaMet/FailureTarget -> Complete/Failed protocol, the terminal condition waiting for
terminating pods; manageJob (suspend, wantActive, deletions before creations, 500 per sync, the
Failed replacement policy holding back replacements of terminating pods); the exponential pod-failure
back-off (10 s doubling, capped at 10 min) kept in memory per Job, during which upstream reports
active 0; the Suspended condition and the startTime reset on resume; create/delete expectations.
Not modelled: podFailurePolicy, successPolicy, backoffLimitPerIndex (the adapter refuses such specs),
the 1 s pod-event batch period (pod events sync at once), slow-start creation batches, elastic Indexed
Jobs, managedBy, orphan adoption, events and metrics.
ref: pkg/controller/job/job_controller.go (syncJob, manageJob, trackJobStatusAndRemoveFinalizers,
deleteJobPods, deleteActivePods, pastBackoffLimitOnFailure, pastActiveDeadline, isPodFailed),
pkg/controller/job/backoff_utils.go, pkg/controller/job/indexed_job_utils.go
"""

from __future__ import annotations

from kubeprops.adapters.kube_objects import format_time, parse_time

from ..client import Client
from ..clock import Clock, quantize
from ..informer import Informer
from ..objects import JOB, POD, Obj, clone, controller_uid, is_deleting
from ..store import ADDED, DELETED, ApiError
from . import common, job_status
from . import job_pods as pods_util
from .workqueue import Expectations, WorkQueue

MAX_PER_SYNC = 500  # MaxPodCreateDeletePerSync
DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600.0  # MaxJobPodFailureBackOff: the code's cap, not the documentation's six minutes
COMPLETE, FAILED = "Complete", "Failed"
SUCCESS_CRITERIA_MET, FAILURE_TARGET = job_status.SUCCESS_CRITERIA_MET, job_status.FAILURE_TARGET
MESSAGES = {
    "BackoffLimitExceeded": "Job has reached the specified backoff limit",
    "DeadlineExceeded": "Job was active longer than specified deadline",
    "CompletionsReached": "Reached expected number of succeeded pods",
}


class JobController:
    name = "job"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self.expectations = Expectations(clock)
        # key -> (failures after the last success, time of the latest failure), in memory as upstream
        self.backoff: dict[str, tuple[int, float | None]] = {}
        self.removing: dict[str, set[str]] = {}  # key -> uids whose tracking finalizer we are removing
        self.written: dict[str, int] = {}  # key -> resourceVersion of our last status write
        informer.add_handler(JOB, self._on_job)
        informer.add_handler(POD, self._on_pod)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        try:
            requeue = sync_job(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            return
        self.queue.forget(key)
        if requeue is not None:
            self.queue.add_after(key, requeue)

    # ------------------------------------------------------------ event handlers

    def _on_job(self, type_: str, old: Obj | None, new: Obj) -> None:
        key = new["metadata"]["name"]
        if type_ == DELETED:
            self.expectations.delete(key)
            for store in (self.backoff, self.removing, self.written):
                store.pop(key, None)
        self.queue.add(key)

    def _owner_key(self, pod: Obj) -> str | None:
        uid = controller_uid(pod)
        for job in self.informer.list(JOB) if uid else ():
            if job["metadata"]["uid"] == uid:
                return job["metadata"]["name"]
        return None

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        key = self._owner_key(new)
        if key is None:
            return
        name, uid = new["metadata"]["name"], new["metadata"]["uid"]
        if type_ == ADDED and not is_deleting(new):
            self.expectations.creation_observed(key)
        elif type_ == DELETED or (is_deleting(new) and (old is None or not is_deleting(old))):
            self.expectations.deletion_observed(key, name)
        if type_ == DELETED or not pods_util.has_tracking_finalizer(new):
            self.removing.get(key, set()).discard(uid)
        self.queue.add(key)


# ---------------------------------------------------------------- sync


def is_finished(job: Obj) -> bool:
    return any(
        c["type"] in (COMPLETE, FAILED) and c["status"] == "True"
        for c in (job.get("status") or {}).get("conditions") or ()
    )


def sync_job(ctl: JobController, key: str) -> float | None:
    """One syncJob; returns the delay after which it wants to run again (None: on events only)."""
    job = ctl.informer.get(JOB, key)
    if job is None or is_finished(job):
        return None
    if int(job["metadata"]["resourceVersion"]) < ctl.written.get(key, 0):
        return None  # our own newer status write is on its way: its event syncs again
    now = ctl.clock.now
    pods = [p for p in ctl.informer.list(POD) if controller_uid(p) == job["metadata"]["uid"]]
    status = clone(job.get("status") or {})
    if status.get("startTime") is None and not job["spec"].get("suspend"):
        status["startTime"] = format_time(now)
    new_succeeded, new_failed, succeeded_indexes, succeeded, failed = count_finished(
        ctl, key, job, pods, status
    )
    record = new_backoff_record(ctl.backoff.get(key, (0, None)), new_succeeded, new_failed)
    active = [p for p in pods if common.is_pod_active(p)]
    terminating = sum(1 for p in pods if common.is_pod_terminating(p))
    finish = interim_condition(status) or failure_reason(job, status, failed, active, now)
    requeue = deadline_requeue(job, status, now) if finish is None else None
    finalizers_off = [*new_succeeded, *new_failed]
    removed: set[str] = set()
    if finish is not None:
        delete_active_pods(ctl, key, active)  # finalizers kept: every running pod counts as failed
        failed += sum(1 for p in active if pods_util.in_range(job, p))
        finalizers_off += active
        terminating += len(active)
        active_count = 0
    else:
        managed = ctl.expectations.satisfied(key) and not is_deleting(job)
        active_count, wait = len(active), None
        if managed:
            active_count, wait, removed = manage_job(
                ctl, key, job, pods, active, succeeded, succeeded_indexes, record
            )
            terminating += len(removed)
        requeue = min((d for d in (requeue, wait) if d is not None), default=None)
        if is_complete(job, succeeded, active_count):
            finish = (True, "CompletionsReached", MESSAGES["CompletionsReached"])
        elif managed:
            job_status.update_suspended(job, status, now)
    status.update(
        active=active_count,
        ready=sum(1 for p in active if common.is_pod_ready(p) and p["metadata"]["name"] not in removed)
        if finish is None or finish[0]
        else 0,
        succeeded=succeeded,
        failed=failed,
        terminating=terminating,
        uncountedTerminatedPods={},
    )
    if succeeded_indexes is not None:
        status["completedIndexes"] = pods_util.format_indexes(succeeded_indexes)
    if finish is not None:
        job_status.set_finish_conditions(status, finish, terminating, now)
    ctl.written[key] = job_status.write_status(ctl.client, job, status)
    ctl.backoff[key] = record
    remove_tracking_finalizers(ctl, key, finalizers_off)
    return requeue


def count_finished(
    ctl: JobController, key: str, job: Obj, pods: list[Obj], status: Obj
) -> tuple[list[Obj], list[Obj], set[int] | None, int, int]:
    """The pods that finished since the last count (tracking finalizer still on, removal not yet asked),
    and the counters with them: (new succeeded, new failed, succeeded indexes, succeeded, failed)."""
    removing = ctl.removing.setdefault(key, set())
    tracked = [
        p for p in pods if pods_util.has_tracking_finalizer(p) and p["metadata"]["uid"] not in removing
    ]
    new_succeeded = [p for p in tracked if common.pod_phase(p) == "Succeeded"]
    new_failed = [p for p in tracked if common.pod_phase(p) != "Succeeded" and is_pod_failed(job, p)]
    indexes = pods_util.succeeded_indexes(job, status, new_succeeded)
    succeeded = len(indexes) if indexes is not None else status.get("succeeded", 0) + len(new_succeeded)
    failed = status.get("failed", 0) + sum(1 for p in new_failed if pods_util.in_range(job, p))
    return new_succeeded, new_failed, indexes, succeeded, failed


def is_pod_failed(job: Obj, pod: Obj) -> bool:
    """Failed, or (podReplacementPolicy TerminatingOrFailed) deleted before it succeeded."""
    if common.pod_phase(pod) == "Failed":
        return True
    if job["spec"].get("podReplacementPolicy") == "Failed":
        return False
    return is_deleting(pod) and common.pod_phase(pod) != "Succeeded"


def interim_condition(status: Obj) -> tuple[bool, str, str] | None:
    """A SuccessCriteriaMet / FailureTarget written by an earlier sync decides the outcome."""
    for cond in status.get("conditions") or ():
        if cond["type"] in (SUCCESS_CRITERIA_MET, FAILURE_TARGET) and cond["status"] == "True":
            return cond["type"] == SUCCESS_CRITERIA_MET, cond.get("reason", ""), cond.get("message", "")
    return None


def exceeds_backoff_limit(job: Obj, failed: int) -> bool:
    return failed > job["spec"].get("backoffLimit", 6)


def past_backoff_limit_on_failure(job: Obj, active: list[Obj]) -> bool:
    """OnFailure: container restarts of the Pending/Running pods reach backoffLimit (any, for 0)."""
    spec = job["spec"]
    if spec["template"]["spec"].get("restartPolicy") != "OnFailure":
        return False
    restarts = sum(
        pods_util.restart_count(p) for p in active if common.pod_phase(p) in ("Pending", "Running")
    )
    limit = spec.get("backoffLimit", 6)
    return restarts > 0 if limit == 0 else restarts >= limit


def past_active_deadline(job: Obj, status: Obj, now: float) -> bool:
    ads = job["spec"].get("activeDeadlineSeconds")
    if ads is None or status.get("startTime") is None or job["spec"].get("suspend"):
        return False
    # on the clock's nanosecond grid: with a fractional startTime (a CronJob's child starts at slot + 0.1 s)
    # the float difference can fall short of ads by 1e-12 at the very instant the requeue fires
    return quantize(now - parse_time(status["startTime"])) >= ads


def failure_reason(
    job: Obj, status: Obj, failed: int, active: list[Obj], now: float
) -> tuple[bool, str, str] | None:
    reason = None
    if exceeds_backoff_limit(job, failed) or past_backoff_limit_on_failure(job, active):
        reason = "BackoffLimitExceeded"
    elif past_active_deadline(job, status, now):
        reason = "DeadlineExceeded"
    return (False, reason, MESSAGES[reason]) if reason else None


def deadline_requeue(job: Obj, status: Obj, now: float) -> float | None:
    ads = job["spec"].get("activeDeadlineSeconds")
    if ads is None or status.get("startTime") is None or job["spec"].get("suspend"):
        return None
    return max(0.0, quantize(parse_time(status["startTime"]) + ads - now))


def is_complete(job: Obj, succeeded: int, active: int) -> bool:
    completions = job["spec"].get("completions")
    if completions is None:
        return succeeded > 0 and active == 0
    return succeeded >= completions and active == 0


# ---------------------------------------------------------------- back-off


def new_backoff_record(
    record: tuple[int, float | None], succeeded: list[Obj], failed: list[Obj]
) -> tuple[int, float | None]:
    """Failures after the latest success and the latest failure time (backoff_utils.go newBackoffRecord)."""
    failures = sorted(pods_util.finished_time(p) for p in failed)
    if not succeeded:
        return (record[0] + len(failures), failures[-1]) if failures else record
    last_success = max(pods_util.finished_time(p) for p in succeeded)
    later = [t for t in failures if t > last_success]
    return (len(later), later[-1] if later else None)


def backoff_duration(failures: int) -> float:
    duration = DEFAULT_BACKOFF
    for _ in range(1, failures):
        duration *= 2
        if duration >= MAX_BACKOFF:
            return MAX_BACKOFF
    return duration


def backoff_remaining(record: tuple[int, float | None], now: float) -> float:
    failures, last = record
    if failures == 0 or last is None:
        return 0.0
    duration, elapsed = backoff_duration(failures), now - last
    return 0.0 if duration < elapsed else duration - elapsed


# ---------------------------------------------------------------- manageJob


def is_suspended(job: Obj) -> bool:
    return bool(job["spec"].get("suspend"))


def want_active(job: Obj, succeeded: int, active: int) -> int:
    spec = job["spec"]
    parallelism, completions = spec.get("parallelism", 1), spec.get("completions")
    if completions is None:  # a work queue: no new pods once one succeeded
        return active if succeeded > 0 else parallelism
    return max(0, min(completions - succeeded, parallelism))


def manage_job(
    ctl: JobController,
    key: str,
    job: Obj,
    pods: list[Obj],
    active: list[Obj],
    succeeded: int,
    succeeded_indexes: set[int] | None,
    record: tuple[int, float | None],
) -> tuple[int, float | None, set[str]]:
    """Returns (active as the status reports it, requeue delay, names of the pods deleted)."""
    suspended = is_suspended(job)
    want = 0 if suspended else want_active(job, succeeded, len(active))
    doomed = pods_util.pods_for_removal(job, active, max(0, len(active) - want))
    if not suspended:
        doomed = doomed[:MAX_PER_SYNC]  # a suspended Job's pods all go at once
    if doomed:
        ctl.expectations.expect_deletions(key, [p["metadata"]["name"] for p in doomed])
        removed = delete_job_pods(ctl, key, doomed)
        return len(active) - len(removed), None, removed
    terminating = 0
    if job["spec"].get("podReplacementPolicy") == "Failed":
        terminating = sum(1 for p in pods if common.is_pod_terminating(p))
    diff = min(want - terminating - len(active), MAX_PER_SYNC)
    if diff <= 0:
        return len(active), None, set()
    wait = backoff_remaining(record, ctl.clock.now)
    if wait > 0:
        return 0, wait, set()  # upstream's manageJob returns 0 active while it waits out the back-off
    indexes: list[int | None] = [None] * diff
    if succeeded_indexes is not None:
        indexes = list(pods_util.pending_indexes(job, pods, succeeded_indexes, diff))
    ctl.expectations.expect_creations(key, len(indexes))
    created = 0
    for index in indexes:
        try:
            ctl.client.create(POD, pods_util.pod_from_job(job, index))
            created += 1
        except ApiError:
            ctl.expectations.creation_observed(key)
    return len(active) + created, None, set()


def delete_job_pods(ctl: JobController, key: str, pods: list[Obj]) -> set[str]:
    """Remove the tracking finalizer first, then delete: these pods are never counted (deleteJobPods)."""
    removed = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        try:
            strip_tracking_finalizer(ctl, pod)
            ctl.client.delete(POD, name, uid=pod["metadata"]["uid"])
            removed.add(name)
        except ApiError:
            ctl.expectations.deletion_observed(key, name)
    return removed


def delete_active_pods(ctl: JobController, key: str, pods: list[Obj]) -> None:
    """Delete keeping finalizers: the finished Job counts them as failed (deleteActivePods)."""
    for pod in pods:
        try:
            ctl.client.delete(POD, pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        except ApiError:
            continue


def strip_tracking_finalizer(ctl: JobController, pod: Obj) -> bool:
    """A JSON patch upstream: read the pod fresh so a stale cache does not make it conflict."""
    current = ctl.client.get(POD, pod["metadata"]["name"])
    if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
        return False
    if not pods_util.has_tracking_finalizer(current):
        return False
    ctl.client.update(POD, pods_util.without_tracking_finalizer(current))
    return True


def remove_tracking_finalizers(ctl: JobController, key: str, pods: list[Obj]) -> None:
    removing = ctl.removing.setdefault(key, set())
    for pod in pods:
        removing.add(pod["metadata"]["uid"])  # before the write: its event may be delivered at once
        if not strip_tracking_finalizer(ctl, pod):
            removing.discard(pod["metadata"]["uid"])

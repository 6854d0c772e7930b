"""The Job controller (kube-controller-manager `job`, upstream v1.35), written from the upstream source.

Modelled: pods claimed as upstream's getPodsForJob does: the Job's pods and the orphans, by the generated
selector (`batch.kubernetes.io/controller-uid`): matching orphans adopted with the tracking finalizer,
pods whose labels stopped matching released without it (in `claim`); finished pods counted once through the
`batch.kubernetes.io/job-tracking` finalizer, with in-memory finalizer-removal expectations so a stale cache
never counts a pod twice; NonIndexed and Indexed completion modes (lowest pending indexes first,
duplicate indexes removed, completedIndexes); the finish checks in upstream's order (kept interim
condition, backoffLimit with the OnFailure restart count, activeDeadlineSeconds, completions); the
SuccessCriteriaMet/FailureTarget -> Complete/Failed protocol, the terminal condition waiting for
terminating pods; manageJob (suspend, wantActive, deletions before creations, 500 per sync, the
Failed replacement policy holding back replacements of terminating pods, slow-start creation batches that
stop at the first failed one, API errors returned after the status write); a finish not declared while
expectations are unsatisfied or an active pod could not be deleted; the exponential pod-failure
back-off (10 s doubling, capped at 10 min) kept in memory per Job, during which upstream reports
active 0; the Suspended condition and the startTime reset on resume; create/delete expectations.
podFailurePolicy, successPolicy and backoffLimitPerIndex (in `job_policies`) with their finish reasons
(PodFailurePolicy, MaxFailedIndexesExceeded, FailedIndexes before SuccessPolicy), failedIndexes.
Orphan pods (their Job deleted, e.g. by the garbage collector after its CronJob went) lose the tracking
finalizer, so their deletion completes (deleteJob -> cleanupPodFinalizers, deletePod, syncOrphanPod); they
go through the Job queue under an `orphan-pod/` key instead of upstream's separate orphanQueue and worker.
Work-queue timing as upstream's enqueue helpers: Job creation, deletion and spec changes (a new generation)
sync at once; every pod event and a status-only Job update (our own writes) sync after the 1 s batch period
(a key already waiting keeps its earlier time, see `WorkQueue.add_after`), so pod changes within a second
are seen by one sync; a finished Job's updates sync nothing; the back-off requeue waits at least 1 s; a
sync that fails on an API error is retried after the Job queue's own back-off (1 s doubling to 1 min).
Not modelled: elastic Indexed Jobs, managedBy, the orphan-pod path for pods of a finished
Job (its sync removed their finalizers), events and metrics.
ref: pkg/controller/job/job_controller.go (syncJob, manageJob, trackJobStatusAndRemoveFinalizers,
deleteJobPods, deleteActivePods, pastBackoffLimitOnFailure, pastActiveDeadline, isPodFailed, deleteJob,
cleanupPodFinalizers, deletePod, syncOrphanPod, getPodsForJob, getPodJobs),
pkg/controller/job/backoff_utils.go, pkg/controller/job/indexed_job_utils.go;
job_controller.go@v1.35.4 (addPod, updatePod, deletePod, addJob, updateJob, deleteJob,
enqueueSyncJobImmediately, enqueueSyncJobBatched, enqueueSyncJobWithDelay, SyncJobBatchPeriod)
"""

from __future__ import annotations

from kubeprops.adapters.kube_objects import format_time, parse_time
from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER

from ..client import Client
from ..clock import Clock, quantize
from ..informer import Informer
from ..objects import (
    JOB,
    POD,
    Obj,
    clone,
    controller_ref,
    controller_uid,
    is_deleting,
    labels_of,
    selector_matches,
)
from ..store import ADDED, DELETED, ApiError
from ..tracing import OpenSync, SyncTracer
from . import common, job_status
from . import job_backoff as backoff
from . import job_manage as manage
from . import job_pods as pods_util
from . import job_policies as policies
from .claim import claim
from .workqueue import JOB_RATE_LIMITER, Expectations, WorkQueue

COMPLETE, FAILED = "Complete", "Failed"
SYNC_JOB_BATCH_PERIOD = 1.0  # ref job_controller.go@v1.35.4 (SyncJobBatchPeriod = time.Second)
ORPHAN_POD = "orphan-pod/"  # queue keys of orphan pods whose finalizer is to go (no Job name has "/")
SUCCESS_CRITERIA_MET, FAILURE_TARGET = job_status.SUCCESS_CRITERIA_MET, job_status.FAILURE_TARGET
MESSAGES = {
    "BackoffLimitExceeded": "Job has reached the specified backoff limit",
    "DeadlineExceeded": "Job was active longer than specified deadline",
    "CompletionsReached": "Reached expected number of succeeded pods",
    "MaxFailedIndexesExceeded": "Job has exceeded the specified maximal number of failed indexes",
    "FailedIndexes": "Job has failed indexes",
}


class JobController:
    name = "job"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name, JOB_RATE_LIMITER)
        self.expectations = Expectations(clock)
        # key -> (failures after the last success, time of the latest failure), in memory as upstream
        self.backoff: dict[str, tuple[int, float | None]] = {}
        self.removing: dict[str, set[str]] = {}  # key -> uids whose tracking finalizer we are removing
        self.written: dict[str, int] = {}  # key -> resourceVersion of our last status write
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        # API errors manageJob met in the current sync: returned after the status write (rate-limited retry)
        self.sync_errors: list[ApiError] = []
        informer.add_handler(JOB, self._on_job)
        informer.add_handler(POD, self._on_pod)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        if key.startswith(ORPHAN_POD):
            self._run_orphan(key)
            return
        # a sync skipped for our own status write still on its way decides nothing: not traced
        traced = self.tracer and not awaits_own_write(self, key) and self._begin_trace(key)
        try:
            requeue = sync_job(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            self.queue.forget(key)
            completed = True
            if requeue is not None:
                self.queue.add_after(key, requeue)
        if self.tracer and traced:
            self.tracer.end(traced, completed)

    def _begin_trace(self, key: str) -> OpenSync:
        assert self.tracer is not None
        return self.tracer.begin(
            JOB,
            key,
            self.informer,
            self.expectations.satisfied(key),
            job_backoff=self.backoff.get(key, (0, None)),
            finalizer_removals=tuple(sorted(self.removing.get(key, ()))),
        )

    def _run_orphan(self, key: str) -> None:
        try:
            sync_orphan_pod(self, key.removeprefix(ORPHAN_POD))
        except ApiError:
            self.queue.add_rate_limited(key)
        else:
            self.queue.forget(key)

    # ------------------------------------------------------------ event handlers

    def _on_job(self, type_: str, old: Obj | None, new: Obj) -> None:
        key = new["metadata"]["name"]
        if type_ == DELETED:
            self.expectations.delete(key)
            for store in (self.backoff, self.removing, self.written):
                store.pop(key, None)
            self._cleanup_pod_finalizers(new)
        if type_ != ADDED and type_ != DELETED:
            self._job_updated(old, new)
            return
        self.queue.add(key)  # addJob, deleteJob: enqueueSyncJobImmediately

    def _job_updated(self, old: Obj | None, new: Obj) -> None:
        """updateJob: a finished Job is not synced; a spec change (new generation) syncs at once, a
        status-only write (ours, after each sync that changed something) after the batch period; a
        changed activeDeadlineSeconds re-syncs when the new deadline passes."""
        # ref job_controller.go@v1.35.4 (updateJob)
        if is_finished(new):
            return  # upstream only queues its orphan-pod cleanup (enqueueLabelSelector)
        key, generation = new["metadata"]["name"], new["metadata"].get("generation")
        if old is not None and generation == old["metadata"].get("generation"):
            self.queue.add_after(key, SYNC_JOB_BATCH_PERIOD)
        else:
            self.queue.add(key)
        start, ads = (new.get("status") or {}).get("startTime"), new["spec"].get("activeDeadlineSeconds")
        if start is None or ads is None:
            return
        if old is None or old["spec"].get("activeDeadlineSeconds") != ads:
            self.queue.add_after(key, parse_time(start) + ads - self.clock.now)

    def _cleanup_pod_finalizers(self, job: Obj) -> None:
        """A deleted Job's pods that still hold the tracking finalizer are orphans to clean up."""
        # ref job_controller.go (deleteJob, cleanupPodFinalizers)
        uid = job["metadata"]["uid"]
        for pod in self.informer.list(POD):
            if controller_uid(pod) == uid and pods_util.has_tracking_finalizer(pod):
                self.queue.add(ORPHAN_POD + pod["metadata"]["name"])

    def _owner_key(self, pod: Obj) -> str | None:
        uid = controller_uid(pod)
        for job in self.informer.list(JOB) if uid else ():
            if job["metadata"]["uid"] == uid:
                return job["metadata"]["name"]
        return None

    def _wake_claimants(self, type_: str, old: Obj | None, new: Obj) -> None:
        """A pod without a controller: its former Job, and every Job whose selector matches it when it
        is new or its labels or controller changed, sync after the batch period (to adopt it)."""
        # ref job_controller.go@v1.35.4 (addPod, updatePod: getPodJobs, enqueueSyncJobBatched)
        former = self._owner_key(old) if old is not None else None
        if former is not None:
            self.queue.add_after(former, SYNC_JOB_BATCH_PERIOD)
        changed = old is None or labels_of(old) != labels_of(new) or controller_ref(old) is not None
        if type_ == DELETED or not changed:
            return
        for job in self.informer.list(JOB):
            if selector_matches(pods_util.job_selector(job), labels_of(new)):
                self.queue.add_after(job["metadata"]["name"], SYNC_JOB_BATCH_PERIOD)

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        key = self._owner_key(new)
        if key is None:
            # no Job of ours controls it: without a controllerRef, or deleted while its Job is gone, an
            # orphan whose finalizer nobody else removes (addPod, updatePod, deletePod)
            gone = type_ == DELETED or is_deleting(new) or controller_ref(new) is None
            if gone and pods_util.has_tracking_finalizer(new):
                self.queue.add(ORPHAN_POD + new["metadata"]["name"])
            if controller_ref(new) is None:
                self._wake_claimants(type_, old, new)
            return
        name, uid = new["metadata"]["name"], new["metadata"]["uid"]
        if type_ == ADDED and not is_deleting(new):
            self.expectations.creation_observed(key)
        elif type_ == DELETED or (is_deleting(new) and (old is None or not is_deleting(old))):
            self.expectations.deletion_observed(key, name)
        if type_ == DELETED or not pods_util.has_tracking_finalizer(new):
            self.removing.get(key, set()).discard(uid)
        # every pod event of a Job's pod syncs it after the batch period (addPod, updatePod, deletePod)
        self.queue.add_after(key, SYNC_JOB_BATCH_PERIOD)


# ---------------------------------------------------------------- sync


def sync_orphan_pod(ctl: JobController, name: str) -> None:
    """Remove the tracking finalizer of a pod no running Job controls (any more)."""
    # ref job_controller.go (syncOrphanPod)
    pod = ctl.informer.get(POD, name)
    if pod is None:
        return
    ref = controller_ref(pod)
    if ref is not None:
        if ref.get("kind") != JOB:
            return  # controlled by something else: not ours to touch
        job = ctl.informer.get(JOB, ref["name"])
        if job is not None and job["metadata"]["uid"] == ref["uid"] and not is_finished(job):
            return  # its Job is back in the cache (adopted): the Job's sync counts it
    manage.strip_tracking_finalizer(ctl, pod)


def get_pods_for_job(ctl: JobController, job: Obj) -> list[Obj]:
    """The Job's pods after its claim: its own and the orphans (finished ones too), adopted by its
    selector with the tracking finalizer; its pods whose labels stopped matching released without it."""
    # ref job_controller.go@v1.35.4 (getPodsForJob: FilterPodsByOwner(..., true), RecheckDeletionTimestamp,
    # NewPodControllerRefManager(..., batch.JobTrackingFinalizer), ClaimPods)
    candidates = ctl.informer.controlled_by(POD, job["metadata"]["uid"]) + ctl.informer.controlled_by(POD, "")
    selector = pods_util.job_selector(job)
    return claim(ctl.client, job, JOB, POD, selector, candidates, JOB_TRACKING_FINALIZER)


def is_finished(job: Obj) -> bool:
    return any(
        c["type"] in (COMPLETE, FAILED) and c["status"] == "True"
        for c in (job.get("status") or {}).get("conditions") or ()
    )


def awaits_own_write(ctl: JobController, key: str) -> bool:
    """Our own newer status write is not in the cache yet: its event syncs again."""
    job = ctl.informer.get(JOB, key)
    return job is not None and int(job["metadata"]["resourceVersion"]) < ctl.written.get(key, 0)


def sync_job(ctl: JobController, key: str) -> float | None:
    """One syncJob; returns the delay after which it wants to run again (None: on events only)."""
    job = ctl.informer.get(JOB, key)
    if job is None or is_finished(job) or awaits_own_write(ctl, key):
        return None
    now, ctl.sync_errors = ctl.clock.now, []
    satisfied = ctl.expectations.satisfied(key)
    pods = get_pods_for_job(ctl, job)
    status = clone(job.get("status") or {})
    if status.get("startTime") is None and not job["spec"].get("suspend"):
        status["startTime"] = format_time(now)
    tally = count_finished(ctl, key, job, pods, status)
    record = backoff.new_backoff_record(
        ctl.backoff.get(key, (0, None)), tally.new_succeeded, tally.new_failed
    )
    active, terminating = active_and_terminating(pods)
    finish = interim_condition(status) or failure_reason(job, status, tally, pods, active, now)
    requeue = deadline_requeue(job, status, now) if finish is None else None
    finish = finish or success_policy(job, tally)
    if finish is None and tally.failed_indexes is not None:  # canRemoveFinalizer: none held once finished
        tally.held = policies.delayed_per_index(
            job, tally.new_failed, active, tally.done or set(), tally.failed_indexes
        )
    held = {p["metadata"]["uid"] for p in tally.held.values()}
    failed = status.get("failed", 0) + sum(1 for p in tally.counted(job) if p["metadata"]["uid"] not in held)
    finalizers_off = [
        *tally.new_succeeded,
        *(p for p in tally.new_failed if p["metadata"]["uid"] not in held),
    ]
    removed: set[str] = set()
    if finish is not None:
        # finalizers kept: counted (failed, unless it succeeded) now
        deleted = manage.delete_active_pods(ctl, key, active)
        removed = {p["metadata"]["name"] for p in deleted}
        if len(deleted) < len(active) or not satisfied:
            finish = None  # pods it has not seen may exist: not declared finished yet (syncJob)
        else:
            if not finish[0]:
                failed += sum(1 for p in active if pods_util.in_range(job, p) and policies.counts(job, p))
            finalizers_off += active
        terminating += len(deleted)
        active_count = len(active) - len(deleted)
    else:
        managed = satisfied and not is_deleting(job)
        active_count, wait = len(active), None
        if managed:
            active_count, wait, removed = manage.manage_job(ctl, key, job, pods, active, tally, record)
            wait = None if wait is None else max(wait, SYNC_JOB_BATCH_PERIOD)  # enqueueSyncJobWithDelay
            terminating += len(removed)
        requeue = min((d for d in (requeue, wait) if d is not None), default=None)
        if is_complete(job, tally.succeeded, active_count):
            finish = (True, "CompletionsReached", MESSAGES["CompletionsReached"])
        elif managed:
            job_status.update_suspended(job, status, now)
    status.update(
        active=active_count,
        ready=sum(1 for p in active if common.is_pod_ready(p) and p["metadata"]["name"] not in removed),
        succeeded=tally.succeeded,
        failed=failed,
        terminating=terminating,
        uncountedTerminatedPods={},
    )
    if tally.done is not None:
        status["completedIndexes"] = pods_util.format_indexes(tally.done)
    if tally.failed_indexes is not None:
        status["failedIndexes"] = pods_util.format_indexes(tally.failed_indexes)
    if finish is not None:
        job_status.set_finish_conditions(status, finish, terminating, now)
    ctl.written[key] = job_status.write_status(ctl.client, job, status)
    ctl.backoff[key] = record
    manage.remove_tracking_finalizers(ctl, key, finalizers_off)
    if ctl.sync_errors:
        raise ctl.sync_errors[0]  # syncJob returns manageJobErr after the status write
    return requeue


def active_and_terminating(pods: list[Obj]) -> tuple[list[Obj], int]:
    """IsPodActive and IsPodTerminating in one walk (a Job of many completions keeps every finished pod)."""
    active, terminating = [], 0
    for pod in pods:
        if common.pod_phase(pod) in common.TERMINAL:
            continue
        if pod["metadata"].get("deletionTimestamp"):
            terminating += 1
        else:
            active.append(pod)
    return active, terminating


def count_finished(ctl: JobController, key: str, job: Obj, pods: list[Obj], status: Obj) -> policies.Tally:
    removing = ctl.removing.setdefault(key, set())
    tracked = [
        p for p in pods if pods_util.has_tracking_finalizer(p) and p["metadata"]["uid"] not in removing
    ]
    new_succeeded = [p for p in tracked if common.pod_phase(p) == "Succeeded"]
    new_failed = [p for p in tracked if common.pod_phase(p) != "Succeeded" and is_pod_failed(job, p)]
    done = pods_util.succeeded_indexes(job, status, new_succeeded)
    succeeded = len(done) if done is not None else status.get("succeeded", 0) + len(new_succeeded)
    tally = policies.Tally(
        new_succeeded, new_failed, done, policies.failed_indexes(job, status, new_failed), succeeded, 0
    )
    tally.failed = status.get("failed", 0) + len(tally.counted(job))
    return tally


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
    job: Obj, status: Obj, tally: policies.Tally, pods: list[Obj], active: list[Obj], now: float
) -> tuple[bool, str, str] | None:
    """syncJob's failure checks in order: a FailJob rule, backoffLimit, the deadline, then the
    backoffLimitPerIndex ones (maxFailedIndexes, every index finished with one failed)."""
    failed_pods = (p for p in pods if is_pod_failed(job, p))  # walked only with a podFailurePolicy
    message = policies.fail_job_message(job, failed_pods)
    if message is not None:
        return (False, "PodFailurePolicy", message)
    reason = None
    if exceeds_backoff_limit(job, tally.failed) or past_backoff_limit_on_failure(job, active):
        reason = "BackoffLimitExceeded"
    elif past_active_deadline(job, status, now):
        reason = "DeadlineExceeded"
    else:
        reason = policies.per_index_failure(job, tally.done or set(), tally.failed_indexes)
    return (False, reason, MESSAGES[reason]) if reason else None


def success_policy(job: Obj, tally: policies.Tally) -> tuple[bool, str, str] | None:
    message = policies.success_policy_message(job, tally.done) if tally.done is not None else None
    return (True, "SuccessPolicy", message) if message is not None else None


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

"""The Job controller, as a pure function of one snapshot: `job_sync` (fact sheet 5.2-5.9).

Release: upstream v1.35.4 (all Job gates of fact-sheet section 7 GA or beta-on: podFailurePolicy,
backoffLimitPerIndex, successPolicy, podReplacementPolicy with status.terminating, managedBy, delayed
terminal conditions).

Modelled: defaults (in `kubeprops.scenario.batch.JobSpec`); claimed pods are the Job's pods (the claim,
adoption and release, is `batch_world`'s); finished pods
counted exactly once through the tracking finalizer; the finish decision in upstream's order
(SuccessCriteriaMet / FailureTarget kept, podFailurePolicy FailJob, backoffLimit with the Never/OnFailure
asymmetry, activeDeadlineSeconds, backoffLimitPerIndex, successPolicy, completions); the interim ->
terminal condition protocol with completionTime; manageJob (suspend, wantActive, deletions before
creations, lowest pending indexes, terminating pods held back under the Failed replacement policy, 500 per
sync); global and per-index back-off; Suspended condition and startTime reset on resume; the re-sync times,
the back-off one at least the 1 s batch period (the other enqueue timings are `batch_world`'s);
TTL-after-finished (`ttl_expired_at`).

Not modelled: API errors and, in `batch_world`, expectations (`job_sync(expectations_satisfied=False)` is
for the PER-SYNC checks; the world's writes all succeed and are visible to the next sync, so
`uncountedTerminatedPods` is always flushed within the sync and the status written at its end shows it
empty); slow-start batch sizes (the count per sync is exact); elastic Indexed Jobs; the
job-index-ignore-count annotation (per-index back-off counts counted failures only); nodes (every pod
counts as assigned for the deletion order); ties in the deletion order (upstream's sort is unstable; the
model breaks ties by pod name); restart counts of init containers; Ready transition times.

refs kubernetes/kubernetes:pkg/controller/job/job_controller.go (syncJob, manageJob, getNewFinishedPods,
isPodFailed, onlyReplaceFailedPods, pastBackoffLimitOnFailure, pastActiveDeadline, activePodsForRemoval,
trackJobStatusAndRemoveFinalizers, enactJobFinished, newFailureCondition, newSuccessCondition,
ensureJobConditionStatus, getPodCreationInfoForIndependentIndexes, getNewIndexFailureCounts,
MaxPodCreateDeletePerSync), pkg/controller/job/indexed_job_utils.go (calculateSucceededIndexes,
calculateFailedIndexes, isIndexFailed, appendDuplicatedIndexPodsForRemoval),
kubernetes/kubernetes:pkg/controller/ttlafterfinished/ttlafterfinished_controller.go (timeLeft, jobFinishTime)
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.batch import (
    BACKOFF_LIMIT_EXCEEDED,
    COMPLETE,
    COMPLETIONS_REACHED,
    DEADLINE_EXCEEDED,
    FAILED,
    FAILED_CONDITION,
    FAILED_INDEXES,
    FAILURE_TARGET,
    MAX_FAILED_INDEXES_EXCEEDED,
    ON_FAILURE,
    POD_FAILURE_POLICY,
    SUCCESS_CRITERIA_MET,
    SUCCESS_POLICY,
    SUSPENDED,
    JobPodView,
    JobSpec,
    JobStatus,
    JobView,
)
from kubeprops.scenario.view import Condition

from . import job_backoff as backoff
from . import job_policies as policies
from .job_indexes import first_pending_indexes, format_indexes, parse_indexes

MAX_POD_CREATE_DELETE_PER_SYNC = 500  # ref job_controller.go (MaxPodCreateDeletePerSync)
SYNC_JOB_BATCH_PERIOD = 1.0  # ref job_controller.go@v1.35.4 (SyncJobBatchPeriod = time.Second)
JOB_CONTROLLER_NAME = "kubernetes.io/job-controller"  # ref batch/v1 types.go (JobControllerName)
MESSAGES = {
    BACKOFF_LIMIT_EXCEEDED: "Job has reached the specified backoff limit",
    DEADLINE_EXCEEDED: "Job was active longer than specified deadline",
    MAX_FAILED_INDEXES_EXCEEDED: "Job has exceeded the specified maximal number of failed indexes",
    FAILED_INDEXES: "Job has failed indexes",
    COMPLETIONS_REACHED: "Reached expected number of succeeded pods",
}


@attrs.frozen
class PodCreation:
    index: int | None = None  # completion index (Indexed Jobs)
    failure_count: int = 0  # job-index-failure-count annotation (backoffLimitPerIndex)


@attrs.frozen
class JobDecision:
    """What one sync does: pods to create and delete, finalizers to remove, the status it writes, the
    updated back-off record, and when it wants to run again (seconds from now, None = on events only)."""

    create: tuple[PodCreation, ...] = ()
    delete: tuple[str, ...] = ()
    remove_finalizers: tuple[str, ...] = ()
    status: JobStatus = attrs.field(factory=JobStatus)
    backoff: backoff.BackoffRecord = backoff.NO_BACKOFF
    requeue_after: float | None = None


@attrs.frozen
class _Finish:
    success: bool
    reason: str
    message: str


# ---------------------------------------------------------------- pod predicates


def only_replace_failed_pods(spec: JobSpec) -> bool:
    # ref job_controller.go (onlyReplaceFailedPods)
    return spec.pod_replacement_policy == FAILED or spec.pod_failure_policy is not None


def is_pod_failed(pod: JobPodView, spec: JobSpec) -> bool:
    """Failed phase, or (TerminatingOrFailed without podFailurePolicy) deleted before succeeding."""
    # ref job_controller.go (isPodFailed)
    if pod.phase == "Failed":
        return True
    if only_replace_failed_pods(spec):
        return False
    return pod.deleting and pod.phase != "Succeeded"


def _in_range(pod: JobPodView, spec: JobSpec) -> bool:
    return not spec.indexed or (pod.index is not None and pod.index < (spec.completions or 0))


def _removal_key(pod: JobPodView) -> tuple[object, ...]:
    # ref controller_utils.go (ActivePods.Less): Pending < Running, not Ready first, more restarts first,
    # newer first; ties upstream leaves unspecified go to the higher completion index, then the name (so
    # two targets whose pod names differ still agree on which index an Indexed Job gives up)
    return (pod.phase != "Pending", pod.ready, -pod.restarts, -pod.created, -(pod.index or 0), pod.name)


def pods_for_removal(spec: JobSpec, active: Sequence[JobPodView], at_least: int) -> list[JobPodView]:
    """Indexed: out-of-range and duplicate-index pods first (one kept per index); then ActivePods order."""
    # ref job_controller.go (activePodsForRemoval), indexed_job_utils.go (appendDuplicatedIndexPodsForRemoval)
    remove: list[JobPodView] = []
    left = list(active)
    if spec.indexed:
        left = []
        by_index: dict[int, list[JobPodView]] = {}
        for pod in active:
            if _in_range(pod, spec):
                by_index.setdefault(pod.index or 0, []).append(pod)
            else:
                remove.append(pod)
        for index in sorted(by_index):
            group = sorted(by_index[index], key=_removal_key)
            remove.extend(group[:-1])
            left.append(group[-1])
    if len(remove) < at_least:
        remove.extend(sorted(left, key=_removal_key)[: at_least - len(remove)])
    return remove


def past_backoff_limit_on_failure(spec: JobSpec, pods: Sequence[JobPodView]) -> bool:
    """OnFailure: restarts of Pending/Running pods reach backoffLimit (> 0 when the limit is 0)."""
    # ref job_controller.go (pastBackoffLimitOnFailure)
    if spec.restart_policy != ON_FAILURE:
        return False
    restarts = sum(p.restarts for p in pods if p.phase in ("Pending", "Running"))
    limit = spec.backoff_limit or 0
    return restarts > 0 if limit == 0 else restarts >= limit


def past_active_deadline(job: JobView, now: float) -> bool:
    # ref job_controller.go (pastActiveDeadline)
    ads, start = job.spec.active_deadline_seconds, job.status.start_time
    if ads is None or start is None or job.spec.suspend:
        return False
    # Go's now.Sub(start) is whole nanoseconds: a float difference can fall 1e-13 short of ads at the very
    # instant the deadline requeue fires (a startTime of slot + 0.1 s, as a CronJob's child has)
    return round(now - start, 9) >= ads


# ---------------------------------------------------------------- counting


@attrs.frozen
class _Tally:
    succeeded: int
    failed: int
    succeeded_indexes: frozenset[int]
    failed_indexes: frozenset[int] | None
    new_succeeded: tuple[JobPodView, ...]
    new_failed: tuple[JobPodView, ...]


def _is_index_failed(spec: JobSpec, pod: JobPodView) -> bool:
    # ref indexed_job_utils.go (isIndexFailed)
    if policies.fails_index(spec.pod_failure_policy, pod):
        return True
    match = policies.match_pod_failure_policy(spec.pod_failure_policy, pod)
    return match.counts and pod.failure_count >= (spec.backoff_limit_per_index or 0)


def _tally(job: JobView, pods: Sequence[JobPodView]) -> _Tally:
    """Counters after folding in the pods that finished since the last sync (still holding the finalizer)."""
    # ref job_controller.go (getNewFinishedPods, trackJobStatusAndRemoveFinalizers)
    spec, status = job.spec, job.status
    tracked = [p for p in pods if p.finalizer]
    new_succeeded = tuple(p for p in tracked if p.phase == "Succeeded")
    new_failed = tuple(p for p in tracked if p.phase != "Succeeded" and is_pod_failed(p, spec))
    counted = [
        p
        for p in new_failed
        if _in_range(p, spec) and policies.match_pod_failure_policy(spec.pod_failure_policy, p).counts
    ]
    completions = spec.completions or 0
    succeeded_ix = parse_indexes(status.completed_indexes, completions) if spec.indexed else frozenset()
    failed_ix: frozenset[int] | None = None
    if spec.indexed:
        succeeded_ix |= {p.index for p in new_succeeded if p.index is not None and p.index < completions}
    if spec.indexed and spec.backoff_limit_per_index is not None:
        failed_ix = parse_indexes(status.failed_indexes, completions)
        failed_ix |= {p.index for p in counted if p.index is not None and _is_index_failed(spec, p)}
        failed_ix -= succeeded_ix
    succeeded = len(succeeded_ix) if spec.indexed else status.succeeded + len(new_succeeded)
    return _Tally(succeeded, status.failed + len(counted), succeeded_ix, failed_ix, new_succeeded, new_failed)


def _counts(spec: JobSpec, pod: JobPodView) -> bool:
    return _in_range(pod, spec) and policies.match_pod_failure_policy(spec.pod_failure_policy, pod).counts


def _held_per_index(spec: JobSpec, pods: Sequence[JobPodView], tally: _Tally) -> dict[int, JobPodView]:
    """backoffLimitPerIndex: per index with no success, failure or active pod, the latest newly failed pod
    keeps its finalizer (and is not in status.failed yet) until its replacement exists: the replacement's
    failure count and back-off come from that pod only (a failed pod already released counts no more)."""
    # ref indexed_job_utils.go (getPodsWithDelayedDeletionPerIndex), job_controller.go (canRemoveFinalizer)
    if tally.failed_indexes is None:
        return {}
    busy = tally.succeeded_indexes | tally.failed_indexes | {p.index for p in pods if p.active}
    latest: dict[int, JobPodView] = {}
    for pod in sorted(tally.new_failed, key=backoff.finished_time):
        if pod.index is not None and pod.index not in busy and _in_range(pod, spec):
            latest[pod.index] = pod
    return latest


# ---------------------------------------------------------------- finish decision


def _existing_interim(status: JobStatus) -> _Finish | None:
    for type_, success in ((SUCCESS_CRITERIA_MET, True), (FAILURE_TARGET, False)):
        cond = status.condition(type_)
        if cond is not None:
            return _Finish(success, cond.reason, cond.message)
    return None


def _failure(reason: str) -> _Finish:
    return _Finish(False, reason, MESSAGES[reason])


def finish_decision(job: JobView, pods: Sequence[JobPodView], tally: _Tally, now: float) -> _Finish | None:
    """Steps 1-7 of fact sheet 5.3 (the completions check comes after pod management)."""
    # ref job_controller.go (syncJob)
    spec = job.spec
    interim = _existing_interim(job.status)
    if interim is not None:
        return interim
    for pod in pods:
        message = policies.fails_job(spec.pod_failure_policy, pod) if is_pod_failed(pod, spec) else None
        if message is not None:
            return _Finish(False, POD_FAILURE_POLICY, message)
    if tally.failed > (spec.backoff_limit or 0) or past_backoff_limit_on_failure(spec, pods):
        return _failure(BACKOFF_LIMIT_EXCEEDED)
    if past_active_deadline(job, now):
        return _failure(DEADLINE_EXCEEDED)
    completions = spec.completions or 0
    max_failed = spec.max_failed_indexes
    if tally.failed_indexes is not None and max_failed is not None and len(tally.failed_indexes) > max_failed:
        return _failure(MAX_FAILED_INDEXES_EXCEEDED)
    if tally.failed_indexes and len(tally.failed_indexes) + len(tally.succeeded_indexes) >= completions:
        return _failure(FAILED_INDEXES)
    if spec.indexed and spec.success_policy:
        message = policies.match_success_policy(spec.success_policy, completions, tally.succeeded_indexes)
        if message is not None:
            return _Finish(True, SUCCESS_POLICY, message)
    return None


def completed(spec: JobSpec, succeeded: int, active: int) -> bool:
    """Success by counts, checked after pod management."""
    # ref job_controller.go (syncJob): completions nil -> any success and nothing running
    if spec.completions is None:
        return succeeded > 0 and active == 0
    return succeeded >= spec.completions and active == 0


# ---------------------------------------------------------------- conditions


def ensure_condition(
    conditions: tuple[Condition, ...], type_: str, status: str, reason: str, message: str, now: float
) -> tuple[Condition, ...]:
    """Set a condition; a False condition is never added from nothing; the transition time moves only when
    the status changes."""
    # ref job_controller.go (ensureJobConditionStatus)
    current = next((c for c in conditions if c.type == type_), None)
    if current is None:
        if status == "False":
            return conditions
        return (*conditions, Condition(type_, status, reason, message, now, now))
    if current.status == status and current.reason == reason and current.message == message:
        return conditions
    transition = current.last_transition_time if current.status == status else now
    new = Condition(type_, status, reason, message, now, transition)
    return tuple(new if c.type == type_ else c for c in conditions)


def _with_finish(status: JobStatus, finish: _Finish, terminating: int, now: float) -> JobStatus:
    """Interim condition now; the terminal one once nothing is terminating (uncounted is flushed)."""
    # ref job_controller.go (newFailureCondition, newSuccessCondition, enactJobFinished)
    interim = SUCCESS_CRITERIA_MET if finish.success else FAILURE_TARGET
    conditions = ensure_condition(status.conditions, interim, "True", finish.reason, finish.message, now)
    if terminating > 0:
        return attrs.evolve(status, conditions=conditions)
    terminal = COMPLETE if finish.success else FAILED_CONDITION
    conditions = ensure_condition(conditions, terminal, "True", finish.reason, finish.message, now)
    return attrs.evolve(status, conditions=conditions, completion_time=now if finish.success else None)


# ---------------------------------------------------------------- manage


@attrs.frozen
class _Managed:
    create: tuple[PodCreation, ...] = ()
    delete: tuple[JobPodView, ...] = ()
    requeue_after: float | None = None
    # manageJob returns 0 active when it waits out a back-off (`return 0, ...JobSyncActionPodsCreated`), so
    # the status written then says active 0 however many pods still run
    backing_off: bool = False


def want_active(spec: JobSpec, succeeded: int, active: int) -> int:
    """How many pods should run: parallelism for a work queue until its first success (then no new ones);
    else clamp(completions - succeeded, 0, parallelism)."""
    # ref job_controller.go (manageJob)
    parallelism = spec.parallelism or 0
    if spec.completions is None:
        return active if succeeded > 0 else parallelism
    return max(0, min(spec.completions - succeeded, parallelism))


def _new_failure_count(spec: JobSpec, replaced: JobPodView | None) -> int:
    # ref job_controller.go (getNewIndexFailureCounts)
    if replaced is None:
        return 0
    counts = policies.match_pod_failure_policy(spec.pod_failure_policy, replaced).counts
    return replaced.failure_count + (1 if counts else 0)


def _indexed_creations(
    spec: JobSpec, pods: Sequence[JobPodView], tally: _Tally, diff: int, now: float
) -> tuple[tuple[PodCreation, ...], float | None]:
    # ref indexed_job_utils.go (firstPendingIndexes),
    # job_controller.go (getPodCreationInfoForIndependentIndexes)
    taken = set(tally.succeeded_indexes) | {p.index for p in pods if p.active and p.index is not None}
    taken |= tally.failed_indexes or set()
    if only_replace_failed_pods(spec):
        taken |= {p.index for p in pods if p.terminating and p.index is not None}
    indexes = first_pending_indexes(diff, spec.completions or 0, taken)
    # ref indexed_job_utils.go (getPodsWithDelayedDeletionPerIndex, addIndexFailureCountAnnotation)
    last_failed = _held_per_index(spec, pods, tally)
    ready, waits = [], []
    for index in indexes:
        wait = backoff.remaining_per_index(last_failed.get(index), now)
        (waits if wait > 0 else ready).append(wait if wait > 0 else index)
    if not ready and waits:
        return (), min(waits)
    return tuple(PodCreation(i, _new_failure_count(spec, last_failed.get(i))) for i in ready), None


def manage(
    job: JobView, pods: Sequence[JobPodView], tally: _Tally, record: backoff.BackoffRecord, now: float
) -> _Managed:
    """manageJob: delete (suspend, excess, duplicate indexes) or create, never both in one sync."""
    # ref job_controller.go (manageJob)
    spec = job.spec
    active = [p for p in pods if p.active]
    if spec.suspend:
        return _Managed(delete=tuple(pods_for_removal(spec, active, len(active))))
    want = want_active(spec, tally.succeeded, len(active))
    doomed = pods_for_removal(spec, active, max(0, len(active) - want))[:MAX_POD_CREATE_DELETE_PER_SYNC]
    if doomed:
        return _Managed(delete=tuple(doomed))
    terminating = sum(1 for p in pods if p.terminating) if only_replace_failed_pods(spec) else 0
    diff = min(want - terminating - len(active), MAX_POD_CREATE_DELETE_PER_SYNC)
    if diff <= 0:
        return _Managed()
    if spec.backoff_limit_per_index is None:
        wait = backoff.record_remaining(record, now)
        if wait > 0:
            return _Managed(requeue_after=wait, backing_off=True)
    if not spec.indexed:
        return _Managed(create=tuple(PodCreation() for _ in range(diff)))
    creations, wait = _indexed_creations(spec, pods, tally, diff, now)
    return _Managed(create=creations, requeue_after=wait, backing_off=wait is not None)


# ---------------------------------------------------------------- one sync


def _suspended_conditions(job: JobView, status: JobStatus, now: float) -> JobStatus:
    """Suspended=True while suspended; on resume Suspended=False and startTime := now. The reset comes after
    the deadline check of the same sync, so a Job resumed after startTime + activeDeadlineSeconds fails at
    once with DeadlineExceeded (source order; the fact sheet's 5.9 example assumes the reset comes first)."""
    # ref job_controller.go (syncJob): only when manageJob ran; "Resumed jobs will always reset StartTime"
    if job.spec.suspend:
        conditions = ensure_condition(
            status.conditions, SUSPENDED, "True", "JobSuspended", "Job suspended", now
        )
        return attrs.evolve(status, conditions=conditions)
    conditions = ensure_condition(status.conditions, SUSPENDED, "False", "JobResumed", "Job resumed", now)
    if conditions == status.conditions:
        return status
    return attrs.evolve(status, conditions=conditions, start_time=now)


def _deadline_requeue(job: JobView, now: float) -> float | None:
    # ref job_controller.go (syncJob): re-sync when the active deadline will pass
    ads, start = job.spec.active_deadline_seconds, job.status.start_time
    if ads is None or start is None or job.spec.suspend:
        return None
    return max(0.0, start + ads - now)


def _with_delay(wait: float | None) -> float | None:
    """The back-off requeue waits at least the batch period."""
    # ref job_controller.go@v1.35.4 (manageJob -> enqueueSyncJobWithDelay: `if delay < SyncJobBatchPeriod`)
    return None if wait is None else max(wait, SYNC_JOB_BATCH_PERIOD)


def _earliest(*delays: float | None) -> float | None:
    present = [d for d in delays if d is not None]
    return min(present) if present else None


def is_managed(spec: JobSpec) -> bool:
    # ref job_controller.go (managedByExternalController)
    return spec.managed_by in (None, JOB_CONTROLLER_NAME)


def job_sync(
    job: JobView,
    pods: Sequence[JobPodView],
    now: float,
    *,
    record: backoff.BackoffRecord = backoff.NO_BACKOFF,
    expectations_satisfied: bool = True,
) -> JobDecision:
    """One `syncJob` on a snapshot: `pods` are the Job's pods (finished ones included), `record` the
    controller's in-memory back-off record for this Job. With `expectations_satisfied` False (pods it
    created or deleted not yet seen: only the PER-SYNC checks pass it) manageJob is skipped and a finish
    decision is not declared yet, though the active pods are still deleted."""
    # ref job_controller.go (syncJob)
    spec = job.spec
    if not is_managed(spec) or job.status.finished is not None or job.deleting:
        return JobDecision(status=job.status, backoff=record)
    if job.status.start_time is None and not spec.suspend:  # first start
        job = attrs.evolve(job, status=attrs.evolve(job.status, start_time=now))
    tally = _tally(job, pods)
    record = backoff.new_backoff_record(record, tally.new_succeeded, tally.new_failed)
    finish = finish_decision(job, pods, tally, now)
    held = {p.name for p in _held_per_index(spec, pods, tally).values()} if finish is None else set()
    handled = {p.name for p in tally.new_succeeded + tally.new_failed} - held
    active = [p for p in pods if p.active]
    terminating = sum(1 for p in pods if p.terminating)
    status = job.status
    failed = tally.failed - sum(1 for p in tally.new_failed if p.name in held and _counts(spec, p))
    decided, manage_called = finish is not None, False
    if finish is not None:
        deleted = tuple(active)
        if not expectations_satisfied:
            # deleted keeping their finalizers, counted once finished
            # ref job_controller.go (syncJob: `deleted != active || !satisfiedExpectations` -> no finish yet)
            finish = None
        elif not finish.success:  # every still-running pod is counted as failed
            failed += sum(1 for p in deleted if _in_range(p, spec) and p.name not in handled)
        managed = _Managed(delete=deleted)
    elif expectations_satisfied:
        managed, manage_called = manage(job, pods, tally, record, now), True
    else:
        managed = _Managed()
    active_after = len(active) - len(managed.delete) + len(managed.create)
    status_active = 0 if managed.backing_off else active_after
    terminating += len(managed.delete)
    deleted_names = {p.name for p in managed.delete}
    if not decided and completed(spec, tally.succeeded, active_after):
        finish = _Finish(True, COMPLETIONS_REACHED, MESSAGES[COMPLETIONS_REACHED])
    status = attrs.evolve(
        status,
        active=status_active,
        ready=sum(1 for p in active if p.ready and p.name not in deleted_names),
        succeeded=tally.succeeded,
        failed=failed,
        terminating=terminating,
        uncounted_succeeded=(),
        uncounted_failed=(),
        completed_indexes=format_indexes(tally.succeeded_indexes) if spec.indexed else "",
        failed_indexes=format_indexes(tally.failed_indexes) if tally.failed_indexes is not None else None,
    )
    if finish is not None:
        status = _with_finish(status, finish, terminating, now)
    elif manage_called:  # ref job_controller.go (syncJob: `else if manageJobCalled`)
        status = _suspended_conditions(job, status, now)
    stripped = managed.delete if finish is not None or manage_called else ()
    requeue = (
        None
        if finish is not None
        else _earliest(_with_delay(managed.requeue_after), _deadline_requeue(job, now))
    )
    return JobDecision(
        create=managed.create,
        delete=tuple(p.name for p in managed.delete),
        remove_finalizers=tuple(sorted(handled | {p.name for p in stripped if p.finalizer})),
        status=status,
        backoff=record,
        requeue_after=requeue,
    )


# ---------------------------------------------------------------- TTL after finished


def ttl_expired_at(job: JobView) -> float | None:
    """When the TTL-after-finished controller deletes the Job (foreground): the terminal condition's
    transition time + ttlSecondsAfterFinished; None when unfinished or without a TTL."""
    # ref ttlafterfinished_controller.go (processTTL, timeLeft, jobFinishTime)
    finished = job.status.finished
    ttl = job.spec.ttl_seconds_after_finished
    if finished is None or ttl is None or finished.last_transition_time is None:
        return None
    return finished.last_transition_time + ttl

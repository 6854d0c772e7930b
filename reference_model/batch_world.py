"""QUIESCENT executor for Jobs and CronJobs: apply batch operations and time, run the controllers.

`run(ops)` is deterministic and pure from the outside (it copies its input state): every operation is
applied at the current instant, then the controllers sync what it queued at once, until nothing changes;
`Advance(seconds)` moves time through every requeue the controllers asked for (batched pod events, back-off
ends, active deadlines, schedule slots + 100 ms, TTL expiries) and settles at each.

The Job controller's work queue as upstream's: creating a Job or changing its spec syncs it at once; a pod
event (a pod succeeding, failing, restarting, deleted or stopped) and every sync that changed the Job or
its pods (its own pod and status writes come back as events) queue it after the 1 s batch period; a Job
waits at most once, its earliest requeue winning, so pod changes within a second are seen by one sync, and
a Job completes (completionTime, hence its CronJob's lastSuccessfulTime) 1 s after its last pod succeeded.
The CronJob controller is queued at once by its Jobs' changes.

The world's kubelet: pods start Running and Ready at once and run until an operation finishes them; a
deleted pod is killed at once (phase Failed, exit code 137) and disappears when its tracking finalizer is
gone; a deleted Job disappears with its pods (background propagation, garbage collector at once).

Claiming (the conformance test "Jobs, orphan pods, re-adoption"): every sync of an unfinished Job not being
deleted first claims its pods. An orphan it created whose labels still match its selector (`OrphanPod`
removed the ownerReference) is adopted with the tracking finalizer; the orphan-pod worker took that
finalizer off at once, before the batched sync. A pod it controls whose labels stopped matching
(`RelabelPod`) is released: ownerReference and finalizer removed, it is no longer counted, keeps running as
an orphan (outliving the Job) and the Job replaces it if it needs to. A finished Job claims nothing.
Orphans are kept apart (`BatchState.orphans`, with the uid of the Job whose selector matches them, "" for
none: a Job's generated selector is its own uid) and are not in `view()`.

`outcome(state)` summarises what upstream determines at quiescence: per Job the active pods, the terminal
condition and reason, succeeded/failed, completed and failed indexes; per CronJob the Jobs it created
(names = slots) and which of them were deleted by Replace or by the history limits.

Deleting a CronJob (`DeleteCronJob`, background propagation: the batch/v1 default) removes it at once; the
garbage collector then deletes every Job whose controller it was, and with each Job its pods, here at the
same instant (upstream within the instant's work: the GC watches the deletion). A CronJob created again
under that name is a new object: new uid, empty status, its own list of created Jobs.

Not modelled: informer delays (a CronJob sync at a slot that coincides with a child's batched sync may see
it either way upstream: properties should keep children's finishes at least 2 s away from slot times);
ties in the pod deletion order (see `job`); API errors; the TTL controller's own requeue delay.

refs kubernetes/kubernetes:pkg/controller/job/job_controller.go (syncJob; @v1.35.4 addPod, updatePod,
deletePod, addJob, updateJob, enqueueSyncJobBatched, enqueueSyncJobWithDelay),
client-go util/workqueue/delaying_queue.go (insert: the earliest ready time wins),
kubernetes/kubernetes:pkg/controller/cronjob/cronjob_controllerv2.go (sync),
kubernetes/kubernetes:pkg/controller/ttlafterfinished/ttlafterfinished_controller.go (processTTL),
job_controller.go@v1.35.4 (getPodsForJob, updatePod, syncOrphanPod, handleSingleOrphanPod),
pkg/controller/controller_ref_manager.go@v1.35.4 (ClaimPods, ClaimObject, AdoptPod, ReleasePod)
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from kubeprops.scenario.batch import (
    CRONJOB,
    JOB,
    ON_FAILURE,
    BatchView,
    CreateCronJob,
    CreateJob,
    CronJobStatus,
    CronJobView,
    DeleteCronJob,
    DeleteJobPod,
    JobPodView,
    JobStatus,
    JobView,
    PodFails,
    PodSucceeds,
    SetConcurrencyPolicy,
    SetHistoryLimits,
    SetParallelism,
    SetSchedule,
    SetStartingDeadline,
    SetSuspend,
    job_pod_order,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance, OrphanPod, RelabelPod

from . import job_validation as validation
from .cronjob import cronjob_sync, schedule_edit_requeue
from .job import SYNC_JOB_BATCH_PERIOD, JobDecision, is_managed, job_sync, ttl_expired_at
from .job_backoff import NO_BACKOFF, BackoffRecord
from .validation import validate_labels

KILLED_EXIT_CODE = 137
POD = "Pod"  # the kind of a wakeup that stops a deleted pod
TTL = "TTL"  # the kind of a wakeup of the TTL-after-finished controller (it syncs the Job in this model)
MAX_ROUNDS = 10_000  # syncs at one instant before the model calls it a livelock


class DidNotSettle(RuntimeError):
    """The controllers kept changing the world at one instant: the verdict is unknown."""


@attrs.frozen
class Deletion:
    job: str
    at: float
    reason: str  # "replace", "history", "ttl", "gc" (its CronJob was deleted)


@attrs.frozen
class BatchState:
    now: float = 0.0
    jobs: tuple[JobView, ...] = ()
    cronjobs: tuple[CronJobView, ...] = ()
    pods: tuple[JobPodView, ...] = ()
    backoff: tuple[tuple[str, BackoffRecord], ...] = ()
    wakeups: tuple[tuple[float, str, str], ...] = ()  # (time, kind, name) of requeues; one per Job
    created: tuple[tuple[str, str, float], ...] = ()  # (job, uid of its cronjob, creation time)
    deleted: tuple[Deletion, ...] = ()
    serial: int = 0
    # pods without a controller: (uid of the Job whose selector matches its labels, "" for none; the pod)
    orphans: tuple[tuple[str, JobPodView], ...] = ()
    mismatched: tuple[str, ...] = ()  # uids of Jobs' pods whose labels stopped matching (not released yet)

    def view(self) -> BatchView:
        return BatchView(self.now, self.jobs, self.cronjobs, self.pods)


class _World:
    """The mutable working copy `run` uses internally; only objects marked dirty are synced."""

    def __init__(self, state: BatchState) -> None:
        self.now = state.now
        self.jobs = {j.name: j for j in state.jobs}
        self.cronjobs = {c.name: c for c in state.cronjobs}
        self.pods: dict[str, dict[str, JobPodView]] = {}
        for pod in state.pods:
            self.pods.setdefault(pod.job, {})[pod.name] = pod
        self.backoff = dict(state.backoff)
        self.wakeups = set(state.wakeups)
        self.created = list(state.created)
        self.deleted = list(state.deleted)
        self.serial = state.serial
        self.orphans = {pod.name: (uid, pod) for uid, pod in state.orphans}
        self.mismatched = set(state.mismatched)
        self.dirty: set[tuple[str, str]] = set()

    def freeze(self) -> BatchState:
        pods = sorted((p for by_name in self.pods.values() for p in by_name.values()), key=lambda p: p.name)
        return BatchState(
            self.now,
            tuple(self.jobs[n] for n in sorted(self.jobs)),
            tuple(self.cronjobs[n] for n in sorted(self.cronjobs)),
            tuple(pods),
            tuple(sorted(self.backoff.items())),
            tuple(sorted(self.wakeups)),
            tuple(self.created),
            tuple(self.deleted),
            self.serial,
            tuple(self.orphans[n] for n in sorted(self.orphans)),
            tuple(sorted(self.mismatched)),
        )

    def uid(self) -> str:
        self.serial += 1
        return f"uid-{self.serial}"

    # ------------------------------------------------------------ pods and jobs

    def pods_of(self, job: str) -> list[JobPodView]:
        return list(self.pods.get(job, {}).values())

    def put_pod(self, pod: JobPodView) -> None:
        self.pods.setdefault(pod.job, {})[pod.name] = pod

    def drop_pod(self, pod: JobPodView) -> None:
        self.pods.get(pod.job, {}).pop(pod.name, None)

    def active_pod(self, job: str, ordinal: int) -> JobPodView | None:
        active = sorted((p for p in self.pods_of(job) if p.active), key=job_pod_order)
        return active[ordinal % len(active)] if active else None

    def kill(self, pod: JobPodView) -> None:
        if not pod.finalizer:
            self.drop_pod(pod)
            return
        terminal = pod.phase in ("Succeeded", "Failed")
        killed = attrs.evolve(pod, phase="Failed", finished=self.now, exit_code=KILLED_EXIT_CODE, ready=False)
        self.put_pod(attrs.evolve(pod if terminal else killed, deleting=True))

    def delete_pod(self, pod: JobPodView) -> None:
        """Someone deletes the pod: it is terminating (deletionTimestamp, still running) until the kubelet
        stops it, which here happens at the next moment time is let pass (a wakeup at this instant). The
        Job controller sees the terminating pod first, as it does upstream whatever the grace period:
        under podReplacementPolicy Failed that pod is neither active nor failed yet."""
        self.queue_job_batched(pod.job)  # deletePod / updatePod (deletionTimestamp set)
        if not pod.finalizer:
            self.drop_pod(pod)
            return
        self.put_pod(attrs.evolve(pod, deleting=True))
        self.wakeups.add((self.now, POD, f"{pod.job}/{pod.name}"))

    def stop_pod(self, key: str) -> None:
        job, _, name = key.partition("/")
        pod = self.pods.get(job, {}).get(name)
        if pod is not None and pod.phase not in ("Succeeded", "Failed"):
            self.kill(pod)
            self.queue_job_batched(job)

    def delete_job(self, name: str, reason: str) -> None:
        job = self.jobs.pop(name, None)
        if job is None:
            return
        self.pods.pop(name, None)
        self.backoff.pop(name, None)
        self.deleted.append(Deletion(name, self.now, reason))
        if job.owner is not None:
            self.dirty.add((CRONJOB, job.owner))

    def delete_cronjob(self, name: str) -> None:
        """The CronJob goes; the garbage collector deletes its Jobs (controller ownerReference, background
        propagation) and with them their pods. A requeue still pending for the name is dropped: upstream it
        would only sync a later CronJob of that name, which its own requeues already do."""
        # ref pkg/registry/batch/cronjob/strategy.go (DefaultGarbageCollectionPolicy: DeleteDependents),
        # pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem: Background)
        if self.cronjobs.pop(name, None) is None:
            return
        for job in sorted(j.name for j in self.jobs.values() if j.owner == name):
            self.delete_job(job, "gc")
        self.wakeups = {w for w in self.wakeups if (w[1], w[2]) != (CRONJOB, name)}
        self.dirty.discard((CRONJOB, name))

    def queue_job(self, name: str, at: float) -> None:
        """AddAfter on the Job controller's delaying queue: one wait per Job, the earliest time wins."""
        # ref client-go util/workqueue/delaying_queue.go (insert)
        waiting = [w for w in self.wakeups if w[1:] == (JOB, name)]
        if any(w[0] <= at for w in waiting):
            return
        self.wakeups.difference_update(waiting)
        self.wakeups.add((at, JOB, name))

    def queue_job_batched(self, name: str) -> None:
        # ref job_controller.go@v1.35.4 (enqueueSyncJobBatched: pod events, status-only Job updates)
        self.queue_job(name, self.now + SYNC_JOB_BATCH_PERIOD)

    def apply_job_decision(self, job: JobView, decision: JobDecision) -> None:
        self.jobs[job.name] = attrs.evolve(job, status=decision.status)
        self.backoff[job.name] = decision.backoff
        pods = self.pods.get(job.name, {})
        for name in decision.remove_finalizers:
            pod = attrs.evolve(pods[name], finalizer=False)
            self.put_pod(pod)
            if pod.deleting or name in decision.delete:
                self.drop_pod(pod)
        for name in decision.delete:
            if name in pods:
                self.kill(pods[name])
        for creation in decision.create:
            self.serial += 1
            stem = job.name if creation.index is None else f"{job.name}-{creation.index}"
            name = f"{stem}-{self.serial}"
            pod = JobPodView(
                name, f"uid-{self.serial}", job.name, "Running", self.now, creation.index, ready=True
            )
            self.put_pod(attrs.evolve(pod, failure_count=creation.failure_count))
        if decision.requeue_after is not None:
            self.queue_job(job.name, self.now + decision.requeue_after)
        ttl = ttl_expired_at(self.jobs[job.name])
        if ttl is not None:
            self.wakeups.add((ttl, TTL, job.name))

    # ------------------------------------------------------------ controllers

    def orphan(self, pod: JobPodView, matches: str) -> None:
        """The pod loses its controller ownerReference and its tracking finalizer: released by its Job
        (ReleasePod), or orphaned by a user and then cleaned up by the orphan-pod worker
        (handleSingleOrphanPod)."""
        self.drop_pod(pod)
        self.mismatched.discard(pod.uid)
        if not pod.deleting:  # a deleted one is gone with its last finalizer
            self.orphans[pod.name] = (matches, attrs.evolve(pod, finalizer=False))

    def claim(self, job: JobView) -> None:
        """getPodsForJob: release the Job's pods whose labels stopped matching its selector, adopt the
        orphans that match it (not being deleted) with the tracking finalizer. A Job being deleted claims
        nothing; an unmanaged or finished one does not get that far (syncJob returns first)."""
        # ref job_controller.go@v1.35.4 (syncJob: IsJobFinished before getPodsForJob; getPodsForJob:
        # FilterPodsByOwner with orphans, NewPodControllerRefManager(..., JobTrackingFinalizer)),
        # controller_ref_manager.go@v1.35.4 (ClaimObject, AdoptPod, ReleasePod: ownerReference and
        # finalizers in one patch)
        if job.deleting or job.status.finished is not None or not is_managed(job.spec):
            return
        for pod in [p for p in self.pods_of(job.name) if p.uid in self.mismatched]:
            self.orphan(pod, "")
        for matches, pod in list(self.orphans.values()):
            if matches == job.uid and not pod.deleting:
                del self.orphans[pod.name]
                self.put_pod(attrs.evolve(pod, job=job.name, finalizer=True))

    def sync_job(self, name: str) -> None:
        job = self.jobs.get(name)
        if job is None:
            return
        before = (job, dict(self.pods.get(name, {})), dict(self.orphans))
        self.claim(job)
        decision = job_sync(job, self.pods_of(name), self.now, record=self.backoff.get(name, NO_BACKOFF))
        self.apply_job_decision(job, decision)
        expiry = ttl_expired_at(self.jobs[name])
        if expiry is not None and expiry <= self.now:
            self.delete_job(name, "ttl")
        elif before != (self.jobs[name], self.pods.get(name, {}), self.orphans):
            # its own pod and status writes come back as pod events and a status-only update (batched;
            # upstream's updateJob queues nothing for a finished Job, whose sync changes nothing anyway)
            self.queue_job_batched(name)
            if job.owner is not None:
                self.dirty.add((CRONJOB, job.owner))

    def sync_cronjob(self, name: str) -> None:
        cj = self.cronjobs.get(name)
        if cj is None:
            return
        children = [j for j in self.jobs.values() if j.owner == cj.name]
        decision = cronjob_sync(cj, children, self.now)
        self.cronjobs[cj.name] = attrs.evolve(cj, status=decision.status)
        for job in decision.delete_active:
            self.delete_job(job, "replace")
        if decision.create is not None:
            job, slot = decision.create
            spec = cj.spec.job_template
            self.jobs[job] = JobView(job, self.uid(), spec, JobStatus(), self.now, cj.name, slot)
            self.created.append((job, cj.uid, self.now))
            self.dirty.add((JOB, job))
        for job in decision.delete_history:
            self.delete_job(job, "history")
        if decision.requeue_after is not None:
            self.wakeups.add((self.now + decision.requeue_after, CRONJOB, cj.name))
        changed = decision.create or decision.delete_active or decision.delete_history
        if changed or self.cronjobs[cj.name] != cj:
            self.dirty.add((CRONJOB, cj.name))

    def touch_after(self, before: dict[str, CronJobView], jobs_before: dict[str, JobView]) -> None:
        """After an operation: sync at once every Job it created or whose spec it changed (addJob, updateJob
        with a new generation; a pod operation queued its Job itself), and every CronJob the operation
        changed (an unchanged object gets no watch event), except one whose schedule or time zone changed:
        upstream's updateCronJob queues that one for the next slot of its new schedule instead."""
        # ref job_controller.go@v1.35.4 (addJob, updateJob), cronjob_controllerv2.go@v1.35.4 (updateCronJob)
        self.dirty |= {(JOB, n) for n, job in self.jobs.items() if jobs_before.get(n) != job}
        for name, cj in self.cronjobs.items():
            old = before.get(name)
            if old == cj:
                continue
            if old is None or (old.spec.schedule, old.spec.time_zone) == (
                cj.spec.schedule,
                cj.spec.time_zone,
            ):
                self.dirty.add((CRONJOB, name))
            elif (requeue := schedule_edit_requeue(cj, self.now)) is not None:
                self.wakeups.add((self.now + requeue, CRONJOB, name))

    def settle(self) -> None:
        """Sync dirty Jobs (by name), then dirty CronJobs, until nothing changes."""
        for _ in range(MAX_ROUNDS):
            if not self.dirty:
                return
            batch, self.dirty = self.dirty, set()
            for kind, name in sorted(batch, key=lambda key: (key[0] == CRONJOB, key[1])):
                if kind == JOB:
                    self.sync_job(name)
                else:
                    self.sync_cronjob(name)
        raise DidNotSettle(f"the batch controllers kept changing the world at t={self.now:g}")

    def advance(self, seconds: float) -> None:
        target = self.now + seconds
        while True:
            due = [w for w in self.wakeups if w[0] <= target]
            if not due:
                break
            first = min(w[0] for w in due)
            now_due = {w for w in due if w[0] <= first}
            self.wakeups -= now_due
            self.now = max(self.now, first)
            for _, kind, name in sorted(now_due):
                if kind == POD:
                    self.stop_pod(name)
                else:
                    self.dirty.add((JOB if kind == TTL else kind, name))
            self.settle()
        self.now = target
        self.settle()


# ---------------------------------------------------------------- operations


def _apply_pod_op(world: _World, op: PodSucceeds | PodFails | DeleteJobPod) -> None:
    job = world.jobs.get(op.job)
    pod = world.active_pod(op.job, op.pod) if job is not None else None
    if job is None or pod is None:
        return
    if isinstance(op, DeleteJobPod):
        world.delete_pod(pod)
    elif isinstance(op, PodSucceeds):
        world.put_pod(attrs.evolve(pod, phase="Succeeded", finished=world.now, exit_code=0, ready=False))
    elif job.spec.restart_policy == ON_FAILURE and op.condition is None:
        world.put_pod(attrs.evolve(pod, restarts=pod.restarts + 1))
    else:
        conditions = (op.condition,) if op.condition else ()
        failed = attrs.evolve(pod, phase="Failed", finished=world.now, exit_code=op.exit_code, ready=False)
        world.put_pod(attrs.evolve(failed, conditions=conditions))
    if not isinstance(op, DeleteJobPod):  # (delete_pod queued it)
        world.queue_job_batched(op.job)  # updatePod -> enqueueSyncJobBatched


def _orphan_job_pod(world: _World, op: OrphanPod) -> None:
    """The controller ownerReference goes; the finalizer follows at once (the orphan-pod worker runs
    without delay), the Job adopts the pod back at its next sync (batched: updatePod)."""
    # ref job_controller.go@v1.35.4 (updatePod: enqueueOrphanPod, enqueueSyncJobBatched of the old
    # controller and of getPodJobs; syncOrphanPod)
    job = world.jobs.get(op.name)
    pod = world.active_pod(op.name, op.index) if job is not None else None
    if job is None or pod is None:
        return
    world.orphan(pod, job.uid if pod.uid not in world.mismatched else "")
    world.queue_job_batched(op.name)


def _relabel_job_pod(world: _World, op: RelabelPod) -> None:
    """The pod's labels no longer match its Job's generated selector: released at the Job's next sync."""
    # ref job_controller.go@v1.35.4 (updatePod: a pod with a ControllerRef syncs its Job, batched)
    pod = world.active_pod(op.name, op.index) if op.name in world.jobs else None
    if pod is None:
        return
    validate_labels(op.labels, "metadata.labels")
    world.mismatched.add(pod.uid)
    world.queue_job_batched(op.name)


def _edit_cronjob(world: _World, name: str, **changes: object) -> None:
    cj = world.cronjobs.get(name)
    if cj is None:
        return
    spec = attrs.evolve(cj.spec, **changes)
    validation.validate_cronjob(name, spec)
    world.cronjobs[name] = attrs.evolve(cj, spec=spec)


def _edit_job(world: _World, name: str, **changes: object) -> None:
    job = world.jobs.get(name)
    if job is None:
        return
    if job.status.finished is not None and "suspend" in changes:
        raise InvalidSpec("spec.suspend", "cannot suspend or resume a finished Job")
    spec = attrs.evolve(job.spec, **changes)
    validation.validate_job_spec(spec)
    world.jobs[name] = attrs.evolve(job, spec=spec)


def _apply(world: _World, op: object) -> None:
    if isinstance(op, CreateJob):
        validation.validate_job_spec(op.spec)
        if op.name not in world.jobs:
            world.jobs[op.name] = JobView(op.name, world.uid(), op.spec, JobStatus(), world.now)
    elif isinstance(op, CreateCronJob):
        validation.validate_cronjob(op.name, op.spec)
        if op.name not in world.cronjobs:
            world.cronjobs[op.name] = CronJobView(op.name, world.uid(), op.spec, CronJobStatus(), world.now)
    elif isinstance(op, SetSuspend) and op.kind == JOB:
        _edit_job(world, op.name, suspend=op.suspend)
    elif isinstance(op, SetParallelism):
        _edit_job(world, op.name, parallelism=op.parallelism)
    elif isinstance(op, SetSuspend) and op.kind == CRONJOB:
        _edit_cronjob(world, op.name, suspend=op.suspend)
    elif isinstance(op, SetSchedule):
        _edit_cronjob(world, op.name, schedule=op.schedule, time_zone=op.time_zone)
    elif isinstance(op, SetConcurrencyPolicy):
        _edit_cronjob(world, op.name, concurrency_policy=op.policy)
    elif isinstance(op, SetStartingDeadline):
        _edit_cronjob(world, op.name, starting_deadline_seconds=op.seconds)
    elif isinstance(op, SetHistoryLimits):
        _edit_cronjob(
            world, op.name, successful_jobs_history_limit=op.successful, failed_jobs_history_limit=op.failed
        )
    elif isinstance(op, DeleteCronJob):
        world.delete_cronjob(op.name)
    elif isinstance(op, PodSucceeds | PodFails | DeleteJobPod):
        _apply_pod_op(world, op)
    elif isinstance(op, OrphanPod) and op.kind == JOB:
        _orphan_job_pod(world, op)
    elif isinstance(op, RelabelPod) and op.kind == JOB:
        _relabel_job_pod(world, op)
    else:
        raise TypeError(f"not a batch operation: {op!r}; use the operations of kubeprops.scenario.batch")


def run(ops: Iterable[object], state: BatchState | None = None) -> BatchState:
    """Apply `ops` (batch operations and `Advance`) to `state` (default: empty world at t=0), settling the
    controllers after each. Operations the API server rejects (InvalidSpec) change nothing."""
    world = _World(state or BatchState())
    for op in ops:
        if isinstance(op, Advance):
            world.advance(op.seconds)
            continue
        before, jobs_before = dict(world.cronjobs), dict(world.jobs)
        try:
            _apply(world, op)
        except InvalidSpec:
            continue
        world.touch_after(before, jobs_before)
        world.settle()
    return world.freeze()


def apply(state: BatchState, op: object) -> BatchState:
    """One operation (an `Advance` lets time pass), then the controllers settle at that instant.

    Raises InvalidSpec when the API server rejects the operation (the state is then unchanged), so a
    property can compare rejections with a target's."""
    world = _World(state)
    if isinstance(op, Advance):
        world.advance(op.seconds)
        return world.freeze()
    before, jobs_before = dict(world.cronjobs), dict(world.jobs)
    _apply(world, op)
    world.touch_after(before, jobs_before)
    world.settle()
    return world.freeze()


def _observable(state: BatchState) -> tuple[object, ...]:
    return (state.jobs, state.cronjobs, state.pods, state.created, state.deleted, state.orphans)


def settle(state: BatchState, horizon: float) -> tuple[BatchState, bool]:
    """Let time pass through every pending requeue, up to `horizon` seconds; (state, settled).

    A requeue that changes nothing when it fires (a back-off whose pods were replaced meanwhile, a deadline
    of a Job that finished) is dropped without moving the clock: a target's settle does not wait for it
    either, so both clocks stay at the instant of the last real change."""
    limit = state.now + horizon
    while state.wakeups:
        first = min(w[0] for w in state.wakeups)
        if first > limit:
            return state, False
        fired = apply(state, Advance(max(0.0, first - state.now)))  # type: ignore[arg-type]
        if _observable(fired) != _observable(state):
            state = fired
        else:
            # a Job's requeue that fired keeps the ones its sync asked for again: a batched sync that
            # took the place of a later back-off requeue (one wait per Job) asks for it once more
            rest = {w for w in state.wakeups if w[0] > first} | {w for w in fired.wakeups if w[1] == JOB}
            state = attrs.evolve(state, wakeups=tuple(sorted(rest)), backoff=fired.backoff)
    return state, True


# ---------------------------------------------------------------- outcome


@attrs.frozen
class JobOutcome:
    name: str
    active: int
    succeeded: int
    failed: int
    condition: str | None  # "Complete", "Failed" or None
    reason: str
    completed_indexes: str
    failed_indexes: str | None
    suspended: bool


@attrs.frozen
class CronJobOutcome:
    name: str
    created: tuple[str, ...]  # child Jobs in creation order
    replaced: tuple[str, ...]
    cleaned_up: tuple[str, ...]
    remaining: tuple[str, ...]
    active: tuple[str, ...]
    last_schedule_time: float | None
    last_successful_time: float | None


@attrs.frozen
class BatchOutcome:
    jobs: tuple[JobOutcome, ...]
    cronjobs: tuple[CronJobOutcome, ...]


def job_outcome(job: JobView) -> JobOutcome:
    status = job.status
    cond = status.finished
    suspended = status.condition("Suspended") is not None
    return JobOutcome(
        job.name,
        status.active,
        status.succeeded,
        status.failed,
        cond.type if cond else None,
        cond.reason if cond else "",
        status.completed_indexes,
        status.failed_indexes,
        suspended,
    )


def _deleted(state: BatchState, names: Sequence[str], reason: str) -> tuple[str, ...]:
    return tuple(d.job for d in state.deleted if d.job in names and d.reason == reason)


def outcome(state: BatchState) -> BatchOutcome:
    """What upstream determines at quiescence, independent of pod names and timing."""
    crons = []
    for cj in state.cronjobs:
        made = tuple(name for name, owner, _ in state.created if owner == cj.uid)
        remaining = tuple(j.name for j in state.jobs if j.owner == cj.name)
        status = cj.status
        crons.append(
            CronJobOutcome(
                cj.name,
                made,
                _deleted(state, made, "replace"),
                _deleted(state, made, "history"),
                remaining,
                status.active,
                status.last_schedule_time,
                status.last_successful_time,
            )
        )
    return BatchOutcome(tuple(job_outcome(j) for j in state.jobs), tuple(crons))

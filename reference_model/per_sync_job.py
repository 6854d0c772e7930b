"""PER-SYNC rules for Jobs: could upstream's `syncJob` have made exactly these writes from exactly this
snapshot?

Each completed Job sync is replayed through `job.job_sync` on the snapshot the controller read (its cache
of the Job and its pods, at the time it ran) plus what upstream keeps in memory: the expectations check,
the pod-failure back-off record and the pods whose tracking-finalizer removal is still in flight (skipped
when finished pods are counted). Its writes are judged against that decision:

* creations: exactly the pods manageJob creates (wantActive from parallelism, remaining completions or the
  work queue's first success, less the active and, under the Failed replacement policy, terminating pods;
  none while suspended, finishing, backing off or deleting); Indexed Jobs the lowest pending indexes, with
  the failure-count annotation backoffLimitPerIndex gives them;
* deletions: the right number of pods, and a set upstream's ranking allows (Indexed: out-of-range and
  duplicate-index pods first; then ActivePods order). The snapshot does not show what breaks some ties
  upstream (whether a Pending pod is bound, when a Ready pod became Ready), so those pods rank equal and
  any pick among equals is allowed;
* back-off: a failed pod with no container termination finished at a time the view does not show
  (upstream reads its Ready=False transition or deletion time): the decisions from its creation and from
  now are both allowed;
* finalizers: exactly the pods whose tracking finalizer the model removes (counted finished pods, pods
  deleted by manageJob or by a finish);
* status: the counters (active, ready, succeeded, failed, terminating), the index sets and startTime it
  wrote (or kept when nothing changed);
* conditions: the conditions (type, status, reason) and whether completionTime is set.

Not judged: syncs an API error cut short (upstream retries; their writes are a prefix), syncs the simulator
skips while its own newer status write is not in its cache yet (not traced), pod names, condition messages
and times, the 500-per-sync cap (no run reaches it).

refs kubernetes/kubernetes:pkg/controller/job/job_controller.go (syncJob, manageJob, activePodsForRemoval,
deleteJobPods, deleteActivePods, trackJobStatusAndRemoveFinalizers, getNewFinishedPods),
pkg/controller/job/indexed_job_utils.go (firstPendingIndexes, appendDuplicatedIndexPodsForRemoval),
pkg/controller/controller_utils.go (ActivePods.Less).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs

from kubeprops.scenario.batch import JOB, JobPodView, JobSpec, JobStatus, JobView
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write

from . import job
from .invariants import PER_SYNC, Rule, Violation
from .job_backoff import BackoffRecord

START_TIME_RESOLUTION = 1e-6  # the simulator writes RFC3339Nano; float round trips differ below this


def _rule(section: str, name: str, description: str) -> Rule:
    return Rule(f"{section} {PER_SYNC} {name}", section, PER_SYNC, description)


JOB_CREATE = _rule("5.5", "job-create", "creates exactly the pods (and indexes) manageJob decides")
JOB_DELETE = _rule("5.5", "job-delete", "deletes the number of pods decided, in an order upstream allows")
JOB_FINALIZERS = _rule("5.2", "job-finalizers", "removes the tracking finalizer of exactly the pods counted")
JOB_STATUS = _rule("5.8", "job-status", "the counters written equal the ones computed from the snapshot")
JOB_CONDITIONS = _rule("5.4", "job-conditions", "conditions written only as the snapshot justifies them")

RULES: tuple[Rule, ...] = (JOB_CREATE, JOB_DELETE, JOB_FINALIZERS, JOB_STATUS, JOB_CONDITIONS)


def check_job(record: SyncRecord) -> Iterator[Violation]:
    snap = record.snapshot
    current = next((j for j in snap.jobs if j.name == record.key), None)
    if current is None:
        return
    pods = _pods_as_counted(record, current)
    found: list[Violation] = []
    for variant in _finish_times(current.spec, pods, snap.now):
        found = list(_judge(record, current, variant))
        if not found:
            return
    yield from found  # the model's own reading's violations


def _finish_times(spec: JobSpec, pods: list[JobPodView], now: float) -> list[list[JobPodView]]:
    """The readings of the snapshot the back-off may start from. A failed pod without a container
    termination finished when it became not Ready or was deleted (less its grace period), which the view
    does not show: any time from its creation (the model's reading) to now, and the back-off is longest
    for the latest. Both ends are allowed."""
    # ref backoff_utils.go (getFinishedTime: containers, Ready=False transition, deletionTimestamp - grace)
    unknown = [p.finished is None and job.is_pod_failed(p, spec) for p in pods]
    if not any(unknown):
        return [pods]
    return [pods, [attrs.evolve(p, finished=now) if u else p for p, u in zip(pods, unknown, strict=True)]]


def _judge(record: SyncRecord, current: JobView, pods: list[JobPodView]) -> Iterator[Violation]:
    obj, now = f"{JOB}/{record.key}", record.snapshot.now
    failures, last_failure = record.job_backoff
    decision = job.job_sync(
        current,
        pods,
        now,
        record=BackoffRecord(failures, last_failure),
        expectations_satisfied=record.expectations_satisfied,
    )
    at = f"at t={now:g}"
    yield from _creations(record, decision, obj, at)
    yield from _deletions(record, current.spec, pods, decision, obj, at)
    yield from _finalizers(record, pods, decision, obj, at)
    yield from _status(record, current.status, decision.status, obj, at)


def _pods_as_counted(record: SyncRecord, current: JobView) -> list[JobPodView]:
    """The Job's pods after its claim; one whose finalizer removal is in flight counts as released (not
    counted again). The claim comes first in the sync (getPodsForJob): a pod update the sync wrote that
    leaves the pod without a Job controller is a release, the first one of a pod the snapshot does not
    show as the Job's is an adoption (with the tracking finalizer, as written). Which pods the selector
    matches the snapshot does not show: the claim itself is judged settled (settles-to-model)."""
    removing = set(record.finalizer_removals)
    owned = {p.name: p for p in record.snapshot.job_pods if p.job == current.name}
    released: set[str] = set()
    adopted: dict[str, JobPodView] = {}
    for w in _writes(record, UPDATE, "Pod"):
        if w.error:
            continue
        if w.obj is None:
            released.add(w.name)
        elif isinstance(w.obj, JobPodView) and w.obj.job == current.name and w.name not in owned:
            adopted.setdefault(w.name, w.obj)
    pods = [p for name, p in owned.items() if name not in released] + list(adopted.values())
    return [attrs.evolve(p, finalizer=False) if p.uid in removing else p for p in pods]


def _writes(record: SyncRecord, verb: str, kind: str) -> list[Write]:
    return [w for w in record.writes if w.verb == verb and w.kind == kind]


def _stripped(write: Write) -> bool:
    return isinstance(write.obj, JobPodView) and not write.obj.finalizer


def _creations(record: SyncRecord, decision: job.JobDecision, obj: str, at: str) -> Iterator[Violation]:
    created = [w.obj for w in _writes(record, CREATE, "Pod") if isinstance(w.obj, JobPodView)]
    got = sorted((p.index if p.index is not None else -1, p.failure_count) for p in created)
    want = sorted((c.index if c.index is not None else -1, c.failure_count) for c in decision.create)
    if got != want:
        yield Violation(
            JOB_CREATE.id,
            obj,
            f"{at} created {len(got)} pods (index, failure count) {got}, the model {len(want)}: {want}",
        )


def rank(pod: JobPodView) -> tuple[object, ...]:
    """ActivePods.Less as far as the snapshot shows it, most deletable first. Pending pods rank equal
    (upstream puts unbound ones first; the view has no node), and so do Ready pods of one phase (upstream
    puts the one Ready for less time first; the view has no transition time)."""
    # ref controller_utils.go (ActivePods.Less)
    phase = {"Pending": 0, "Unknown": 1}.get(pod.phase, 2)
    if phase == 0:
        return (0,)
    if pod.ready:
        return (phase, True)
    return (phase, False, -pod.restarts, -pod.created)


def allows_deletion(spec: JobSpec, active: Sequence[JobPodView], deleted: set[str], count: int) -> bool:
    """Whether deleting `deleted` is what activePodsForRemoval returns for some order of tied pods, when
    it removes `count` pods."""
    # ref job_controller.go (activePodsForRemoval), indexed_job_utils.go (appendDuplicatedIndexPodsForRemoval)
    names = {p.name for p in active}
    if len(deleted) != count or not deleted <= names:
        return False
    left = list(active)
    if spec.indexed:
        groups: dict[int, list[JobPodView]] = {}
        for pod in active:
            if pod.index is None or pod.index >= (spec.completions or 0):
                if pod.name not in deleted:  # out-of-range pods always go
                    return False
            else:
                groups.setdefault(pod.index, []).append(pod)
        left = []
        for group in groups.values():
            kept = _kept(group, deleted)
            if kept is None:
                return False
            left.append(kept)
    extra = [p for p in left if p.name in deleted]
    spared = [p for p in left if p.name not in deleted]
    return all(rank(e) <= rank(s) for e in extra for s in spared)


def _kept(group: list[JobPodView], deleted: set[str]) -> JobPodView | None:
    """The pod of one index that deduplication keeps (one of the least deletable), None if no choice fits."""
    top = max(rank(p) for p in group)
    survivors = [p for p in group if p.name not in deleted]
    if not survivors:  # the kept one went in the ranked removal after it
        return next(p for p in group if rank(p) == top)
    if len(survivors) == 1 and rank(survivors[0]) == top:
        return survivors[0]
    return None


def _deletions(
    record: SyncRecord,
    spec: JobSpec,
    pods: Sequence[JobPodView],
    decision: job.JobDecision,
    obj: str,
    at: str,
) -> Iterator[Violation]:
    deleted = {w.name for w in _writes(record, DELETE, "Pod")}
    if not deleted and not decision.delete:
        return
    active = [p for p in pods if p.active]
    if not allows_deletion(spec, active, deleted, len(decision.delete)):
        yield Violation(
            JOB_DELETE.id,
            obj,
            f"{at} deleted {sorted(deleted)}; the model deletes {len(decision.delete)} "
            f"(e.g. {sorted(decision.delete)}) of active {sorted(p.name for p in active)}",
        )


def _finalizers(
    record: SyncRecord, pods: Sequence[JobPodView], decision: job.JobDecision, obj: str, at: str
) -> Iterator[Violation]:
    removed = sorted(w.name for w in _writes(record, UPDATE, "Pod") if _stripped(w))
    want = set(decision.remove_finalizers)
    doomed = set(decision.delete)
    if want & doomed:  # the deleted pods lose theirs too: the ones this sync picked (ties are free)
        holding = {p.name for p in pods if p.finalizer}
        picked = {w.name for w in _writes(record, DELETE, "Pod")}
        want = (want - doomed) | (picked & holding)
    if removed != sorted(want):
        yield Violation(
            JOB_FINALIZERS.id,
            obj,
            f"{at} removed the tracking finalizer of {removed}, the model {sorted(want)}",
        )


def _status(record: SyncRecord, before: JobStatus, want: JobStatus, obj: str, at: str) -> Iterator[Violation]:
    written = [w.obj for w in _writes(record, UPDATE_STATUS, JOB) if isinstance(w.obj, JobView)]
    got = written[-1].status if written else before
    how = "wrote" if written else "kept"
    if _counters(got) != _counters(want):
        yield Violation(JOB_STATUS.id, obj, f"{at} {how} {_counters(got)}, the model {_counters(want)}")
    if _conditions(got) != _conditions(want):
        yield Violation(
            JOB_CONDITIONS.id, obj, f"{at} {how} {_conditions(got)}, the model {_conditions(want)}"
        )


def _counters(s: JobStatus) -> tuple[tuple[str, object], ...]:
    start = None if s.start_time is None else round(s.start_time / START_TIME_RESOLUTION)
    return (
        ("active", s.active),
        ("ready", s.ready),
        ("succeeded", s.succeeded),
        ("failed", s.failed),
        ("terminating", s.terminating),
        ("uncountedTerminatedPods", (len(s.uncounted_succeeded), len(s.uncounted_failed))),
        ("completedIndexes", s.completed_indexes),
        ("failedIndexes", s.failed_indexes),
        ("startTime", start),
    )


def _conditions(s: JobStatus) -> tuple[object, ...]:
    conditions = tuple(sorted((c.type, c.status, c.reason) for c in s.conditions))
    return (("conditions", conditions), ("completionTime", s.completion_time is not None))

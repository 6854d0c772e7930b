"""PER-SYNC checks of Job syncs: worked examples of each rule on hand-built sync records (the right writes
pass, a wrong one names its rule), and the simulator's own trace."""

import attrs
import pytest
from sim_builders import traced_syncs

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import simulator_factory
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.per_sync_job import (
    JOB_CONDITIONS,
    JOB_CREATE,
    JOB_DELETE,
    JOB_FINALIZERS,
    JOB_STATUS,
    allows_deletion,
)
from kubeprops.scenario import batch as b
from kubeprops.scenario.spec import PodBehavior, PodTemplate
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import ClusterView, Condition

T = PodTemplate(labels={"app": "work"}, image="worker:v1", behavior=PodBehavior(0))
NOW = 100.0


def job(spec: b.JobSpec, **status: object) -> b.JobView:
    status.setdefault("start_time", 0.0)
    return b.JobView("work", "uid-work", spec, b.JobStatus(**status), 0.0)


def pod(name: str, phase: str = "Running", index: int | None = None, **kw: object) -> b.JobPodView:
    return b.JobPodView(name, f"uid-{name}", "work", phase, kw.pop("created", 1.0), index, **kw)


def new_pod(name: str, index: int | None = None) -> Write:
    return Write(CREATE, "Pod", name, pod(name, "Pending", index, created=NOW))


def deleted(name: str) -> Write:
    return Write(DELETE, "Pod", name)


def stripped(p: b.JobPodView) -> Write:
    return Write(UPDATE, "Pod", p.name, attrs.evolve(p, finalizer=False))


def status_write(j: b.JobView, **status: object) -> Write:
    status.setdefault("start_time", j.status.start_time)
    status.setdefault("terminating", 0)
    return Write(UPDATE_STATUS, b.JOB, j.name, attrs.evolve(j, status=b.JobStatus(**status)))


def record(j: b.JobView, pods: list[b.JobPodView], *writes: Write, **extra: object) -> SyncRecord:
    snap = ClusterView(now=NOW, jobs=(j,), job_pods=tuple(pods))
    return SyncRecord(b.JOB, j.name, snap, tuple(writes), True, **extra)


def rules(r: SyncRecord) -> set[str]:
    return {v.rule for v in check_sync(r)}


# ---------------------------------------------------------------- creations (5.5)


def test_creates_what_parallelism_and_remaining_completions_allow():
    j = job(b.JobSpec(T, parallelism=3, completions=5, backoff_limit=6), succeeded=3)
    right = record(j, [], new_pod("a"), new_pod("b"), status_write(j, active=2, succeeded=3))
    assert rules(right) == set()
    too_many = record(j, [], new_pod("a"), new_pod("b"), new_pod("c"), status_write(j, active=3, succeeded=3))
    assert JOB_CREATE.id in rules(too_many)


def test_no_creation_while_suspended_or_backing_off_or_with_expectations_unsatisfied():
    suspended = job(b.JobSpec(T, parallelism=2, completions=2, suspend=True), start_time=None)
    cond = Condition("Suspended", "True", "JobSuspended", "Job suspended", NOW, NOW)
    created = record(suspended, [], new_pod("a"), status_write(suspended, active=1, conditions=(cond,)))
    assert JOB_CREATE.id in rules(created)
    assert rules(record(suspended, [], status_write(suspended, conditions=(cond,)))) == set()

    j = job(b.JobSpec(T, parallelism=1, completions=2), failed=1)
    # one failure 5 s ago: 10 s back-off, manageJob reports active 0 meanwhile
    waiting = record(j, [], status_write(j, failed=1), job_backoff=(1, NOW - 5))
    assert rules(waiting) == set()
    early = record(j, [], new_pod("a"), status_write(j, active=1, failed=1), job_backoff=(1, NOW - 5))
    assert JOB_CREATE.id in rules(early)
    late = record(j, [], new_pod("a"), status_write(j, active=1, failed=1), job_backoff=(1, NOW - 11))
    assert rules(late) == set()

    unseen = record(j, [], new_pod("a"), status_write(j, active=1, failed=1), expectations_satisfied=False)
    assert JOB_CREATE.id in rules(unseen)


def test_work_queue_creates_nothing_after_its_first_success():
    j = job(b.JobSpec(T, parallelism=3), succeeded=1)
    one = [pod("a")]
    assert rules(record(j, one, status_write(j, active=1, succeeded=1))) == set()
    replaced = record(j, one, new_pod("b"), status_write(j, active=2, succeeded=1))
    assert JOB_CREATE.id in rules(replaced)


def test_indexed_creates_the_lowest_pending_indexes():
    # fact sheet 5.5: completions 5, parallelism 2, succeeded {0,1,3}, active {2} -> one pod, index 4
    spec = b.JobSpec(T, parallelism=2, completions=5, completion_mode=b.INDEXED)
    j = job(spec, succeeded=3, completed_indexes="0,1,3")
    pods = [pod("p2", index=2)]
    done = {"succeeded": 3, "completed_indexes": "0,1,3"}
    assert rules(record(j, pods, new_pod("p4", 4), status_write(j, active=2, **done))) == set()
    wrong = record(j, pods, new_pod("p2b", 2), status_write(j, active=2, **done))
    assert JOB_CREATE.id in rules(wrong)


# ---------------------------------------------------------------- deletions (5.5, 0.5)


def test_scale_down_deletes_not_ready_first_and_any_of_tied_ready_pods():
    j = job(b.JobSpec(T, parallelism=1, completions=5))
    slow = pod("slow", restarts=2)  # not Ready: goes first
    fast1, fast2 = pod("fast1", ready=True), pod("fast2", ready=True, created=2.0)
    pods = [slow, fast1, fast2]

    def scaled(*gone: b.JobPodView) -> SyncRecord:
        writes = [w for p in gone for w in (stripped(p), deleted(p.name))]
        return record(j, pods, *writes, status_write(j, active=1, ready=1, terminating=2))

    # Ready pods tie: the snapshot does not show which became Ready last (upstream's next criterion)
    assert rules(scaled(slow, fast1)) == set()
    assert rules(scaled(slow, fast2)) == set()
    assert JOB_DELETE.id in rules(scaled(fast1, fast2))
    assert JOB_DELETE.id in rules(scaled(slow))


def test_indexed_deletes_the_duplicate_of_an_index_first():
    spec = b.JobSpec(T, parallelism=2, completions=2, completion_mode=b.INDEXED)
    j = job(spec)
    keep, dup, other = pod("keep", index=0, ready=True), pod("dup", "Pending", 0), pod("one", index=1)
    pods = [keep, dup, other]
    right = record(j, pods, stripped(dup), deleted("dup"), status_write(j, active=2, ready=1, terminating=1))
    assert rules(right) == set()
    assert not allows_deletion(spec, pods, {"keep"}, 1)
    assert not allows_deletion(spec, pods, {"one"}, 1)


# ---------------------------------------------------------------- finalizers (5.2) and status (5.8)


def test_counts_a_finished_pod_once_and_releases_its_finalizer():
    j = job(b.JobSpec(T, parallelism=2, completions=2))
    done, running = pod("done", "Succeeded", finished=50.0), pod("run", ready=True)
    pods = [done, running]
    right = record(j, pods, status_write(j, active=1, ready=1, succeeded=1), stripped(done))
    assert rules(right) == set()
    kept = record(j, pods, status_write(j, active=1, ready=1, succeeded=1))
    assert JOB_FINALIZERS.id in rules(kept)
    extra = record(
        j, pods, status_write(j, active=1, ready=1, succeeded=1), stripped(done), stripped(running)
    )
    assert JOB_FINALIZERS.id in rules(extra)
    # its finalizer removal already in flight: counted by an earlier sync, not again
    counted = job(j.spec, succeeded=1)
    in_flight = {"finalizer_removals": (done.uid,)}
    again = record(counted, pods, status_write(counted, active=1, ready=1, succeeded=2), **in_flight)
    assert JOB_STATUS.id in rules(again)
    assert (
        rules(record(counted, pods, status_write(counted, active=1, ready=1, succeeded=1), **in_flight))
        == set()
    )


def test_status_counters_equal_the_snapshot():
    j = job(b.JobSpec(T, parallelism=2, completions=4), succeeded=1, failed=1)
    pods = [pod("a", ready=True), pod("b")]
    assert rules(record(j, pods, status_write(j, active=2, ready=1, succeeded=1, failed=1))) == set()
    assert JOB_STATUS.id in rules(record(j, pods, status_write(j, active=1, ready=1, succeeded=1, failed=1)))
    assert JOB_STATUS.id in rules(record(j, pods, status_write(j, active=2, ready=1, succeeded=0, failed=1)))


# ---------------------------------------------------------------- conditions (5.3, 5.4)


def test_completion_only_when_the_snapshot_reaches_it():
    j = job(b.JobSpec(T, parallelism=1, completions=1))
    done = pod("done", "Succeeded", finished=50.0)
    met = Condition(b.SUCCESS_CRITERIA_MET, "True", b.COMPLETIONS_REACHED, "", NOW, NOW)
    complete = Condition(b.COMPLETE, "True", b.COMPLETIONS_REACHED, "", NOW, NOW)
    finished = {"succeeded": 1, "conditions": (met, complete), "completion_time": NOW}
    assert rules(record(j, [done], status_write(j, **finished), stripped(done))) == set()
    running = attrs.evolve(done, phase="Running", finished=None)
    early = record(j, [running], status_write(j, active=1, **{**finished, "succeeded": 0}))
    assert JOB_CONDITIONS.id in rules(early)
    assert JOB_CONDITIONS.id in rules(record(j, [done], status_write(j, succeeded=1), stripped(done)))


def test_a_failing_job_deletes_every_active_pod_and_waits_for_them():
    j = job(b.JobSpec(T, parallelism=2, completions=4, backoff_limit=0))
    failed, running = pod("f", "Failed", finished=50.0), pod("r", ready=True)
    target = Condition(b.FAILURE_TARGET, "True", b.BACKOFF_LIMIT_EXCEEDED, "", NOW, NOW)
    writes = (deleted("r"), status_write(j, failed=2, terminating=1, conditions=(target,)))
    right = record(j, [failed, running], *writes, stripped(failed), stripped(running))
    assert rules(right) == set()
    failed_now = Condition(b.FAILED_CONDITION, "True", b.BACKOFF_LIMIT_EXCEEDED, "", NOW, NOW)
    writes = (deleted("r"), status_write(j, failed=2, terminating=1, conditions=(target, failed_now)))
    assert JOB_CONDITIONS.id in rules(
        record(j, [failed, running], *writes, stripped(failed), stripped(running))
    )
    kept = record(j, [failed, running], writes[1], stripped(failed), stripped(running))
    assert JOB_DELETE.id in rules(kept)


# ---------------------------------------------------------------- the simulator's trace


def traced(*ops: object) -> list[SyncRecord]:
    return traced_syncs(b.JOB, *ops)


@pytest.fixture(scope="module")
def indexed_run() -> list[SyncRecord]:
    spec = b.JobSpec(T, parallelism=2, completions=4, completion_mode=b.INDEXED)
    return traced(b.CreateJob("work", spec), b.PodSucceeds("work", 0), b.PodFails("work", 0, 1))


def test_every_recorded_sync_of_an_indexed_job_passes(indexed_run):
    assert len([r for r in indexed_run if r.completed]) >= 3
    assert all(check_sync(r) == [] for r in indexed_run)
    first = next(r for r in indexed_run if any(w.verb == CREATE for w in r.writes))
    created = sorted(w.obj.index for w in first.writes if w.verb == CREATE)
    assert created == [0, 1]
    assert [j.name for j in first.snapshot.jobs] == ["work"]


def test_a_recorded_sync_with_one_creation_dropped_is_caught(indexed_run):
    first = next(r for r in indexed_run if any(w.verb == CREATE for w in r.writes))
    fewer = tuple(w for w in first.writes if not (w.verb == CREATE and w.obj.index == 1))
    assert JOB_CREATE.id in rules(attrs.evolve(first, writes=fewer))


def test_backoff_from_a_failure_whose_finish_time_the_view_does_not_show_allows_both_ends():
    # a pod deleted by someone else counts as failed (TerminatingOrFailed); upstream's back-off starts at
    # its deletion time less the grace period, which the view does not show: creation (0 s) .. now (100 s)
    j = job(b.JobSpec(T, parallelism=1, completions=1))
    gone = pod("gone", deleting=True, created=0.0)
    waits = record(j, [gone], status_write(j, failed=1, terminating=1), stripped(gone))
    replaces = record(
        j, [gone], new_pod("b"), status_write(j, active=1, failed=1, terminating=1), stripped(gone)
    )
    assert rules(waits) == set()
    assert rules(replaces) == set()
    # a container termination 95 s ago is shown: the 10 s back-off is over, a replacement is due
    ended = attrs.evolve(gone, deleting=False, phase="Failed", finished=5.0)
    assert JOB_CREATE.id in rules(record(j, [ended], status_write(j, failed=1), stripped(ended)))


def test_a_failed_creation_ends_the_slow_start_and_the_sync_is_retried_not_judged():
    # ref job_controller.go (manageJob: batches 1, 2, 4, ...; the first batch with an error skips the rest
    # and syncJob returns the error after writing status)
    sim = simulator_factory(RunContext(seed=0), faults={"pod-create": 1.0})
    sim.start_sync_trace()
    tracer = sim.cluster.jobs.tracer
    attempts: list[int] = []  # per create call: how many syncs were recorded before it
    check = sim.cluster.faults.check
    sim.cluster.faults.check = lambda flag: (attempts.append(len(tracer.records)), check(flag))[1]  # type: ignore
    try:
        sim.apply(b.CreateJob("work", b.JobSpec(T, parallelism=5, completions=5)))
        sim.cluster.run_until_idle()
        failed = [r for r in sim.take_sync_trace() if r.controller == b.JOB]
        assert attempts and len(attempts) == len(set(attempts))  # one attempt per sync, not five
        assert not any(r.completed for r in failed)
        sim.cluster.faults.rates.clear()
        assert sim.settle(600).settled
        later = [r for r in sim.take_sync_trace() if r.controller == b.JOB]
        assert all(check_sync(r) == [] for r in later)
        assert len(sim.observe().job_pods) == 5
    finally:
        sim.close()


def test_a_batched_sync_that_sees_several_pod_changes_passes():
    # a success and a failure 0.3 s apart, then a success in the same second: one sync (at 6.0) counts
    # all three from one snapshot, and the rules judge that sync like any other
    sim = simulator_factory(RunContext(seed=0))
    sim.start_sync_trace()
    try:
        sim.apply(b.CreateJob("work", b.JobSpec(T, parallelism=3, completions=5)))
        sim.advance(5)
        sim.apply(b.PodSucceeds("work", 0))
        sim.advance(0.3)
        sim.apply(b.PodFails("work", 0))
        sim.apply(b.PodSucceeds("work", 0))
        assert sim.settle(3600).settled
        syncs = [r for r in sim.take_sync_trace() if r.controller == b.JOB and r.completed]
    finally:
        sim.close()
    batched = [r for r in syncs if r.snapshot.now == 6.0]
    assert len(batched) == 1
    finished = [p for p in batched[0].snapshot.job_pods if p.phase in ("Succeeded", "Failed") and p.finalizer]
    assert len(finished) == 3
    assert all(check_sync(r) == [] for r in syncs)

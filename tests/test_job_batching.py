"""The Job controller's 1 s pod-event batching (job_controller.go@v1.35.4 enqueueSyncJobBatched) and the
delaying queue's merge of waits (client-go delaying_queue.go insert), in the simulator and in the model.

Worked examples: a pod succeeding at t completes its Job at t + 1 (the batched sync), unless a sync queued
earlier is still waiting, which then runs it sooner; two pod events 0.3 s apart are seen by one sync; a
failed pod's replacement comes when the 10 s back-off from the failure is over; creating a Job or changing
its spec syncs it at once.
"""

from sim_builders import simulator

from kubeprops.adapters.simulator.clock import Clock
from kubeprops.adapters.simulator.controllers import job as sim_job
from kubeprops.adapters.simulator.controllers.workqueue import WorkQueue
from kubeprops.reference_model import batch_world as bw
from kubeprops.scenario import batch as b
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate

T = PodTemplate(labels={"app": "work"}, image="worker:v1")
PAIR = b.JobSpec(T, completions=2, parallelism=2)

# a quiet Job at t=5 (its creation's batched sync ran at 1), then the pods of `PAIR` succeed 0.3 s apart
TWO_SUCCESSES = [
    b.CreateJob("work", PAIR),
    Advance(5),
    b.PodSucceeds("work", 0),
    Advance(0.3),
    b.PodSucceeds("work", 0),
]


# ---------------------------------------------------------------- the delaying queue


def _queue() -> tuple[Clock, WorkQueue]:
    clock = Clock()
    return clock, WorkQueue(clock, "job")


def _fire_until(clock: Clock, queue: WorkQueue, when: float) -> None:
    while (at := clock.next_timer()) is not None and at <= when:
        clock.jump_to(at)
        clock.fire_due(lambda timer: queue.fire(timer[2]))
    clock.jump_to(when)


def test_a_later_add_after_of_a_waiting_key_changes_nothing():
    clock, queue = _queue()
    queue.add_after("work", 1.0)
    clock.jump_to(0.3)
    queue.add_after("work", 1.0)  # 1.3 > 1.0: the earliest wait wins
    assert queue.waiting("work") == 1.0
    _fire_until(clock, queue, 1.0)
    assert len(queue) == 1 and queue.waiting("work") is None
    _fire_until(clock, queue, 5.0)
    assert len(queue) == 1  # no second add


def test_a_sooner_add_after_moves_the_wait_earlier_and_the_old_timer_does_nothing():
    clock, queue = _queue()
    queue.add_after("work", 9.0)  # a back-off requeue
    queue.add_after("work", 1.0)  # then a pod event
    assert queue.waiting("work") == 1.0
    _fire_until(clock, queue, 1.0)
    assert queue.pop() == "work"
    _fire_until(clock, queue, 9.0)
    assert len(queue) == 0  # the 9 s entry was replaced, not kept


def test_a_key_already_queued_is_not_added_twice_when_its_wait_ends():
    clock, queue = _queue()
    queue.add("work")
    queue.add_after("work", 1.0)
    _fire_until(clock, queue, 1.0)
    assert len(queue) == 1


def test_every_controller_queue_merges_waits():
    clock = Clock()
    queue = WorkQueue(clock, "replicaset")
    queue.add_after("rs", 1.0)
    queue.add_after("rs", 2.0)  # merged into the earlier wait
    _fire_until(clock, queue, 1.0)
    assert queue.pop() == "rs"
    _fire_until(clock, queue, 2.0)
    assert len(queue) == 0


# ---------------------------------------------------------------- the simulator


def _sim_run(ops, monkeypatch=None, syncs=None):
    sim = simulator()
    if monkeypatch is not None:
        real = sim_job.sync_job

        def counted(ctl, key):
            syncs.append(ctl.clock.now)
            return real(ctl, key)

        monkeypatch.setattr(sim_job, "sync_job", counted)
    for op in ops:
        if isinstance(op, Advance):
            sim.advance(op.seconds)
        else:
            sim.apply(op)
    return sim


def test_sim_two_pod_events_0_3_s_apart_give_one_sync(monkeypatch):
    syncs: list[float] = []
    sim = _sim_run(TWO_SUCCESSES, monkeypatch, syncs)
    try:
        assert sim.observe().jobs[0].status.finished is None  # t=5.3: not synced since the pods finished
        sim.advance(0.7)
        status = sim.observe().jobs[0].status
        # one sync at 6.0 (5.0 + 1 s; the second event's 6.3 lost to the earlier wait) saw both
        assert [t for t in syncs if 5 <= t <= 6] == [6.0]
        assert status.succeeded == 2 and status.finished.type == b.COMPLETE
        assert status.completion_time == 6.0
    finally:
        sim.close()


def test_sim_job_creation_syncs_at_once_and_pod_events_after_the_batch_period(monkeypatch):
    syncs: list[float] = []
    sim = _sim_run([b.CreateJob("work", PAIR), Advance(3)], monkeypatch, syncs)
    try:
        # addJob at 0; its pod creations and status write, and the pods turning Ready at 0, are batched
        # into one sync at 1.0, which writes ready: 2; that status-only update queues 2.0, which changes
        # nothing and so queues nothing more
        assert syncs == [0.0, 1.0, 2.0]
    finally:
        sim.close()


def test_sim_replacement_waits_for_the_back_off_from_the_failure():
    sim = _sim_run([b.CreateJob("work", b.JobSpec(T)), Advance(5), b.PodFails("work", 0), Advance(1)])
    try:
        status = sim.observe().jobs[0].status
        assert (status.failed, status.active) == (1, 0)  # counted at 6; back-off until 15
        sim.advance(8.9)
        assert sim.observe().jobs[0].status.active == 0
        sim.advance(0.1)
        pods = sorted(p.created for p in sim.observe().job_pods)
        assert pods == [0.0, 15.0]
    finally:
        sim.close()


# ---------------------------------------------------------------- the model, and both sides agree


def test_model_two_pod_events_0_3_s_apart_give_one_sync():
    state = bw.run(TWO_SUCCESSES)
    assert state.jobs[0].status.finished is None
    assert (6.0, bw.JOB, "work") in state.wakeups  # one wait, from the first event
    state = bw.run([Advance(0.7)], state)
    assert state.jobs[0].status.completion_time == 6.0 and state.jobs[0].status.succeeded == 2


def test_model_pod_success_completes_the_job_one_second_later():
    state = bw.run([b.CreateJob("work", b.JobSpec(T)), Advance(5), b.PodSucceeds("work", 0), Advance(1)])
    assert state.jobs[0].status.completion_time == 6.0


def test_model_an_earlier_wait_runs_the_sync_sooner():
    # the pod succeeds at 0.5 while the batched sync its creation queued (0 + 1 s) still waits
    state = bw.run([b.CreateJob("work", b.JobSpec(T)), Advance(0.5), b.PodSucceeds("work", 0), Advance(2)])
    assert state.jobs[0].status.completion_time == 1.0


def test_model_replacement_waits_for_the_back_off_from_the_failure():
    state = bw.run([b.CreateJob("work", b.JobSpec(T)), Advance(5), b.PodFails("work", 0), Advance(20)])
    assert sorted(p.created for p in state.pods) == [0.0, 15.0]


def test_model_spec_change_syncs_at_once():
    state = bw.run([b.CreateJob("work", b.JobSpec(T, completions=4, parallelism=1)), Advance(5)])
    state = bw.run([b.SetParallelism("work", 3)], state)
    assert sorted(p.created for p in state.pods) == [0.0, 5.0, 5.0]


def _times(job: b.JobView, pods) -> tuple[object, ...]:
    return (job.status.completion_time, job.status.failed, tuple(sorted(p.created for p in pods)))


def test_simulator_and_model_agree_on_the_batched_times():
    scenarios = [
        [*TWO_SUCCESSES, Advance(2)],
        [b.CreateJob("work", b.JobSpec(T)), Advance(0.5), b.PodSucceeds("work", 0), Advance(2)],
        [b.CreateJob("work", b.JobSpec(T, backoff_limit=3)), Advance(5), b.PodFails("work", 0), Advance(30)],
        [
            b.CreateJob("work", PAIR),
            Advance(2),
            b.PodFails("work", 0),
            Advance(0.4),
            b.PodFails("work", 0),
            Advance(60),
        ],
    ]
    for ops in scenarios:
        sim = _sim_run(ops)
        try:
            view, state = sim.observe(), bw.run(ops)
            assert _times(view.jobs[0], view.job_pods) == _times(state.jobs[0], state.pods), ops
        finally:
            sim.close()

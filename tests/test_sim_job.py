"""The simulated Job controller against upstream's rules (fact sheet §5), and against the batch model."""

import pytest
from sim_builders import simulator

from kubeprops.adapters.kube_objects_batch import job_manifest, job_spec_from_manifest
from kubeprops.adapters.simulator.controllers import job_backoff as jc
from kubeprops.adapters.simulator.controllers import job_pods
from kubeprops.reference_model import batch_world
from kubeprops.scenario import batch as b
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate

TEMPLATE = PodTemplate(labels={"app": "work"}, image="worker:v1")


def spec(**fields) -> b.JobSpec:
    return b.JobSpec(TEMPLATE, **fields)


def run(ops, seed: int = 0):
    sim = simulator(seed)
    try:
        for op in ops:
            if isinstance(op, Advance):
                sim.advance(op.seconds)
            else:
                sim.apply(op)
        assert sim.settle(3600).settled
        return sim.observe()
    finally:
        sim.close()


def job(view) -> b.JobView:
    return view.jobs[0]


def active(view) -> list[b.JobPodView]:
    return [p for p in view.job_pods if p.active]


# ---------------------------------------------------------------- pure helpers


@pytest.mark.parametrize(("failures", "seconds"), [(1, 10), (2, 20), (3, 40), (6, 320), (7, 600), (20, 600)])
def test_backoff_doubles_from_ten_seconds_capped_at_ten_minutes(failures, seconds):
    assert jc.backoff_duration(failures) == seconds


def test_backoff_remaining_counts_from_the_last_failure():
    assert jc.backoff_remaining((2, 100.0), 105.0) == 15.0
    assert jc.backoff_remaining((2, 100.0), 125.0) == 0.0
    assert jc.backoff_remaining((0, None), 5.0) == 0.0


@pytest.mark.parametrize(
    ("indexes", "text"), [({0, 1}, "0,1"), ({0, 1, 2}, "0-2"), ({0, 2, 3, 4, 7}, "0,2-4,7"), (set(), "")]
)
def test_completed_indexes_format_like_upstream(indexes, text):
    assert job_pods.format_indexes(indexes) == text
    assert job_pods.parse_indexes(text) == indexes


def test_manifest_round_trips_the_spec():
    original = spec(parallelism=2, completions=5, completion_mode=b.INDEXED, active_deadline_seconds=30)
    manifest = job_manifest("work", original)
    assert manifest["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] == 0
    assert job_spec_from_manifest(manifest["spec"]) == original


# ---------------------------------------------------------------- the four kinds of Job


@pytest.mark.parametrize(
    ("fields", "pods"),
    [
        ({}, 1),  # one-off
        ({"completions": 3}, 1),  # fixed completions, parallelism 1
        ({"completions": 5, "parallelism": 3}, 3),  # fixed completions in parallel
        ({"parallelism": 4}, 4),  # work queue
    ],
)
def test_active_pods_per_kind_of_job(fields, pods):
    view = run([b.CreateJob("work", spec(**fields))])
    assert len(active(view)) == job(view).status.active == pods


def test_parallelism_is_capped_by_the_remaining_completions():
    view = run(
        [
            b.CreateJob("work", spec(completions=3, parallelism=3)),
            b.PodSucceeds("work", 0),
            b.PodSucceeds("work", 0),
        ]
    )
    assert job(view).status.succeeded == 2
    assert len(active(view)) == 1


def test_work_queue_completes_when_the_last_pod_finishes_after_a_success():
    ops = [b.CreateJob("work", spec(parallelism=2)), b.PodSucceeds("work", 0)]
    assert job(run(ops)).status.finished is None  # the other pod still runs, no new ones
    assert len(active(run(ops))) == 1
    done = run([*ops, b.PodSucceeds("work", 0)])
    assert job(done).status.finished.type == b.COMPLETE
    assert job(done).status.succeeded == 2


def test_indexed_job_runs_lowest_pending_indexes_and_lists_completed_ones():
    ops = [b.CreateJob("work", spec(completions=4, parallelism=2, completion_mode=b.INDEXED))]
    view = run(ops)
    assert sorted(p.index for p in active(view)) == [0, 1]
    view = run([*ops, b.PodSucceeds("work", 1)])
    assert sorted(p.index for p in active(view)) == [0, 2]
    assert job(view).status.completed_indexes == "1"


# ---------------------------------------------------------------- failures


def test_failed_pods_are_replaced_after_an_exponential_back_off():
    sim = simulator()
    try:
        sim.apply(b.CreateJob("work", spec()))
        sim.apply(b.PodFails("work", 0))
        assert active(sim.observe()) == []
        sim.advance(9.9)
        assert active(sim.observe()) == []
        sim.advance(0.1)
        assert [p.created for p in active(sim.observe())] == [10.0]
        sim.apply(b.PodFails("work", 0))
        sim.advance(19.9)
        assert active(sim.observe()) == []
        sim.advance(0.1)
        assert [p.created for p in active(sim.observe())] == [30.0]
    finally:
        sim.close()


def test_backoff_limit_counts_failed_pods_for_restart_policy_never():
    ops = [b.CreateJob("work", spec(backoff_limit=1)), b.PodFails("work", 0), Advance(10)]
    assert job(run(ops)).status.finished is None
    view = run([*ops, b.PodFails("work", 0)])
    assert (job(view).status.finished.type, job(view).status.finished.reason) == (
        b.FAILED_CONDITION,
        b.BACKOFF_LIMIT_EXCEEDED,
    )
    assert job(view).status.failed == 2
    assert job(view).status.condition(b.FAILURE_TARGET) is not None


def test_on_failure_restarts_count_toward_the_backoff_limit():
    ops = [b.CreateJob("work", spec(backoff_limit=2, restart_policy=b.ON_FAILURE)), b.PodFails("work", 0)]
    view = run(ops)
    assert job(view).status.finished is None and active(view)[0].restarts == 1
    view = run([*ops, b.PodFails("work", 0)])
    assert job(view).status.finished.reason == b.BACKOFF_LIMIT_EXCEEDED
    assert job(view).status.failed == 1  # the running pod killed at the end is counted


def test_active_deadline_fails_the_job_and_kills_its_pods():
    view = run([b.CreateJob("work", spec(active_deadline_seconds=30, parallelism=2, completions=4))])
    assert job(view).status.finished.reason == b.DEADLINE_EXCEEDED
    # FailureTarget and the pods deleted at 30; Failed with the batched sync that sees them stopped, at 31
    assert view.now == 31.0
    assert job(view).status.condition(b.FAILURE_TARGET).last_transition_time == 30.0
    assert job(view).status.failed == 2 and active(view) == []


def test_deleted_pod_counts_as_failed_with_terminating_or_failed_replacement():
    view = run([b.CreateJob("work", spec()), b.DeleteJobPod("work", 0)])
    assert job(view).status.failed == 1
    assert len(active(view)) == 1


def test_failed_replacement_policy_replaces_the_deleted_pod_once_stopped():
    sim = simulator()
    try:
        sim.apply(b.CreateJob("work", spec(pod_replacement_policy=b.FAILED)))
        sim.apply(b.DeleteJobPod("work", 0))
        status = job(sim.observe()).status  # the pod event is batched: no sync yet
        assert (status.active, status.failed, status.terminating) == (1, 0, 0)
        sim.advance(0)  # the kubelet stops it (grace 0): Failed at t=0
        sim.advance(1)  # the batched sync counts it; the replacement waits out the back-off from t=0
        status = job(sim.observe()).status
        assert (status.active, status.failed, status.terminating) == (0, 1, 0)
        sim.advance(9)
        assert job(sim.observe()).status.active == 1
    finally:
        sim.close()


# ---------------------------------------------------------------- suspend and edits


def test_suspend_deletes_pods_without_counting_them_and_resume_resets_start_time():
    ops = [b.CreateJob("work", spec(parallelism=2, completions=4)), Advance(5)]
    view = run([*ops, b.SetSuspend(b.JOB, "work", True)])
    assert active(view) == [] and job(view).status.failed == 0
    assert job(view).status.condition(b.SUSPENDED) is not None
    view = run([*ops, b.SetSuspend(b.JOB, "work", True), Advance(7), b.SetSuspend(b.JOB, "work", False)])
    assert len(active(view)) == 2
    assert job(view).status.start_time == 12.0


def test_lower_parallelism_removes_pods_and_invalid_edits_are_rejected():
    view = run([b.CreateJob("work", spec(parallelism=3, completions=6)), b.SetParallelism("work", 1)])
    assert len(active(view)) == 1
    with pytest.raises(InvalidSpec) as err:
        run([b.CreateJob("work", spec()), b.SetParallelism("work", -1)])
    assert err.value.field == "spec.parallelism"


# ---------------------------------------------------------------- against the model


SCENARIOS = {
    "parallel-with-failures": [
        b.CreateJob("work", spec(completions=4, parallelism=2, backoff_limit=3)),
        b.PodFails("work", 0),
        b.PodSucceeds("work", 0),
        Advance(10),
        b.PodFails("work", 1),
        Advance(20),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
    ],
    "indexed-with-suspend": [
        b.CreateJob("work", spec(completions=3, parallelism=3, completion_mode=b.INDEXED)),
        b.PodSucceeds("work", 2),
        b.SetSuspend(b.JOB, "work", True),
        b.SetSuspend(b.JOB, "work", False),
        b.PodSucceeds("work", 0),
    ],
    "ttl-deletes-finished-job": [
        b.CreateJob("work", spec(ttl_seconds_after_finished=30, completions=2)),
        b.PodSucceeds("work", 0),
        Advance(5),
        b.PodSucceeds("work", 0),
        Advance(40),
    ],
    "deadline-after-resume": [
        b.CreateJob("work", spec(active_deadline_seconds=30, suspend=True)),
        Advance(60),
        b.SetSuspend(b.JOB, "work", False),
        Advance(29),
        b.PodFails("work", 0),
        Advance(5),
    ],
}


@pytest.mark.parametrize("seed", [0, 7])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_simulator_settles_where_the_model_does(name, seed):
    ops = SCENARIOS[name]
    state, settled = batch_world.settle(batch_world.run(ops), 3600)
    assert settled
    expected = batch_world.outcome(state).jobs
    assert tuple(batch_world.job_outcome(j) for j in run(ops, seed).jobs) == expected


def test_ttl_after_finished_deletes_the_job_and_its_pods_when_it_expires():
    sim = simulator()
    try:
        sim.apply(b.CreateJob("work", spec(ttl_seconds_after_finished=30)))
        sim.advance(5)
        sim.apply(b.PodSucceeds("work", 0))  # at 5: the batched sync completes the Job at 6
        sim.advance(30.9)
        assert [j.name for j in sim.observe().jobs] == ["work"]
        sim.advance(0.1)
        assert sim.observe().jobs == () and sim.observe().job_pods == ()
    finally:
        sim.close()

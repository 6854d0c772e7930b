"""The state machines' targeted steps reach the boundaries they are for, and the checks see the bugs there.

Each targeted step (a crash then a scale-down minutes later; exactly succeededCount successes; one
work-queue worker finishing among several; a StatefulSet scaled down past two unready pods) is run by hand on the simulator, with and without the mutant
whose bug it exposes: the check fails with the bug and passes without it.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mutants import MUTANTS

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties.job import JobMachine
from kubeprops.properties.job_strategies import JOB_TEMPLATE
from kubeprops.properties.machine import (
    PER_SYNC,
    RESTART_MARGIN,
    SETTLED,
    MachineConfig,
    PropertyViolation,
    RunStats,
    aligned_wait,
    bind,
)
from kubeprops.properties.replicaset import ReplicaSetMachine
from kubeprops.properties.statefulset import StatefulSetMachine
from kubeprops.scenario import ReplicaSetSpec, batch
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.spec import PodBehavior, PodTemplate


def machine(cls, check):
    return bind(cls, MachineConfig(simulator_factory, check, RunStats()))()


def job_machine(spec: batch.JobSpec) -> JobMachine:
    m = machine(JobMachine, SETTLED)
    m.create(0, spec)
    return m


def indexed(completions: int, parallelism: int, count: int) -> batch.JobSpec:
    return batch.JobSpec(
        template=JOB_TEMPLATE,
        completions=completions,
        parallelism=parallelism,
        completion_mode=batch.INDEXED,
        restart_policy=batch.NEVER,
        success_policy=(batch.SuccessPolicyRule(succeeded_count=count),),
    )


def work_queue(parallelism: int) -> batch.JobSpec:
    return batch.JobSpec(template=JOB_TEMPLATE, parallelism=parallelism, restart_policy=batch.NEVER)


@pytest.mark.parametrize("completions, parallelism, count", [(3, 1, 2), (3, 3, 1), (2, 2, 2)])
def test_meet_success_count_ends_the_job_exactly_at_the_count(completions, parallelism, count):
    m = job_machine(indexed(completions, parallelism, count))
    assert m.success_count_to_meet() == count
    m.meet_success_count()
    job = m.model.jobs[0]
    assert (job.status.succeeded, job.status.condition(batch.SUCCESS_CRITERIA_MET).reason) == (
        count,
        "SuccessPolicy",
    )
    assert m.success_count_to_meet() == 0


def test_meet_success_count_catches_a_count_met_one_success_late(monkeypatch):
    MUTANTS["job-success-count-off-by-one"](monkeypatch)
    m = job_machine(indexed(3, 1, 2))
    with pytest.raises(PropertyViolation, match="settled Jobs differ"):
        m.meet_success_count()


def test_one_worker_finishing_leaves_the_others_running():
    m = job_machine(work_queue(3))
    assert m.workers_running() == 3
    m.one_worker_finishes()
    job = m.model.jobs[0]
    assert (job.status.succeeded, job.status.active, job.status.finished) == (1, 2, None)
    assert m.workers_running() == 2


def test_one_worker_finishing_catches_a_work_queue_done_at_the_first_success(monkeypatch):
    MUTANTS["job-work-queue-completes-early"](monkeypatch)
    m = job_machine(work_queue(3))
    with pytest.raises(PropertyViolation, match="settled Jobs differ"):
        m.one_worker_finishes()


def crash_then_scale_down(index: int) -> None:
    """Three settled pods, one per node; pod `index` crashes, 528 s pass (the restarted pod Ready again
    in its peers' log2 bucket), the ReplicaSet scales down by one."""

    @settings(max_examples=1, database=None)
    @given(st.data())
    def run(data):
        m = machine(ReplicaSetMachine, PER_SYNC)
        m.create(0, ReplicaSetSpec(replicas=3, template=PodTemplate(labels={"app": "web"}, image="app:v1")))
        m.settle_and_compare()
        m.crash_then_scale_down(index, 300, data)  # the only draw for three pods: remove one
        pods = [p for p in m.adapter.observe().pods if p.active]
        m.teardown()
        assert [p.restarts for p in pods] == [0, 0]

    run()


@pytest.mark.parametrize("index", [0, 1, 2])
def test_crash_then_scale_down_removes_the_restarted_pod_first(index):
    crash_then_scale_down(index)


def test_crash_then_scale_down_catches_restarts_left_out_of_the_ranking(monkeypatch):
    MUTANTS["restarts-ignored-in-ranking"](monkeypatch)
    caught = 0
    for index in range(3):  # which pod crashes decides whether the uid tie-break hides the bug
        try:
            crash_then_scale_down(index)
        except PropertyViolation as err:
            assert "sync of" in str(err)
            caught += 1
    assert caught >= 1


def sts_scaled_down_past_unready(spec: a.StatefulSetSpec) -> list[str]:
    """Five settled pods; pods 1 and 3 turn unready and the set scales down to one: the pods left."""
    m = machine(StatefulSetMachine, SETTLED)
    m.create(0, spec)
    m.settle_and_compare()
    m.scale_down_past([3, 1], 1)
    pods = sorted(p.name for p in m.adapter.observe().pods if not p.deleting)
    m.teardown()
    return pods


def sts_spec(**kw: object) -> a.StatefulSetSpec:
    template = a.AppsPodTemplate(labels={"app": "db"}, image="app:v1", behavior=PodBehavior(0))
    return a.StatefulSetSpec(template=template, replicas=5, **kw)


def test_scale_down_past_unready_deletes_from_the_top_and_waits_on_the_second_unready_pod():
    # db-4 is healthy and goes; db-3 is unhealthy but not the first unhealthy pod (db-1 is): a stall
    assert sts_scaled_down_past_unready(sts_spec()) == ["db-0", "db-1", "db-2", "db-3"]
    # Parallel deletes every condemned pod at once
    assert sts_scaled_down_past_unready(sts_spec(pod_management_policy=a.PARALLEL)) == ["db-0"]


def test_scale_down_past_unready_catches_condemned_pods_taken_lowest_first(monkeypatch):
    MUTANTS["sts-scale-down-lowest-first"](monkeypatch)
    with pytest.raises(PropertyViolation, match="settled state differs"):
        sts_scaled_down_past_unready(sts_spec())


@pytest.mark.parametrize(
    ("least", "ready_for", "wait"),
    [(300, 0, 528), (300, 500, 1040), (900, 0, 1040), (300, 5000, 8208)],
)
def test_aligned_wait_puts_the_restarted_pod_in_its_peers_ready_bucket(least, ready_for, wait):
    assert aligned_wait(least, ready_for) == wait
    # the peers' Ready age and the restarted pod's (Ready again within RESTART_MARGIN) share a bucket
    peers, restarted = ready_for + wait, wait - RESTART_MARGIN
    assert int(math.log2(peers)) == int(math.log2(restarted)) and wait >= least

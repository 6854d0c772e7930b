"""Concrete scenarios in which each Job mutant changes what the simulator does (see test_mutants_apply)."""

from sim_builders import simulator

from kubeprops.scenario import batch as b
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate

TEMPLATE = PodTemplate(labels={"app": "work"}, image="worker:v1")


def _outcome(ops, read):
    sim = simulator()
    try:
        for op in ops:
            sim.advance(op.seconds) if isinstance(op, Advance) else sim.apply(op)
        return read(sim.observe().jobs[0], [p for p in sim.observe().job_pods if p.active])
    finally:
        sim.close()


def _create(**fields):
    return b.CreateJob("work", b.JobSpec(TEMPLATE, **fields))


def active_of_five_at_parallelism_two():
    return _outcome([_create(completions=5, parallelism=2)], lambda job, pods: len(pods))


def replaced_ten_seconds_after_second_failure():
    ops = [_create(), b.PodFails("work"), Advance(10), b.PodFails("work"), Advance(10)]
    return _outcome(ops, lambda job, pods: len(pods))


def finished_after_one_failure_with_limit_one():
    ops = [_create(backoff_limit=1), b.PodFails("work")]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.type)


def on_failure_restarts_reach_limit():
    ops = [_create(backoff_limit=1, restart_policy=b.ON_FAILURE), b.PodFails("work"), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.reason)


def work_queue_after_first_success():
    ops = [_create(parallelism=2), b.PodSucceeds("work")]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.type)


def pods_of_suspended_job():
    return _outcome([_create(suspend=True)], lambda job, pods: len(pods))


def failures_after_lowering_parallelism():
    ops = [_create(completions=6, parallelism=3), b.SetParallelism("work", 1), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.failed)


JOB_CASES = {
    "job-parallelism-ignored": (active_of_five_at_parallelism_two, 2, 5),
    "job-backoff-not-doubling": (replaced_ten_seconds_after_second_failure, 0, 1),
    "job-backoff-limit-off-by-one": (finished_after_one_failure_with_limit_one, None, "Failed"),
    "job-onfailure-restarts-ignored": (on_failure_restarts_reach_limit, "BackoffLimitExceeded", None),
    "job-work-queue-completes-early": (work_queue_after_first_success, None, "Complete"),
    "job-suspend-ignored": (pods_of_suspended_job, 0, 1),
    "job-deleted-pods-counted-failed": (failures_after_lowering_parallelism, 0, 2),
}

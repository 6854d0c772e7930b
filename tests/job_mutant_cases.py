"""Concrete scenarios in which each Job mutant changes what the simulator does (see test_mutants_apply)."""

from sim_builders import simulator

from kubeprops.scenario import batch as b
from kubeprops.scenario.ops import Advance, OrphanPod
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


# The Job syncs pod events after its 1 s batch period; a failure that deletes the running pods writes
# Failed with the sync after that (it sees them stopped): hence the Advance(1) and Advance(2) below.


def _create(**fields):
    return b.CreateJob("work", b.JobSpec(TEMPLATE, **fields))


def active_of_five_at_parallelism_two():
    return _outcome([_create(completions=5, parallelism=2)], lambda job, pods: len(pods))


def replaced_ten_seconds_after_second_failure():
    ops = [_create(), b.PodFails("work"), Advance(10), b.PodFails("work"), Advance(10)]
    return _outcome(ops, lambda job, pods: len(pods))


def finished_after_one_failure_with_limit_one():
    ops = [_create(backoff_limit=1), b.PodFails("work"), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.type)


def on_failure_restarts_reach_limit():
    ops = [_create(backoff_limit=1, restart_policy=b.ON_FAILURE), b.PodFails("work"), Advance(2)]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.reason)


def work_queue_after_first_success():
    ops = [_create(parallelism=2), b.PodSucceeds("work"), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.type)


def pods_of_suspended_job():
    return _outcome([_create(suspend=True)], lambda job, pods: len(pods))


def failures_after_lowering_parallelism():
    ops = [_create(completions=6, parallelism=3), b.SetParallelism("work", 1), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.failed)


def _indexed(**fields):
    return _create(completions=3, parallelism=3, completion_mode=b.INDEXED, **fields)


DISRUPTED = (b.OnPodCondition(b.DISRUPTION_TARGET),)


def failed_after_ignored_eviction():
    rule = b.PodFailurePolicyRule(b.IGNORE, on_pod_conditions=DISRUPTED)
    ops = [
        _create(backoff_limit=0, pod_failure_policy=(rule,)),
        b.PodFails("work", 0, condition=b.DISRUPTION_TARGET),
        Advance(1),
    ]
    return _outcome(ops, lambda job, pods: job.status.failed)


def reason_after_eviction_with_fail_job_rule():
    rule = b.PodFailurePolicyRule(b.FAIL_JOB, on_pod_conditions=DISRUPTED)
    ops = [
        _create(pod_failure_policy=(rule,)),
        b.PodFails("work", 0, condition=b.DISRUPTION_TARGET),
        Advance(2),
    ]
    return _outcome(ops, lambda job, pods: job.status.finished and job.status.finished.reason)


def failed_indexes_after_one_failure_at_limit_zero():
    ops = [_indexed(backoff_limit_per_index=0), b.PodFails("work", 1), Advance(1)]
    return _outcome(ops, lambda job, pods: job.status.failed_indexes)


def reason_after_two_of_three_with_count_two():
    ops = [
        _indexed(success_policy=(b.SuccessPolicyRule(succeeded_count=2),)),
        b.PodSucceeds("work"),
        b.PodSucceeds("work"),
        Advance(1),
    ]
    met = b.SUCCESS_CRITERIA_MET  # before Complete, which waits for the deleted third pod to terminate
    return _outcome(ops, lambda job, pods: job.status.condition(met) and job.status.condition(met).reason)


def orphans_after_orphaning_one_of_two():
    ops = [_create(completions=4, parallelism=2), OrphanPod(b.JOB, "work", 0), Advance(2)]
    sim = simulator()
    try:
        for op in ops:
            sim.advance(op.seconds) if isinstance(op, Advance) else sim.apply(op)
        view = sim.observe()
        return (len([p for p in view.job_pods if p.active]), sum(1 for p in view.pods if p.owner is None))
    finally:
        sim.close()


JOB_CASES = {
    "job-parallelism-ignored": (active_of_five_at_parallelism_two, 2, 5),
    "job-backoff-not-doubling": (replaced_ten_seconds_after_second_failure, 0, 1),
    "job-backoff-limit-off-by-one": (finished_after_one_failure_with_limit_one, None, "Failed"),
    "job-onfailure-restarts-ignored": (on_failure_restarts_reach_limit, "BackoffLimitExceeded", None),
    "job-work-queue-completes-early": (work_queue_after_first_success, None, "Complete"),
    "job-suspend-ignored": (pods_of_suspended_job, 0, 1),
    "job-deleted-pods-counted-failed": (failures_after_lowering_parallelism, 0, 2),
    "job-ignore-rule-counted": (failed_after_ignored_eviction, 0, 1),
    "job-pod-conditions-never-match": (reason_after_eviction_with_fail_job_rule, "PodFailurePolicy", None),
    "job-index-limit-off-by-one": (failed_indexes_after_one_failure_at_limit_zero, "1", ""),
    "job-success-count-off-by-one": (reason_after_two_of_three_with_count_two, "SuccessPolicy", None),
    "job-no-readopt": (orphans_after_orphaning_one_of_two, (2, 0), (2, 1)),
}

"""Worked examples for the Job model's per-sync decision (fact sheet 5.2-5.9)."""

import attrs
import pytest

from kubeprops.reference_model import job as jobmodel
from kubeprops.reference_model import job_backoff as backoff
from kubeprops.reference_model.job import PodCreation, job_sync, ttl_expired_at, want_active
from kubeprops.reference_model.job_indexes import first_pending_indexes, format_indexes, parse_indexes
from kubeprops.reference_model.job_policies import match_pod_failure_policy, match_success_policy
from kubeprops.scenario.batch import (
    DISRUPTION_TARGET,
    FAIL_JOB,
    FAILED,
    IGNORE,
    IN,
    INDEXED,
    ON_FAILURE,
    TERMINATING_OR_FAILED,
    JobPodView,
    JobSpec,
    JobStatus,
    JobView,
    OnExitCodes,
    OnPodCondition,
    PodFailurePolicyRule,
    SuccessPolicyRule,
)
from kubeprops.scenario.spec import MAX_INT32, PodTemplate
from kubeprops.scenario.view import Condition

T = PodTemplate(labels={"app": "x"})


def job(spec, **status):
    return JobView("j", "uid-j", spec, JobStatus(**status), 0.0)


def pod(name, phase="Running", index=None, **kw):
    return JobPodView(name, f"uid-{name}", "j", phase, kw.pop("created", 0.0), index, **kw)


def running(n, start=0):
    return [pod(f"p{i}", ready=True) for i in range(start, start + n)]


# ---------------------------------------------------------------- defaults


def test_defaults_follow_set_defaults_job():
    one_off = JobSpec(T)
    assert (one_off.parallelism, one_off.completions, one_off.backoff_limit) == (1, 1, 6)
    work_queue = JobSpec(T, parallelism=3)
    assert (work_queue.parallelism, work_queue.completions) == (3, None)
    assert JobSpec(T, completions=5).parallelism == 1
    per_index = JobSpec(T, completions=3, completion_mode=INDEXED, backoff_limit_per_index=1)
    assert per_index.backoff_limit == MAX_INT32
    assert JobSpec(T).pod_replacement_policy == TERMINATING_OR_FAILED
    rule = PodFailurePolicyRule(IGNORE, on_pod_conditions=(OnPodCondition(DISRUPTION_TARGET),))
    assert JobSpec(T, pod_failure_policy=(rule,)).pod_replacement_policy == FAILED


# ---------------------------------------------------------------- the four kinds of Job


@pytest.mark.parametrize(
    ("spec", "succeeded", "active", "want"),
    [
        (JobSpec(T), 0, 0, 1),  # one-off
        (JobSpec(T, completions=5), 2, 1, 1),  # fixed completions, parallelism 1
        (JobSpec(T, completions=5, parallelism=2), 3, 2, 2),  # fixed completions in parallel
        (JobSpec(T, completions=5, parallelism=2), 4, 2, 1),  # completions - succeeded is smaller
        (JobSpec(T, parallelism=3), 0, 2, 3),  # work queue before the first success
        (JobSpec(T, parallelism=3), 1, 2, 2),  # work queue after it: no new pods
        (JobSpec(T, completions=5, parallelism=2), 7, 0, 0),  # over-complete clamps at 0
    ],
)
def test_want_active(spec, succeeded, active, want):
    assert want_active(spec, succeeded, active) == want


def test_fixed_completions_in_parallel_creates_up_to_parallelism():
    decision = job_sync(job(JobSpec(T, completions=5, parallelism=2)), [], 0.0)
    assert decision.create == (PodCreation(), PodCreation())
    assert decision.status.active == 2
    assert decision.status.start_time == 0.0


def test_after_four_successes_one_pod_is_kept():
    pods = [pod(f"s{i}", "Succeeded", finished=1.0) for i in range(4)] + running(2)
    decision = job_sync(job(JobSpec(T, completions=5, parallelism=2)), pods, 2.0)
    assert decision.status.succeeded == 4
    assert len(decision.delete) == 1 and not decision.create
    assert set(decision.remove_finalizers) >= {"s0", "s1", "s2", "s3"}


def test_work_queue_completes_when_the_rest_finish():
    pods = [pod("a", "Succeeded", finished=1.0), pod("b", "Succeeded", finished=2.0)]
    decision = job_sync(job(JobSpec(T, parallelism=2)), pods, 3.0)
    assert decision.status.condition("Complete") is not None
    assert decision.status.condition("Complete").reason == "CompletionsReached"
    assert decision.status.completion_time == 3.0


def test_work_queue_makes_no_replacement_after_a_success():
    pods = [pod("a", "Succeeded", finished=1.0), pod("b", "Failed", finished=2.0, exit_code=1), *running(1)]
    decision = job_sync(job(JobSpec(T, parallelism=3)), pods, 30.0)
    assert decision.create == () and decision.status.active == 1


def test_completions_zero_completes_at_once_and_parallelism_zero_never_runs():
    assert job_sync(job(JobSpec(T, completions=0)), [], 0.0).status.condition("Complete") is not None
    idle = job_sync(job(JobSpec(T, completions=3, parallelism=0)), [], 0.0)
    assert idle.create == () and idle.status.finished is None


# ---------------------------------------------------------------- backoffLimit: Never vs OnFailure


def test_never_fails_at_the_fourth_failure_with_limit_three():
    spec = JobSpec(T, backoff_limit=3)
    third = job_sync(job(spec, failed=2), [pod("f3", "Failed", finished=5.0, exit_code=1)], 5.0)
    assert third.status.failed == 3 and third.status.condition("FailureTarget") is None
    fourth = job_sync(job(spec, failed=3), [pod("f4", "Failed", finished=9.0, exit_code=1)], 9.0)
    assert fourth.status.failed == 4
    assert fourth.status.condition("Failed").reason == "BackoffLimitExceeded"


def test_on_failure_fails_when_live_restarts_reach_the_limit():
    spec = JobSpec(T, restart_policy=ON_FAILURE, backoff_limit=3)
    assert job_sync(job(spec), [pod("p", restarts=2)], 1.0).status.finished is None
    decision = job_sync(job(spec), [pod("p", restarts=3)], 1.0)
    assert decision.status.condition("FailureTarget").reason == "BackoffLimitExceeded"
    assert decision.delete == ("p",)
    assert decision.status.failed == 1  # the running pod is counted as failed when the Job fails


def test_on_failure_with_limit_zero_fails_on_the_first_restart():
    spec = JobSpec(T, restart_policy=ON_FAILURE, backoff_limit=0)
    assert job_sync(job(spec), [pod("p", restarts=1)], 1.0).status.condition("FailureTarget") is not None


# ---------------------------------------------------------------- terminal-condition protocol


def test_failure_target_first_then_failed_once_nothing_terminates():
    spec = JobSpec(T, parallelism=2, completions=2, backoff_limit=0)
    pods = [pod("bad", "Failed", finished=1.0, exit_code=1), pod("other", ready=True)]
    first = job_sync(job(spec), pods, 1.0)
    assert first.status.condition("FailureTarget") is not None
    assert first.status.condition("Failed") is None  # "other" is still terminating
    assert first.status.terminating == 1 and first.delete == ("other",)
    later = job_sync(job(spec, failed=2, conditions=first.status.conditions, start_time=0.0), [], 2.0)
    assert later.status.condition("Failed").reason == "BackoffLimitExceeded"
    assert later.status.completion_time is None


def test_finished_job_is_left_alone():
    done = Condition("Complete", "True", "CompletionsReached", "", 1.0, 1.0)
    decision = job_sync(job(JobSpec(T), succeeded=1, conditions=(done,)), [], 5.0)
    assert decision.create == () and decision.status.conditions == (done,)


def test_external_manager_is_left_alone():
    decision = job_sync(job(JobSpec(T, managed_by="example.com/mine")), [], 0.0)
    assert decision.create == () and decision.status == JobStatus()


# ---------------------------------------------------------------- back-off


def test_backoff_sequence_doubles_and_caps_at_ten_minutes():
    assert [backoff.backoff_duration(n) for n in range(1, 9)] == [10, 20, 40, 80, 160, 320, 600, 600]


def test_replacement_waits_for_the_backoff():
    spec = JobSpec(T)
    record = backoff.BackoffRecord(2, 100.0)
    waiting = job_sync(job(spec, failed=2, start_time=0.0), [], 110.0, record=record)
    assert waiting.create == () and waiting.requeue_after == pytest.approx(10.0)
    ready = job_sync(job(spec, failed=2, start_time=0.0), [], 120.5, record=record)
    assert len(ready.create) == 1


def test_a_newer_success_resets_the_backoff_count():
    failed = [pod("f1", "Failed", finished=5.0), pod("f2", "Failed", finished=20.0)]
    succeeded = [pod("s", "Succeeded", finished=10.0)]
    assert backoff.new_backoff_record(
        backoff.BackoffRecord(3, 1.0), succeeded, failed
    ) == backoff.BackoffRecord(1, 20.0)
    assert backoff.new_backoff_record(backoff.BackoffRecord(3, 1.0), succeeded, []) == backoff.NO_BACKOFF


# ---------------------------------------------------------------- suspend, activeDeadlineSeconds


def test_suspend_deletes_without_counting_and_sets_the_condition():
    decision = job_sync(job(JobSpec(T, parallelism=2, completions=4, suspend=True)), running(2), 3.0)
    assert sorted(decision.delete) == ["p0", "p1"]
    assert decision.status.failed == 0 and decision.status.active == 0
    assert decision.status.condition("Suspended").reason == "JobSuspended"


def test_resume_resets_start_time():
    suspended = Condition("Suspended", "True", "JobSuspended", "Job suspended", 5.0, 5.0)
    decision = job_sync(job(JobSpec(T), start_time=1.0, conditions=(suspended,)), [], 50.0)
    assert decision.status.start_time == 50.0
    resumed = next(c for c in decision.status.conditions if c.type == "Suspended")
    assert (resumed.status, resumed.reason) == ("False", "JobResumed")


def test_active_deadline_fails_at_the_deadline_and_requeues_before():
    spec = JobSpec(T, active_deadline_seconds=100)
    before = job_sync(job(spec, start_time=10.0), running(1), 60.0)
    assert before.status.finished is None and before.requeue_after == pytest.approx(50.0)
    at = job_sync(job(spec, start_time=10.0), running(1), 110.0)
    assert at.status.condition("FailureTarget").reason == "DeadlineExceeded"


def test_deadline_does_not_run_while_suspended():
    spec = JobSpec(T, active_deadline_seconds=10, suspend=True)
    assert job_sync(job(spec, start_time=0.0), [], 500.0).status.condition("FailureTarget") is None


# ---------------------------------------------------------------- deletion by others, replacement policy


def test_deleted_pod_counts_as_failed_under_terminating_or_failed():
    decision = job_sync(job(JobSpec(T), start_time=0.0), [pod("p", deleting=True)], 1.0)
    assert decision.status.failed == 1
    assert decision.status.terminating == 1


def test_failed_policy_waits_for_the_terminating_pod():
    spec = JobSpec(T, pod_replacement_policy=FAILED)
    decision = job_sync(job(spec, start_time=0.0), [pod("p", deleting=True)], 1.0)
    assert decision.status.failed == 0 and decision.create == ()
    replaced = job_sync(
        job(JobSpec(T), start_time=0.0), [pod("p", deleting=True)], 1.0, record=backoff.NO_BACKOFF
    )
    assert replaced.create == ()  # TerminatingOrFailed: replacement waits only for the back-off


# ---------------------------------------------------------------- Indexed


def test_indexed_picks_the_lowest_pending_indexes():
    spec = JobSpec(T, completions=5, parallelism=2, completion_mode=INDEXED)
    pods = [pod(f"s{i}", "Succeeded", index=i, finished=1.0) for i in (0, 1, 3)] + [pod("a", index=2)]
    decision = job_sync(job(spec, start_time=0.0), pods, 2.0)
    assert decision.create == (PodCreation(4),)
    assert decision.status.completed_indexes == "0,1,3"
    assert decision.status.succeeded == 3


def test_indexed_removes_duplicates_and_out_of_range_first():
    spec = JobSpec(T, completions=3, parallelism=3, completion_mode=INDEXED)
    pods = [
        pod("a", index=0, created=1.0),
        pod("b", index=0, created=2.0),
        pod("c", index=7),
        pod("d", index=1),
    ]
    decision = job_sync(job(spec, start_time=0.0), pods, 3.0)
    assert sorted(decision.delete) == ["b", "c"]  # the newer duplicate goes
    assert decision.create == ()  # never create in a sync that deleted


def test_index_strings():
    assert format_indexes({0, 1, 2, 4, 5, 6}) == "0-2,4-6"
    assert format_indexes({0, 1, 3}) == "0,1,3"
    assert parse_indexes("0-2,4-6", 5) == {0, 1, 2, 4}
    assert first_pending_indexes(2, 5, {0, 1, 3}) == (2, 4)


def test_backoff_limit_per_index_fails_an_index_and_keeps_the_others():
    spec = JobSpec(T, completions=3, parallelism=3, completion_mode=INDEXED, backoff_limit_per_index=1)
    first = pod("x0", "Failed", index=0, finished=1.0, exit_code=1)
    decision = job_sync(job(spec, start_time=0.0), [first, pod("a", index=1), pod("b", index=2)], 2.0)
    assert decision.status.failed_indexes == "" and decision.create == ()
    assert decision.requeue_after == pytest.approx(9.0)  # index 0 waits 10 s from 1.0
    # held for its index (getPodsWithDelayedDeletionPerIndex): finalizer kept, not counted yet
    assert "x0" not in decision.remove_finalizers and decision.status.failed == 0
    retried = job_sync(job(spec, start_time=0.0), [first, pod("a", index=1), pod("b", index=2)], 11.0)
    assert retried.create == (PodCreation(0, failure_count=1),)
    replaced = [first, pod("a", index=1), pod("b", index=2), pod("c", index=0, failure_count=1)]
    released = job_sync(job(spec, start_time=0.0), replaced, 12.0)  # its replacement runs: counted now
    assert "x0" in released.remove_finalizers and released.status.failed == 1
    second = pod("x1", "Failed", index=0, finished=20.0, exit_code=1, failure_count=1)
    decision = job_sync(
        job(spec, start_time=0.0, failed=1), [second, pod("a", index=1), pod("b", index=2)], 21.0
    )
    assert decision.status.failed_indexes == "0"
    assert decision.status.finished is None and decision.status.active == 2


def test_max_failed_indexes_exceeded():
    spec = JobSpec(
        T,
        completions=4,
        parallelism=4,
        completion_mode=INDEXED,
        backoff_limit_per_index=0,
        max_failed_indexes=0,
    )
    pods = [pod("x", "Failed", index=2, finished=1.0, exit_code=1), *running(3)]
    decision = job_sync(job(spec, start_time=0.0), pods, 2.0)
    assert decision.status.condition("FailureTarget").reason == "MaxFailedIndexesExceeded"


# ---------------------------------------------------------------- podFailurePolicy, successPolicy

PFP = (
    PodFailurePolicyRule(FAIL_JOB, OnExitCodes(IN, (42,))),
    PodFailurePolicyRule(IGNORE, on_pod_conditions=(OnPodCondition(DISRUPTION_TARGET),)),
)


def test_pod_failure_policy_fail_job_and_ignore():
    exit42 = pod("p", "Failed", finished=1.0, exit_code=42)
    evicted = pod("e", "Failed", finished=1.0, exit_code=137, conditions=(DISRUPTION_TARGET,))
    assert match_pod_failure_policy(PFP, exit42).action == FAIL_JOB
    assert match_pod_failure_policy(PFP, evicted).action == IGNORE
    assert match_pod_failure_policy(PFP, pod("o", "Failed", exit_code=1)).action is None
    spec = JobSpec(T, pod_failure_policy=PFP)
    failed = job_sync(job(spec, start_time=0.0), [exit42], 1.0)
    assert failed.status.condition("Failed").reason == "PodFailurePolicy"
    ignored = job_sync(job(spec, start_time=0.0), [evicted], 1.0)
    assert ignored.status.failed == 0 and ignored.status.finished is None


def test_success_policy_matches_any_two_of_three():
    rules = (SuccessPolicyRule("0-2", 2),)
    assert match_success_policy(rules, 10, {0, 5}) is None
    assert match_success_policy(rules, 10, {0, 2}) == "Matched rules at index 0"
    spec = JobSpec(T, completions=10, parallelism=10, completion_mode=INDEXED, success_policy=rules)
    pods = [pod("a", "Succeeded", index=0, finished=1.0), pod("b", "Succeeded", index=2, finished=1.0)]
    pods += [pod(f"r{i}", index=i) for i in (1, 3)]
    decision = job_sync(job(spec, start_time=0.0), pods, 2.0)
    assert decision.status.condition("SuccessCriteriaMet").reason == "SuccessPolicy"
    assert decision.status.condition("Complete") is None  # r1, r3 still terminating
    assert sorted(decision.delete) == ["r1", "r3"] and decision.status.failed == 0


# ---------------------------------------------------------------- TTL


def test_ttl_after_finished():
    done = Condition("Complete", "True", "CompletionsReached", "", 100.0, 100.0)
    finished = attrs.evolve(
        job(JobSpec(T, ttl_seconds_after_finished=30)), status=JobStatus(conditions=(done,))
    )
    assert ttl_expired_at(finished) == 130.0
    assert ttl_expired_at(job(JobSpec(T, ttl_seconds_after_finished=30))) is None
    assert ttl_expired_at(attrs.evolve(finished, spec=JobSpec(T))) is None


def test_pods_for_removal_prefers_pending_then_unready():
    pods = [pod("ready", ready=True), pod("pending", "Pending"), pod("unready")]
    removed = jobmodel.pods_for_removal(JobSpec(T), pods, 2)
    assert [p.name for p in removed] == ["pending", "unready"]


def test_with_unseen_pods_nothing_is_created_and_a_finish_waits_though_active_pods_go():
    # ref job_controller.go (syncJob: manageJob only with satisfiedExpectations; `deleted != active ||
    # !satisfiedExpectations` -> finishedCondition = nil)
    from kubeprops.scenario.batch import FAILURE_TARGET, SUSPENDED

    fresh = job(JobSpec(T, parallelism=2, completions=4), start_time=0.0)
    unseen = job_sync(fresh, [], 10.0, expectations_satisfied=False)
    assert (unseen.create, unseen.status.active) == ((), 0)
    suspended = job(JobSpec(T, parallelism=2, completions=4, suspend=True), start_time=0.0)
    assert job_sync(suspended, running(2), 10.0, expectations_satisfied=False).delete == ()
    assert job_sync(suspended, [], 10.0, expectations_satisfied=False).status.condition(SUSPENDED) is None

    failing = job(JobSpec(T, parallelism=2, completions=4, backoff_limit=0), start_time=0.0)
    pods = [pod("f", "Failed", finished=5.0), pod("r", ready=True)]
    decision = job_sync(failing, pods, 10.0, expectations_satisfied=False)
    assert decision.delete == ("r",)
    assert decision.status.condition(FAILURE_TARGET) is None
    assert decision.status.failed == 1  # the running pod is not counted until it has finished
    assert decision.remove_finalizers == ("f",)
    assert job_sync(failing, pods, 10.0).status.condition(FAILURE_TARGET) is not None

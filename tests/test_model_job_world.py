"""The batch executor (QUIESCENT) for Jobs, Job validation, and the Job invariants."""

import attrs
import pytest

from kubeprops.reference_model import batch_world as bw
from kubeprops.reference_model.batch_invariants import (
    check_batch_always,
    check_batch_settled,
    check_batch_transition,
)
from kubeprops.reference_model.job_validation import validate_job_spec
from kubeprops.scenario.batch import (
    DISRUPTION_TARGET,
    FAIL_JOB,
    IGNORE,
    IN,
    INDEXED,
    JOB,
    ON_FAILURE,
    CreateJob,
    DeleteJobPod,
    JobSpec,
    OnExitCodes,
    OnPodCondition,
    PodFails,
    PodFailurePolicyRule,
    PodSucceeds,
    SetParallelism,
    SetSuspend,
    SuccessPolicyRule,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate
from kubeprops.scenario.view import Condition

T = PodTemplate(labels={"app": "x"})


def settle(*ops):
    """Run `ops`, then let the batched syncs they queued (and any other requeue, up to an hour) run."""
    state, settled = bw.settle(bw.run(ops), 3600)
    assert settled
    return state, {j.name: j for j in bw.outcome(state).jobs}


def test_fixed_completions_settle_complete():
    # a replacement pod comes with the batched sync 1 s after a success: the third success needs it
    ops = [PodSucceeds("pi"), PodSucceeds("pi"), Advance(1), PodSucceeds("pi")]
    state, jobs = settle(CreateJob("pi", JobSpec(T, completions=3, parallelism=2)), *ops)
    assert jobs["pi"] == bw.JobOutcome("pi", 0, 3, 0, "Complete", "CompletionsReached", "", None, False)
    assert check_batch_settled(state.view()) == []


def test_never_backoff_limit_three_fails_at_the_fourth_failure():
    ops = [CreateJob("f", JobSpec(T, backoff_limit=3))]
    for _ in range(3):
        ops += [PodFails("f"), Advance(700)]
    _, jobs = settle(*ops)
    assert jobs["f"].condition is None and jobs["f"].failed == 3
    _, jobs = settle(*ops, PodFails("f"))
    assert (jobs["f"].condition, jobs["f"].reason, jobs["f"].failed) == ("Failed", "BackoffLimitExceeded", 4)


def test_on_failure_backoff_limit_three_fails_at_the_third_restart():
    ops = [
        CreateJob("o", JobSpec(T, restart_policy=ON_FAILURE, backoff_limit=3)),
        PodFails("o"),
        PodFails("o"),
    ]
    assert settle(*ops)[1]["o"].condition is None
    assert settle(*ops, PodFails("o"))[1]["o"].reason == "BackoffLimitExceeded"


def _creation_times(state, job):
    return sorted(p.created for p in state.pods if p.job == job)


def test_replacements_follow_the_backoff_sequence():
    ops = [CreateJob("b", JobSpec(T, backoff_limit=20))]
    for _ in range(8):
        ops += [PodFails("b"), Advance(1000)]
    state = bw.run(ops)
    created = _creation_times(state, "b")
    failed_at = [1000.0 * i for i in range(8)]
    delays = [c - f for c, f in zip(created[1:], failed_at, strict=True)]
    assert delays == [10, 20, 40, 80, 160, 320, 600, 600]


def test_suspend_deletes_without_failures_and_resume_restarts():
    ops = [CreateJob("s", JobSpec(T, completions=4, parallelism=2)), Advance(5), SetSuspend(JOB, "s", True)]
    state, jobs = settle(*ops)
    assert (jobs["s"].active, jobs["s"].failed, jobs["s"].suspended) == (0, 0, True)
    state, jobs = settle(*ops, Advance(50), SetSuspend(JOB, "s", False))
    assert jobs["s"].active == 2 and not jobs["s"].suspended
    assert state.jobs[0].status.start_time == 55.0


def test_external_deletion_counts_as_failure_and_is_replaced():
    _state, jobs = settle(CreateJob("d", JobSpec(T)), DeleteJobPod("d"), Advance(11))
    assert jobs["d"].failed == 1 and jobs["d"].active == 1


def test_active_deadline():
    create = CreateJob("d", JobSpec(T, active_deadline_seconds=100))
    assert bw.outcome(bw.run([create, Advance(99)])).jobs[0].condition is None
    # t=100: FailureTarget, the pod deleted; Failed with the batched sync that sees it gone, at 101
    at_deadline = bw.run([create, Advance(100)])
    assert at_deadline.jobs[0].status.condition("FailureTarget") is not None
    assert at_deadline.jobs[0].status.finished is None
    state, jobs = settle(create, Advance(100))
    assert (jobs["d"].reason, jobs["d"].active, jobs["d"].failed) == ("DeadlineExceeded", 0, 1)
    assert state.jobs[0].status.finished.last_transition_time == 101.0


def test_deadline_clock_restarts_on_resume():
    # ADS=100 from t=0, suspended 30-60: the resume resets startTime, so the deadline is 60 + 100
    ops = [CreateJob("d", JobSpec(T, active_deadline_seconds=100)), Advance(30), SetSuspend(JOB, "d", True)]
    ops += [Advance(30), SetSuspend(JOB, "d", False), Advance(99)]
    assert bw.outcome(bw.run(ops)).jobs[0].condition is None
    assert settle(*ops, Advance(1))[1]["d"].reason == "DeadlineExceeded"


def test_resume_after_the_old_deadline_fails_at_once():
    # suspended 30-300: the resume sync checks the deadline against the old startTime before resetting it
    ops = [CreateJob("d", JobSpec(T, active_deadline_seconds=100)), Advance(30), SetSuspend(JOB, "d", True)]
    _, jobs = settle(*ops, Advance(270), SetSuspend(JOB, "d", False))
    assert (jobs["d"].condition, jobs["d"].reason) == ("Failed", "DeadlineExceeded")


def test_indexed_outcome_lists_completed_indexes():
    spec = JobSpec(T, completions=4, parallelism=2, completion_mode=INDEXED)
    _, jobs = settle(CreateJob("i", spec), PodSucceeds("i", 1), PodSucceeds("i", 0))
    assert jobs["i"].completed_indexes == "0,1" and jobs["i"].active == 2
    _, jobs = settle(CreateJob("i", spec), *[PodSucceeds("i"), PodSucceeds("i"), Advance(1)] * 2)
    assert (jobs["i"].completed_indexes, jobs["i"].condition) == ("0-3", "Complete")


def test_pod_failure_policy_ignore_replaces_without_counting():
    rules = (
        PodFailurePolicyRule(FAIL_JOB, OnExitCodes(IN, (42,))),
        PodFailurePolicyRule(IGNORE, on_pod_conditions=(OnPodCondition(DISRUPTION_TARGET),)),
    )
    spec = JobSpec(T, pod_failure_policy=rules)
    _, jobs = settle(CreateJob("p", spec), PodFails("p", condition=DISRUPTION_TARGET), Advance(11))
    assert (jobs["p"].failed, jobs["p"].active, jobs["p"].condition) == (0, 1, None)
    _, jobs = settle(CreateJob("p", spec), PodFails("p", exit_code=42))
    assert jobs["p"].reason == "PodFailurePolicy"


def test_success_policy_completes_and_removes_the_rest_uncounted():
    spec = JobSpec(
        T,
        completions=5,
        parallelism=5,
        completion_mode=INDEXED,
        success_policy=(SuccessPolicyRule("0-2", 2),),
    )
    _, jobs = settle(CreateJob("s", spec), PodSucceeds("s", 0), PodSucceeds("s", 0))
    assert (jobs["s"].condition, jobs["s"].reason, jobs["s"].failed, jobs["s"].active) == (
        "Complete",
        "SuccessPolicy",
        0,
        0,
    )


def test_lowering_parallelism_deletes_the_excess():
    _, jobs = settle(CreateJob("p", JobSpec(T, completions=10, parallelism=4)), SetParallelism("p", 1))
    assert jobs["p"].active == 1 and jobs["p"].failed == 0


def test_rejected_operations_change_nothing():
    state = bw.run([CreateJob("bad", JobSpec(T, parallelism=-1))])
    assert state.jobs == ()


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (JobSpec(T, parallelism=-1), "spec.parallelism"),
        (JobSpec(T, backoff_limit=-2), "spec.backoffLimit"),
        (JobSpec(T, completion_mode=INDEXED, parallelism=2), "spec.completions"),
        (JobSpec(T, completions=2, backoff_limit_per_index=1), "spec.backoffLimitPerIndex"),
        (JobSpec(T, completions=2, success_policy=(SuccessPolicyRule(succeeded_count=1),)), "spec.successPolicy"),
        (
            JobSpec(T, restart_policy=ON_FAILURE, pod_failure_policy=(PodFailurePolicyRule(IGNORE, OnExitCodes(IN, (1,))),)),
            "spec.podFailurePolicy",
        ),
        (JobSpec(T, pod_failure_policy=(PodFailurePolicyRule(FAIL_JOB, OnExitCodes(IN, (0, 1))),)),
         "spec.podFailurePolicy.rules[0].onExitCodes.values"),
        (JobSpec(T, restart_policy="Always"), "spec.template.spec.restartPolicy"),
    ],
)  # fmt: skip
def test_validation_names_the_field(spec, field):
    with pytest.raises(InvalidSpec) as err:
        validate_job_spec(spec)
    assert err.value.field == field


def test_valid_specs_pass():
    validate_job_spec(JobSpec(T, completions=3, completion_mode=INDEXED, backoff_limit_per_index=1))
    validate_job_spec(JobSpec(T, parallelism=5))


# ---------------------------------------------------------------- invariants


def test_model_runs_satisfy_the_invariants_at_every_step():
    ops = [
        CreateJob("a", JobSpec(T, completions=3, parallelism=2, backoff_limit=1)),
        PodFails("a"),
        Advance(10),
    ]
    ops += [PodSucceeds("a"), PodFails("a"), Advance(30)]
    before = bw.run([]).view()
    state = bw.BatchState()
    for op in ops:
        state = bw.run([op], state)
        after = state.view()
        assert check_batch_always(after) == []
        assert check_batch_transition(before, after) == []
        before = after
    assert state.jobs[0].status.condition("Failed") is not None


def _finished_view():
    return settle(CreateJob("a", JobSpec(T)), PodSucceeds("a"))[0].view()


def test_invariants_catch_broken_states():
    view = _finished_view()
    job = view.jobs[0]
    both = attrs.evolve(job.status, conditions=(*job.status.conditions, Condition("Failed", "True", "X")))
    broken = attrs.evolve(view, jobs=(attrs.evolve(job, status=both),))
    assert {v.rule for v in check_batch_always(broken)} >= {"job/one-terminal-condition"}
    no_interim = attrs.evolve(job.status, conditions=(job.status.condition("Complete"),))
    broken = attrs.evolve(view, jobs=(attrs.evolve(job, status=no_interim),))
    assert [v.rule for v in check_batch_always(broken)] == ["job/interim-before-terminal"]
    lost = attrs.evolve(view, jobs=(attrs.evolve(job, status=attrs.evolve(job.status, conditions=())),))
    rules = {v.rule for v in check_batch_transition(view, lost)}
    assert rules == {"job/terminal-condition-kept"}
    fewer = attrs.evolve(view, jobs=(attrs.evolve(job, status=attrs.evolve(job.status, succeeded=0)),))
    assert "job/counters-monotonic" in {v.rule for v in check_batch_transition(view, fewer)}


def test_parallelism_invariant_flags_too_many_pods_only_when_unchanged():
    state = bw.run([CreateJob("a", JobSpec(T, completions=5, parallelism=2))])
    view = state.view()
    job = view.jobs[0]
    extra = attrs.evolve(view.pods[0], name="extra", uid="uid-extra")
    grown = attrs.evolve(view, pods=(*view.pods, extra))
    assert [v.rule for v in check_batch_transition(view, grown)] == ["job/active-within-parallelism"]
    lowered = attrs.evolve(grown, jobs=(attrs.evolve(job, spec=attrs.evolve(job.spec, parallelism=1)),))
    assert check_batch_transition(view, lowered) == []


def test_deleted_pod_hands_its_index_failure_count_to_the_replacement():
    # Regression (the simulator, written from upstream, disagreed on this scenario): a failed pod of an index with no replacement yet keeps
    # its tracking finalizer, so a deleted pod is not gone before its replacement: that one gets failure
    # count 1 after the 10 s per-index back-off, and its own failure then fails the index at limit 1.
    # ref indexed_job_utils.go (getPodsWithDelayedDeletionPerIndex), job_controller.go (canRemoveFinalizer)
    spec = JobSpec(T, completions=2, parallelism=2, completion_mode=INDEXED, backoff_limit_per_index=1)
    state = bw.run([CreateJob("j", spec), DeleteJobPod("j", 0)])
    assert [p.failure_count for p in state.pods if p.active] == [0]  # only index 1: index 0 backs off
    assert state.jobs[0].status.failed == 0  # the held pod is not counted yet
    state = bw.run([Advance(10), PodFails("j", 0)], state)
    state, settled = bw.settle(state, 3600)
    assert settled and state.jobs[0].status.failed_indexes == "0" and state.jobs[0].status.failed == 2


def test_index_recreated_after_a_scale_down_starts_its_failure_count_afresh():
    # Regression (the simulator, written from upstream, disagreed): the failure count and back-off of a new
    # pod come from the failed pod still held for its index; once that pod was released (its replacement
    # existed) and the replacement was removed by a scale-down, the index starts again from count 0.
    # ref indexed_job_utils.go (getPodsWithDelayedDeletionPerIndex uses pods with the tracking finalizer
    # only, addIndexFailureCountAnnotation)
    spec = JobSpec(T, completions=2, parallelism=2, completion_mode=INDEXED, backoff_limit_per_index=1)
    ops = [CreateJob("j", spec), PodFails("j", 0), Advance(10), SetParallelism("j", 1), Advance(1)]
    state = bw.run([*ops, SetParallelism("j", 2)])
    assert sorted((p.index, p.failure_count) for p in state.pods if p.active) == [(0, 0), (1, 0)]
    state, settled = bw.settle(bw.run([Advance(1), PodFails("j", 0)], state), 3600)
    assert settled and state.jobs[0].status.failed_indexes == ""

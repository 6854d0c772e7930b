"""The simulated Job controller's podFailurePolicy, successPolicy and backoffLimitPerIndex, worked
examples from upstream's rules (pkg/controller/job: pod_failure_policy.go, success_policy.go,
indexed_job_utils.go), the API server's checks, and agreement with the batch model."""

import pytest
from test_sim_job import job, run, spec

from kubeprops.adapters.kube_objects_batch import job_manifest, job_spec_from_manifest
from kubeprops.reference_model import batch_world
from kubeprops.scenario import batch as b
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance

FAIL_JOB_ON_42 = b.PodFailurePolicyRule(b.FAIL_JOB, b.OnExitCodes(b.IN, (42,)))
IGNORE_DISRUPTION = b.PodFailurePolicyRule(
    b.IGNORE, on_pod_conditions=(b.OnPodCondition(b.DISRUPTION_TARGET),)
)
FAIL_INDEX_ON_42 = b.PodFailurePolicyRule(b.FAIL_INDEX, b.OnExitCodes(b.IN, (42,)))


def conditions(view) -> dict[str, str]:
    return {c.type: c.reason for c in job(view).status.conditions if c.status == "True"}


def test_policies_round_trip_through_the_manifest():
    original = spec(
        completions=4,
        completion_mode=b.INDEXED,
        backoff_limit_per_index=1,
        max_failed_indexes=2,
        pod_failure_policy=(FAIL_JOB_ON_42, IGNORE_DISRUPTION),
        success_policy=(b.SuccessPolicyRule("0-2", 2), b.SuccessPolicyRule(succeeded_count=3)),
    )
    assert job_spec_from_manifest(job_manifest("w", original)["spec"]) == original


def test_fail_job_rule_fails_the_job_with_failure_target_first():
    view = run([b.CreateJob("work", spec(pod_failure_policy=(FAIL_JOB_ON_42,))), b.PodFails("work", 0, 42)])
    assert conditions(view) == {"FailureTarget": "PodFailurePolicy", "Failed": "PodFailurePolicy"}
    message = next(c.message for c in job(view).status.conditions if c.type == "Failed")
    assert "failed with exit code 42 matching FailJob rule at index 0" in message


def test_other_exit_codes_count_toward_the_backoff_limit():
    view = run(
        [b.CreateJob("work", spec(backoff_limit=0, pod_failure_policy=(FAIL_JOB_ON_42,))), b.PodFails("work")]
    )
    assert conditions(view)["Failed"] == "BackoffLimitExceeded"


def test_ignored_disruption_is_not_counted_and_the_pod_is_replaced():
    ops = [
        b.CreateJob("work", spec(backoff_limit=0, pod_failure_policy=(IGNORE_DISRUPTION,))),
        b.PodFails("work", 0, condition=b.DISRUPTION_TARGET),
    ]
    view = run(ops)
    assert job(view).status.failed == 0 and job(view).status.active == 1
    assert job(view).status.finished is None


def test_backoff_limit_per_index_fails_only_that_index():
    ops = [
        b.CreateJob(
            "work", spec(completions=3, parallelism=3, completion_mode=b.INDEXED, backoff_limit_per_index=0)
        ),
        b.PodFails("work", 1),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
    ]
    status = job(run(ops)).status
    assert (status.failed_indexes, status.completed_indexes) == ("1", "0,2")
    assert status.finished is not None and status.finished.reason == "FailedIndexes"


def test_index_retried_with_back_off_and_failure_count_annotation():
    ops = [
        b.CreateJob("work", spec(completions=1, completion_mode=b.INDEXED, backoff_limit_per_index=2)),
        b.PodFails("work", 0),
        Advance(10),
    ]
    view = run(ops)
    assert [p.failure_count for p in view.job_pods if p.active] == [1]
    assert job(view).status.failed == 1 and job(view).status.failed_indexes == ""


def test_max_failed_indexes_exceeded():
    ops = [
        b.CreateJob(
            "work",
            spec(
                completions=3,
                parallelism=3,
                completion_mode=b.INDEXED,
                backoff_limit_per_index=0,
                max_failed_indexes=0,
            ),
        ),
        b.PodFails("work", 2),
    ]
    status = job(run(ops)).status
    assert status.finished is not None and status.finished.reason == "MaxFailedIndexesExceeded"
    assert status.failed == 3  # the failed pod and both running pods deleted with the Job


def test_fail_index_action_fails_the_index_at_once():
    ops = [
        b.CreateJob(
            "work",
            spec(
                completions=2,
                parallelism=2,
                completion_mode=b.INDEXED,
                backoff_limit_per_index=3,
                pod_failure_policy=(FAIL_INDEX_ON_42,),
            ),
        ),
        b.PodFails("work", 0, 42),
    ]
    status = job(run(ops)).status
    assert status.failed_indexes == "0" and status.finished is None and status.active == 1


def test_success_policy_completes_with_success_criteria_met_first():
    ops = [
        b.CreateJob(
            "work",
            spec(
                completions=3,
                parallelism=3,
                completion_mode=b.INDEXED,
                success_policy=(b.SuccessPolicyRule("0"),),
            ),
        ),
        b.PodSucceeds("work", 0),
    ]
    view = run(ops)
    assert conditions(view) == {"SuccessCriteriaMet": "SuccessPolicy", "Complete": "SuccessPolicy"}
    status = job(view).status
    assert (status.succeeded, status.failed, status.active, status.completed_indexes) == (1, 0, 0, "0")


@pytest.mark.parametrize(
    "fields, field",
    [
        (
            {"pod_failure_policy": (FAIL_JOB_ON_42,), "restart_policy": b.ON_FAILURE},
            "spec.template.spec.restartPolicy",
        ),
        (
            {"pod_failure_policy": (b.PodFailurePolicyRule(b.FAIL_INDEX, b.OnExitCodes(b.IN, (1,))),)},
            "spec.podFailurePolicy.rules[0].action",
        ),
        (
            {"pod_failure_policy": (b.PodFailurePolicyRule(b.COUNT, b.OnExitCodes(b.IN, (0,))),)},
            "spec.podFailurePolicy.rules[0].onExitCodes.values[0]",
        ),
        ({"pod_failure_policy": (b.PodFailurePolicyRule(b.COUNT),)}, "spec.podFailurePolicy.rules[0]"),
        ({"success_policy": (b.SuccessPolicyRule("0"),)}, "spec.successPolicy"),
        ({"backoff_limit_per_index": 1}, "spec.backoffLimitPerIndex"),
        (
            {"completion_mode": b.INDEXED, "completions": 2, "max_failed_indexes": 1},
            "spec.backoffLimitPerIndex",
        ),
        (
            {"completion_mode": b.INDEXED, "completions": 2, "success_policy": (b.SuccessPolicyRule("2"),)},
            "spec.successPolicy.rules[0].succeededIndexes",
        ),
        (
            {
                "completion_mode": b.INDEXED,
                "completions": 2,
                "success_policy": (b.SuccessPolicyRule(succeeded_count=3),),
            },
            "spec.successPolicy.rules[0].succeededCount",
        ),
    ],
)
def test_admission_rejects_invalid_policies_naming_the_field(fields, field):
    with pytest.raises(InvalidSpec) as err:
        run([b.CreateJob("work", spec(**fields))])
    assert err.value.field == field


# ---------------------------------------------------------------- against the model

INDEXED3 = {"completions": 3, "parallelism": 3, "completion_mode": b.INDEXED}
SCENARIOS = {
    "fail-job-rule": [
        b.CreateJob("work", spec(pod_failure_policy=(FAIL_JOB_ON_42,))),
        b.PodFails("work", 0, 42),
    ],
    "ignore-disruption": [
        b.CreateJob("work", spec(completions=2, backoff_limit=0, pod_failure_policy=(IGNORE_DISRUPTION,))),
        b.PodFails("work", 0, condition=b.DISRUPTION_TARGET),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
    ],
    "per-index-retries": [
        b.CreateJob("work", spec(**INDEXED3, backoff_limit_per_index=1)),
        b.PodFails("work", 1),
        Advance(10),
        b.PodFails("work", 1),
        Advance(20),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
    ],
    "deleted-pod-per-index": [
        b.CreateJob(
            "work", spec(completions=2, parallelism=2, completion_mode=b.INDEXED, backoff_limit_per_index=1)
        ),
        b.DeleteJobPod("work", 0),
        Advance(10),
        b.PodFails("work", 0),
    ],
    "success-policy-with-held-failure": [
        b.CreateJob(
            "work",
            spec(
                completions=2,
                parallelism=2,
                completion_mode=b.INDEXED,
                backoff_limit_per_index=1,
                success_policy=(b.SuccessPolicyRule("0"),),
            ),
        ),
        b.PodFails("work", 1),
        b.PodSucceeds("work", 0),
    ],
    "index-recreated-after-scale-down": [
        b.CreateJob(
            "work", spec(completions=2, parallelism=2, completion_mode=b.INDEXED, backoff_limit_per_index=1)
        ),
        b.PodFails("work", 0),
        Advance(10),
        b.SetParallelism("work", 1),
        Advance(1),
        b.SetParallelism("work", 2),
        Advance(1),
        b.PodFails("work", 0),
    ],
    "success-policy": [
        b.CreateJob("work", spec(**INDEXED3, success_policy=(b.SuccessPolicyRule("1-2", 1),))),
        b.PodSucceeds("work", 2),
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


def test_success_policy_releases_a_failed_pod_held_for_its_index():
    # canRemoveFinalizer: once the Job is finishing no pod is held for a replacement, so the failure of
    # index 1 (waiting out its back-off) is counted and its finalizer removed in the sync that writes
    # Complete (nothing else runs): the Job's last sync
    rule = b.SuccessPolicyRule("0")
    indexed2 = {"completions": 2, "parallelism": 2, "completion_mode": b.INDEXED}
    ops = [
        b.CreateJob("work", spec(**indexed2, backoff_limit_per_index=1, success_policy=(rule,))),
        b.PodFails("work", 1),
        b.PodSucceeds("work", 0),
    ]
    view = run(ops)
    assert job(view).status.failed == 1 and conditions(view)["Complete"] == "SuccessPolicy"
    assert not any(p.finalizer for p in view.job_pods)

"""Hypothesis strategies for Job specs, and batch operations in words for counterexamples.

Values are small so counterexamples shrink to readable ones; the boundaries that matter are reachable:
backoffLimit 0 and 1, parallelism 0 and above the remaining completions, a work queue (completions unset),
Indexed Jobs, an active deadline a generated time step can cross, a Job created suspended.
ttlSecondsAfterFinished is not generated: a Job its TTL deleted leaves nothing for the settled comparison
(tests/test_sim_job.py checks the simulator's TTL controller).
podFailurePolicy (restartPolicy Never only, as the API requires; not on work queues), backoffLimitPerIndex
with maxFailedIndexes and successPolicy (Indexed Jobs) come in half of the Jobs they apply to,
from rules on the exit codes the machine's failures use (1, 42) and on DisruptionTarget, the condition
of its evictions.
"""

from __future__ import annotations

from hypothesis import strategies as st

from kubeprops.scenario import batch
from kubeprops.scenario.spec import PodTemplate

from .scenario_text import describe

JOB_TEMPLATE = PodTemplate(labels={"app": "work"}, image="worker:v1")


EXIT_42 = batch.OnExitCodes(batch.IN, (42,))
DISRUPTED = (batch.OnPodCondition(batch.DISRUPTION_TARGET),)
FAILURE_RULES = (
    batch.PodFailurePolicyRule(batch.IGNORE, on_pod_conditions=DISRUPTED),
    batch.PodFailurePolicyRule(batch.IGNORE, batch.OnExitCodes(batch.IN, (1,))),
    batch.PodFailurePolicyRule(batch.FAIL_JOB, EXIT_42),
    batch.PodFailurePolicyRule(batch.FAIL_JOB, on_pod_conditions=DISRUPTED),
    batch.PodFailurePolicyRule(batch.COUNT, batch.OnExitCodes(batch.NOT_IN, (42,))),
)
FAIL_INDEX_RULE = batch.PodFailurePolicyRule(batch.FAIL_INDEX, EXIT_42)


def pod_failure_policies(per_index: bool) -> st.SearchStrategy[tuple[batch.PodFailurePolicyRule, ...]]:
    rules = FAILURE_RULES + ((FAIL_INDEX_RULE,) * 2 if per_index else ())
    return st.lists(st.sampled_from(rules), min_size=1, max_size=2, unique=True).map(tuple)


def success_policies(completions: int) -> st.SearchStrategy[tuple[batch.SuccessPolicyRule, ...]]:
    last = completions - 1
    texts = sorted({"0", str(last), f"0-{last}" if last >= 1 else "0"})
    by_indexes = st.builds(batch.SuccessPolicyRule, st.sampled_from(texts))
    by_count = st.builds(batch.SuccessPolicyRule, succeeded_count=st.integers(1, completions))
    return st.lists(st.one_of(by_indexes, by_count), min_size=1, max_size=2).map(tuple)


@st.composite
def _policies(draw: st.DrawFn, completions: int | None, indexed: bool, restart_policy: str) -> dict:
    fields: dict = {}
    if indexed and draw(st.booleans()):
        assert completions is not None
        fields["backoff_limit_per_index"] = draw(st.sampled_from([0, 1, 2]))
        fields["max_failed_indexes"] = draw(st.sampled_from([None, 0, 1][: completions + 1]))
    # Not on work queues (completions unset), and those drawn twice as often as before: with the policies
    # added, the derandomized 300-example mutation budget otherwise missed the work-queue mutant
    if restart_policy == batch.NEVER and completions is not None and draw(st.booleans()):
        fields["pod_failure_policy"] = draw(pod_failure_policies("backoff_limit_per_index" in fields))
    # Half of the Indexed Jobs: the succeededCount boundary needs one, and the machine's own step
    if indexed and draw(st.booleans()):
        assert completions is not None
        fields["success_policy"] = draw(success_policies(completions))
    return fields


@st.composite
def job_specs(draw: st.DrawFn) -> batch.JobSpec:
    completions = draw(st.sampled_from([None, 1, None, 2, 3, 5]))  # work queues keep their share
    parallelism = draw(st.sampled_from([None, 2, 1, 3, 2, 0]))
    indexed = completions is not None and draw(st.booleans())
    restart_policy = draw(st.sampled_from([batch.NEVER, batch.ON_FAILURE]))
    return batch.JobSpec(
        template=JOB_TEMPLATE,
        parallelism=parallelism,
        completions=completions,
        completion_mode=batch.INDEXED if indexed else batch.NON_INDEXED,
        restart_policy=restart_policy,
        backoff_limit=draw(st.sampled_from([None, None, 0, 1, 2])),
        active_deadline_seconds=draw(st.sampled_from([None, None, 30, 120])),
        suspend=draw(st.sampled_from([False, False, False, True])),
        pod_replacement_policy=draw(st.sampled_from([None, batch.FAILED])),
        **draw(_policies(completions, indexed, restart_policy)),
    )


def job_spec_text(s: batch.JobSpec) -> str:
    return (
        f"completions={s.completions} parallelism={s.parallelism} {s.completion_mode} "
        f"restartPolicy={s.restart_policy} backoffLimit={s.backoff_limit} "
        f"activeDeadlineSeconds={s.active_deadline_seconds} "
        f"ttlSecondsAfterFinished={s.ttl_seconds_after_finished} suspend={s.suspend} "
        f"podReplacementPolicy={s.pod_replacement_policy}{policies_text(s)}"
    )


def policies_text(s: batch.JobSpec) -> str:
    parts = []
    if s.backoff_limit_per_index is not None:
        parts.append(
            f"backoffLimitPerIndex={s.backoff_limit_per_index} maxFailedIndexes={s.max_failed_indexes}"
        )
    for rule in s.pod_failure_policy or ():
        codes = rule.on_exit_codes
        on = (
            f"exit {codes.operator} {list(codes.values)}"
            if codes
            else "+".join(c.type for c in rule.on_pod_conditions)
        )
        parts.append(f"podFailurePolicy {rule.action} on {on}")
    for rule in s.success_policy or ():
        parts.append(f"successPolicy indexes={rule.succeeded_indexes} count={rule.succeeded_count}")
    return "".join(f" {p}" for p in parts)


@describe.register
def _(op: batch.CreateJob) -> str:
    return f"create Job/{op.name} {job_spec_text(op.spec)}"


@describe.register
def _(op: batch.SetSuspend) -> str:
    return f"{'suspend' if op.suspend else 'resume'} {op.kind}/{op.name}"


@describe.register
def _(op: batch.SetParallelism) -> str:
    return f"set Job/{op.name} parallelism {op.parallelism}"


@describe.register
def _(op: batch.PodSucceeds) -> str:
    return f"pod #{op.pod} of Job/{op.job} succeeds"


@describe.register
def _(op: batch.PodFails) -> str:
    how = f"is evicted ({op.condition})" if op.condition else f"exits {op.exit_code}"
    return f"pod #{op.pod} of Job/{op.job} {how}"


@describe.register
def _(op: batch.DeleteJobPod) -> str:
    return f"pod #{op.pod} of Job/{op.job} is deleted"

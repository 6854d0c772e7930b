"""Hypothesis strategies for Job specs, and batch operations in words for counterexamples.

Values are small so counterexamples shrink to readable ones; the boundaries that matter are reachable:
backoffLimit 0 and 1, parallelism 0 and above the remaining completions, a work queue (completions unset),
Indexed Jobs, an active deadline a generated time step can cross, a Job created suspended.
ttlSecondsAfterFinished is not generated: a Job its TTL deleted leaves nothing for the settled comparison
(tests/test_sim_job.py checks the simulator's TTL controller).
podFailurePolicy, successPolicy and backoffLimitPerIndex are not generated (the simulator does not play
them; the model's unit tests cover them).
"""

from __future__ import annotations

from hypothesis import strategies as st

from kubeprops.scenario import batch
from kubeprops.scenario.spec import PodTemplate

from .scenario_text import describe

JOB_TEMPLATE = PodTemplate(labels={"app": "work"}, image="worker:v1")


@st.composite
def job_specs(draw: st.DrawFn) -> batch.JobSpec:
    completions = draw(st.sampled_from([None, 1, 2, 3, 5]))
    parallelism = draw(st.sampled_from([None, 2, 1, 3, 2, 0]))
    indexed = completions is not None and draw(st.booleans())
    return batch.JobSpec(
        template=JOB_TEMPLATE,
        parallelism=parallelism,
        completions=completions,
        completion_mode=batch.INDEXED if indexed else batch.NON_INDEXED,
        restart_policy=draw(st.sampled_from([batch.NEVER, batch.ON_FAILURE])),
        backoff_limit=draw(st.sampled_from([None, None, 0, 1, 2])),
        active_deadline_seconds=draw(st.sampled_from([None, None, 30, 120])),
        suspend=draw(st.sampled_from([False, False, False, True])),
        pod_replacement_policy=draw(st.sampled_from([None, batch.FAILED])),
    )


def job_spec_text(s: batch.JobSpec) -> str:
    return (
        f"completions={s.completions} parallelism={s.parallelism} {s.completion_mode} "
        f"restartPolicy={s.restart_policy} backoffLimit={s.backoff_limit} "
        f"activeDeadlineSeconds={s.active_deadline_seconds} "
        f"ttlSecondsAfterFinished={s.ttl_seconds_after_finished} suspend={s.suspend} "
        f"podReplacementPolicy={s.pod_replacement_policy}"
    )


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

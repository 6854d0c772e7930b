"""Hypothesis strategies for CronJob specs and edits, and CronJob operations in words.

Schedules are whole-minute robfig schedules from every few minutes to monthly, some in a time zone (zones
without a daylight-saving transition in the weeks a scenario spans); the child Job is one pod with
backoffLimit 0, so one pod failing fails the Job, and sometimes an active deadline, so Jobs also end on
their own while time jumps. History limits include 0 and 1, the boundaries a cleanup bug misses.
"""

from __future__ import annotations

from hypothesis import strategies as st

from kubeprops.scenario import batch
from kubeprops.scenario.spec import PodTemplate

from .scenario_text import describe

CRON_TEMPLATE = PodTemplate(labels={"app": "tick"}, image="ticker:v1")
SCHEDULES = ("*/5 * * * *", "*/10 * * * *", "0 * * * *", "@hourly", "30 */6 * * *", "0 9 * * 1-5", "@daily")
ZONES = (None, None, "Asia/Tokyo", "America/New_York", "Asia/Kolkata")
POLICIES = (batch.ALLOW, batch.FORBID, batch.REPLACE)
DEADLINES = (None, None, 30, 200, 3600)


def job_templates() -> st.SearchStrategy[batch.JobSpec]:
    return st.builds(
        batch.JobSpec,
        template=st.just(CRON_TEMPLATE),
        backoff_limit=st.just(0),
        active_deadline_seconds=st.sampled_from([None, 600, 3000]),
    )


@st.composite
def cronjob_specs(draw: st.DrawFn) -> batch.CronJobSpec:
    return batch.CronJobSpec(
        schedule=draw(st.sampled_from(SCHEDULES)),
        job_template=draw(job_templates()),
        time_zone=draw(st.sampled_from(ZONES)),
        starting_deadline_seconds=draw(st.sampled_from(DEADLINES)),
        concurrency_policy=draw(st.sampled_from(POLICIES)),
        suspend=draw(st.sampled_from([False, False, False, True])),
        successful_jobs_history_limit=draw(st.sampled_from([3, 0, 1, 2])),
        failed_jobs_history_limit=draw(st.sampled_from([1, 0, 2])),
    )


def cronjob_spec_text(s: batch.CronJobSpec) -> str:
    return (
        f"schedule={s.schedule!r} timeZone={s.time_zone} "
        f"startingDeadlineSeconds={s.starting_deadline_seconds} "
        f"concurrencyPolicy={s.concurrency_policy} suspend={s.suspend} "
        f"history={s.successful_jobs_history_limit}/{s.failed_jobs_history_limit} "
        f"job: activeDeadlineSeconds={s.job_template.active_deadline_seconds}"
    )


@describe.register
def _(op: batch.CreateCronJob) -> str:
    return f"create CronJob/{op.name} {cronjob_spec_text(op.spec)}"


@describe.register
def _(op: batch.SetSchedule) -> str:
    return f"set CronJob/{op.name} schedule {op.schedule!r} timeZone={op.time_zone}"


@describe.register
def _(op: batch.SetConcurrencyPolicy) -> str:
    return f"set CronJob/{op.name} concurrencyPolicy {op.policy}"


@describe.register
def _(op: batch.SetStartingDeadline) -> str:
    return f"set CronJob/{op.name} startingDeadlineSeconds {op.seconds}"


@describe.register
def _(op: batch.SetHistoryLimits) -> str:
    return f"set CronJob/{op.name} history limits {op.successful}/{op.failed}"


@describe.register
def _(op: batch.DeleteCronJob) -> str:
    return f"delete CronJob/{op.name} (the garbage collector deletes its Jobs and their pods)"

"""Concrete scenarios in which each CronJob mutant changes what the simulator does (see test_mutants_apply)."""

from sim_builders import simulator

from kubeprops.scenario import batch as b
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate

TEMPLATE = PodTemplate(labels={"app": "tick"}, image="ticker:v1")
HOUR = 3600


def _children(ops, **spec):
    """Names of the CronJob's Jobs after `ops`, from a CronJob `tick` created at t=0 with `spec`."""
    sim = simulator()
    try:
        fields = {"schedule": "*/5 * * * *", **spec}
        sim.apply(
            b.CreateCronJob(
                "tick", b.CronJobSpec(job_template=b.JobSpec(TEMPLATE, backoff_limit=0), **fields)
            )
        )
        for op in ops:
            sim.advance(op.seconds) if isinstance(op, Advance) else sim.apply(op)
        return [j.name for j in sim.observe().jobs if j.owner == "tick"]
    finally:
        sim.close()


def jobs_after_two_slots_under_forbid():
    return len(_children([Advance(601)], concurrency_policy=b.FORBID))


def job_after_resuming_three_hours_later():
    resume = b.SetSuspend(b.CRONJOB, "tick", False)
    return _children([Advance(3 * HOUR + 60), resume], schedule="0 * * * *", suspend=True)


def jobs_after_resuming_past_the_deadline():
    resume = b.SetSuspend(b.CRONJOB, "tick", False)
    ops = [Advance(3 * HOUR + 600), resume]
    return len(_children(ops, schedule="0 * * * *", suspend=True, starting_deadline_seconds=30))


def succeeded_jobs_kept_with_limit_one():
    # each Job completes with its batched sync, within a second of its pod
    ops = [
        Advance(301),
        b.PodSucceeds("tick-29453765"),
        Advance(300),
        b.PodSucceeds("tick-29453770"),
        Advance(1),
    ]
    return len(_children(ops, successful_jobs_history_limit=1))


def jobs_after_two_slots_under_replace():
    return len(_children([Advance(601)], concurrency_policy=b.REPLACE))


def first_job_name():
    return _children([Advance(301)])


def left_after_deleting_the_cronjob():
    """Jobs and pods (by Job) still there a minute after the CronJob with a running child was deleted."""
    sim = simulator()
    try:
        spec = b.CronJobSpec("*/5 * * * *", b.JobSpec(TEMPLATE, backoff_limit=0))
        sim.apply(b.CreateCronJob("tick", spec))
        sim.advance(301)
        sim.apply(b.DeleteCronJob("tick"))
        sim.advance(60)
        view = sim.observe()
        return [j.name for j in view.jobs], [p.job for p in view.job_pods]
    finally:
        sim.close()


CRON_CASES = {
    "cron-forbid-ignored": (jobs_after_two_slots_under_forbid, 1, 2),
    # 03:00 (29453940) is the most recent of the three missed slots, 01:00 (29453820) the oldest
    "cron-every-missed-slot-runs": (
        job_after_resuming_three_hours_later,
        ["tick-29453940"],
        ["tick-29453820", "tick-29453880", "tick-29453940"],
    ),
    "cron-deadline-ignored": (jobs_after_resuming_past_the_deadline, 0, 1),
    "cron-history-limit-off-by-one": (succeeded_jobs_kept_with_limit_one, 1, 2),
    "cron-replace-keeps-active-job": (jobs_after_two_slots_under_replace, 1, 2),
    # 2026-01-01T00:05Z: 29453765 minutes, 1767225900 seconds since 1970
    "cron-name-in-seconds": (first_job_name, ["tick-29453765"], ["tick-1767225900"]),
    # the orphaned Job keeps running (no new slot Jobs: its CronJob is gone)
    "cron-delete-orphans-jobs": (
        left_after_deleting_the_cronjob,
        ([], []),
        (["tick-29453765"], ["tick-29453765"]),
    ),
    # the Job went, its pod stays held (deleting) by the tracking finalizer nobody removes
    "cron-orphan-pod-keeps-finalizer": (left_after_deleting_the_cronjob, ([], []), ([], ["tick-29453765"])),
}

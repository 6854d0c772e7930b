"""The simulated CronJob controller against upstream v1.35.4 (fact sheet §6), worked examples with their times.

The virtual clock's zero is 2026-01-01T00:00:00Z = 1767225600 s = 29453760 min since 1970, so the Job of the
slot at virtual time t is `tick-<29453760 + t // 60>`.
"""

import pytest
from sim_builders import simulator

from kubeprops.adapters.kube_objects import SIM_EPOCH
from kubeprops.adapters.kube_objects_cron import cronjob_manifest, cronjob_spec_from_manifest
from kubeprops.adapters.simulator.controllers import cronjob_schedule as cron
from kubeprops.adapters.simulator.controllers import cronjob_util as util
from kubeprops.reference_model import batch_world as bw
from kubeprops.scenario import batch as b
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate

TEMPLATE = PodTemplate(labels={"app": "tick"}, image="ticker:v1")
MINUTE0 = 29453760
HOUR, DAY = 3600, 86400


def spec(schedule: str = "*/5 * * * *", **fields) -> b.CronJobSpec:
    job = fields.pop("job", b.JobSpec(TEMPLATE, backoff_limit=0))
    return b.CronJobSpec(schedule, job, **fields)


def name(t: int) -> str:
    return f"tick-{MINUTE0 + t // 60}"


class Run:
    """A simulator with CronJob `tick`; `view` is the latest observation."""

    def __init__(self, seed: int = 0, **fields) -> None:
        self.sim = simulator(seed)
        self.sim.apply(b.CreateCronJob("tick", spec(**fields)))

    def __call__(self, *ops: object) -> "Run":
        for op in ops:
            self.sim.advance(op.seconds) if isinstance(op, Advance) else self.sim.apply(op)
        return self

    @property
    def jobs(self) -> list[str]:
        return [j.name for j in self.sim.observe().jobs if j.owner == "tick"]

    @property
    def status(self) -> b.CronJobStatus:
        return self.sim.observe().cronjobs[0].status


@pytest.fixture
def run():
    runs: list[Run] = []

    def make(**fields) -> Run:
        runs.append(Run(**fields))
        return runs[-1]

    yield make
    for r in runs:
        r.sim.close()


def test_one_job_per_slot_named_in_minutes_since_1970(run):
    r = run()(Advance(5 * 60 + 1))
    assert r.jobs == [name(300)]
    assert r.status.active == (name(300),) and r.status.last_schedule_time == 300.0
    job = r.sim.observe().jobs[0]
    assert job.scheduled_time == 300.0 and job.created == pytest.approx(300.1)  # slot + nextScheduleDelta


def test_the_sync_comes_100ms_after_the_slot(run):
    r = run()(Advance(300))
    assert r.jobs == []
    assert r(Advance(0.1)).jobs == [name(300)]


def test_allow_runs_every_slot_while_jobs_overlap(run):
    assert run()(Advance(15 * 60 + 1)).jobs == [name(300), name(600), name(900)]


def test_forbid_defers_the_slot_until_the_running_job_finishes(run):
    r = run(concurrency_policy=b.FORBID)(Advance(10 * 60 + 1))
    assert r.jobs == [name(300)] and r.status.last_schedule_time == 300.0  # 10:00 deferred, not dropped
    # the pod succeeds at 00:11:00, its Job completes with the batched sync at 00:11:01, and then the
    # 00:10 slot still runs (no deadline)
    r(Advance(59), b.PodSucceeds(name(300)))
    assert r.jobs == [name(300)]
    r(Advance(1))
    assert r.jobs == [name(300), name(600)] and r.status.active == (name(600),)
    assert r.status.last_successful_time == 661.0


def test_forbid_with_deadline_drops_the_deferred_slot(run):
    r = run(concurrency_policy=b.FORBID, starting_deadline_seconds=30)(Advance(10 * 60 + 1))
    r(Advance(59), b.PodSucceeds(name(300)), Advance(1))  # 00:10 is 61 s old: outside the 30 s window
    assert r.jobs == [name(300)] and r.status.active == ()
    assert r(Advance(4 * 60)).jobs == [name(300), name(900)]


def test_replace_deletes_the_active_job_before_creating_the_next(run):
    r = run(concurrency_policy=b.REPLACE)(Advance(10 * 60 + 1))
    assert r.jobs == [name(600)] and r.status.active == (name(600),)
    assert not any(p.job == name(300) and p.active for p in r.sim.observe().job_pods)


def test_replaced_jobs_pods_are_gone_once_time_passes(run):
    # the replaced Job's pod is orphaned: the Job controller strips its tracking finalizer (syncOrphanPod)
    r = run(concurrency_policy=b.REPLACE)(Advance(10 * 60 + 1), Advance(1))
    assert [p.job for p in r.sim.observe().job_pods] == [name(600)]


# ---------------------------------------------------------------- deleting the CronJob


def test_deleting_the_cronjob_deletes_its_jobs_at_once_and_their_pods_when_time_passes(run):
    r = run()(Advance(301), b.PodSucceeds(name(300)), Advance(300))
    store = r.sim.cluster.store
    running = next(p for p in store.list("Pod") if p["status"]["phase"] == "Running")
    r(b.DeleteCronJob("tick"))
    view = r.sim.observe()
    assert view.cronjobs == () and view.jobs == ()  # the garbage collector, within the instant
    # the succeeded pod went with its Job; the running one is terminating, without the tracking finalizer
    assert [(p.name, p.deleting) for p in view.pods] == [(running["metadata"]["name"], True)]
    assert not store.get("Pod", running["metadata"]["name"])["metadata"].get("finalizers")
    assert r(Advance(1)).sim.observe().pods == ()  # the kubelet stopped it


def test_no_job_for_the_deleted_cronjobs_slots(run):
    r = run()(Advance(301), b.DeleteCronJob("tick"), Advance(3 * HOUR))
    view = r.sim.observe()
    assert view.jobs == () and view.pods == () and view.cronjobs == ()


def test_deleting_a_missing_cronjob_is_a_no_op(run):
    r = run()(Advance(301))
    before = r.sim.observe()
    r(b.DeleteCronJob("other"))
    assert r.sim.observe().jobs == before.jobs and r.sim.observe().cronjobs == before.cronjobs


def test_a_recreated_cronjob_is_a_new_object_and_agrees_with_the_model(run):
    # simulator and model side by side on Unix time (the simulator's zero is SIM_EPOCH)
    ops = (
        Advance(601),
        b.PodSucceeds(name(300)),
        b.DeleteCronJob("tick"),
        Advance(60),
        b.CreateCronJob("tick", spec("*/10 * * * *")),
        Advance(1200),
    )
    r = run()
    old_uid = r.sim.observe().cronjobs[0].uid
    r(*ops)
    model = bw.run(ops, bw.run([b.CreateCronJob("tick", spec())], bw.BatchState(now=SIM_EPOCH.timestamp())))
    (cj,) = r.sim.observe().cronjobs
    (expected,) = bw.outcome(model).cronjobs
    assert cj.uid != old_uid
    assert r.jobs == list(expected.remaining) == [name(1200), name(1800)]
    assert cj.status.active == expected.active
    assert cj.status.last_schedule_time + SIM_EPOCH.timestamp() == expected.last_schedule_time
    assert cj.status.last_successful_time is None and expected.last_successful_time is None
    assert {p.job for p in r.sim.observe().job_pods} == {j.name for j in model.jobs}


def test_after_a_suspended_gap_only_the_most_recent_slot_runs(run):
    r = run(schedule="0 * * * *", suspend=True)(Advance(3 * HOUR + 60))
    assert r.jobs == []  # suspended: nothing, and no requeue either
    r(b.SetSuspend(b.CRONJOB, "tick", False))
    assert r.jobs == [name(3 * HOUR)]  # 01:00 and 02:00 are never run


def test_more_than_100_missed_slots_still_run_the_latest(run):
    # ten days of */5 = 2880 missed slots: v1.35 warns (TooManyMissedTimes) and still creates the latest;
    # the legacy v1 controller (and the concept page) would start nothing
    r = run(suspend=True)(Advance(10 * DAY + 90), b.SetSuspend(b.CRONJOB, "tick", False))
    assert r.jobs == [name(10 * DAY)]
    assert "TooManyMissedTimes" in r.sim.cluster.cronjobs.events


def test_starting_deadline_window_loses_a_slot_older_than_the_deadline(run):
    r = run(schedule="0 * * * *", suspend=True, starting_deadline_seconds=200)
    r(Advance(3 * HOUR + 300), b.SetSuspend(b.CRONJOB, "tick", False))  # 03:00 is 300 s old
    assert r.jobs == []
    r2 = run(schedule="0 * * * *", suspend=True, starting_deadline_seconds=200)
    r2(Advance(3 * HOUR + 100), b.SetSuspend(b.CRONJOB, "tick", False))  # 100 s old: inside the window
    assert r2.jobs == [name(3 * HOUR)]


def test_history_limits_delete_the_oldest_finished_jobs(run):
    r = run(successful_jobs_history_limit=1, failed_jobs_history_limit=0)
    r(Advance(301), b.PodSucceeds(name(300)), Advance(300), b.PodSucceeds(name(600)), Advance(1))
    assert r.jobs == [name(600)]
    r(Advance(299), b.PodFails(name(900)), Advance(1))
    # the pod succeeds at 601 while the batched sync its creation queued (600.1 + 1 s) still waits: the
    # earlier time wins, the Job completes at 601.1
    assert r.jobs == [name(600)] and r.status.last_successful_time == 601.1


def test_success_time_is_set_even_when_limit_zero_deletes_the_job(run):
    # cleanupFinishedJobs and syncCronJob read one snapshot in one sync (v1.35.4 sync)
    r = run(successful_jobs_history_limit=0)(Advance(301), b.PodSucceeds(name(300)), Advance(1))
    assert r.jobs == [] and r.status.last_successful_time == 301.1  # the sync queued at 300.1 + 1 s


def test_time_zone_moves_the_slots(run):
    # 09:00 on weekdays in Tokyo is 00:00 UTC; 2026-01-02 is a Friday
    r = run(schedule="0 9 * * 1-5", time_zone="Asia/Tokyo")(Advance(DAY + 1))
    assert r.jobs == [name(DAY)]
    annotation = r.sim.cluster.store.get("Job", name(DAY))["metadata"]["annotations"]
    assert annotation[util.SCHEDULED_TIMESTAMP] == "2026-01-02T09:00:00+09:00"


def test_schedule_edit_waits_for_the_next_slot_of_the_new_schedule(run):
    r = run(schedule="@daily")(Advance(HOUR), b.SetSchedule("tick", "*/5 * * * *"))
    assert r.jobs == []  # 01:00 is a slot of the new schedule, but the edit queues for 01:05
    assert r(Advance(5 * 60 + 1)).jobs == [name(HOUR + 300)]


def test_child_jobs_with_a_deadline_fail_on_the_virtual_clock(run):
    # a child starts at slot + 0.1 s: its activeDeadlineSeconds fires exactly (no spinning on float dust)
    r = run(
        job=b.JobSpec(TEMPLATE, backoff_limit=0, active_deadline_seconds=600), failed_jobs_history_limit=3
    )
    r(Advance(300 + 602))  # deadline at 900.1: FailureTarget, then Failed with the batched sync at 901.1
    failed = [j for j in r.sim.observe().jobs if j.status.finished is not None]
    assert [j.name for j in failed] == [name(300)] and failed[0].status.finished.reason == "DeadlineExceeded"


def test_interleaved_runs_agree_with_the_plain_one(run):
    ops = (Advance(601), b.PodSucceeds(name(300)), Advance(900), b.PodFails(name(600)), Advance(300))
    plain, shuffled = run(), Run(seed=7)
    try:
        assert plain(*ops).jobs == shuffled(*ops).jobs and plain.status == shuffled.status
    finally:
        shuffled.sim.close()


# ---------------------------------------------------------------- schedules, admission, manifests


@pytest.mark.parametrize(
    ("schedule", "zone", "after", "expected"),
    [
        ("*/15 * * * *", None, "2026-01-01T10:07:00", "2026-01-01T10:15:00"),
        ("0 9 * * 1-5", "Asia/Tokyo", "2026-01-01T10:07:00", "2026-01-02T00:00:00"),  # Fri 09:00 JST
        ("0 0 1,15 * 1", None, "2026-01-02T00:00:00", "2026-01-05T00:00:00"),  # both day fields: OR
        ("0 0 */2 * *", None, "2026-01-01T00:00:00", "2026-01-03T00:00:00"),
        ("@every 90s", None, "2026-01-01T00:00:00", "2026-01-01T00:01:30"),
    ],
)
def test_next_slot_follows_robfig(schedule, zone, after, expected):
    from datetime import UTC, datetime

    def at(text: str) -> float:
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

    assert cron.next_after(cron.parse(schedule, zone), at(after)) == at(expected)


def test_a_schedule_that_never_fires_has_no_next_slot():
    assert cron.next_after(cron.parse("0 0 31 2 *"), 1767225600) is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"schedule": "61 * * * *"}, "spec.schedule"),
        ({"schedule": "TZ=UTC 0 * * * *"}, "spec.schedule"),
        ({"time_zone": "Mars/Olympus"}, "spec.timeZone"),
        ({"starting_deadline_seconds": -1}, "spec.startingDeadlineSeconds"),
        ({"concurrency_policy": "Sometimes"}, "spec.concurrencyPolicy"),
        ({"successful_jobs_history_limit": -1}, "spec.successfulJobsHistoryLimit"),
        ({"job": b.JobSpec(TEMPLATE, parallelism=-1)}, "spec.jobTemplate.spec.parallelism"),
    ],
)
def test_admission_names_the_field(fields, field):
    sim = simulator()
    try:
        with pytest.raises(InvalidSpec) as err:
            sim.apply(b.CreateCronJob("tick", spec(**fields)))
        assert err.value.field == field
    finally:
        sim.close()


def test_manifest_round_trip():
    s = spec(time_zone="Asia/Kolkata", starting_deadline_seconds=30, concurrency_policy=b.REPLACE)
    assert cronjob_spec_from_manifest(cronjob_manifest("tick", s)["spec"]) == s

"""PER-SYNC checks of CronJob syncs: worked examples of each rule on hand-built sync records (the right writes
pass, a wrong one names its rule), the readings the snapshot cannot decide between, and the simulator's own
trace."""

import attrs
from mutants import MUTANTS

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.per_sync_cronjob import (
    CRONJOB_CREATE,
    CRONJOB_HISTORY,
    CRONJOB_REPLACE,
    CRONJOB_STATUS,
)
from kubeprops.scenario import batch as b
from kubeprops.scenario.spec import PodTemplate
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import ClusterView, Condition

TEMPLATE = PodTemplate(labels={"app": "hello"}, image="hello:v1")
T0 = 1_704_067_200.0  # 2024-01-01T00:00:00Z, a slot of */5: Job hello-28401120 (fact sheet 6.4)
NAME = "hello-28401120"
NOW = T0 + 0.1  # the sync the requeue brings, 100 ms after the slot
SPEC = b.CronJobSpec("*/5 * * * *", b.JobSpec(TEMPLATE))


def cronjob(spec: b.CronJobSpec = SPEC, **status: object) -> b.CronJobView:
    status.setdefault("last_schedule_time", T0 - 300)
    return b.CronJobView("hello", "uid-hello", spec, b.CronJobStatus(**status), T0 - 600)


def child(slot: float, finished: str | None = None, start: float | None = None) -> b.JobView:
    """The Job of `slot`, started then (or at `start`), Complete or Failed a minute later when `finished`."""
    start = slot if start is None else start
    conditions = (Condition(finished, "True", finished, "", start + 60, start + 60),) if finished else ()
    done = start + 60 if finished == b.COMPLETE else None
    status = b.JobStatus(start_time=start, completion_time=done, conditions=conditions)
    name = f"hello-{int(slot // 60)}"
    return b.JobView(name, f"uid-{name}", SPEC.job_template, status, slot, owner="hello", scheduled_time=slot)


def created(slot: float) -> Write:
    job = attrs.evolve(child(slot), status=b.JobStatus(), created=NOW)
    return Write(CREATE, b.JOB, job.name, job)


def deleted(job: b.JobView) -> Write:
    return Write(DELETE, b.JOB, job.name)


def status_write(cj: b.CronJobView, **status: object) -> Write:
    status.setdefault("last_schedule_time", cj.status.last_schedule_time)
    status.setdefault("last_successful_time", cj.status.last_successful_time)
    return Write(UPDATE_STATUS, b.CRONJOB, cj.name, attrs.evolve(cj, status=b.CronJobStatus(**status)))


def record(
    cj: b.CronJobView, jobs: list[b.JobView], *writes: Write, now: float = NOW, **extra: object
) -> SyncRecord:
    snap = ClusterView(now=now, jobs=tuple(jobs), cronjobs=(cj,))
    return SyncRecord(b.CRONJOB, cj.name, snap, tuple(writes), True, **extra)


def rules(r: SyncRecord) -> set[str]:
    return {v.rule for v in check_sync(r)}


# ---------------------------------------------------------------- creation (6.3, 6.4)


def test_creates_the_due_slots_job_named_by_its_minute():
    cj = cronjob()
    right = record(cj, [], created(T0), status_write(cj, active=(NAME,), last_schedule_time=T0))
    assert rules(right) == set()
    named_in_seconds = Write(CREATE, b.JOB, f"hello-{int(T0)}", created(T0).obj)
    wrong = record(cj, [], named_in_seconds, status_write(cj, active=(NAME,), last_schedule_time=T0))
    assert CRONJOB_CREATE.id in rules(wrong)
    assert rules(record(cj, [])) == {CRONJOB_CREATE.id, CRONJOB_STATUS.id}  # the due slot left alone


def test_after_missed_slots_only_the_latest_runs():
    cj = cronjob(last_schedule_time=T0 - 3600)  # 11 slots missed: 23:05 ... 23:55, and 00:00 due
    latest = record(cj, [], created(T0), status_write(cj, active=(NAME,), last_schedule_time=T0))
    assert rules(latest) == set()
    oldest = T0 - 3300
    backfill = record(
        cj, [], created(oldest), status_write(cj, active=("hello-28401065",), last_schedule_time=oldest)
    )
    assert rules(backfill) == {CRONJOB_CREATE.id, CRONJOB_STATUS.id}


def test_nothing_due_between_slots_and_the_status_is_kept():
    cj = cronjob(last_schedule_time=T0)
    assert rules(record(cj, [child(T0)], now=T0 + 120)) == set()
    assert CRONJOB_CREATE.id in rules(record(cj, [child(T0)], created(T0 + 300), now=T0 + 120))


def test_no_creation_while_suspended_or_forbidden_by_an_active_job():
    suspended = cronjob(attrs.evolve(SPEC, suspend=True))
    assert rules(record(suspended, [])) == set()
    write = status_write(suspended, active=(NAME,), last_schedule_time=T0)
    assert CRONJOB_CREATE.id in rules(record(suspended, [], created(T0), write))
    running = child(T0 - 300)
    forbid = cronjob(attrs.evolve(SPEC, concurrency_policy=b.FORBID), active=(running.name,))
    assert rules(record(forbid, [running])) == set()  # lastScheduleTime stays: the slot is deferred
    both = (running.name, NAME)
    assert CRONJOB_CREATE.id in rules(
        record(forbid, [running], created(T0), status_write(forbid, active=both, last_schedule_time=T0))
    )


def test_starting_deadline_window_skips_a_slot_past_it():
    late = cronjob(attrs.evolve(SPEC, starting_deadline_seconds=10))
    assert rules(record(late, [], now=T0 + 30)) == set()  # the window starts at now - 10 s: nothing due
    write = status_write(late, active=(NAME,), last_schedule_time=T0)
    assert CRONJOB_CREATE.id in rules(record(late, [], created(T0), write, now=T0 + 30))


# ---------------------------------------------------------------- Replace (6.4)


def test_replace_deletes_the_active_job_before_creating():
    running = child(T0 - 300)
    cj = cronjob(attrs.evolve(SPEC, concurrency_policy=b.REPLACE), active=(running.name,))
    write = status_write(cj, active=(NAME,), last_schedule_time=T0)
    assert rules(record(cj, [running], deleted(running), created(T0), write)) == set()
    assert CRONJOB_REPLACE.id in rules(record(cj, [running], created(T0), write))  # kept the old one
    assert CRONJOB_REPLACE.id in rules(record(cj, [running], created(T0), deleted(running), write))


def test_allow_never_deletes_a_running_job():
    running = child(T0 - 300)
    cj = cronjob(active=(running.name,))
    write = status_write(cj, active=(NAME,), last_schedule_time=T0)
    assert (
        rules(
            record(
                cj,
                [running],
                created(T0),
                status_write(cj, active=(running.name, NAME), last_schedule_time=T0),
            )
        )
        == set()
    )
    assert CRONJOB_REPLACE.id in rules(record(cj, [running], deleted(running), created(T0), write))


# ---------------------------------------------------------------- history cleanup (6.4)


def test_history_cleanup_deletes_exactly_the_oldest_beyond_the_limit():
    jobs = [child(T0 - 900, b.COMPLETE), child(T0 - 600, b.COMPLETE), child(T0 - 300, b.COMPLETE)]
    cj = cronjob(attrs.evolve(SPEC, successful_jobs_history_limit=1), last_schedule_time=T0)
    last_success = T0 - 300 + 60
    write = status_write(cj, last_successful_time=last_success)
    assert rules(record(cj, jobs, deleted(jobs[0]), deleted(jobs[1]), write, now=T0 + 120)) == set()
    newest = record(cj, jobs, deleted(jobs[1]), deleted(jobs[2]), write, now=T0 + 120)
    assert rules(newest) == {CRONJOB_HISTORY.id}
    assert rules(record(cj, jobs, deleted(jobs[0]), write, now=T0 + 120)) == {CRONJOB_HISTORY.id}


def test_history_orders_by_start_time_not_by_name():
    # the later slot started first (a Job suspended at first, say): it is the older one for the cleanup
    early_start = child(T0 - 300, b.FAILED_CONDITION, start=T0 - 900)
    late_start = child(T0 - 600, b.FAILED_CONDITION, start=T0 - 600)
    cj = cronjob(last_schedule_time=T0)
    assert rules(record(cj, [early_start, late_start], deleted(early_start), now=T0 + 120)) == set()
    wrong = record(cj, [early_start, late_start], deleted(late_start), now=T0 + 120)
    assert rules(wrong) == {CRONJOB_HISTORY.id}


# ---------------------------------------------------------------- status (6.5)


def test_finished_job_leaves_the_active_list_and_sets_last_successful_time():
    done = child(T0, b.COMPLETE)
    cj = cronjob(active=(done.name,), last_schedule_time=T0)
    right = status_write(cj, active=(), last_successful_time=T0 + 60)
    assert rules(record(cj, [done], right, now=T0 + 120)) == set()
    no_time = status_write(cj, active=())
    assert rules(record(cj, [done], no_time, now=T0 + 120)) == {CRONJOB_STATUS.id}
    assert rules(record(cj, [done], now=T0 + 120)) == {CRONJOB_STATUS.id}  # kept it listed


# ---------------------------------------------------------------- allowed both ways


def test_a_live_reread_is_what_the_sync_goes_on_from():
    # the cache has the Job of T0 but not the status write that listed it; the GET returns that status
    fresh = child(T0)
    cached = cronjob()
    reread = cronjob(active=(NAME,), last_schedule_time=T0)
    assert rules(record(cached, [fresh], now=T0 + 5, cronjob_reread=reread)) == set()
    # without the re-read the snapshot asks for the creation the sync did not make
    assert CRONJOB_CREATE.id in rules(record(cached, [fresh], now=T0 + 5))


def test_jobs_seen_before_a_reread_may_stay_listed():
    old = child(T0 - 300, b.COMPLETE)
    fresh = child(T0)
    cached = cronjob(active=(old.name,), last_schedule_time=T0 - 300)
    reread = cronjob(active=(old.name, NAME), last_schedule_time=T0)
    kept = status_write(reread, active=(old.name, NAME))  # `old` came first in the lister's order
    dropped = status_write(reread, active=(NAME,), last_successful_time=T0 - 240)
    for write in (kept, dropped):
        assert rules(record(cached, [old, fresh], write, now=T0 + 5, cronjob_reread=reread)) == set()
    invented = status_write(reread, active=(), last_successful_time=T0 - 240)
    assert rules(record(cached, [old, fresh], invented, now=T0 + 5, cronjob_reread=reread)) == {
        CRONJOB_STATUS.id
    }


def test_a_listed_job_missing_from_the_cache_may_be_dropped_or_kept():
    gone = child(T0 - 300)
    cj = cronjob(attrs.evolve(SPEC, concurrency_policy=b.FORBID), active=(gone.name,))
    # the GET found it (a lagging cache): Forbid holds the slot back
    assert rules(record(cj, [])) == set()
    # NotFound: dropped, and the slot runs
    write = status_write(cj, active=(NAME,), last_schedule_time=T0)
    assert rules(record(cj, [], created(T0), write)) == set()


def test_already_exists_takes_the_job_in_or_leaves_the_status():
    cj = cronjob()
    exists = Write(CREATE, b.JOB, NAME, None, "AlreadyExists")
    taken = status_write(cj, active=(NAME,), last_schedule_time=T0)
    assert rules(record(cj, [], exists, taken)) == set()
    assert rules(record(cj, [], exists)) == set()  # not ours (a UID the view does not show)
    other = Write(CREATE, b.JOB, "hello-28401115", None, "AlreadyExists")
    assert CRONJOB_CREATE.id in rules(record(cj, [], other))


# ---------------------------------------------------------------- the simulator's own trace


def simulator_records(spec: b.CronJobSpec, seconds: float, seed: int = 3) -> list[SyncRecord]:
    """The CronJob syncs the simulator traced over `seconds` from creating CronJob `hello` with `spec`."""
    sim = SimulatorAdapter(RunContext(seed=seed))
    sim.start_sync_trace()
    try:
        sim.apply(b.CreateCronJob("hello", spec))
        sim.advance(seconds)
        return [r for r in sim.take_sync_trace() if r.controller == b.CRONJOB]
    finally:
        sim.close()


def test_the_simulators_cronjob_syncs_pass_and_create_one_job_per_slot():
    records = simulator_records(attrs.evolve(SPEC, concurrency_policy=b.REPLACE), 901)
    assert records and all(r.snapshot.epoch for r in records)
    assert [v for r in records for v in check_sync(r)] == []
    # a sync on a cache that missed the status write retries the slot: AlreadyExists, then a Conflict
    creates = [w.name for r in records for w in r.writes if w.verb == CREATE and not w.error]
    assert any(w.error == "AlreadyExists" for r in records for w in r.writes)
    replaced = [w.name for r in records for w in r.writes if w.verb == DELETE]
    assert len(creates) == 3 and len(set(creates)) == 3
    assert replaced == creates[:2]


def test_replace_keeping_the_active_job_is_caught_in_the_sync_that_does_it(monkeypatch):
    MUTANTS["cron-replace-keeps-active-job"](monkeypatch)
    records = simulator_records(attrs.evolve(SPEC, concurrency_policy=b.REPLACE), 601)
    assert {v.rule for r in records for v in check_sync(r)} == {CRONJOB_REPLACE.id}


def test_forbid_ignored_is_caught_in_the_sync_that_does_it(monkeypatch):
    MUTANTS["cron-forbid-ignored"](monkeypatch)
    records = simulator_records(attrs.evolve(SPEC, concurrency_policy=b.FORBID), 601)
    assert CRONJOB_CREATE.id in {v.rule for r in records for v in check_sync(r)}

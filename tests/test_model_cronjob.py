"""CronJob per-sync decisions, validation, the executor's timelines and the CronJob invariants (6.1-6.5)."""

import attrs
import pytest

from kubeprops.reference_model import batch_world as bw
from kubeprops.reference_model.batch_invariants import (
    check_batch_always,
    check_batch_settled,
    check_batch_transition,
)
from kubeprops.reference_model.cronjob import cronjob_sync, job_name
from kubeprops.reference_model.job_validation import validate_cronjob
from kubeprops.scenario.batch import (
    CRONJOB,
    FORBID,
    REPLACE,
    CreateCronJob,
    CronJobSpec,
    CronJobStatus,
    CronJobView,
    DeleteCronJob,
    JobSpec,
    JobStatus,
    JobView,
    PodFails,
    PodSucceeds,
    SetConcurrencyPolicy,
    SetHistoryLimits,
    SetSchedule,
    SetStartingDeadline,
    SetSuspend,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance
from kubeprops.scenario.spec import PodTemplate
from kubeprops.scenario.view import Condition

T = PodTemplate(labels={"app": "x"})
H10 = 1704103200  # 2024-01-01T10:00:00Z
MIN = 60


def cronjob(schedule="*/15 * * * *", last=H10, created=H10 - 3600, **spec):
    return CronJobView(
        "c",
        "uid-c",
        CronJobSpec(schedule, JobSpec(T), **spec),
        CronJobStatus(last_schedule_time=last),
        created,
    )


def child(name, finished=None, start=0.0, completion=None):
    conds = () if finished is None else (Condition(finished, "True", "", "", completion, completion),)
    status = JobStatus(start_time=start, completion_time=completion, conditions=conds)
    return JobView(name, f"uid-{name}", JobSpec(T), status, start, owner="c")


def test_job_name_is_minutes_since_epoch():
    assert job_name("hello", 1704067200) == "hello-28401120"


# ---------------------------------------------------------------- which slot runs


def test_after_an_outage_only_the_latest_missed_slot_runs():
    decision = cronjob_sync(cronjob(), [], H10 + 67 * MIN)
    assert decision.create == (job_name("c", H10 + 60 * MIN), H10 + 60 * MIN)
    assert decision.status.last_schedule_time == H10 + 60 * MIN
    assert decision.requeue_after == pytest.approx(8 * MIN + 0.1)


def test_starting_deadline_window_loses_the_slot():
    decision = cronjob_sync(cronjob(starting_deadline_seconds=200), [], H10 + 64 * MIN)
    assert decision.create is None and "MissSchedule" not in decision.events
    assert decision.requeue_after == pytest.approx(11 * MIN + 0.1)


def test_more_than_100_missed_slots_still_run_the_latest():
    decision = cronjob_sync(cronjob("* * * * *"), [], H10 + 500 * MIN + 5)
    assert decision.create == (job_name("c", H10 + 500 * MIN), H10 + 500 * MIN)
    assert "TooManyMissedTimes" in decision.events


def test_no_slot_due_requeues_for_the_next():
    decision = cronjob_sync(cronjob(), [], H10 + 5 * MIN)
    assert decision.create is None and decision.requeue_after == pytest.approx(10 * MIN + 0.1)


def test_first_slot_after_creation_time():
    decision = cronjob_sync(cronjob(last=None, created=H10 + 7 * MIN), [], H10 + 15 * MIN + 1)
    assert decision.create[1] == H10 + 15 * MIN


def test_suspended_and_never_firing_schedules_create_nothing():
    assert cronjob_sync(cronjob(suspend=True), [], H10 + 67 * MIN).create is None
    never = cronjob_sync(cronjob("0 0 31 2 *"), [], H10 + 67 * MIN)
    assert never.create is None and "InvalidSchedule" in never.events


# ---------------------------------------------------------------- concurrency policy


def test_forbid_skips_without_advancing_last_schedule_time():
    cj = attrs.evolve(cronjob(concurrency_policy=FORBID), status=CronJobStatus(("c-1",), H10))
    decision = cronjob_sync(cj, [child("c-1")], H10 + 15 * MIN + 1)
    assert decision.create is None and "JobAlreadyActive" in decision.events
    assert decision.status.last_schedule_time == H10


def test_replace_deletes_every_active_job_first():
    cj = attrs.evolve(cronjob(concurrency_policy=REPLACE), status=CronJobStatus(("c-1", "c-2"), H10))
    decision = cronjob_sync(cj, [child("c-1"), child("c-2")], H10 + 15 * MIN + 1)
    assert decision.delete_active == ("c-1", "c-2")
    assert decision.status.active == (job_name("c", H10 + 15 * MIN),)


def test_finished_jobs_leave_the_active_list_and_set_success_time_in_the_same_sync():
    # ref v1.35.4 cronjob_controllerv2.go (syncCronJob): `if found {deleteFromActiveList}` and then
    # `if IsJobSucceeded {LastSuccessfulTime}` in one branch; the fact sheet (6.4) says one sync later
    cj = attrs.evolve(cronjob(), status=CronJobStatus(("c-1",), H10))
    done = child("c-1", "Complete", completion=H10 + 60.0)
    first = cronjob_sync(cj, [done], H10 + 2 * MIN)
    assert first.status.active == () and first.status.last_successful_time == H10 + 60.0


def test_success_time_is_kept_when_history_limit_zero_deletes_the_job():
    # regression (found by the cronjob settles-to-model property against the simulator): cleanupFinishedJobs
    # and syncCronJob read the same snapshot, so the deleted Job still sets lastSuccessfulTime
    cj = attrs.evolve(cronjob(successful_jobs_history_limit=0), status=CronJobStatus(("c-1",), H10))
    decision = cronjob_sync(cj, [child("c-1", "Complete", completion=H10 + 60.0)], H10 + 2 * MIN)
    assert decision.delete_history == ("c-1",)
    assert decision.status.last_successful_time == H10 + 60.0


def test_history_limits_delete_the_oldest_by_start_time():
    jobs = [child(f"c-{i}", "Complete", start=float(10 - i), completion=20.0) for i in range(5)]
    jobs += [child("c-f1", "Failed", start=1.0), child("c-f2", "Failed", start=2.0)]
    decision = cronjob_sync(cronjob(), jobs, H10 + MIN)
    assert decision.delete_history == ("c-4", "c-3", "c-f1")


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("name", "spec", "field", "words"),
    [
        ("c", CronJobSpec("61 * * * *", JobSpec(T)), "spec.schedule", "end of range (61) above maximum (59)"),
        ("c", CronJobSpec("TZ=UTC 0 * * * *", JobSpec(T)), "spec.schedule", "use timeZone field instead"),
        ("c", CronJobSpec("", JobSpec(T)), "spec.schedule", "Required"),
        (
            "c",
            CronJobSpec("@hourly", JobSpec(T), time_zone="Europe/Pariss"),
            "spec.timeZone",
            "unknown time zone",
        ),
        ("c", CronJobSpec("@hourly", JobSpec(T), time_zone="Local"), "spec.timeZone", "explicit time zone"),
        (
            "c",
            CronJobSpec("@hourly", JobSpec(T), concurrency_policy="Never"),
            "spec.concurrencyPolicy",
            "Allow",
        ),
        (
            "c",
            CronJobSpec("@hourly", JobSpec(T), starting_deadline_seconds=-1),
            "spec.startingDeadlineSeconds",
            "0",
        ),
        ("c" * 53, CronJobSpec("@hourly", JobSpec(T)), "metadata.name", "52 characters"),
        ("c", CronJobSpec("@hourly", JobSpec(T, parallelism=-1)), "spec.jobTemplate.spec.parallelism", "0"),
    ],
)
def test_validation_names_the_field_and_the_fix(name, spec, field, words):
    with pytest.raises(InvalidSpec) as err:
        validate_cronjob(name, spec)
    assert err.value.field == field and words in err.value.message


def test_valid_cronjob_with_time_zone():
    validate_cronjob("c", CronJobSpec("0 9 * * MON-FRI", JobSpec(T), time_zone="Europe/Paris"))


# ---------------------------------------------------------------- timelines (QUIESCENT)


def cron_outcome(*ops):
    state = bw.run(ops)
    return state, {c.name: c for c in bw.outcome(state).cronjobs}


def test_allow_runs_one_job_per_slot():
    _, crons = cron_outcome(CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(20 * MIN))
    assert crons["a"].created == ("a-5", "a-10", "a-15")  # the 20-minute slot runs at 20 min + 100 ms
    _, crons = cron_outcome(CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(20 * MIN + 1))
    assert crons["a"].created == ("a-5", "a-10", "a-15", "a-20")
    assert crons["a"].active == ("a-5", "a-10", "a-15", "a-20")


def test_requeues_run_every_slot_but_a_suspended_gap_only_the_latest():
    _, crons = cron_outcome(
        CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(600 * MIN + 30)
    )
    assert len(crons["a"].created) == 120  # the executor syncs at every slot it was asked to requeue for
    state = bw.run(
        [CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T), suspend=True)), Advance(600 * MIN)]
    )
    state = bw.run([SetSuspend(CRONJOB, "a", False)], state)
    assert bw.outcome(state).cronjobs[0].created == ("a-600",)  # resume: only the latest missed slot


def test_forbid_defers_the_slot_until_the_running_job_finishes():
    spec = CronJobSpec("*/5 * * * *", JobSpec(T), concurrency_policy=FORBID)
    _, crons = cron_outcome(CreateCronJob("f", spec), Advance(5 * MIN + 1), Advance(6 * MIN))
    assert crons["f"].created == ("f-5",)
    _, crons = cron_outcome(
        CreateCronJob("f", spec), Advance(5 * MIN + 1), Advance(6 * MIN), PodSucceeds("f-5"), Advance(1)
    )
    # the 10-minute slot started late (when the Job completed, 1 s after its pod), not dropped
    assert crons["f"].created == ("f-5", "f-10")


def test_forbid_with_deadline_drops_the_slot_after_the_window():
    spec = CronJobSpec("*/5 * * * *", JobSpec(T), concurrency_policy=FORBID, starting_deadline_seconds=30)
    ops = (CreateCronJob("f", spec), Advance(5 * MIN + 1), Advance(6 * MIN), PodSucceeds("f-5"), Advance(1))
    assert cron_outcome(*ops)[1]["f"].created == ("f-5",)


def test_replace_deletes_the_active_job_before_the_new_one():
    spec = CronJobSpec("*/5 * * * *", JobSpec(T), concurrency_policy=REPLACE)
    _state, crons = cron_outcome(CreateCronJob("r", spec), Advance(11 * MIN))
    assert crons["r"].created == ("r-5", "r-10") and crons["r"].replaced == ("r-5",)
    assert crons["r"].remaining == ("r-10",)


def test_deleting_a_cronjob_deletes_its_jobs_and_their_pods():
    # a-5 finished, a-10 running with its pod: both go with the CronJob (the garbage collector, background)
    ops = (CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(5 * MIN + 1))
    ops += (PodSucceeds("a-5"), Advance(5 * MIN), DeleteCronJob("a"))
    state = bw.run(ops)
    assert state.cronjobs == () and state.jobs == () and state.pods == ()
    assert sorted((d.job, d.reason, d.at) for d in state.deleted) == [("a-10", "gc", 601), ("a-5", "gc", 601)]
    assert all(w[1:] != (CRONJOB, "a") for w in state.wakeups)  # no requeue left for its slots
    later = bw.run([Advance(30 * MIN)], state)
    assert later.jobs == () and later.created == state.created  # no new Job for its slots


def test_deleting_a_missing_cronjob_changes_nothing():
    state = bw.run([CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(5 * MIN + 1)])
    assert bw.run([DeleteCronJob("b")], state) == state


def test_deleting_a_cronjob_leaves_other_jobs_alone():
    ops = (
        CreateCronJob("a", CronJobSpec("*/5 * * * *", JobSpec(T))),
        CreateCronJob("b", CronJobSpec("*/5 * * * *", JobSpec(T))),
        Advance(5 * MIN + 1),
        DeleteCronJob("a"),
    )
    state, crons = cron_outcome(*ops)
    assert [j.name for j in state.jobs] == ["b-5"] and {p.job for p in state.pods} == {"b-5"}
    assert list(crons) == ["b"] and crons["b"].active == ("b-5",)


def test_a_cronjob_recreated_under_the_same_name_is_a_new_object():
    spec = CronJobSpec("*/5 * * * *", JobSpec(T))
    state = bw.run([CreateCronJob("a", spec), Advance(11 * MIN), DeleteCronJob("a"), Advance(2 * MIN)])
    old = bw.run([CreateCronJob("a", spec)]).cronjobs[0]
    state = bw.run([CreateCronJob("a", spec)], state)
    (cj,) = state.cronjobs
    assert cj.uid != old.uid and cj.created == 13 * MIN
    assert cj.status == CronJobStatus()  # fresh status: no lastScheduleTime, nothing active
    state = bw.run([Advance(2 * MIN + 1)], state)
    outcome = bw.outcome(state).cronjobs[0]
    # its Jobs only (a-5 and a-10 were the deleted object's): the first slot after its creation
    assert outcome.created == ("a-15",) and outcome.active == ("a-15",)
    assert outcome.last_schedule_time == 15 * MIN
    assert [j.name for j in state.jobs] == ["a-15"]


def test_history_limits_at_quiescence():
    spec = CronJobSpec(
        "*/5 * * * *", JobSpec(T), successful_jobs_history_limit=1, failed_jobs_history_limit=0
    )
    ops = [CreateCronJob("h", spec)]
    ops += [Advance(1)]
    for slot in (5, 10, 15):
        ops += [Advance(5 * MIN), PodSucceeds(f"h-{slot}")]
    ops += [Advance(5 * MIN), SetHistoryLimits("h", 1, 0)]
    state, crons = cron_outcome(*ops, Advance(1))
    assert crons["h"].cleaned_up == ("h-5", "h-10")
    assert crons["h"].remaining == ("h-15", "h-20")
    assert check_batch_settled(state.view()) == []


def test_time_zone_moves_the_slots():
    daily = CronJobSpec("0 9 * * *", JobSpec(T), time_zone="Europe/Paris")
    state = bw.run([Advance(H10)])  # 2024-01-01T10:00Z = 11:00 Paris
    state = bw.run([CreateCronJob("z", daily), Advance(86400)], state)
    created = bw.outcome(state).cronjobs[0].created
    assert created == (job_name("z", H10 - 2 * 3600 + 86400),)  # 2024-01-02T08:00Z


def test_schedule_edit_takes_effect():
    ops = [
        CreateCronJob("e", CronJobSpec("0 * * * *", JobSpec(T))),
        SetSchedule("e", "*/30 * * * *"),
        Advance(3601),
    ]
    assert cron_outcome(*ops)[1]["e"].created == ("e-30", "e-60")


def test_model_timelines_satisfy_the_cronjob_invariants():
    spec = CronJobSpec("*/5 * * * *", JobSpec(T, backoff_limit=0), concurrency_policy=FORBID)
    ops = [
        CreateCronJob("i", spec),
        Advance(301),
        PodFails("i-5"),
        Advance(300),
        SetConcurrencyPolicy("i", REPLACE),
    ]
    ops += [Advance(600), PodSucceeds("i-15"), Advance(300)]
    state, before = bw.BatchState(), bw.BatchState().view()
    for op in ops:
        state = bw.run([op], state)
        after = state.view()
        assert check_batch_always(after) == [] and check_batch_transition(before, after) == []
        before = after


def _active_view(policy, kept):
    spec = CronJobSpec("*/5 * * * *", JobSpec(T), concurrency_policy=policy)
    view = bw.run([CreateCronJob("v", spec), Advance(301)]).view()
    cj = view.cronjobs[0]
    new = attrs.evolve(view.jobs[0], name="v-10", uid="uid-v10", scheduled_time=600.0)
    active = (*kept, "v-10")
    after = attrs.evolve(
        view,
        jobs=(*view.jobs, new),
        cronjobs=(attrs.evolve(cj, status=attrs.evolve(cj.status, active=active)),),
    )
    return view, after


def test_invariants_catch_overlap_and_unreplaced_jobs():
    before, after = _active_view(FORBID, ("v-5",))
    assert [v.rule for v in check_batch_transition(before, after)] == ["cronjob/forbid-no-overlap"]
    before, after = _active_view(REPLACE, ())
    assert [v.rule for v in check_batch_transition(before, after)] == ["cronjob/replace-deletes-active"]
    before, after = _active_view(FORBID, ())
    assert check_batch_transition(before, after) == []


def test_invariants_catch_badly_named_children():
    view = bw.run([CreateCronJob("n", CronJobSpec("*/5 * * * *", JobSpec(T))), Advance(301)]).view()
    renamed = attrs.evolve(view, jobs=(attrs.evolve(view.jobs[0], name="n-6"),))
    assert [v.rule for v in check_batch_always(renamed)] == ["cronjob/one-job-per-slot"]


def test_schedule_edit_waits_for_the_next_slot_of_the_new_schedule():
    # regression (found by the cronjob settles-to-model property against the simulator): upstream's
    # updateCronJob queues a CronJob whose schedule changed for the new schedule's next slot instead of
    # syncing it at once, so a new-schedule slot due at the edit instant is never run
    # ref cronjob_controllerv2.go@v1.35.4 (updateCronJob)
    spec = CronJobSpec("30 */6 * * *", JobSpec(T))
    state = bw.run(
        [CreateCronJob("c", spec), Advance(86400 - 3600)], bw.BatchState(now=float(H10 - 10 * 3600))
    )
    edited = bw.apply(state, SetSchedule("c", "0 * * * *"))  # at 23:00, a slot of the new schedule
    # an edit that changes nothing makes no watch event upstream, so it does not sync the CronJob either
    edited = bw.apply(edited, SetStartingDeadline("c", None))
    assert bw.outcome(edited).cronjobs[0].created == bw.outcome(state).cronjobs[0].created
    later = bw.apply(edited, Advance(3601))  # past the sync at 00:00:00.1
    assert bw.outcome(later).cronjobs[0].created[-1] == job_name("c", H10 + 14 * 3600)

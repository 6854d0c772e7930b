"""CronJob properties: timelines of schedule slots with jumps of time across many of them, suspend/resume,
schedule, policy, deadline and history-limit edits, child Jobs' pods succeeding or failing at chosen moments,
deleting the CronJob and creating it again under the same name.

The machine shares `BatchMachine`'s plumbing with the Job machine. Times: the model runs on Unix time (its
schedules and Job names are in it), the target's views on its own clock; `ClusterView.epoch` is the Unix
time of the target's zero, so the machine starts the model there and shifts every observed view by it.

Checks. `always`: every observed state (every intermediate one while time passes) satisfies
`check_batch_always` and `check_batch_transition`, among them one Job per slot (the name rule),
lastScheduleTime monotonic, Forbid never adding a Job next to a listed active one (what upstream guarantees:
the status write that adds a Job carries the active list its sync saw), Replace never adding one while a
replaced Job is still there and running. `settled`: after every step both sides have finished the work of
the instant, so the CronJob rules of `check_batch_settled` hold (history limits, the active list equals
the running children), and the CronJob's outcome equals the model's: every Job created so far (names =
slots, in creation order, collected from every observed state), the remaining children and their terminal
conditions, status.active, lastScheduleTime and lastSuccessfulTime. After a deletion (both sides then have
no CronJob): no Job controlled by that name exists (the garbage collector took them; no new one for its
slots), none of its Jobs' pods is still active, and once DELETED_POD_GRACE seconds have passed none is left
at all (a running pod is stopped by the kubelet when time next passes). A CronJob created again under the
name starts a new list of created Jobs (a new object: new uid, empty status).

Timing: the model's note (batch_world) asks to keep children's finishes 2 s away from slot times, where a
child's batched Job sync (1 s after its pod's exit, modelled) could race the CronJob sync through informer
delays (not modelled); all generated schedules fire on whole minutes, so pod steps are taken only between
seconds 3 and 57 of a minute.

On a real clock (no VIRTUAL_CLOCK) time steps last what `cron_clock.real_step` says (at most ~65 s, one
slot at a time), every step starts between seconds 5 and 45 of a minute and every comparison happens
between seconds 3 and 57, with the model's clock caught up to the target's (the waits are recorded as
Advance steps); lastSuccessfulTime, a Job's completionTime in whole seconds, matches the model's (which
includes the Job controller's 1 s pod-event batching) within 2 s: the time the kubelet stand-in takes to
write the pod's exit, and the informers' delay, are real time the model does not see. The simulator's
steps are as drawn.
"""

from __future__ import annotations

from typing import ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.adapters.protocol import VIRTUAL_CLOCK, Adapter
from kubeprops.reference_model import batch_world
from kubeprops.reference_model.batch_invariants import check_batch_settled
from kubeprops.scenario import batch
from kubeprops.scenario.ops import Advance, Operation
from kubeprops.scenario.shift import shift_view
from kubeprops.scenario.view import ClusterView

from .cron_clock import COMPARE_WINDOW, STEP_WINDOW, into_window, real_step
from .cronjob_strategies import DEADLINES, POLICIES, SCHEDULES, ZONES, cronjob_specs
from .job import BatchMachine, batch_view
from .machine import SETTLED, PropertyViolation, say, seeds, violations

# the first (where shrinking heads) crosses a slot of every-5-minutes schedules; 1 s lands between syncs
SHORT_STEPS = (301, 60, 600, 3600, 1, 20, 250)
# Suspended: 2 to 864 missed slots of the schedules generated, past upstream's 100-slot limit. Not ten
# days: a controller that runs every missed slot (a mutant) would create 2,880 Jobs in one step, and
# each shrink of that example would take minutes.
GAPS = (600, 3 * 3600, 86_400, 3 * 86_400)
LONG_STEPS = (86_400, 3 * 86_400, 10 * 86_400)
MANY_SLOTS = ("0 9 * * 1-5", "@daily", "30 */6 * * *")  # schedules for which days are a few slots
REAL_TIME_SLACK = 2  # seconds a real lastSuccessfulTime may lie after the model's (module docstring)
DELETED_POD_GRACE = 5  # seconds after a CronJob's deletion by which its Jobs' pods are gone (docstring)


def _ms(t: float | None) -> float | None:
    """Unix times to the millisecond: the model's clock sums floats near 1.7e9 (ulp 0.24 us), the target's
    view adds its epoch to an exact virtual time, so the last bits may differ."""
    return None if t is None else round(t, 3)


@attrs.frozen
class CronOutcome:
    created: tuple[str, ...]
    remaining: tuple[tuple[str, str | None], ...]  # (child Job, its terminal condition)
    active: tuple[str, ...]
    last_schedule_time: float | None = attrs.field(converter=_ms)
    last_successful_time: float | None = attrs.field(converter=_ms)


def edits(name: str = "tick") -> list[st.SearchStrategy[object]]:
    """Suspend/resume, schedule and time zone, concurrency policy, starting deadline, history limits (-1: the
    API server must reject it, spec.successfulJobsHistoryLimit, on both sides), and the deletion: one user
    step in six, so that a CronJob usually lives through several slots first."""
    return [
        st.just(batch.DeleteCronJob(name)),
        st.builds(batch.SetSuspend, st.just(batch.CRONJOB), st.just(name), st.booleans()),
        st.builds(batch.SetSchedule, st.just(name), st.sampled_from(SCHEDULES), st.sampled_from(ZONES)),
        st.builds(batch.SetConcurrencyPolicy, st.just(name), st.sampled_from(POLICIES)),
        st.builds(batch.SetStartingDeadline, st.just(name), st.sampled_from(DEADLINES)),
        st.builds(batch.SetHistoryLimits, st.just(name), st.integers(-1, 3), st.integers(0, 2)),
    ]


class CronJobMachine(BatchMachine):
    kind: ClassVar[str] = batch.CRONJOB
    name: ClassVar[str] = "tick"
    settles = False  # its schedule keeps firing: `compare` runs after every step instead

    def __init__(self) -> None:
        super().__init__()
        self.epoch = 0.0
        self.seen: list[str] = []  # every child Job the target showed, in order of appearance
        self.gone: set[str] = set()  # the children of deleted CronJobs of the name
        self.deleted_at: float | None = None  # the model's time of the latest deletion

    def to_batch_view(self, view: ClusterView) -> batch.BatchView:
        return shift_view(batch_view(view), view.epoch)

    def on_state(self, view: ClusterView) -> None:
        for job in view.jobs:  # whatever the check: a Job may come and go while time passes
            if job.owner == self.name and job.name not in self.seen:
                self.seen.append(job.name)
        super().on_state(view)

    def start(self, seed: int) -> Adapter:
        # the model runs on Unix time from the target's zero (see the module docstring)
        adapter = super().start(seed)
        self.epoch = adapter.observe().epoch
        self.model = batch_world.BatchState(now=self.epoch)
        say(f"target epoch={self.epoch:g}")
        return adapter

    def do(self, op: Operation) -> None:
        if isinstance(op, batch.DeleteCronJob | batch.CreateCronJob) and op.name == self.name:
            self.track_identity(op)
        if self.real_clock() and not isinstance(op, Advance):
            gap = into_window(self.target_time(), STEP_WINDOW)
            if gap:  # steps start away from whole minutes (module docstring)
                super().do(Advance(gap))
                self.compare()
        super().do(op)
        self.compare()

    def track_identity(self, op: batch.DeleteCronJob | batch.CreateCronJob) -> None:
        """Here, not in the rules, so that a replayed scenario keeps the books too: a deletion makes the Jobs
        seen so far ones that must go; a creation where the model has no CronJob starts a new object."""
        if isinstance(op, batch.DeleteCronJob) and self._cronjob() is not None:
            self.gone.update(self.seen)
            self.seen, self.deleted_at = [], self.model.now
        elif isinstance(op, batch.CreateCronJob) and self._cronjob() is None:
            self.gone.update(self.seen)  # any the target showed while the deletion ran
            self.seen = []

    # ------------------------------------------------------------------ a real clock

    def real_clock(self) -> bool:
        return self.adapter is not None and VIRTUAL_CLOCK not in self.adapter.capabilities

    def target_time(self) -> float:
        """The target's Unix time now."""
        assert self.adapter is not None
        view = self.adapter.observe()
        return view.epoch + view.now

    def catch_up(self) -> None:
        # the model runs on Unix time here, not on the target's clock as BatchMachine's catch_up assumes
        if not self.real_clock():
            return
        lag = self.target_time() - self.model.now
        if lag > 0:
            self.model = batch_world.apply(self.model, Advance(lag))  # type: ignore[arg-type]

    def step(self, seconds: int) -> int:
        """The Advance a drawn time step of `seconds` becomes on this target (as drawn on the simulator)."""
        if not self.real_clock():
            return seconds
        cj = self._cronjob()
        spec = cj.spec if cj is not None else None
        schedule, zone = (spec.schedule, spec.time_zone) if spec is not None else (None, None)
        return real_step(schedule, zone, self.target_time(), seconds)

    # ------------------------------------------------------------------ the comparison

    def model_outcome(self) -> CronOutcome | None:
        cj = next((c for c in batch_world.outcome(self.model).cronjobs if c.name == self.name), None)
        if cj is None:
            return None
        jobs = {j.name: j for j in self.model.jobs}
        remaining = tuple((n, _finished(jobs[n])) for n in cj.remaining)
        return CronOutcome(cj.created, remaining, cj.active, cj.last_schedule_time, cj.last_successful_time)

    def target_outcome(self, view: batch.BatchView) -> CronOutcome | None:
        cj = view.cronjob(self.name)
        if cj is None:
            return None
        remaining = tuple((j.name, _finished(j)) for j in view.jobs_of(self.name))
        status = cj.status
        return CronOutcome(
            tuple(self.seen), remaining, status.active, status.last_schedule_time, status.last_successful_time
        )

    def compare(self) -> None:
        """Both sides finished the instant's work: the CronJob rules at rest, then the outcome."""
        assert self.adapter is not None
        if self.config.check != SETTLED:
            return
        if self.real_clock():
            gap = into_window(self.target_time(), COMPARE_WINDOW)
            if gap:  # an operation ran late: compare once the next slot's work is done
                self.adapter.advance(gap, observer=self.on_state)
            self.catch_up()
        view = self.to_batch_view(self.adapter.observe())
        found = [v for v in check_batch_settled(view) if v.rule.startswith("cronjob/")]
        if found:
            raise violations(f"state at rest at t={view.now:g} violates", found)
        left = self.leftovers(view)
        if left:
            raise PropertyViolation(f"after the CronJob's deletion at t={self.deleted_at:.1f} {left} remain")
        expected, actual = self.model_outcome(), self.target_outcome(view)
        if self.real_clock() and expected is not None and actual is not None:
            actual = _within_slack(expected, actual)
        if expected != actual:
            raise PropertyViolation(
                f"the CronJob differs from the model:\n  model:  {expected}\n  target: {actual}"
            )

    def leftovers(self, view: batch.BatchView) -> list[str]:
        """What a deletion of the CronJob should have taken and the target still shows (module docstring)."""
        if self.deleted_at is None:
            return []
        jobs = [f"Job {j.name}" for j in view.jobs_of(self.name)] if view.cronjob(self.name) is None else []
        late = self.model.now >= self.deleted_at + DELETED_POD_GRACE
        pods = [f"pod {p.name}" for p in view.pods if p.job in self.gone and (late or p.active)]
        return jobs + pods

    # ------------------------------------------------------------------ helpers for the rules

    def _cronjob(self) -> batch.CronJobView | None:
        return next((c for c in self.model.cronjobs if c.name == self.name), None)

    def between_slots(self) -> bool:
        """Seconds 3-57 of a minute: 2 s away from every slot of the whole-minute schedules generated."""
        return 3 <= (self.model.now % 60) <= 57

    def few_slots_per_day(self) -> bool:
        cj = self._cronjob()
        return cj is not None and (cj.spec.suspend or cj.spec.schedule in MANY_SLOTS)

    def _active_job(self, index: int) -> str | None:
        cj = self._cronjob()
        active = cj.status.active if cj is not None else ()
        return active[index % len(active)] if active else None

    # ------------------------------------------------------------------ rules

    @initialize(seed=seeds(), spec=cronjob_specs())
    def create(self, seed: int, spec: batch.CronJobSpec) -> None:
        self.start(seed)
        self.do(batch.CreateCronJob(self.name, spec))

    @rule(seconds=st.sampled_from(SHORT_STEPS))
    def advance(self, seconds: int) -> None:
        self.do(Advance(self.step(seconds)))

    @precondition(lambda self: self.few_slots_per_day())
    @rule(seconds=st.sampled_from(LONG_STEPS))
    def jump(self, seconds: int) -> None:
        # days pass: many missed slots while suspended (>100 with the frequent schedules), a few otherwise
        self.do(Advance(self.step(seconds)))

    @rule(seconds=st.sampled_from(GAPS))
    def suspended_gap(self, seconds: int) -> None:
        # Missed slots as one generated step (an outage or a pause): suspend, let time pass, resume; only the
        # most recent missed slot may run, and only within startingDeadlineSeconds
        self.do(batch.SetSuspend(batch.CRONJOB, self.name, True))
        self.do(Advance(self.step(seconds)))
        self.do(batch.SetSuspend(batch.CRONJOB, self.name, False))

    @precondition(lambda self: self.between_slots())
    @rule(index=st.integers(0, 3), succeeds=st.booleans())
    def child_finishes(self, index: int, succeeds: bool) -> None:
        job = self._active_job(index)
        if job is not None:
            self.do(batch.PodSucceeds(job) if succeeds else batch.PodFails(job))

    @rule(op=st.one_of(edits()))
    def edit(self, op: object) -> None:
        # one rule for every spec edit and the deletion, so that time passing is as likely as editing
        self.do(op)

    @precondition(lambda self: self._cronjob() is None)
    @rule(spec=cronjob_specs())
    def recreate(self, spec: batch.CronJobSpec) -> None:
        # after a deletion: a new CronJob of the same name
        self.do(batch.CreateCronJob(self.name, spec))


def _finished(job: batch.JobView) -> str | None:
    cond = job.status.finished
    return cond.type if cond is not None else None


def _within_slack(expected: CronOutcome, actual: CronOutcome) -> CronOutcome:
    """`actual` with a real lastSuccessfulTime that lies within REAL_TIME_SLACK after the model's taken as
    the model's (whole seconds, written after the pod status write's real latency: see the module
    docstring)."""
    model, real = expected.last_successful_time, actual.last_successful_time
    if model is not None and real is not None and int(model) <= real <= model + REAL_TIME_SLACK:
        return attrs.evolve(actual, last_successful_time=model)
    return actual

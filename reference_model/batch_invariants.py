"""Invariants of observed Job and CronJob states (fact sheet 10.5-10.6), in the style of `invariants`.

`check_batch_always(view)` checks the [ALWAYS] claims one `BatchView` decides; `check_batch_transition(before,
after)` those that need two consecutive views; `check_batch_settled(view)` the [QUIESCENT] claims, for a view
taken after settling. Each status is written atomically from one snapshot by one controller, so claims about
what a write contained hold however stale the numbers are.

Rules read from the fact sheet but deliberately weakened to what upstream guarantees:
* job/active-within-parallelism is checked only while parallelism stays unchanged between the two views (a
  lowered parallelism is applied by the next sync, not at once);
* cronjob/forbid-no-overlap and cronjob/replace-deletes-active judge the status write that added a Job: it
  carries the active list that sync saw, so a Job listed before and after next to the new one was known to be
  active when the new one was created. A stale cache can still make upstream overlap without such a write
  ([NOT] "Forbid => never two Jobs running"), and that is not flagged;
* the OnFailure half of job/backoff-limit-justified is left out: restart counts of pods are not in the status.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubeprops.scenario.batch import (
    BACKOFF_LIMIT_EXCEEDED,
    COMPLETE,
    DEADLINE_EXCEEDED,
    FAILED_CONDITION,
    FAILURE_TARGET,
    FORBID,
    NEVER,
    REPLACE,
    SUCCESS_CRITERIA_MET,
    BatchView,
    CronJobView,
    JobPodView,
    JobView,
)

from .cronjob import job_name
from .invariants import ALWAYS, QUIESCENT, Rule, Violation
from .job_backoff import backoff_duration
from .job_indexes import parse_indexes


def _rule(name: str, section: str, description: str, views: int = 1, cls: str = ALWAYS) -> Rule:
    return Rule(name, section, cls, description, views)


ONE_TERMINAL = _rule("job/one-terminal-condition", "10.5", "never both Complete=True and Failed=True")
TERMINAL_KEPT = _rule(
    "job/terminal-condition-kept", "10.5", "Complete/Failed once True is never removed nor replaced", views=2
)
COMPLETION_TIME = _rule("job/completion-time-iff-complete", "10.5", "completionTime is set iff Complete=True")
INTERIM_FIRST = _rule(
    "job/interim-before-terminal",
    "10.5",
    "Complete=True => SuccessCriteriaMet=True; Failed=True => FailureTarget=True; and the terminal write had "
    "terminating == 0 and empty uncountedTerminatedPods",
)
COUNTERS_MONOTONIC = _rule(
    "job/counters-monotonic",
    "10.5",
    "failed never decreases; succeeded never decreases (NonIndexed)",
    views=2,
)
INDEXED_SUCCEEDED = _rule(
    "job/indexed-succeeded-is-indexes",
    "10.5",
    "Indexed: succeeded == |completedIndexes| and every completed index < completions",
)
BACKOFF_JUSTIFIED = _rule(
    "job/backoff-limit-justified",
    "10.5",
    "BackoffLimitExceeded with restartPolicy Never => failed > backoffLimit",
)
DEADLINE_JUSTIFIED = _rule(
    "job/deadline-justified",
    "10.5",
    "DeadlineExceeded => written at least activeDeadlineSeconds after startTime",
)
ACTIVE_WITHIN_PARALLELISM = _rule(
    "job/active-within-parallelism",
    "10.5",
    "while parallelism is unchanged, status.active and the active pods stay <= parallelism",
    views=2,
)
NO_PODS_AFTER_FINISH = _rule("job/no-pods-after-finish", "10.5", "a finished Job gets no new pods", views=2)
BACKOFF_RESPECTED = _rule(
    "job/backoff-respected",
    "10.5",
    "a pod created at c comes no earlier than the back-off after the failed pods still visible: the latest "
    "failure + min(10 s * 2^(n-1), 10 min), n = visible failed pods that finished after the latest success",
    views=2,
)
JOB_NAME_SLOT = _rule(
    "cronjob/one-job-per-slot",
    "10.6",
    "a CronJob's Job is named <cronjob>-<scheduled minute>, so at most one Job exists per slot",
)
LAST_SCHEDULE_MONOTONIC = _rule(
    "cronjob/last-schedule-monotonic", "10.6", "lastScheduleTime never decreases", views=2
)
FORBID_NO_OVERLAP = _rule(
    "cronjob/forbid-no-overlap",
    "10.6",
    "Forbid: no Job is added to status.active in a write that also keeps an earlier active Job",
    views=2,
)
REPLACE_DELETES = _rule(
    "cronjob/replace-deletes-active",
    "10.6",
    "Replace: when a new Job is added to status.active, the earlier active Jobs are gone from it and deleted",
    views=2,
)
HISTORY_LIMITS = _rule(
    "cronjob/history-limits",
    "10.6",
    "settled: #Complete children <= successfulJobsHistoryLimit, #Failed <= failedJobsHistoryLimit",
    cls=QUIESCENT,
)
ACTIVE_LIST_EXACT = _rule(
    "cronjob/active-list-exact",
    "10.6",
    "settled: status.active is exactly the unfinished child Jobs",
    cls=QUIESCENT,
)
JOB_SETTLED = _rule(
    "job/settled-terminal",
    "10.5",
    "settled (pods all finished): exactly one terminal condition, active 0, terminating 0, uncounted empty",
    cls=QUIESCENT,
)

RULES: tuple[Rule, ...] = (
    ONE_TERMINAL,
    TERMINAL_KEPT,
    COMPLETION_TIME,
    INTERIM_FIRST,
    COUNTERS_MONOTONIC,
    INDEXED_SUCCEEDED,
    BACKOFF_JUSTIFIED,
    DEADLINE_JUSTIFIED,
    ACTIVE_WITHIN_PARALLELISM,
    NO_PODS_AFTER_FINISH,
    BACKOFF_RESPECTED,
    JOB_NAME_SLOT,
    LAST_SCHEDULE_MONOTONIC,
    FORBID_NO_OVERLAP,
    REPLACE_DELETES,
    HISTORY_LIMITS,
    ACTIVE_LIST_EXACT,
    JOB_SETTLED,
)


def _v(rule: Rule, kind: str, name: str, message: str) -> Violation:
    return Violation(rule.id, f"{kind}/{name}", message)


# ---------------------------------------------------------------- Job, one view


def _job_conditions(job: JobView) -> Iterator[Violation]:
    s = job.status
    complete, failed = s.condition(COMPLETE), s.condition(FAILED_CONDITION)
    if complete and failed:
        yield _v(ONE_TERMINAL, "Job", job.name, "both Complete=True and Failed=True")
    if (s.completion_time is not None) != (complete is not None):
        yield _v(
            COMPLETION_TIME, "Job", job.name, f"completionTime {s.completion_time} with Complete {complete}"
        )
    if complete and not s.condition(SUCCESS_CRITERIA_MET):
        yield _v(INTERIM_FIRST, "Job", job.name, "Complete=True without SuccessCriteriaMet=True")
    if failed and not s.condition(FAILURE_TARGET):
        yield _v(INTERIM_FIRST, "Job", job.name, "Failed=True without FailureTarget=True")
    if (complete or failed) and ((s.terminating or 0) > 0 or s.uncounted_succeeded or s.uncounted_failed):
        yield _v(INTERIM_FIRST, "Job", job.name, "terminal condition with terminating or uncounted pods")


def _job_counts(job: JobView) -> Iterator[Violation]:
    s, spec = job.status, job.spec
    if spec.indexed:
        completions = spec.completions or 0
        listed = parse_indexes(s.completed_indexes, 2**31)
        if s.succeeded != len(listed) or any(i >= completions for i in listed):
            message = f"succeeded {s.succeeded}, completedIndexes {s.completed_indexes!r} (< {completions})"
            yield _v(INDEXED_SUCCEEDED, "Job", job.name, message)
    target = s.condition(FAILURE_TARGET)
    never = spec.restart_policy == NEVER
    if target and target.reason == BACKOFF_LIMIT_EXCEEDED and never and s.failed <= (spec.backoff_limit or 0):
        message = f"failed {s.failed} <= backoffLimit {spec.backoff_limit}"
        yield _v(BACKOFF_JUSTIFIED, "Job", job.name, message)
    if target and target.reason == DEADLINE_EXCEEDED and s.start_time is not None:
        written, ads = target.last_transition_time or 0.0, spec.active_deadline_seconds
        if ads is None or written - s.start_time < ads:
            yield _v(
                DEADLINE_JUSTIFIED,
                "Job",
                job.name,
                f"written {written - s.start_time:g} s after start, ADS {ads}",
            )


def _cronjob_children(view: BatchView, cj: CronJobView) -> Iterator[Violation]:
    seen: dict[str, str] = {}
    for job in view.jobs_of(cj.name):
        prefix, _, minute = job.name.rpartition("-")
        expected = job_name(cj.name, job.scheduled_time) if job.scheduled_time is not None else None
        if prefix != cj.name or not minute.isdigit() or (expected is not None and job.name != expected):
            yield _v(JOB_NAME_SLOT, "CronJob", cj.name, f"child Job {job.name!r} is not named for its slot")
        elif minute in seen:
            yield _v(JOB_NAME_SLOT, "CronJob", cj.name, f"{job.name} and {seen[minute]} share a slot")
        seen[minute] = job.name


def check_batch_always(view: BatchView) -> list[Violation]:
    found: list[Violation] = []
    for job in view.jobs:
        found += _job_conditions(job)
        found += _job_counts(job)
    for cj in view.cronjobs:
        found += _cronjob_children(view, cj)
    return found


# ---------------------------------------------------------------- two views


def _job_transition(before: BatchView, after: BatchView, j0: JobView, j1: JobView) -> Iterator[Violation]:
    t0 = j0.status.finished
    if t0 is not None and (j1.status.finished is None or j1.status.finished.type != t0.type):
        yield _v(TERMINAL_KEPT, "Job", j1.name, f"{t0.type}=True was replaced by {j1.status.finished}")
    if j1.status.failed < j0.status.failed or (
        not j1.spec.indexed and j1.status.succeeded < j0.status.succeeded
    ):
        yield _v(COUNTERS_MONOTONIC, "Job", j1.name, f"{j0.status} -> {j1.status}")
    parallelism = j1.spec.parallelism or 0
    if j0.spec.parallelism == parallelism and j0.status.active <= parallelism:
        pods = sum(1 for p in after.pods_of(j1.name) if p.active)
        if j1.status.active > parallelism or pods > parallelism:
            message = f"status.active {j1.status.active}, active pods {pods} > parallelism {parallelism}"
            yield _v(ACTIVE_WITHIN_PARALLELISM, "Job", j1.name, message)
    old = {p.name for p in before.pods_of(j0.name)}
    new = [p for p in after.pods_of(j1.name) if p.name not in old]
    if t0 is not None and new:
        names = [p.name for p in new]
        yield _v(NO_PODS_AFTER_FINISH, "Job", j1.name, f"new pods {names} after {t0.type}")
    yield from _backoff_violations(j1, after.pods_of(j1.name), new)


def _backoff_violations(
    job: JobView, pods: tuple[JobPodView, ...], new: list[JobPodView]
) -> Iterator[Violation]:
    """Failed pods a target deleted are not visible, so `n` is a lower bound of the controller's count and
    the check only ever asks for less waiting than upstream does. Per-index back-off has its own rule."""
    if job.spec.backoff_limit_per_index is not None:
        return
    for pod in new:
        done = [
            p for p in pods if p.finished is not None and p.finished <= pod.created and p.name != pod.name
        ]
        last_success = max((p.finished or 0.0 for p in done if p.phase == "Succeeded"), default=None)
        failures = [
            p.finished or 0.0
            for p in done
            if p.phase == "Failed" and (last_success is None or (p.finished or 0.0) > last_success)
        ]
        if failures and pod.created < max(failures) + backoff_duration(len(failures)) - 1e-6:
            wait = backoff_duration(len(failures))
            message = f"pod {pod.name} created at {pod.created:g}, {len(failures)} failure(s), last at "
            yield _v(BACKOFF_RESPECTED, "Job", job.name, message + f"{max(failures):g}: back-off {wait:g} s")


def _cronjob_transition(after: BatchView, c0: CronJobView, c1: CronJobView) -> Iterator[Violation]:
    l0, l1 = c0.status.last_schedule_time, c1.status.last_schedule_time
    if l0 is not None and (l1 is None or l1 < l0):
        yield _v(LAST_SCHEDULE_MONOTONIC, "CronJob", c1.name, f"lastScheduleTime {l0} -> {l1}")
    added = [n for n in c1.status.active if n not in c0.status.active]
    kept = [n for n in c1.status.active if n in c0.status.active]
    policy = c1.spec.concurrency_policy
    if not added or c0.spec.concurrency_policy != policy:
        return
    if policy == FORBID and kept:
        yield _v(FORBID_NO_OVERLAP, "CronJob", c1.name, f"{added} started while {kept} active")
    if policy == REPLACE:
        alive = [n for n in c0.status.active if (j := after.job(n)) is not None and not j.deleting]
        alive = [n for n in alive if (j := after.job(n)) is not None and j.status.finished is None]
        if kept or alive:
            yield _v(REPLACE_DELETES, "CronJob", c1.name, f"{added} started; not replaced: {kept or alive}")


def check_batch_transition(before: BatchView, after: BatchView) -> list[Violation]:
    found: list[Violation] = []
    for j1 in after.jobs:
        j0 = before.job(j1.name)
        if j0 is not None and j0.uid == j1.uid:
            found += _job_transition(before, after, j0, j1)
    for c1 in after.cronjobs:
        c0 = before.cronjob(c1.name)
        if c0 is not None and c0.uid == c1.uid:
            found += _cronjob_transition(after, c0, c1)
    return found


# ---------------------------------------------------------------- settled


def check_batch_settled(view: BatchView) -> list[Violation]:
    """[QUIESCENT] claims, for a view taken after settling with every pod finished."""
    found: list[Violation] = []
    for cj in view.cronjobs:
        children = view.jobs_of(cj.name)
        complete = [j.name for j in children if j.status.condition(COMPLETE)]
        failed = [j.name for j in children if j.status.condition(FAILED_CONDITION)]
        if (
            len(complete) > cj.spec.successful_jobs_history_limit
            or len(failed) > cj.spec.failed_jobs_history_limit
        ):
            found.append(_v(HISTORY_LIMITS, "CronJob", cj.name, f"complete {complete}, failed {failed}"))
        running = sorted(j.name for j in children if j.status.finished is None)
        if sorted(cj.status.active) != running:
            found.append(_v(ACTIVE_LIST_EXACT, "CronJob", cj.name, f"active {cj.status.active} vs {running}"))
    for job in view.jobs:
        s = job.status
        # a suspended Job or one with parallelism 0 keeps no pods and waits, unfinished, for an edit
        if job.spec.suspend or job.spec.parallelism == 0 or any(p.active for p in view.pods_of(job.name)):
            continue
        if (
            s.finished is None
            or s.active
            or (s.terminating or 0)
            or s.uncounted_succeeded
            or s.uncounted_failed
        ):
            found.append(_v(JOB_SETTLED, "Job", job.name, f"not settled: {s}"))
    return found

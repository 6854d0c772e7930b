"""PER-SYNC rules for CronJobs: could upstream's CronJob `sync` have made exactly these writes from exactly
this snapshot?

Each completed CronJob sync is replayed through the model (`cronjob.history_cleanup`, `reconcile_active`,
`schedule_step`) on the snapshot the controller read: the CronJob and the Jobs its controller reference
names, as its cache held them, at the time it ran (moved to Unix time by the snapshot's `epoch`: schedules
and Job names are in it). Its writes are judged against that decision:

* creation: at most one Job, the one for the latest due slot, named `<cronjob>-<minutes since 1970>`, with
  that slot in its cronjob-scheduled-timestamp annotation; none when suspended, being deleted, nothing is
  due, the slot is too late for startingDeadlineSeconds, already processed (listed or lastScheduleTime), or
  Forbid finds an active Job;
* Replace: exactly the Jobs still in status.active are deleted, before the new Job is created; no other
  policy deletes an unfinished Job;
* history cleanup: exactly the oldest finished Jobs (by startTime, Jobs without one last, ties by name)
  beyond successfulJobsHistoryLimit (Complete) and failedJobsHistoryLimit (Failed);
* status: the active list, lastScheduleTime (the slot's nominal time when a Job was created) and
  lastSuccessfulTime (the latest completionTime of a Complete child) it wrote, or kept when it wrote none.

Allowed both ways, because the snapshot cannot decide them:
* a live re-read: an unfinished child missing from the cached status.active makes upstream GET the
  CronJob; when the API server's copy lists it, the sync goes on from that copy (the record carries it),
  and the Jobs the loop saw before the switch (the lister's order is random) leave no trace: any subset of
  the finished children may have been passed over (kept in the active list, no lastSuccessfulTime);
* a Job listed in status.active but absent from the snapshot: upstream GETs it and drops it only when the
  API server says NotFound (a cache that lags sees it missing);
* a creation answered AlreadyExists (journaled as a failed create): the Job is added to the active list
  with the slot as lastScheduleTime when it is controlled by this CronJob's UID and not listed yet, and
  nothing is written for it otherwise; the view holds the controller's name, not its UID.

Not judged: syncs an API error cut short (upstream retries; their writes are a prefix), events (their
reasons are the model's `events`), the requeue delay (the settled comparison sees its effect), the order
of status.active, Job specs (the template is copied as is; checked by the settled comparison), times below
the millisecond (the view's times are the target's clock plus its epoch).

refs kubernetes/kubernetes:pkg/controller/cronjob/cronjob_controllerv2.go (sync, syncCronJob,
cleanupFinishedJobs, removeOldestJobs, deleteJob, getJobName), pkg/controller/cronjob/utils.go
(mostRecentScheduleTime, nextScheduleTime, getJobFromTemplate2, byJobStartTime, inActiveListByName).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence

import attrs

from kubeprops.scenario.batch import CRONJOB, JOB, REPLACE, CronJobStatus, CronJobView, JobView
from kubeprops.scenario.shift import shift_cronjob, shift_job
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE_STATUS, SyncRecord, Write

from . import cronjob
from .invariants import PER_SYNC, Rule, Violation

ALREADY_EXISTS = "AlreadyExists"


def _rule(section: str, name: str, description: str) -> Rule:
    return Rule(f"{section} {PER_SYNC} {name}", section, PER_SYNC, description)


CRONJOB_CREATE = _rule("6.4", "cronjob-create", "creates at most the latest due slot's Job, as decided")
CRONJOB_REPLACE = _rule("6.4", "cronjob-replace", "Replace deletes exactly the active Jobs, then creates")
CRONJOB_HISTORY = _rule("6.4", "cronjob-history", "deletes the oldest finished Jobs beyond each limit")
CRONJOB_STATUS = _rule("6.5", "cronjob-status", "the active list and times written equal the computed")

RULES: tuple[Rule, ...] = (CRONJOB_CREATE, CRONJOB_REPLACE, CRONJOB_HISTORY, CRONJOB_STATUS)


@attrs.frozen
class Outcome:
    """One decision upstream may reach from the snapshot: the status after reconciling (before the
    schedule step), the Job it tries to create (name, slot), the Jobs Replace deletes, the status it
    writes, and the status it writes when the creation meets AlreadyExists without taking the Job in."""

    reconciled: CronJobStatus
    create: tuple[str, float] | None
    replaced: tuple[str, ...]
    status: CronJobStatus
    status_if_exists: CronJobStatus


def check_cronjob(record: SyncRecord) -> Iterator[Violation]:
    snap = record.snapshot
    cached = next((c for c in snap.cronjobs if c.name == record.key), None)
    if cached is None:
        return
    by, obj = snap.epoch, f"{CRONJOB}/{record.key}"
    now = snap.now + by
    jobs = [shift_job(j, by) for j in snap.jobs if j.owner == record.key]
    # cleanup runs on the cached copy; a live re-read replaces the copy syncCronJob goes on from
    base = shift_cronjob(record.cronjob_reread or cached, by)
    history = cronjob.history_cleanup(shift_cronjob(cached, by), jobs)
    at = f"at t={snap.now:g}" + (" (after a live re-read)" if record.cronjob_reread else "")
    found: list[Violation] = []
    for outcome in outcomes(base, jobs, now, reread=record.cronjob_reread is not None):
        found = list(judge(record, base, jobs, history, outcome, by, obj, at))
        if not found:
            return
    yield from found  # the first reading's (nothing passed over, every missing Job gone)


def outcomes(base: CronJobView, jobs: Sequence[JobView], now: float, *, reread: bool) -> list[Outcome]:
    """The decisions the snapshot allows, the plain reading first (module docstring: allowed both ways)."""
    finished = [j.name for j in jobs if j.status.finished is not None] if reread else []
    names = {j.name for j in jobs}
    missing = [n for n in base.status.active if n not in names]
    statuses: list[CronJobStatus] = []
    for skipped in _subsets(finished):
        for kept in _subsets(missing):
            status = reconciled(base, jobs, skipped, kept)
            if status not in statuses:
                statuses.append(status)
    return [_outcome(base, status, now) for status in statuses]


def _subsets(names: Sequence[str]) -> Iterator[frozenset[str]]:
    for size in range(len(names) + 1):
        for combo in itertools.combinations(names, size):
            yield frozenset(combo)


def reconciled(
    cj: CronJobView, jobs: Sequence[JobView], skipped: frozenset[str], kept: frozenset[str]
) -> CronJobStatus:
    """The first part of syncCronJob on `cj`, the Jobs in `skipped` passed over (the loop saw them before
    the re-read replaced the copy), the listed Jobs missing from the snapshot in `kept` found by the GET."""
    # ref cronjob_controllerv2.go (syncCronJob: the loop over the Jobs, then the MissingJob check)
    status, _ = cronjob.reconcile_active(cj, [j for j in jobs if j.name not in skipped])
    stays = set(status.active) | skipped | kept
    return attrs.evolve(status, active=tuple(n for n in cj.status.active if n in stays))


def _outcome(base: CronJobView, status: CronJobStatus, now: float) -> Outcome:
    decision = cronjob.schedule_step(base, (), status, now)
    written = decision.status
    if decision.create is None:
        return Outcome(status, None, decision.delete_active, written, written)
    name = decision.create[0]
    # AlreadyExists, not ours (or listed): the status as it stood after the Replace deletions
    without = attrs.evolve(
        written,
        active=tuple(n for n in written.active if n != name),
        last_schedule_time=status.last_schedule_time,
    )
    return Outcome(status, decision.create, decision.delete_active, written, without)


def _writes(record: SyncRecord, verb: str, kind: str) -> list[Write]:
    return [w for w in record.writes if w.verb == verb and w.kind == kind]


def judge(
    record: SyncRecord,
    base: CronJobView,
    jobs: Sequence[JobView],
    history: tuple[str, ...],
    outcome: Outcome,
    by: float,
    obj: str,
    at: str,
) -> Iterator[Violation]:
    creates = _writes(record, CREATE, JOB)
    exists = any(w.error == ALREADY_EXISTS for w in creates)
    yield from _creation(creates, outcome, by, obj, at)
    yield from _deletions(record, base, jobs, history, outcome, obj, at)
    written = [w.obj for w in _writes(record, UPDATE_STATUS, CRONJOB) if isinstance(w.obj, CronJobView)]
    got = shift_cronjob(written[-1], by).status if written else base.status
    allowed = [outcome.status, outcome.status_if_exists] if exists else [outcome.status]
    if status_key(got) not in [status_key(s) for s in allowed]:
        how = "wrote" if written else "kept"
        yield Violation(
            CRONJOB_STATUS.id,
            obj,
            f"{at} {how} {status_key(got)}, the model {' or '.join(str(status_key(s)) for s in allowed)}",
        )


def _creation(creates: list[Write], outcome: Outcome, by: float, obj: str, at: str) -> Iterator[Violation]:
    got = [(w.name, _slot(w, by)) for w in creates]
    if outcome.create is None:
        if got:
            yield Violation(CRONJOB_CREATE.id, obj, f"{at} created {got}, the model creates no Job")
        return
    name, slot = outcome.create
    # a create answered AlreadyExists shows no object: its name is the decision
    if [n for n, _ in got] != [name] or got[0][1] not in (None, _ms(slot)):
        yield Violation(
            CRONJOB_CREATE.id,
            obj,
            f"{at} created {got or 'no Job'}, the model {name} for the slot t={slot:g} (Unix)",
        )


def _slot(write: Write, by: float) -> float | None:
    """The slot in the created Job's cronjob-scheduled-timestamp annotation (None: a failed create)."""
    if not isinstance(write.obj, JobView) or write.obj.scheduled_time is None:
        return None if write.error else float("nan")
    return _ms(write.obj.scheduled_time + by)


def _deletions(
    record: SyncRecord,
    base: CronJobView,
    jobs: Sequence[JobView],
    history: tuple[str, ...],
    outcome: Outcome,
    obj: str,
    at: str,
) -> Iterator[Violation]:
    deletes = _writes(record, DELETE, JOB)
    deleted = {w.name for w in deletes}
    finished = {j.name for j in jobs if j.status.finished is not None}
    replaced = set(outcome.replaced)
    extra = deleted - set(history) - replaced
    if not set(history) <= deleted or extra & finished:
        yield Violation(
            CRONJOB_HISTORY.id,
            obj,
            f"{at} deleted finished Jobs {sorted(deleted & (finished | set(history)))}, "
            f"history cleanup deletes {sorted(history)}",
        )
    late = _created_before(record, replaced)
    if not replaced <= deleted or extra - finished or late:
        policy = base.spec.concurrency_policy
        yield Violation(
            CRONJOB_REPLACE.id,
            obj,
            f"{at} ({policy}) deleted {sorted(deleted - set(history))}"
            + (f" after creating the new Job: {sorted(late)}" if late else "")
            + f", the model replaces {sorted(replaced)}"
            + ("" if policy == REPLACE else " (no Job is replaced)"),
        )


def _created_before(record: SyncRecord, replaced: set[str]) -> set[str]:
    """Replaced Jobs whose delete came after the sync's create: upstream deletes them all first."""
    verbs = [(w.verb, w.kind, w.name) for w in record.writes]
    first_create = next((i for i, (v, k, _) in enumerate(verbs) if v == CREATE and k == JOB), None)
    if first_create is None:
        return set()
    return {n for v, k, n in verbs[first_create:] if v == DELETE and k == JOB and n in replaced}


def _ms(t: float | None) -> float | None:
    return None if t is None else round(t, 3)


def status_key(s: CronJobStatus) -> tuple[tuple[str, object], ...]:
    return (
        ("active", tuple(sorted(s.active))),
        ("lastScheduleTime", _ms(s.last_schedule_time)),
        ("lastSuccessfulTime", _ms(s.last_successful_time)),
    )

"""Realistic CronJob controller bugs for the mutation test, in the pattern of `mutations`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import gc
from .controllers import cronjob
from .controllers import cronjob_schedule as cron
from .controllers import cronjob_util as util
from .controllers import job as job_controller
from .objects import Obj

Patch = tuple[ModuleType, str, Callable[..., Any]]
ORIGINAL_SKIP_SLOT = cronjob.skip_slot
ORIGINAL_MOST_RECENT_DUE = cronjob.most_recent_due
ORIGINAL_REMOVE_OLDEST = cronjob.remove_oldest_jobs
ORIGINAL_DEPENDENTS = gc.dependents


def _without_deadline(cj: Obj) -> Obj:
    spec = {k: v for k, v in cj["spec"].items() if k != "startingDeadlineSeconds"}
    return {**cj, "spec": spec}


def _forbid_ignored(ctl: cronjob.CronJobController, cj: Obj, due: float, now: float) -> bool:
    allowed = {**cj, "spec": {**cj["spec"], "concurrencyPolicy": "Allow"}}
    return ORIGINAL_SKIP_SLOT(ctl, allowed, due, now)


def _deadline_ignored_due(
    ctl: cronjob.CronJobController, cj: Obj, now: float, sched: cron.CronSchedule
) -> float | None:
    return ORIGINAL_MOST_RECENT_DUE(ctl, _without_deadline(cj), now, sched)


def _deadline_ignored_skip(ctl: cronjob.CronJobController, cj: Obj, due: float, now: float) -> bool:
    return ORIGINAL_SKIP_SLOT(ctl, _without_deadline(cj), due, now)


def _oldest_missed_slot(
    ctl: cronjob.CronJobController, cj: Obj, now: float, sched: cron.CronSchedule
) -> float | None:
    """The earliest missed slot runs instead of the most recent one (the window's first slot, t1); the status
    write re-queues the CronJob at once, so every missed slot runs in turn (a backfill)."""
    due = util.most_recent_schedule_time(cj, now, sched, with_deadline=True)
    if due.most_recent is None:
        return None
    first = cron.next_after(sched, due.earliest)
    return first if first is not None and first <= now else due.most_recent


def _history_one_more(ctl: cronjob.CronJobController, cj: Obj, jobs: list[Obj], limit: int) -> bool:
    return ORIGINAL_REMOVE_OLDEST(ctl, cj, jobs, limit + 1)


def _replace_forgets(ctl: cronjob.CronJobController, cj: Obj) -> None:
    cj["status"]["active"] = []  # dropped from the list, but the Jobs are left running


def _name_in_seconds(cj: Obj, scheduled: float) -> str:
    return f"{cj['metadata']['name']}-{int(scheduled)}"


def _jobs_orphaned(store: Any, owner: str) -> list[tuple[str, str]]:
    # a deleted CronJob's Jobs are left behind, as batch/v1beta1's default (OrphanDependents) would do
    return [(kind, name) for kind, name in ORIGINAL_DEPENDENTS(store, owner) if kind != "Job"]


def _orphan_pod_kept(ctl: job_controller.JobController, name: str) -> None:
    return None  # the tracking finalizer of a deleted Job's pod is never removed: the pod stays


CRONJOB_MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "cron-forbid-ignored": ((cronjob, "skip_slot", _forbid_ignored),),
    "cron-every-missed-slot-runs": ((cronjob, "most_recent_due", _oldest_missed_slot),),
    "cron-deadline-ignored": (
        (cronjob, "most_recent_due", _deadline_ignored_due),
        (cronjob, "skip_slot", _deadline_ignored_skip),
    ),
    "cron-history-limit-off-by-one": ((cronjob, "remove_oldest_jobs", _history_one_more),),
    "cron-replace-keeps-active-job": ((cronjob, "replace_active_jobs", _replace_forgets),),
    "cron-name-in-seconds": ((util, "job_name", _name_in_seconds),),
    "cron-delete-orphans-jobs": ((gc, "dependents", _jobs_orphaned),),
    "cron-orphan-pod-keeps-finalizer": ((job_controller, "sync_orphan_pod", _orphan_pod_kept),),
}

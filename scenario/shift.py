"""Batch views moved to another time origin: the target's clock -> Unix time (`ClusterView.epoch`).

Shared by the CronJob property (observed views) and the CronJob PER-SYNC check (sync snapshots).
"""

from __future__ import annotations

import attrs

from . import batch
from .view import Condition


def _at(t: float | None, by: float) -> float | None:
    return None if t is None else t + by


def _condition(c: Condition, by: float) -> Condition:
    return attrs.evolve(
        c, last_update_time=_at(c.last_update_time, by), last_transition_time=_at(c.last_transition_time, by)
    )


def shift_job(job: batch.JobView, by: float) -> batch.JobView:
    s = job.status
    status = attrs.evolve(
        s,
        start_time=_at(s.start_time, by),
        completion_time=_at(s.completion_time, by),
        conditions=tuple(_condition(c, by) for c in s.conditions),
    )
    return attrs.evolve(
        job, created=job.created + by, scheduled_time=_at(job.scheduled_time, by), status=status
    )


def shift_cronjob(cj: batch.CronJobView, by: float) -> batch.CronJobView:
    s = cj.status
    status = attrs.evolve(
        s,
        last_schedule_time=_at(s.last_schedule_time, by),
        last_successful_time=_at(s.last_successful_time, by),
    )
    return attrs.evolve(cj, created=cj.created + by, status=status)


def _pod(pod: batch.JobPodView, by: float) -> batch.JobPodView:
    return attrs.evolve(pod, created=pod.created + by, finished=_at(pod.finished, by))


def shift_view(view: batch.BatchView, by: float) -> batch.BatchView:
    """Every time in `view` plus `by` seconds."""
    if not by:
        return view
    return batch.BatchView(
        view.now + by,
        tuple(shift_job(j, by) for j in view.jobs),
        tuple(shift_cronjob(c, by) for c in view.cronjobs),
        tuple(_pod(p, by) for p in view.pods),
    )

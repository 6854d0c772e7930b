"""The Job controller's exponential pod-failure back-off: a record per Job kept in memory (failures
after the latest success, time of the latest failure), 10 s doubling, capped at 10 min.

ref: pkg/controller/job/backoff_utils.go (newBackoffRecord, getRemainingTime,
getRemainingTimeForFailuresCount), pkg/controller/job/job_controller.go (DefaultJobPodFailureBackOff,
MaxJobPodFailureBackOff)
"""

from __future__ import annotations

from ..objects import Obj
from . import job_pods as pods_util

DEFAULT_BACKOFF = 10.0  # DefaultJobPodFailureBackOff
MAX_BACKOFF = 600.0  # MaxJobPodFailureBackOff: the code's cap, not the documentation's six minutes


def new_backoff_record(
    record: tuple[int, float | None], succeeded: list[Obj], failed: list[Obj]
) -> tuple[int, float | None]:
    """Failures after the latest success and the latest failure time (backoff_utils.go newBackoffRecord)."""
    failures = sorted(pods_util.finished_time(p) for p in failed)
    if not succeeded:
        return (record[0] + len(failures), failures[-1]) if failures else record
    last_success = max(pods_util.finished_time(p) for p in succeeded)
    later = [t for t in failures if t > last_success]
    return (len(later), later[-1] if later else None)


def backoff_duration(failures: int) -> float:
    duration = DEFAULT_BACKOFF
    for _ in range(1, failures):
        duration *= 2
        if duration >= MAX_BACKOFF:
            return MAX_BACKOFF
    return duration


def backoff_remaining(record: tuple[int, float | None], now: float) -> float:
    failures, last = record
    if failures == 0 or last is None:
        return 0.0
    duration, elapsed = backoff_duration(failures), now - last
    return 0.0 if duration < elapsed else duration - elapsed

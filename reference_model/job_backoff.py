"""Exponential back-off before a Job replaces failed pods (fact sheet 5.6).

The controller keeps, per Job and in memory only, how many pods failed after the last success and when
the latest of them finished; replacements wait `min(10 s * 2^(n-1), 10 min)` from that time. The cap is the
code's `MaxJobPodFailureBackOff` (10 minutes), not the six minutes the documentation states.

refs kubernetes/kubernetes:pkg/controller/job/backoff_utils.go (newBackoffRecord,
getRemainingTimeForFailuresCount, getRemainingTimePerIndex, getFinishedTime),
kubernetes/kubernetes:pkg/controller/job/job_controller.go (DefaultJobPodFailureBackOff,
MaxJobPodFailureBackOff)
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.batch import JobPodView

DEFAULT_BACKOFF = 10.0  # ref job_controller.go (DefaultJobPodFailureBackOff)
MAX_BACKOFF = 600.0  # ref job_controller.go (MaxJobPodFailureBackOff)


@attrs.frozen
class BackoffRecord:
    failures_after_last_success: int = 0
    last_failure_time: float | None = None


NO_BACKOFF = BackoffRecord()


def finished_time(pod: JobPodView) -> float:
    """When a pod finished: its containers' termination, else its creation (the model has no Ready=False
    transition or grace period apart from that)."""
    # ref backoff_utils.go (getFinishedTime)
    return pod.finished if pod.finished is not None else pod.created


def backoff_duration(failures: int) -> float:
    """10 s doubling per failure, capped at 10 min: 1->10, 2->20, 3->40, ..., 6->320, 7+->600."""
    # ref backoff_utils.go (getRemainingTimeForFailuresCount)
    if failures <= 0:
        return 0.0
    duration = DEFAULT_BACKOFF
    for _ in range(1, failures):
        duration *= 2
        if duration >= MAX_BACKOFF:
            return MAX_BACKOFF
    return duration


def remaining(failures: int, last_failure_time: float | None, now: float) -> float:
    """Seconds still to wait before creating replacement pods (0 when none)."""
    # ref backoff_utils.go (getRemainingTimeForFailuresCount)
    if failures <= 0 or last_failure_time is None:
        return 0.0
    duration, elapsed = backoff_duration(failures), now - last_failure_time
    return 0.0 if duration < elapsed else duration - elapsed


def record_remaining(record: BackoffRecord, now: float) -> float:
    return remaining(record.failures_after_last_success, record.last_failure_time, now)


def new_backoff_record(
    record: BackoffRecord, new_succeeded: Sequence[JobPodView], new_failed: Sequence[JobPodView]
) -> BackoffRecord:
    """Fold this sync's newly finished pods into the record: a success resets the count, and only failures
    that finished after the latest success count."""
    # ref backoff_utils.go (newBackoffRecord)
    failed = sorted(finished_time(p) for p in new_failed)
    if not new_succeeded:
        if not failed:
            return record
        return BackoffRecord(record.failures_after_last_success + len(failed), failed[-1])
    last_success = max(finished_time(p) for p in new_succeeded)
    later = [t for t in failed if t > last_success]
    return BackoffRecord(len(later), later[-1] if later else None)


def remaining_per_index(last_failed: JobPodView | None, now: float) -> float:
    """backoffLimitPerIndex: the wait for one index, from its last failed pod's failure-count annotation."""
    # ref backoff_utils.go (getRemainingTimePerIndex)
    if last_failed is None:
        return 0.0
    return remaining(last_failed.failure_count + 1, finished_time(last_failed), now)

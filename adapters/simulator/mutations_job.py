"""Realistic Job controller bugs for the mutation test, in the pattern of `mutations`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from .controllers import job, job_backoff, job_manage
from .objects import POD, Obj

Patch = tuple[ModuleType, str, Callable[..., Any]]


def _parallelism_ignored(spec_job: Obj, succeeded: int, active: int) -> int:
    completions = spec_job["spec"].get("completions")
    if completions is None:
        return active if succeeded > 0 else spec_job["spec"].get("parallelism", 1)
    return max(0, completions - succeeded)  # forgot to cap at parallelism


def _backoff_not_doubling(failures: int) -> float:
    return job_backoff.DEFAULT_BACKOFF


def _backoff_limit_inclusive(spec_job: Obj, failed: int) -> bool:
    return failed >= spec_job["spec"].get("backoffLimit", 6)


def _restarts_ignored(spec_job: Obj, active: list[Obj]) -> bool:
    return False


def _work_queue_done_early(spec_job: Obj, succeeded: int, active: int) -> bool:
    completions = spec_job["spec"].get("completions")
    if completions is None:
        return succeeded > 0  # forgot "and nothing is running any more"
    return succeeded >= completions and active == 0


def _never_suspended(spec_job: Obj) -> bool:
    return False


def _delete_counting_failures(ctl: job.JobController, key: str, pods: list[Obj]) -> set[str]:
    removed = set()
    for pod in pods:  # the tracking finalizer stays on: the next sync counts the pod as failed
        ctl.client.delete(POD, pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        removed.add(pod["metadata"]["name"])
    return removed


JOB_MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "job-parallelism-ignored": ((job_manage, "want_active", _parallelism_ignored),),
    "job-backoff-not-doubling": ((job_backoff, "backoff_duration", _backoff_not_doubling),),
    "job-backoff-limit-off-by-one": ((job, "exceeds_backoff_limit", _backoff_limit_inclusive),),
    "job-onfailure-restarts-ignored": ((job, "past_backoff_limit_on_failure", _restarts_ignored),),
    "job-work-queue-completes-early": ((job, "is_complete", _work_queue_done_early),),
    "job-suspend-ignored": ((job_manage, "is_suspended", _never_suspended),),
    "job-deleted-pods-counted-failed": ((job_manage, "delete_job_pods", _delete_counting_failures),),
}

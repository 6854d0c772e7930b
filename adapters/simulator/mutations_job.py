"""Realistic Job controller bugs for the mutation test, in the pattern of `mutations`."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import objects
from .controllers import job, job_backoff, job_manage, job_pods, job_policies
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


def _ignored_failures_counted(spec_job: Obj, pod: Obj) -> bool:
    return True  # forgot that an Ignore rule's failure counts toward no limit


def _pod_conditions_never_match(pod: Obj, patterns: list[Obj]) -> Obj | None:
    return None  # onPodConditions rules read the container statuses only, never the pod's conditions


def _index_limit_exclusive(spec_job: Obj, pod: Obj) -> bool:
    _, counted, action = job_policies.match_failure_policy(spec_job, pod)
    if action == job_policies.FAIL_INDEX:
        return True
    # off by one: the index fails only after backoffLimitPerIndex + 1 failed retries
    return counted and job_policies.failure_counts(pod)[0] > spec_job["spec"]["backoffLimitPerIndex"]


def _success_count_exclusive(spec_job: Obj, done: set[int]) -> str | None:
    policy = spec_job["spec"].get("successPolicy")
    for index, rule in enumerate((policy or {}).get("rules") or () if done else ()):
        count, text = rule.get("succeededCount"), rule.get("succeededIndexes")
        required = job_pods.parse_indexes(text) if text is not None else set(done)
        if count is not None and len(required & done) > count:  # ">" where upstream has ">="
            return f"Matched rules at index {index}"
        if text is not None and required and required <= done:
            return f"Matched rules at index {index}"
    return None


def _claim_without_adoption(
    client: Any,
    owner: Obj,
    owner_kind: str,
    kind: str,
    selector: dict[str, str],
    candidates: list[Obj],
    finalizer: str | None = None,
) -> list[Obj]:
    # the bug: orphans are never adopted back (the Job lists only the pods it controls, as before v1.6)
    owned = [c for c in candidates if objects.controller_ref(c) is not None]
    return ORIGINAL_JOB_CLAIM(client, owner, owner_kind, kind, selector, owned, finalizer)


ORIGINAL_JOB_CLAIM = job.claim

JOB_MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "job-parallelism-ignored": ((job_manage, "want_active", _parallelism_ignored),),
    "job-backoff-not-doubling": ((job_backoff, "backoff_duration", _backoff_not_doubling),),
    "job-backoff-limit-off-by-one": ((job, "exceeds_backoff_limit", _backoff_limit_inclusive),),
    "job-onfailure-restarts-ignored": ((job, "past_backoff_limit_on_failure", _restarts_ignored),),
    "job-work-queue-completes-early": ((job, "is_complete", _work_queue_done_early),),
    "job-suspend-ignored": ((job_manage, "is_suspended", _never_suspended),),
    "job-deleted-pods-counted-failed": ((job_manage, "delete_job_pods", _delete_counting_failures),),
    "job-ignore-rule-counted": ((job_policies, "counts", _ignored_failures_counted),),
    "job-pod-conditions-never-match": ((job_policies, "_matching_condition", _pod_conditions_never_match),),
    "job-index-limit-off-by-one": ((job_policies, "is_index_failed", _index_limit_exclusive),),
    "job-success-count-off-by-one": ((job_policies, "success_policy_message", _success_count_exclusive),),
    "job-no-readopt": ((job, "claim", _claim_without_adoption),),
}

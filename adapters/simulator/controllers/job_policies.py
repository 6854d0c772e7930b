"""podFailurePolicy, successPolicy and backoffLimitPerIndex in the simulator's Job controller.

A failed pod is matched against the podFailurePolicy rules in order; the first match decides: FailJob
(the Job fails with reason PodFailurePolicy), FailIndex (its index fails), Ignore (not counted toward
any limit), Count (counted, as when nothing matches). With backoffLimitPerIndex each index has its own
failure count, carried from pod to pod in the job-index-failure-count annotation (failures an Ignore
rule matched go to job-index-ignore-count); the latest failed pod of an index that has no replacement
yet keeps its tracking finalizer (uncounted) until the replacement exists.
ref: pkg/controller/job/pod_failure_policy.go (matchPodFailurePolicy, matchOnExitCodes,
matchOnPodConditions), pkg/controller/job/success_policy.go (matchSuccessPolicy,
matchSucceededIndexesRule), pkg/controller/job/indexed_job_utils.go (calculateFailedIndexes,
isIndexFailed, getPodsWithDelayedDeletionPerIndex, getNewIndexFailureCounts,
getIndexAbsoluteFailureCount), pkg/controller/job/backoff_utils.go (getRemainingTimePerIndex),
pkg/controller/job/job_controller.go (getFailJobMessage, canRemoveFinalizer,
getPodCreationInfoForIndependentIndexes)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ..objects import Obj
from . import job_backoff as backoff
from . import job_pods as pods_util

FAIL_JOB, FAIL_INDEX, IGNORE, COUNT = "FailJob", "FailIndex", "Ignore", "Count"
FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
IGNORE_COUNT = "batch.kubernetes.io/job-index-ignore-count"


def _rules(job: Obj) -> list[Obj] | None:
    policy = job["spec"].get("podFailurePolicy")
    return None if policy is None else list(policy.get("rules") or ())


def _matching_container(pod: Obj, codes: Obj) -> Obj | None:
    """The first terminated container (then init container) whose non-zero exit code the rule matches."""
    status = pod.get("status") or {}
    for container in (*(status.get("containerStatuses") or ()), *(status.get("initContainerStatuses") or ())):
        terminated = (container.get("state") or {}).get("terminated")
        name = codes.get("containerName")
        if terminated is None or terminated.get("exitCode", 0) == 0 or name not in (None, container["name"]):
            continue
        if (terminated["exitCode"] in codes.get("values", ())) == (codes.get("operator") == "In"):
            return container
    return None


def _matching_condition(pod: Obj, patterns: list[Obj]) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if any(cond["type"] == p["type"] and cond["status"] == p.get("status", "True") for p in patterns):
            return cond
    return None


def match_failure_policy(job: Obj, pod: Obj) -> tuple[str | None, bool, str | None]:
    """matchPodFailurePolicy: (FailJob message, whether the failure counts, the action that matched)."""
    where = f"{pod['metadata'].get('namespace', 'default')}/{pod['metadata']['name']}"
    for index, rule in enumerate(_rules(job) or ()):
        action = rule["action"]
        if rule.get("onExitCodes") is not None:
            container = _matching_container(pod, rule["onExitCodes"])
            if container is None:
                continue
            code = container["state"]["terminated"]["exitCode"]
            detail = f"Container {container['name']} for pod {where} failed with exit code {code}"
        elif rule.get("onPodConditions"):
            cond = _matching_condition(pod, rule["onPodConditions"])
            if cond is None:
                continue
            detail = f"Pod {where} has condition {cond['type']}"
        else:
            continue
        message = f"{detail} matching {action} rule at index {index}" if action == FAIL_JOB else None
        return message, action != IGNORE, action
    return None, True, None


def counts(job: Obj, pod: Obj) -> bool:
    return match_failure_policy(job, pod)[1]


def fail_job_message(job: Obj, failed_pods: Iterable[Obj]) -> str | None:
    """getFailJobMessage: the first failed pod (of all the Job's pods) a FailJob rule matches."""
    if _rules(job) is None:
        return None
    return next((m for p in failed_pods if (m := match_failure_policy(job, p)[0]) is not None), None)


@dataclasses.dataclass
class Tally:
    """The pods that finished since the last count (tracking finalizer on, removal not yet asked) and the
    counters with them. `failed` counts toward backoffLimit; `held` are the failed pods whose finalizer
    stays until their index has a replacement (backoffLimitPerIndex), not yet in status.failed."""

    new_succeeded: list[Obj]
    new_failed: list[Obj]
    done: set[int] | None  # succeeded indexes (Indexed Jobs)
    failed_indexes: set[int] | None  # with backoffLimitPerIndex
    succeeded: int
    failed: int
    held: dict[int, Obj] = dataclasses.field(default_factory=dict)

    def counted(self, job: Obj) -> list[Obj]:
        return [p for p in self.new_failed if pods_util.in_range(job, p) and counts(job, p)]


# ---------------------------------------------------------------- backoffLimitPerIndex


def has_per_index(job: Obj) -> bool:
    return job["spec"].get("backoffLimitPerIndex") is not None


def failure_counts(pod: Obj) -> tuple[int, int]:
    annotations = pod["metadata"].get("annotations") or {}
    raw = (annotations.get(FAILURE_COUNT, "0"), annotations.get(IGNORE_COUNT, "0"))
    return tuple(int(v) if v.isdigit() else 0 for v in raw)  # type: ignore[return-value]


def is_index_failed(job: Obj, pod: Obj) -> bool:
    """isIndexFailed (on a failed pod): FailIndex, or a counted failure at the per-index limit."""
    _, counted, action = match_failure_policy(job, pod)
    if action == FAIL_INDEX:
        return True
    return counted and failure_counts(pod)[0] >= job["spec"]["backoffLimitPerIndex"]


def failed_indexes(job: Obj, status: Obj, new_failed: list[Obj]) -> set[int] | None:
    """calculateFailedIndexes: status.failedIndexes plus the newly failed pods' indexes that failed."""
    if not has_per_index(job):
        return None
    completions = job["spec"]["completions"]
    known = {i for i in pods_util.parse_indexes(status.get("failedIndexes") or "") if i < completions}
    fresh = {
        pods_util.completion_index(p)
        for p in new_failed
        if pods_util.in_range(job, p) and is_index_failed(job, p)
    }
    return known | fresh  # type: ignore[operator]


def delayed_per_index(
    job: Obj, new_failed: list[Obj], active: list[Obj], done: set[int], failed: set[int]
) -> dict[int, Obj]:
    """getPodsWithDelayedDeletionPerIndex: per index with neither success, failure nor an active pod, the
    latest failed pod still holding its finalizer (highest absolute failure count, latest finish)."""
    busy = done | failed | {pods_util.completion_index(p) for p in active}
    delayed: dict[int, Obj] = {}
    for pod in new_failed:
        index = pods_util.completion_index(pod)
        if index is None or index in busy or not pods_util.in_range(job, pod):
            continue
        last = delayed.get(index)
        if last is None or (
            sum(failure_counts(last)) <= sum(failure_counts(pod))
            and pods_util.finished_time(pod) >= pods_util.finished_time(last)
        ):
            delayed[index] = pod
    return delayed


def new_failure_annotations(job: Obj, replaced: Obj | None) -> dict[str, str]:
    """getNewIndexFailureCounts / addIndexFailureCountAnnotation for the pod replacing `replaced`."""
    failures, ignored = failure_counts(replaced) if replaced is not None else (0, 0)
    if replaced is not None:
        failures, ignored = (failures + 1, ignored) if counts(job, replaced) else (failures, ignored + 1)
    annotations = {FAILURE_COUNT: str(failures)}
    if ignored > 0:
        annotations[IGNORE_COUNT] = str(ignored)
    return annotations


def index_wait(replaced: Obj | None, now: float) -> float:
    """getRemainingTimePerIndex: the back-off of the index's absolute failure count + 1."""
    if replaced is None:
        return 0.0
    record = (sum(failure_counts(replaced)) + 1, pods_util.finished_time(replaced))
    return backoff.backoff_remaining(record, now)


# ---------------------------------------------------------------- finish checks


def per_index_failure(job: Obj, done: set[int], failed: set[int] | None) -> str | None:
    """The reason a Job with backoffLimitPerIndex fails: MaxFailedIndexesExceeded, FailedIndexes or None."""
    if failed is None:
        return None
    max_failed = job["spec"].get("maxFailedIndexes")
    if max_failed is not None and len(failed) > max_failed:
        return "MaxFailedIndexesExceeded"
    if failed and len(failed) + len(done) >= job["spec"]["completions"]:
        return "FailedIndexes"
    return None


def success_policy_message(job: Obj, done: set[int]) -> str | None:
    """matchSuccessPolicy: "Matched rules at index i" for the first rule the succeeded indexes meet."""
    policy = job["spec"].get("successPolicy")
    if policy is None or not done:
        return None
    completions = job["spec"]["completions"]
    for index, rule in enumerate(policy.get("rules") or ()):
        count, text = rule.get("succeededCount"), rule.get("succeededIndexes")
        if text is not None:
            required = {i for i in pods_util.parse_indexes(text) if i < completions}
            if not required:
                continue  # a rule whose indexes are all out of range never matches
            matched = len(required & done)
            met = matched == len(required) or (count is not None and matched >= count)
        else:
            met = count is not None and len(done) >= count
        if met:
            return f"Matched rules at index {index}"
    return None

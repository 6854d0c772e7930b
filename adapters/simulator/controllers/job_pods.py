"""Pod-level helpers of the simulator's Job controller: tracking finalizer, completion indexes, the
deletion order, finish times and the pod a Job creates.

ref: pkg/controller/job/job_controller.go (activePodsForRemoval, removeTrackingFinalizerPatch),
pkg/controller/job/indexed_job_utils.go (calculateSucceededIndexes, firstPendingIndexes,
appendDuplicatedIndexPodsForRemoval, addCompletionIndexAnnotation), pkg/controller/job/backoff_utils.go
(getFinishedTime), pkg/controller/controller_utils.go (ActivePods.Less)
"""

from __future__ import annotations

from collections.abc import Iterable

from kubeprops.adapters.kube_objects import parse_time
from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER

from ..objects import JOB, POD, Obj, clone, new_controller_ref
from . import common

COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
CONTROLLER_UID_LABEL = "batch.kubernetes.io/controller-uid"
PHASE_RANK = {"Pending": 0, "Unknown": 1, "Running": 2}


def job_selector(job: Obj) -> dict[str, str]:
    """spec.selector, or the one the API server generates (manualSelector unset): the Job's uid."""
    # ref pkg/registry/batch/job/strategy.go (generateSelector)
    given = (job["spec"].get("selector") or {}).get("matchLabels")
    return dict(given) if given else {CONTROLLER_UID_LABEL: job["metadata"]["uid"]}


def has_tracking_finalizer(pod: Obj) -> bool:
    return JOB_TRACKING_FINALIZER in (pod["metadata"].get("finalizers") or ())


def without_tracking_finalizer(pod: Obj) -> Obj:
    meta = dict(pod["metadata"])
    meta["finalizers"] = [f for f in meta.get("finalizers") or () if f != JOB_TRACKING_FINALIZER]
    return {**pod, "metadata": meta}


def completion_index(pod: Obj) -> int | None:
    raw = (pod["metadata"].get("annotations") or {}).get(COMPLETION_INDEX)
    return int(raw) if raw is not None and raw.isdigit() else None


def is_indexed(job: Obj) -> bool:
    return job["spec"].get("completionMode") == "Indexed"


def in_range(job: Obj, pod: Obj) -> bool:
    """NonIndexed pods always count; an Indexed pod only with a valid index below completions."""
    if not is_indexed(job):
        return True
    index = completion_index(pod)
    return index is not None and index < job["spec"]["completions"]


def parse_indexes(text: str) -> set[int]:
    found: set[int] = set()
    for part in filter(None, text.split(",")):
        first, _, last = part.partition("-")
        found.update(range(int(first), int(last or first) + 1))
    return found


def format_indexes(indexes: Iterable[int]) -> str:
    """Sorted; runs of three or more written as ranges, a run of two as two numbers ("1,2,4-6"), as
    orderedIntervals.String writes them."""
    runs: list[list[int]] = []
    for index in sorted(indexes):
        if runs and index == runs[-1][1] + 1:
            runs[-1][1] = index
        else:
            runs.append([index, index])
    return ",".join(f"{a}-{b}" if b - a >= 2 else ",".join(map(str, range(a, b + 1))) for a, b in runs)


def succeeded_indexes(job: Obj, status: Obj, new_succeeded: list[Obj]) -> set[int] | None:
    """completedIndexes plus the newly succeeded in-range pods (None for a NonIndexed Job)."""
    if not is_indexed(job):
        return None
    completions = job["spec"]["completions"]
    indexes = {i for i in parse_indexes(status.get("completedIndexes", "")) if i < completions}
    return indexes | {completion_index(p) for p in new_succeeded if in_range(job, p)}  # type: ignore[misc]


def pending_indexes(job: Obj, pods: list[Obj], succeeded: set[int], count: int) -> list[int]:
    """The lowest indexes neither succeeded nor held by an active pod (nor a terminating one, under the
    Failed replacement policy)."""
    taken = set(succeeded)
    for pod in pods:
        terminating = common.is_pod_terminating(pod) and job["spec"].get("podReplacementPolicy") == "Failed"
        if common.is_pod_active(pod) or terminating:
            taken.add(completion_index(pod))
    free = (i for i in range(job["spec"]["completions"]) if i not in taken)
    return [i for _, i in zip(range(count), free, strict=False)]


def restart_count(pod: Obj) -> int:
    return sum(s.get("restartCount", 0) for s in (pod.get("status") or {}).get("containerStatuses") or ())


def finished_time(pod: Obj) -> float:
    """Latest container termination, else a Ready=False transition, else the deletion timestamp, else
    the creation time."""
    ends = [
        parse_time(term["finishedAt"])
        for s in (pod.get("status") or {}).get("containerStatuses") or ()
        if (term := (s.get("state") or {}).get("terminated")) and term.get("finishedAt")
    ]
    if ends:
        return max(ends)
    ready = common.ready_condition(pod)
    if ready is not None and ready["status"] == "False" and ready.get("lastTransitionTime"):
        return parse_time(ready["lastTransitionTime"])
    if pod["metadata"].get("deletionTimestamp"):
        return parse_time(pod["metadata"]["deletionTimestamp"])
    return common.creation_time(pod)


def removal_key(pod: Obj) -> tuple[object, ...]:
    """ActivePods.Less, most deletable first: unassigned, Pending, not Ready, Ready most recently, more
    restarts, newer. Upstream leaves ties unspecified; the higher completion index goes first here."""
    ready = common.is_pod_ready(pod)
    ready_since = common.pod_ready_time(pod) if ready else None
    return (
        bool(pod["spec"].get("nodeName")),
        PHASE_RANK.get(common.pod_phase(pod), 3),
        ready,
        -(ready_since or 0.0),
        -restart_count(pod),
        -common.creation_time(pod),
        -(completion_index(pod) or 0),
        pod["metadata"]["name"],
    )


def pods_for_removal(job: Obj, active: list[Obj], at_least: int) -> list[Obj]:
    """Indexed: out-of-range pods and all but one pod per duplicated index first; then by removal_key."""
    doomed: list[Obj] = []
    left = list(active)
    if is_indexed(job):
        left, by_index = [], {}
        for pod in active:
            if in_range(job, pod):
                by_index.setdefault(completion_index(pod), []).append(pod)
            else:
                doomed.append(pod)
        for index in sorted(by_index):
            group = sorted(by_index[index], key=removal_key)
            doomed.extend(group[:-1])
            left.append(group[-1])
    if len(doomed) < at_least:
        doomed.extend(sorted(left, key=removal_key)[: at_least - len(doomed)])
    return doomed


def pod_from_job(job: Obj, index: int | None) -> Obj:
    template = job["spec"]["template"]
    meta = template.get("metadata") or {}
    labels = {**(meta.get("labels") or {}), JOB_NAME_LABEL: job["metadata"]["name"]}
    labels[CONTROLLER_UID_LABEL] = job["metadata"]["uid"]
    annotations = clone(meta.get("annotations") or {})
    prefix = f"{job['metadata']['name']}-"
    if index is not None:
        annotations[COMPLETION_INDEX] = str(index)
        prefix = f"{prefix}{index}-"
    return {
        "apiVersion": "v1",
        "kind": POD,
        "metadata": {
            "generateName": prefix,
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [new_controller_ref(job, JOB)],
            "finalizers": [JOB_TRACKING_FINALIZER],
        },
        "spec": clone(template.get("spec") or {}),
    }

"""manageJob of the simulator's Job controller: deletions before creations, the back-off (the Job's, or
per index with backoffLimitPerIndex), the pods it creates, and the tracking-finalizer removal.

ref: pkg/controller/job/job_controller.go (manageJob, getPodCreationInfoForIndependentIndexes,
deleteJobPods, deleteActivePods, removeTrackingFinalizerPatch), pkg/controller/job/indexed_job_utils.go
(firstPendingIndexes, addIndexFailureCountAnnotation)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..objects import POD, Obj
from ..store import ApiError, NotFound
from . import common
from . import job_backoff as backoff
from . import job_pods as pods_util
from . import job_policies as policies
from .job_policies import Tally
from .replicaset import SLOW_START_INITIAL_BATCH, slow_start_batch

if TYPE_CHECKING:
    from .job import JobController

MAX_PER_SYNC = 500  # MaxPodCreateDeletePerSync


def is_suspended(job: Obj) -> bool:
    return bool(job["spec"].get("suspend"))


def want_active(job: Obj, succeeded: int, active: int) -> int:
    spec = job["spec"]
    parallelism, completions = spec.get("parallelism", 1), spec.get("completions")
    if completions is None:  # a work queue: no new pods once one succeeded
        return active if succeeded > 0 else parallelism
    return max(0, min(completions - succeeded, parallelism))


def manage_job(
    ctl: JobController,
    key: str,
    job: Obj,
    pods: list[Obj],
    active: list[Obj],
    tally: Tally,
    record: tuple[int, float | None],
) -> tuple[int, float | None, set[str]]:
    """Returns (active as the status reports it, requeue delay, names of the pods deleted)."""
    suspended = is_suspended(job)
    want = 0 if suspended else want_active(job, tally.succeeded, len(active))
    doomed = pods_util.pods_for_removal(job, active, max(0, len(active) - want))
    if not suspended:
        doomed = doomed[:MAX_PER_SYNC]  # a suspended Job's pods all go at once
    if doomed:
        ctl.expectations.expect_deletions(key, [p["metadata"]["name"] for p in doomed])
        removed = delete_job_pods(ctl, key, doomed)
        return len(active) - len(removed), None, removed
    terminating = 0
    if job["spec"].get("podReplacementPolicy") == "Failed":
        terminating = sum(1 for p in pods if common.is_pod_terminating(p))
    diff = min(want - terminating - len(active), MAX_PER_SYNC)
    if diff <= 0:
        return len(active), None, set()
    indexes, wait = creation_plan(ctl, job, pods, tally, diff, record)
    if wait > 0:
        return 0, wait, set()  # upstream's manageJob returns 0 active while it waits out the back-off
    ctl.expectations.expect_creations(key, len(indexes))
    queue = iter(indexes)  # batches of 1, 2, 4, ..., stopping after one with an error (slowStartBatch)
    created, error = slow_start_batch(
        len(indexes),
        SLOW_START_INITIAL_BATCH,
        lambda: ctl.client.create(POD, new_pod(job, next(queue), tally)),
    )
    for _ in range(len(indexes) - created):  # failed or skipped: the informer will never see them
        ctl.expectations.creation_observed(key)
    if error is not None:
        ctl.sync_errors.append(error)
    return len(active) + created, None, set()


def creation_plan(
    ctl: JobController, job: Obj, pods: list[Obj], tally: Tally, diff: int, record: tuple[int, float | None]
) -> tuple[list[int | None], float]:
    """The indexes to create now (None for NonIndexed pods), or the back-off still to wait: the Job's
    own, or with backoffLimitPerIndex each pending index's (getPodCreationInfoForIndependentIndexes)."""
    now = ctl.clock.now
    if tally.failed_indexes is None:
        wait = backoff.backoff_remaining(record, now)
        if wait > 0 or tally.done is None:
            return [None] * diff, wait
    taken = (tally.done or set()) | (tally.failed_indexes or set())
    indexes = pods_util.pending_indexes(job, pods, taken, diff)
    if tally.failed_indexes is None:
        return list(indexes), 0.0
    waits = {i: policies.index_wait(tally.held.get(i), now) for i in indexes}
    ready: list[int | None] = [i for i in indexes if waits[i] <= 0]
    return ready, (0.0 if ready or not waits else min(waits.values()))


def new_pod(job: Obj, index: int | None, tally: Tally) -> Obj:
    pod = pods_util.pod_from_job(job, index)
    if index is not None and tally.failed_indexes is not None:
        replaced = tally.held.get(index)
        pod["metadata"]["annotations"].update(policies.new_failure_annotations(job, replaced))
    return pod


def delete_job_pods(ctl: JobController, key: str, pods: list[Obj]) -> set[str]:
    """Remove the tracking finalizer first, then delete: these pods are never counted (deleteJobPods)."""
    removed = set()
    for pod in pods:
        name = pod["metadata"]["name"]
        try:
            strip_tracking_finalizer(ctl, pod)
            ctl.client.delete(POD, name, uid=pod["metadata"]["uid"])
            removed.add(name)
        except NotFound:
            removed.add(name)  # already gone: not an error upstream
        except ApiError as err:
            ctl.expectations.deletion_observed(key, name)
            ctl.sync_errors.append(err)
    return removed


def delete_active_pods(ctl: JobController, key: str, pods: list[Obj]) -> list[Obj]:
    """Delete keeping finalizers: the finished Job counts them as failed (deleteActivePods). Returns the
    pods deleted (or found gone)."""
    deleted = []
    for pod in pods:
        try:
            ctl.client.delete(POD, pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        except NotFound:
            pass
        except ApiError as err:
            ctl.sync_errors.append(err)
            continue
        deleted.append(pod)
    return deleted


def strip_tracking_finalizer(ctl: JobController, pod: Obj) -> bool:
    """A JSON patch upstream: read the pod fresh so a stale cache does not make it conflict."""
    current = ctl.client.get(POD, pod["metadata"]["name"])
    if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
        return False
    if not pods_util.has_tracking_finalizer(current):
        return False
    ctl.client.update(POD, pods_util.without_tracking_finalizer(current))
    return True


def remove_tracking_finalizers(ctl: JobController, key: str, pods: list[Obj]) -> None:
    removing = ctl.removing.setdefault(key, set())
    for pod in pods:
        removing.add(pod["metadata"]["uid"])  # before the write: its event may be delivered at once
        if not strip_tracking_finalizer(ctl, pod):
            removing.discard(pod["metadata"]["uid"])

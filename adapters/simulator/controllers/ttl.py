"""The TTL-after-finished controller: deletes a finished Job ttlSecondsAfterFinished after it finished.

Modelled: the finish time is the Complete/Failed condition's lastTransitionTime; a Job whose TTL has not
expired is requeued for the instant it does; the deletion checks the Job again (fresh read) first.
Not modelled: foreground propagation (the garbage collector removes the pods right after the Job), the
controller's own queue delays, clock skew.
ref: pkg/controller/ttlafterfinished/ttlafterfinished_controller.go (processJob, processTTL, timeLeft,
jobFinishTime, needsCleanup)
"""

from __future__ import annotations

from kubeprops.adapters.kube_objects import parse_time

from ..client import Client
from ..clock import Clock
from ..informer import Informer
from ..objects import JOB, Obj, is_deleting
from ..store import DELETED, ApiError
from .workqueue import WorkQueue


def expires_at(job: Obj) -> float | None:
    """Finish time + ttlSecondsAfterFinished; None while unfinished, without a TTL, or being deleted."""
    ttl = job["spec"].get("ttlSecondsAfterFinished")
    if ttl is None or is_deleting(job):
        return None
    for cond in (job.get("status") or {}).get("conditions") or ():
        if cond["type"] in ("Complete", "Failed") and cond["status"] == "True":
            return parse_time(cond["lastTransitionTime"]) + ttl
    return None


class TTLAfterFinishedController:
    name = "ttl-after-finished"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        informer.add_handler(JOB, self._on_job)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def _on_job(self, type_: str, old: Obj | None, new: Obj) -> None:
        if type_ != DELETED and expires_at(new) is not None:
            self.queue.add(new["metadata"]["name"])

    def run_one(self) -> None:
        key = self.queue.pop()
        job = self.informer.get(JOB, key)
        expiry = expires_at(job) if job is not None else None
        if expiry is None:
            return
        if expiry > self.clock.now:
            self.queue.add_after(key, expiry - self.clock.now)
            return
        fresh = self.client.get(JOB, key)  # processTTL re-reads the Job before deleting it
        if fresh is None or fresh["metadata"]["uid"] != job["metadata"]["uid"] or expires_at(fresh) is None:
            return
        try:
            self.client.delete(JOB, key, uid=fresh["metadata"]["uid"])
        except ApiError:
            self.queue.add_rate_limited(key)

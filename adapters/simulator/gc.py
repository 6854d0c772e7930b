"""Garbage collection: dependents of a vanished controller owner, and pods of a vanished node.

The garbage collector deletes (background propagation) every object whose controller owner no
longer exists; adopting orphans is the controllers' job. Pod GC force-deletes pods bound to a node
that has been gone for the quarantine period, after marking them Failed.
ref: pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem),
pkg/controller/podgc/gc_controller.go (gcOrphaned, quarantineTime = 40s)
"""

from __future__ import annotations

from collections import deque

from kubeprops.adapters.kube_objects import format_time

from .clock import Clock
from .objects import NODE, POD, clone, controller_uid
from .store import ADDED, DELETED, ApiError, Store, WatchEvent

NODE_QUARANTINE_SECONDS = 40.0


def dependents(store: Store, owner: str) -> list[tuple[str, str]]:
    """What the collector deletes once `owner` is gone: every object it controls, whatever their kind (a
    deleted CronJob's Jobs; then, those Jobs gone, their pods). The collector deletes with propagation
    Background, so each dependent's own dependents follow in turn."""
    # ref pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem)
    return list(store.dependents_of(owner))


class GarbageCollector:
    name = "garbage-collector"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._owners: deque[str] = deque()
        store.watch(self.on_watch)

    @property
    def pending(self) -> bool:
        return bool(self._owners)

    def on_watch(self, event: WatchEvent) -> None:
        if event.type == DELETED:
            self._owners.append(event.obj["metadata"]["uid"])
        elif event.type == ADDED:
            owner = controller_uid(event.obj)
            if owner is not None and not self.store.exists_uid(owner):
                self._owners.append(owner)  # created for an owner that is already gone

    def run_one(self) -> None:
        owner = self._owners.popleft()
        if self.store.exists_uid(owner):
            return
        for kind, name in dependents(self.store, owner):
            try:
                self.store.delete(kind, name)
            except ApiError:
                continue


class PodGarbageCollector:
    name = "pod-gc"

    def __init__(self, store: Store, clock: Clock, quarantine: float = NODE_QUARANTINE_SECONDS) -> None:
        self.store = store
        self.clock = clock
        self.quarantine = quarantine
        self._nodes: deque[str] = deque()
        store.watch(self.on_watch)

    @property
    def pending(self) -> bool:
        return bool(self._nodes)

    def on_watch(self, event: WatchEvent) -> None:
        if event.kind == NODE and event.type == DELETED:
            node = event.obj["metadata"]["name"]
            self.clock.call_after(self.quarantine, ("pod-gc", node))

    def node_expired(self, node: str) -> None:
        self._nodes.append(node)

    def run_one(self) -> None:
        node = self._nodes.popleft()
        if self.store.get(NODE, node) is not None:
            return
        for pod in sorted(self.store.list(POD), key=lambda p: p["metadata"]["name"]):
            if pod["spec"].get("nodeName") == node:
                self._fail_and_delete(pod)

    def _fail_and_delete(self, pod: dict) -> None:
        # ref: gc_controller.go (markFailedAndDeletePodWithCondition)
        status = clone(pod.get("status") or {})
        if status.get("phase") not in ("Succeeded", "Failed"):
            status["phase"] = "Failed"
            status.setdefault("conditions", []).append(
                {
                    "type": "DisruptionTarget",
                    "status": "True",
                    "reason": "DeletionByPodGC",
                    "lastTransitionTime": format_time(self.clock.now),
                }
            )
            pod = self.store.update_status(POD, {**pod, "status": status})
        self.store.delete(POD, pod["metadata"]["name"], grace=0)

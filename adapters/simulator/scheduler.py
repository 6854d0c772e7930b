"""A minimal kube-scheduler: binds unscheduled pods to a feasible node, one pod per step.

Feasible: the node exists, passes `node_fit.fits` (not cordoned unless tolerated, nodeSelector and
required node affinity, no untolerated NoSchedule/NoExecute taint) and has fewer
non-terminal pods than its `pods` capacity (110 by default). Preference: fewest pods, then name.
Unschedulable pods wait for a node or pod change (PodScheduled=False/Unschedulable meanwhile).
"""

from __future__ import annotations

from kubeprops.adapters import node_fit
from kubeprops.adapters.kube_objects import format_time

from .objects import NODE, POD, Obj, clone
from .store import DELETED, ApiError, Store, WatchEvent

TERMINAL = ("Succeeded", "Failed")


class Scheduler:
    name = "scheduler"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: dict[str, None] = {}  # insertion-ordered set of pod names
        self._waiting: dict[str, None] = {}
        # non-terminal bound pods per node, kept from the watch (a recount per pod is quadratic)
        self._bound: dict[str, str] = {}  # pod name -> node
        self._load: dict[str, int] = {}
        store.watch(self.on_watch)

    @property
    def pending(self) -> bool:
        return bool(self._queue)

    def on_watch(self, event: WatchEvent) -> None:
        if event.kind == NODE:
            self._retry_waiting()
        elif event.kind == POD:
            self._on_pod(event)

    def _count(self, event: WatchEvent) -> None:
        name, pod = event.obj["metadata"]["name"], event.obj
        node = pod["spec"].get("nodeName")
        counts = event.type != DELETED and node and (pod.get("status") or {}).get("phase") not in TERMINAL
        before = self._bound.pop(name, None)
        if before is not None:
            self._load[before] -= 1
        if counts:
            self._bound[name] = node
            self._load[node] = self._load.get(node, 0) + 1

    def _on_pod(self, event: WatchEvent) -> None:
        self._count(event)
        name, pod = event.obj["metadata"]["name"], event.obj
        if event.type == DELETED or pod["metadata"].get("deletionTimestamp") or pod["spec"].get("nodeName"):
            self._queue.pop(name, None)
            self._waiting.pop(name, None)
            if event.type == DELETED and pod["spec"].get("nodeName"):
                self._retry_waiting()  # capacity freed
            return
        if name not in self._waiting:
            self._queue[name] = None

    def _retry_waiting(self) -> None:
        for name in self._waiting:
            self._queue[name] = None
        self._waiting.clear()

    def run_one(self) -> None:
        name = next(iter(self._queue))
        del self._queue[name]
        pod = self.store.get(POD, name)
        if pod is None or pod["spec"].get("nodeName") or pod["metadata"].get("deletionTimestamp"):
            return
        node = self.pick_node(pod)
        if node is None:
            self._waiting[name] = None
            self._mark_unschedulable(pod)
            return
        try:
            self.store.bind(name, node)
        except ApiError:
            return

    def pick_node(self, pod: Obj) -> str | None:
        load = self._pods_per_node()
        names = node_fit.named_nodes(pod["spec"])
        if names is None:
            nodes = self.store.list(NODE)
        else:  # a pinned pod: only the named nodes can fit
            nodes = [n for n in map(lambda name: self.store.get(NODE, name), sorted(names)) if n is not None]
        feasible = [
            (load.get(node["metadata"]["name"], 0), node["metadata"]["name"])
            for node in nodes
            if node_fit.fits(pod["spec"], node) and load.get(node["metadata"]["name"], 0) < _capacity(node)
        ]
        return min(feasible)[1] if feasible else None

    def _pods_per_node(self) -> dict[str, int]:
        return self._load

    def _mark_unschedulable(self, pod: Obj) -> None:
        status = clone(pod.get("status") or {})
        conditions = status.get("conditions") or []
        if any(c["type"] == "PodScheduled" and c["status"] == "False" for c in conditions):
            return
        status["conditions"] = [c for c in conditions if c["type"] != "PodScheduled"] + [
            {
                "type": "PodScheduled",
                "status": "False",
                "reason": "Unschedulable",
                "message": "0/N nodes are available",
                "lastTransitionTime": format_time(self.store.clock.now),
            }
        ]
        self.store.update_status(POD, {**pod, "status": status})


def _capacity(node: Obj) -> int:
    return int(((node.get("status") or {}).get("allocatable") or {}).get("pods", "110"))

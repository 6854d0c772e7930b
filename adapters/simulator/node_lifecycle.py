"""The node lifecycle controller's tainting and the taint eviction controller, as one actor.

Tainting: the taints a node's state implies are kept in `spec.taints` next to the user's:
`node.kubernetes.io/unschedulable:NoSchedule` while cordoned, `not-ready` (Ready=False) or `unreachable`
(Ready=Unknown) with both NoSchedule and NoExecute. Eviction: a pod bound to a node with a NoExecute taint
it does not tolerate is deleted (gracefully), daemon pods included.

Not modelled: tolerationSeconds (a toleration tolerates forever; DefaultTolerationSeconds admission is
not simulated, so non-daemon pods are evicted from a NotReady node at once), eviction rate limits,
zone disruption states, the grace period before a silent node is declared Unknown.
ref: pkg/controller/nodelifecycle/node_lifecycle_controller.go (doNoScheduleTaintingPass,
doNoExecuteTaintingPass), pkg/controller/tainteviction/taint_eviction.go (processPodOnNode)
"""

from __future__ import annotations

from collections import deque

from . import node_fit
from .objects import NODE, POD, Obj, clone
from .store import DELETED, ApiError, Store, WatchEvent

UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
NOT_READY = "node.kubernetes.io/not-ready"
UNREACHABLE = "node.kubernetes.io/unreachable"
MANAGED = (UNSCHEDULABLE, NOT_READY, UNREACHABLE)


def ready_status(node: Obj) -> str:
    conditions = (node.get("status") or {}).get("conditions") or ()
    ready = next((c for c in conditions if c["type"] == "Ready"), None)
    return "Unknown" if ready is None else ready["status"]


def derived_taints(node: Obj) -> list[Obj]:
    taints = []
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append({"key": UNSCHEDULABLE, "effect": "NoSchedule"})
    status = ready_status(node)
    if status != "True":
        key = NOT_READY if status == "False" else UNREACHABLE
        taints += [{"key": key, "effect": "NoSchedule"}, {"key": key, "effect": "NoExecute"}]
    return taints


def with_derived_taints(node: Obj) -> list[Obj]:
    user = [t for t in node_fit.taints_of(node) if t["key"] not in MANAGED]
    return user + derived_taints(node)


class NodeLifecycle:
    name = "node-lifecycle"

    def __init__(self, store: Store) -> None:
        self.store = store
        self._nodes: deque[str] = deque()
        self._pods: deque[str] = deque()
        store.watch(self.on_watch)

    @property
    def pending(self) -> bool:
        return bool(self._nodes or self._pods)

    def on_watch(self, event: WatchEvent) -> None:
        if event.type == DELETED:
            return
        if event.kind == NODE:
            self._nodes.append(event.obj["metadata"]["name"])
        elif event.kind == POD and event.obj["spec"].get("nodeName"):
            old_node = (event.old or {}).get("spec", {}).get("nodeName") if event.old else None
            if old_node != event.obj["spec"]["nodeName"]:
                self._pods.append(event.obj["metadata"]["name"])  # just bound

    def run_one(self) -> None:
        if self._nodes:
            node = self.store.get(NODE, self._nodes.popleft())
            if node is not None:
                self._taint(node)
            return
        pod = self.store.get(POD, self._pods.popleft())
        if pod is not None:
            node = self.store.get(NODE, pod["spec"]["nodeName"])
            if node is not None:
                self._evict_if_untolerated(pod, node)

    def _taint(self, node: Obj) -> None:
        wanted = with_derived_taints(node)
        if wanted != node_fit.taints_of(node):
            edited = clone(node)
            if wanted:
                edited["spec"]["taints"] = wanted
            else:
                edited["spec"].pop("taints", None)
            self.store.update(NODE, edited)
            return  # the update comes back as an event: eviction runs on the tainted node
        for pod in self.store.list(POD):
            if pod["spec"].get("nodeName") == node["metadata"]["name"]:
                self._evict_if_untolerated(pod, node)

    def _evict_if_untolerated(self, pod: Obj, node: Obj) -> None:
        if pod["metadata"].get("deletionTimestamp"):
            return
        tolerations = list(pod["spec"].get("tolerations") or ())
        if node_fit.untolerated_taint(node_fit.taints_of(node), tolerations, node_fit.execute_effect) is None:
            return
        try:
            self.store.delete(POD, pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        except ApiError:
            return

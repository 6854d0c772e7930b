"""The node lifecycle controller's tainting and the taint eviction controller, as one actor.

Tainting: the taints a node's state implies are kept in `spec.taints` next to the user's:
`node.kubernetes.io/unschedulable:NoSchedule` while cordoned, `not-ready` (Ready=False) or `unreachable`
(Ready=Unknown) with both NoSchedule and NoExecute. Eviction: a pod bound to a node with a NoExecute taint
it does not tolerate is deleted (gracefully) at once, daemon pods included; when every NoExecute taint is
tolerated, the pod is deleted once the shortest `tolerationSeconds` of the tolerations used has passed
(counted from when the eviction was first scheduled; removing the taints cancels it). Pods get 300 s
tolerations of not-ready / unreachable at admission (`admission.default_toleration_seconds`).

Not modelled: eviction rate limits, zone disruption states, the grace period before a silent node is
declared Unknown.
ref: pkg/controller/nodelifecycle/node_lifecycle_controller.go (doNoScheduleTaintingPass,
doNoExecuteTaintingPass), pkg/controller/tainteviction/taint_eviction.go (processPodOnNode)
"""

from __future__ import annotations

from collections import deque

from kubeprops.adapters import node_fit

from .clock import Clock
from .objects import NODE, POD, Obj, clone
from .store import DELETED, ApiError, Store, WatchEvent

EVICT = "taint-eviction"  # timer kind: (EVICT, pod name, pod uid)

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

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._nodes: deque[str] = deque()
        self._pods: deque[str] = deque()
        self._evictions: dict[str, tuple[float, float]] = {}  # pod uid -> (scheduled at, due at)
        store.watch(self.on_watch)

    @property
    def pending(self) -> bool:
        return bool(self._nodes or self._pods)

    def on_watch(self, event: WatchEvent) -> None:
        if event.type == DELETED:
            if event.kind == POD:
                self._evictions.pop(event.obj["metadata"]["uid"], None)
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
                self._process_pod(pod, node)

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
                self._process_pod(pod, node)

    def _process_pod(self, pod: Obj, node: Obj) -> None:
        """ref: pkg/controller/tainteviction/taint_eviction.go (processPodOnNode)"""
        uid = pod["metadata"]["uid"]
        taints = [t for t in node_fit.taints_of(node) if node_fit.execute_effect(t)]
        used = used_tolerations(taints, list(pod["spec"].get("tolerations") or ()))
        if not taints or used is None:
            self._evictions.pop(uid, None)
            if taints:  # a NoExecute taint it does not tolerate: out now
                self._delete(pod["metadata"]["name"], uid)
            return
        seconds = min_toleration_seconds(used)
        if seconds is None:  # tolerated forever
            self._evictions.pop(uid, None)
            return
        now = self.clock.now
        scheduled = self._evictions.get(uid)
        if scheduled is not None and scheduled[0] < now:
            return  # the eviction scheduled earlier stands
        self._evictions[uid] = (now if scheduled is None else scheduled[0], now + seconds)
        self.clock.call_after(seconds, (EVICT, pod["metadata"]["name"], uid))

    def evict_due(self, name: str, uid: str) -> None:
        """A scheduled eviction's timer: delete the pod unless the eviction was cancelled or moved."""
        scheduled = self._evictions.get(uid)
        if scheduled is not None and scheduled[1] <= self.clock.now:
            del self._evictions[uid]
            self._delete(name, uid)

    def eviction_scheduled(self, uid: str) -> bool:
        return uid in self._evictions

    def _delete(self, name: str, uid: str) -> None:
        pod = self.store.get(POD, name)
        if pod is None or pod["metadata"]["uid"] != uid or pod["metadata"].get("deletionTimestamp"):
            return
        try:
            self.store.delete(POD, name, uid=uid)
        except ApiError:
            return


def used_tolerations(taints: list[Obj], tolerations: list[Obj]) -> list[Obj] | None:
    """The first toleration matching each taint; None when a taint has none.
    ref: pkg/apis/core/v1/helper/helpers.go (GetMatchingTolerations)"""
    used = []
    for taint in taints:
        match = next((t for t in tolerations if node_fit.tolerates(t, taint)), None)
        if match is None:
            return None
        used.append(match)
    return used


def min_toleration_seconds(used: list[Obj]) -> float | None:
    """The shortest tolerationSeconds (0 for any value <= 0); None when all tolerate forever.
    ref: pkg/controller/tainteviction/taint_eviction.go (getMinTolerationTime)"""
    limits = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not used:
        return 0.0
    return None if not limits else float(max(0, min(limits)))

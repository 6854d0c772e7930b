"""Virtual nodes: Node objects we register and keep alive, and a kubelet stand-in for their pods.

One background thread per adapter (the adapter is I/O by nature; the thread is stopped in `stop`):
it reads the pods from the adapter's watch cache and plays the kubelet for those bound to our nodes,
then sleeps on the cache until the next event, the next time a pod of ours is due (a Ready delay, the
end of a grace period: `pod_status.next_due`) or the next heartbeat. Every HEARTBEAT seconds it renews
each node's Lease in kube-node-lease and its Ready condition, without which the node lifecycle
controller marks it NotReady and taints it after ~40 s.

Nodes are tainted `kubeprops.io/virtual=<run>:NoSchedule` and labelled `kubeprops.io/run=<run>`, so no
foreign pod lands on them and our pods (which tolerate and select them) land nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence

from . import pod_status as ps
from .client import Api, Conflict, NotFound, Obj
from .watch_cache import WatchCache

log = logging.getLogger(__name__)

RETRY = 1.0  # seconds before the next pass after a failed one (the events it waited for may be past)
HEARTBEAT = 10.0
LEASE_SECONDS = 40
LEASE_NAMESPACE = "kube-node-lease"
RUN_LABEL = "kubeprops.io/run"
TAINT_KEY = "kubeprops.io/virtual"
NODE_PODS = 110


def node_body(name: str, run: str, extra_labels: Iterable[tuple[str, str]], now: float) -> Obj:
    labels = {"kubernetes.io/hostname": name, RUN_LABEL: run, **dict(extra_labels)}
    capacity = {"pods": str(NODE_PODS), "cpu": "64", "memory": "256Gi"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": [{"key": TAINT_KEY, "value": run, "effect": "NoSchedule"}]},
        "status": {"capacity": capacity, "allocatable": capacity, "conditions": [ready_condition(now)]},
    }


# What our kubelet posts for each Ready status (SetNodeReady): reason and message, as the kubelet and the
# node lifecycle controller word them (pkg/kubelet/nodestatus/setters.go ReadyCondition,
# pkg/controller/nodelifecycle/node_lifecycle_controller.go tryUpdateNodeHealth).
READY_WORDING = {
    "True": ("KubeletReady", "kubeprops virtual kubelet is posting ready status"),
    "False": ("KubeletNotReady", "kubeprops: container runtime is down"),
    "Unknown": ("NodeStatusUnknown", "Kubelet stopped posting node status."),
}


def ready_condition(now: float, status: str = "True") -> Obj:
    reason, message = READY_WORDING[status]
    return {
        "type": "Ready",
        "status": status,
        "reason": reason,
        "message": message,
        "lastHeartbeatTime": ps.stamp(now),
        "lastTransitionTime": ps.stamp(now),
    }


def next_ready_condition(current: Obj | None, status: str, now: float) -> Obj:
    """The Ready condition to post: lastTransitionTime moves only when the status changes."""
    condition = ready_condition(now, status)
    for cond in (current or {}).get("status", {}).get("conditions") or ():
        if cond["type"] == "Ready" and cond["status"] == status:
            condition["lastTransitionTime"] = cond.get("lastTransitionTime", condition["lastTransitionTime"])
    return condition


def micro(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


class VirtualKubelet:
    def __init__(
        self,
        api: Api,
        cache: WatchCache,
        namespace: str,
        run: str,
        chores: Sequence[Callable[[], None]] = (),
    ) -> None:
        self.api = api
        self.cache = cache
        self.chores = tuple(
            chores
        )  # more work for the same loop, on the same events (the volume provisioner)
        self.namespace = namespace
        self.run = run
        self.nodes: dict[str, str] = {}  # API node name -> uid
        self.node_ready: dict[str, str] = {}  # API node name -> the Ready status it posts
        self.lock = threading.Lock()
        self.probe_failing: set[str] = set()  # pod uids
        self.forced_ready: set[str] = set()
        self.started: dict[str, float] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0

    # ------------------------------------------------------------ nodes

    def add_node(
        self, name: str, extra_labels: Iterable[tuple[str, str]] = (), spec: Obj | None = None
    ) -> None:
        """Register a node in one write (as `--register-with-taints` does): our taint plus `spec`'s."""
        now = time.time()
        body = node_body(name, self.run, extra_labels, now)
        body["spec"]["taints"] += (spec or {}).get("taints") or []
        body["spec"].update({k: v for k, v in (spec or {}).items() if k != "taints"})
        node = self.api.create("Node", "", body)
        with self.lock:
            self.nodes[name] = node["metadata"]["uid"]
            self.node_ready[name] = "True"
        # Node create drops nothing of status today, but the status subresource is the kubelet's
        # documented way, so write it there too.
        self.api.merge_patch("Node", "", name, {"status": body["status"]}, "status")
        self._renew_lease(name, node["metadata"]["uid"], now)

    def remove_node(self, name: str) -> None:
        with self.lock:
            self.nodes.pop(name, None)
            self.node_ready.pop(name, None)
        self.api.delete("Node", "", name)
        self.api.delete("Lease", LEASE_NAMESPACE, name)

    def set_node_ready(self, name: str, status: str) -> None:
        """Post Ready=`status` now. False: the kubelet runs (Lease renewed) but reports NotReady. Unknown:
        the kubelet is gone, so the Lease is no longer renewed and nothing is posted after this write
        (which the node lifecycle controller would make itself once the Lease expired)."""
        with self.lock:
            if name not in self.nodes:
                return
            self.node_ready[name] = status
            uid = self.nodes[name]
        now = time.time()
        if status != "Unknown":
            self._renew_lease(name, uid, now)
        self._post_ready(name, now)

    def _post_ready(self, name: str, now: float) -> None:
        with self.lock:
            status = self.node_ready.get(name, "True")
        current = self.api.get("Node", "", name)
        if current is None:
            return
        condition = next_ready_condition(current, status, now)
        self.api.merge_patch("Node", "", name, {"status": {"conditions": [condition]}}, "status")

    def _renew_lease(self, name: str, uid: str, now: float) -> None:
        spec = {"holderIdentity": name, "leaseDurationSeconds": LEASE_SECONDS, "renewTime": micro(now)}
        try:
            self.api.merge_patch("Lease", LEASE_NAMESPACE, name, {"spec": spec})
        except NotFound:
            owner = {"apiVersion": "v1", "kind": "Node", "name": name, "uid": uid}
            meta = {"name": name, "labels": {RUN_LABEL: self.run}, "ownerReferences": [owner]}
            body = {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease", "metadata": meta, "spec": spec}
            self.api.create("Lease", LEASE_NAMESPACE, body)

    def heartbeat(self) -> None:
        now = time.time()
        with self.lock:
            alive = {n: uid for n, uid in self.nodes.items() if self.node_ready.get(n) != "Unknown"}
        for name, uid in alive.items():
            self._renew_lease(name, uid, now)
            self._post_ready(name, now)

    # ------------------------------------------------------------ pods

    def mine(self, pod: Obj) -> bool:
        with self.lock:
            return pod.get("spec", {}).get("nodeName", "") in self.nodes

    def facts(self, pod: Obj) -> tuple[float | None, bool, bool, bool]:
        uid, node = pod["metadata"]["uid"], pod.get("spec", {}).get("nodeName", "")
        with self.lock:
            ready_node = self.node_ready.get(node, "True") == "True"
            return self.started.get(uid), uid in self.probe_failing, uid in self.forced_ready, ready_node

    def waiting(self, pod: Obj, now: float) -> bool:
        return self.mine(pod) and ps.waiting(pod, now, *self.facts(pod))

    def play(self, pod: Obj, now: float) -> None:
        action = ps.due_action(pod, now, *self.facts(pod))
        meta = pod["metadata"]
        if action == ps.FINISH:
            self.api.delete(
                "Pod", self.namespace, meta["name"], gracePeriodSeconds=0, preconditions={"uid": meta["uid"]}
            )
        elif action == ps.KILL:
            self.api.update("Pod", self.namespace, ps.terminated(pod, now, ps.KILLED), "status")
        elif action == ps.UNREADY:
            self.api.update("Pod", self.namespace, ps.with_readiness(pod, False, now), "status")
        elif action == ps.START:
            _, failing, _, node_ready = self.facts(pod)
            ready = ps.ready_after(pod) == 0 and not failing and node_ready
            self.api.update("Pod", self.namespace, ps.started(pod, now, ready), "status")
            with self.lock:
                self.started[meta["uid"]] = now
        elif action == ps.READY:
            self.api.update("Pod", self.namespace, ps.with_readiness(pod, True, now), "status")

    def sync_once(self) -> float | None:
        """Play every pod of ours that is due; returns the next time one is due with no event (or None)."""
        now = time.time()
        due: list[float] = []
        for pod in self.cache.read().objects["Pod"]:
            if self.mine(pod):
                # changed or gone under us: its event wakes the loop again with the new version
                with contextlib.suppress(Conflict, NotFound):
                    self.play(pod, now)
                when = ps.next_due(pod, now, self.facts(pod)[0])
                if when is not None:
                    due.append(when)
        return min(due, default=None)

    # ------------------------------------------------------------ world actions (from the adapter)

    def write_pod(self, name: str, change: str) -> None:
        """fail / unready / ready / crash one pod, retrying on conflicts with our own thread's writes."""
        for _ in range(20):
            pod = self.api.get("Pod", self.namespace, name)
            if pod is None or not self.mine(pod):
                return
            uid, now = pod["metadata"]["uid"], time.time()
            running = ps.phase(pod) == "Running"
            with self.lock:
                if change == "unready":
                    self.probe_failing.add(uid)
                elif change == "ready":
                    self.probe_failing.discard(uid)
                    self.forced_ready.add(uid)
                elif change == "crash" and running:  # the restarted container's delay starts now
                    self.forced_ready.discard(uid)
                    self.started[uid] = now
            self.cache.poke()  # what the loop plays next may have changed even if we write nothing
            if not running and change != "fail":
                return
            if change == "crash":
                try:
                    self.api.update("Pod", self.namespace, ps.crashed(pod, now), "status")
                    return
                except Conflict:
                    continue
            ready = change == "ready" and self.facts(pod)[3]  # not Ready on a node that is not Ready
            new = ps.failed(pod, now) if change == "fail" else ps.with_readiness(pod, ready, now)
            try:
                self.api.update("Pod", self.namespace, new, "status")
                return
            except Conflict:
                continue

    def exit_pod(self, name: str, code: int, condition: str | None = None) -> None:
        """The pod's container exits `code` now (see `pod_status.exit_status`); a Job pod's end."""
        for _ in range(20):
            pod = self.api.get("Pod", self.namespace, name)
            if pod is None or not self.mine(pod) or ps.phase(pod) != "Running":
                return
            now = time.time()
            ended = ps.exit_status(pod, now, code, condition)
            if ps.phase(ended) == "Running":  # restarted in place: its readiness delay starts again now
                with self.lock:
                    self.forced_ready.discard(pod["metadata"]["uid"])
                    self.started[pod["metadata"]["uid"]] = now
            try:
                self.api.update("Pod", self.namespace, ended, "status")
                return
            except Conflict:
                continue

    # ------------------------------------------------------------ thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"kubeprops-kubelet-{self.run}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            seen = self.cache.version  # read before the pass: an event during it wakes the next at once
            wake = self._last_beat + HEARTBEAT
            try:
                if time.monotonic() >= wake:
                    self._last_beat = time.monotonic()
                    wake = self._last_beat + HEARTBEAT
                    self.heartbeat()
                due = self.sync_once()
                for chore in self.chores:
                    chore()
                if due is not None:
                    wake = min(wake, time.monotonic() + due - time.time())
            except Exception:  # keep playing: one failed request must not stop every node's kubelet
                self.errors += 1
                log.exception("virtual kubelet %s: sync failed", self.run)
                wake = min(wake, time.monotonic() + RETRY)
            self.cache.wait(seen, wake - time.monotonic())

    def stop(self) -> None:
        self._stop.set()
        self.cache.poke()  # wake the loop so it sees the stop
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

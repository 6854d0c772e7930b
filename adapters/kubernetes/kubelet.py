"""Virtual nodes: Node objects we register and keep alive, and a kubelet stand-in for their pods.

One background thread per adapter (the adapter is I/O by nature; the thread is stopped in `stop`):
it polls the run's namespace every POLL seconds (a local apiserver answers a small list in about a
millisecond, so reactions are prompt and we need no watch bookkeeping) and plays the kubelet for pods
bound to our nodes; every HEARTBEAT seconds it renews each node's Lease in kube-node-lease and its Ready
condition, without which the node lifecycle controller marks it NotReady and taints it after ~40 s.

Nodes are tainted `kubeprops.io/virtual=<run>:NoSchedule` and labelled `kubeprops.io/run=<run>`, so no
foreign pod lands on them and our pods (which tolerate and select them) land nowhere else.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterable

from . import pod_status as ps
from .client import Api, Conflict, NotFound, Obj

log = logging.getLogger(__name__)

POLL = 0.1
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


def ready_condition(now: float) -> Obj:
    return {
        "type": "Ready",
        "status": "True",
        "reason": "KubeletReady",
        "message": "kubeprops virtual kubelet is posting ready status",
        "lastHeartbeatTime": ps.stamp(now),
        "lastTransitionTime": ps.stamp(now),
    }


def micro(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


class VirtualKubelet:
    def __init__(self, api: Api, namespace: str, run: str) -> None:
        self.api = api
        self.namespace = namespace
        self.run = run
        self.nodes: dict[str, str] = {}  # API node name -> uid
        self.lock = threading.Lock()
        self.probe_failing: set[str] = set()  # pod uids
        self.forced_ready: set[str] = set()
        self.started: dict[str, float] = {}
        self.errors = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = 0.0

    # ------------------------------------------------------------ nodes

    def add_node(self, name: str, extra_labels: Iterable[tuple[str, str]] = ()) -> None:
        now = time.time()
        node = self.api.create("Node", "", node_body(name, self.run, extra_labels, now))
        with self.lock:
            self.nodes[name] = node["metadata"]["uid"]
        # Node create drops nothing of status today, but the status subresource is the kubelet's
        # documented way, so write it there too.
        self.api.merge_patch(
            "Node", "", name, {"status": node_body(name, self.run, (), now)["status"]}, "status"
        )
        self._renew_lease(name, node["metadata"]["uid"], now)

    def remove_node(self, name: str) -> None:
        with self.lock:
            self.nodes.pop(name, None)
        self.api.delete("Node", "", name)
        self.api.delete("Lease", LEASE_NAMESPACE, name)

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
            nodes = dict(self.nodes)
        for name, uid in nodes.items():
            self._renew_lease(name, uid, now)
            condition = {**ready_condition(now)}
            current = self.api.get("Node", "", name)
            if current is None:
                continue
            for cond in (current.get("status") or {}).get("conditions") or ():
                if cond["type"] == "Ready" and cond["status"] == "True":
                    condition["lastTransitionTime"] = cond.get(
                        "lastTransitionTime", condition["lastTransitionTime"]
                    )
            self.api.merge_patch("Node", "", name, {"status": {"conditions": [condition]}}, "status")

    # ------------------------------------------------------------ pods

    def mine(self, pod: Obj) -> bool:
        with self.lock:
            return pod.get("spec", {}).get("nodeName", "") in self.nodes

    def facts(self, pod: Obj) -> tuple[float | None, bool, bool]:
        uid = pod["metadata"]["uid"]
        with self.lock:
            return self.started.get(uid), uid in self.probe_failing, uid in self.forced_ready

    def waiting(self, pod: Obj, now: float) -> bool:
        return self.mine(pod) and ps.waiting(pod, now, *self.facts(pod))

    def play(self, pod: Obj, now: float) -> None:
        action = ps.due_action(pod, now, *self.facts(pod))
        meta = pod["metadata"]
        if action == ps.FINISH:
            self.api.delete(
                "Pod", self.namespace, meta["name"], gracePeriodSeconds=0, preconditions={"uid": meta["uid"]}
            )
        elif action == ps.START:
            delay = ps.ready_after(pod)
            ready = delay == 0 and not self.facts(pod)[1]
            self.api.update("Pod", self.namespace, ps.started(pod, now, ready), "status")
            with self.lock:
                self.started[meta["uid"]] = now
        elif action == ps.READY:
            self.api.update("Pod", self.namespace, ps.with_readiness(pod, True, now), "status")

    def sync_once(self) -> None:
        now = time.time()
        for pod in self.api.list("Pod", self.namespace):
            if self.mine(pod):
                # changed or gone under us: the next poll sees the new version
                with contextlib.suppress(Conflict, NotFound):
                    self.play(pod, now)

    # ------------------------------------------------------------ world actions (from the adapter)

    def write_pod(self, name: str, change: str) -> None:
        """fail / unready / ready one pod, retrying on conflicts with our own thread's writes."""
        for _ in range(20):
            pod = self.api.get("Pod", self.namespace, name)
            if pod is None or not self.mine(pod):
                return
            uid, now = pod["metadata"]["uid"], time.time()
            with self.lock:
                if change == "unready":
                    self.probe_failing.add(uid)
                elif change == "ready":
                    self.probe_failing.discard(uid)
                    self.forced_ready.add(uid)
            if ps.phase(pod) != "Running" and change != "fail":
                return
            new = ps.failed(pod, now) if change == "fail" else ps.with_readiness(pod, change == "ready", now)
            try:
                self.api.update("Pod", self.namespace, new, "status")
                return
            except Conflict:
                continue

    # ------------------------------------------------------------ thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name=f"kubeprops-kubelet-{self.run}", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                if time.monotonic() - self._last_beat >= HEARTBEAT:
                    self._last_beat = time.monotonic()
                    self.heartbeat()
                self.sync_once()
            except Exception:  # keep playing: one failed request must not stop every node's kubelet
                self.errors += 1
                log.exception("virtual kubelet %s: sync failed", self.run)
            self._stop.wait(POLL)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

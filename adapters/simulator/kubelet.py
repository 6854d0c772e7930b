"""A kubelet per node: starts bound pods, flips readiness, finishes graceful deletions.

A bound pod turns Running at once; it turns Ready `kubeprops.io/ready-after` seconds later (at once
for 0, never for `never`). A pod with a deletionTimestamp is removed when the grace period is over.
World actions (fail / unready / ready) rewrite the pod status the way a failing container or
readiness probe would. No restarts, no probes beyond that, no resource accounting.
"""

from __future__ import annotations

from collections import deque

from kubeprops.adapters.kube_objects import NEVER, READY_AFTER, format_time, parse_time

from .clock import Clock
from .objects import POD, Obj, clone
from .store import DELETED, Store, WatchEvent

START, READY, FINISH = "start", "ready", "finish"


def ready_after(pod: Obj) -> float | None:
    raw = (pod["metadata"].get("annotations") or {}).get(READY_AFTER, "0")
    return None if raw == NEVER else float(raw)


def set_condition(status: Obj, type_: str, value: bool, now: float) -> None:
    """Set a pod condition, moving lastTransitionTime only when the status changes."""
    wanted = "True" if value else "False"
    conditions = status.setdefault("conditions", [])
    for i, cond in enumerate(conditions):
        if cond["type"] == type_:
            if cond["status"] != wanted:
                conditions[i] = {"type": type_, "status": wanted, "lastTransitionTime": format_time(now)}
            return
    conditions.append({"type": type_, "status": wanted, "lastTransitionTime": format_time(now)})


class Kubelet:
    def __init__(self, node: str, store: Store, clock: Clock) -> None:
        self.node = node
        self.name = f"kubelet/{node}"
        self.store = store
        self.clock = clock
        self.work: deque[tuple[str, str, str]] = deque()  # (action, pod name, pod uid)
        self._seen: set[str] = set()
        self._finishing: set[str] = set()
        self.probe_failing: set[str] = set()
        self.alive = True

    @property
    def pending(self) -> bool:
        return bool(self.work)

    def on_pod(self, event: WatchEvent) -> None:
        pod = event.obj
        meta = pod["metadata"]
        uid = meta["uid"]
        if event.type == DELETED:
            self._seen.discard(uid)
            self._finishing.discard(uid)
            self.probe_failing.discard(uid)
            return
        if meta.get("deletionTimestamp"):
            if uid not in self._finishing:
                self._finishing.add(uid)
                when = parse_time(meta["deletionTimestamp"])
                self.clock.call_at(when, ("kubelet", self.node, FINISH, meta["name"], uid))
            return
        if uid not in self._seen and (pod.get("status") or {}).get("phase", "Pending") == "Pending":
            self._seen.add(uid)
            self.work.append((START, meta["name"], uid))

    def queue(self, action: str, name: str, uid: str) -> None:
        if self.alive:
            self.work.append((action, name, uid))

    def run_one(self) -> None:
        action, name, uid = self.work.popleft()
        pod = self.store.get(POD, name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        if action == FINISH:
            self.store.remove(POD, name)
        elif not pod["metadata"].get("deletionTimestamp"):
            {START: self._start, READY: self._become_ready}[action](pod)

    def _write(self, pod: Obj, status: Obj) -> None:
        self.store.update_status(POD, {**pod, "status": status})

    def _start(self, pod: Obj) -> None:
        now = self.clock.now
        delay = ready_after(pod)
        ready = delay == 0 and pod["metadata"]["uid"] not in self.probe_failing
        status = clone(pod.get("status") or {})
        status.update(phase="Running", startTime=format_time(now))
        for type_, value in (("Initialized", True), ("ContainersReady", ready), ("Ready", ready)):
            set_condition(status, type_, value, now)
        image = pod["spec"]["containers"][0]["image"]
        status["containerStatuses"] = [
            {
                "name": "app",
                "image": image,
                "ready": ready,
                "restartCount": 0,
                "started": True,
                "state": {"running": {"startedAt": format_time(now)}},
            }
        ]
        self._write(pod, status)
        if delay:
            uid, name = pod["metadata"]["uid"], pod["metadata"]["name"]
            self.clock.call_after(delay, ("kubelet", self.node, READY, name, uid))

    def _become_ready(self, pod: Obj) -> None:
        if (
            pod["metadata"]["uid"] in self.probe_failing
            or (pod.get("status") or {}).get("phase") != "Running"
        ):
            return
        self.set_ready(pod, True)

    def set_ready(self, pod: Obj, value: bool) -> None:
        now = self.clock.now
        status = clone(pod.get("status") or {})
        set_condition(status, "ContainersReady", value, now)
        set_condition(status, "Ready", value, now)
        for container in status.get("containerStatuses") or ():
            container["ready"] = value
        self._write(pod, status)

    # ------------------------------------------------------------ world actions

    def fail(self, pod: Obj) -> None:
        now = self.clock.now
        status = clone(pod.get("status") or {})
        status["phase"] = "Failed"
        set_condition(status, "ContainersReady", False, now)
        set_condition(status, "Ready", False, now)
        for container in status.get("containerStatuses") or ():
            container.update(
                ready=False,
                started=False,
                state={"terminated": {"exitCode": 1, "reason": "Error", "finishedAt": format_time(now)}},
            )
        self._write(pod, status)

    def make_unready(self, pod: Obj) -> None:
        self.probe_failing.add(pod["metadata"]["uid"])
        if (pod.get("status") or {}).get("phase") == "Running":
            self.set_ready(pod, False)

    def make_ready(self, pod: Obj) -> None:
        self.probe_failing.discard(pod["metadata"]["uid"])
        if (pod.get("status") or {}).get("phase") == "Running":
            self.set_ready(pod, True)

"""A kubelet per node: starts bound pods, flips readiness, finishes graceful deletions.

A bound pod turns Running at once; it turns Ready `kubeprops.io/ready-after` seconds later (at once
for 0, never for `never`). A pod with a deletionTimestamp is removed when the grace period is over.
World actions (fail / unready / ready / crash) rewrite the pod status the way a failing container,
readiness probe or crashing container would. A crash restarts the container at once (restartCount + 1);
the pod turns Ready again `ready-after` seconds after the restart. The kubelet's crash-loop back-off is
not played: the kubelet is part of the harness here, not of what is checked. No resource accounting.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

from kubeprops.adapters.kube_objects import NEVER, READY_AFTER, format_time, parse_time

from .clock import Clock
from .objects import POD, Obj, clone
from .store import DELETED, Store, WatchEvent

START, READY, FINISH = "start", "ready", "finish"
REFRESH = "refresh"  # re-derive readiness after the node's Ready condition changed


def ready_after(pod: Obj) -> float | None:
    raw = (pod["metadata"].get("annotations") or {}).get(READY_AFTER, "0")
    return None if raw == NEVER else float(raw)


def container_started(pod: Obj) -> float | None:
    """When the pod's (only) container last started: its running state, else the pod's startTime."""
    status = pod.get("status") or {}
    for container in status.get("containerStatuses") or ():
        started = ((container.get("state") or {}).get("running") or {}).get("startedAt")
        if started:
            return parse_time(started)
    return parse_time(status["startTime"]) if status.get("startTime") else None


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
        # The node's Ready condition: while it is not True the pods here are not Ready (the node
        # lifecycle controller marks them so); once it is True again they are Ready when due.
        self.node_ready = True
        self.forced_ready: set[str] = set()  # pods a `ready` action made Ready whatever their delay
        self.on_work: Callable[[str], None] | None = None  # told this node's name when work arrives

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
            self.forced_ready.discard(uid)
            return
        if meta.get("deletionTimestamp"):
            if uid not in self._finishing:
                self._finishing.add(uid)
                when = parse_time(meta["deletionTimestamp"])
                self.clock.call_at(when, ("kubelet", self.node, FINISH, meta["name"], uid))
            return
        if uid not in self._seen and (pod.get("status") or {}).get("phase", "Pending") == "Pending":
            self._seen.add(uid)
            self._push((START, meta["name"], uid))

    def queue(self, action: str, name: str, uid: str) -> None:
        if self.alive:
            self._push((action, name, uid))

    def _push(self, item: tuple[str, str, str]) -> None:
        self.work.append(item)
        if self.on_work is not None:
            self.on_work(self.node)

    def run_one(self) -> None:
        action, name, uid = self.work.popleft()
        pod = self.store.get(POD, name)
        if pod is None or pod["metadata"]["uid"] != uid:
            return
        if action == FINISH:
            self._terminate_held(pod)
            self.store.remove(POD, name)
        elif not pod["metadata"].get("deletionTimestamp"):
            {START: self._start, READY: self._become_ready, REFRESH: self._refresh}[action](pod)

    def _write(self, pod: Obj, status: Obj) -> None:
        self.store.update_status(POD, {**pod, "status": status})

    def _start(self, pod: Obj) -> None:
        now = self.clock.now
        delay = ready_after(pod)
        ready = delay == 0 and pod["metadata"]["uid"] not in self.probe_failing and self.node_ready
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

    def _ready_due(self, pod: Obj) -> bool:
        """Whether the running container has been up `ready-after` seconds (a crash restarts the count)."""
        delay = ready_after(pod)
        started = container_started(pod)
        # timestamps are exact to the nanosecond; the clock's float sums are not
        return delay is not None and started is not None and started + delay <= self.clock.now + 1e-6

    def _become_ready(self, pod: Obj) -> None:
        if (
            pod["metadata"]["uid"] in self.probe_failing
            or (pod.get("status") or {}).get("phase") != "Running"
            or not self.node_ready
            or not self._ready_due(pod)  # a timer set before a crash
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

    def set_node_ready(self, value: bool) -> None:
        """The node's Ready condition changed: re-derive every bound pod's readiness."""
        self.node_ready = value
        for pod in self.store.list(POD):
            if pod["spec"].get("nodeName") == self.node:
                self.queue(REFRESH, pod["metadata"]["name"], pod["metadata"]["uid"])

    def _refresh(self, pod: Obj) -> None:
        status = pod.get("status") or {}
        due = self._ready_due(pod) or pod["metadata"]["uid"] in self.forced_ready
        want = (
            self.node_ready
            and status.get("phase") == "Running"
            and pod["metadata"]["uid"] not in self.probe_failing
            and due
        )
        ready = any(c["type"] == "Ready" and c["status"] == "True" for c in status.get("conditions") or ())
        if want != ready:
            self.set_ready(pod, want)

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
        self.forced_ready.add(pod["metadata"]["uid"])
        if (pod.get("status") or {}).get("phase") == "Running" and self.node_ready:
            self.set_ready(pod, True)

    def crash(self, pod: Obj, code: int = 1) -> None:
        """The container crashes (exits `code`) and is restarted in place: not Ready until `ready-after`
        seconds later, so the Ready condition's lastTransitionTime moves (ActivePods ranks by it)."""
        if (pod.get("status") or {}).get("phase") != "Running":
            return
        uid, name = pod["metadata"]["uid"], pod["metadata"]["name"]
        self.forced_ready.discard(uid)
        now = self.clock.now
        status = clone(pod["status"])
        set_condition(status, "ContainersReady", False, now)
        set_condition(status, "Ready", False, now)
        for container in status.get("containerStatuses") or ():
            container.update(
                ready=False,
                restartCount=container.get("restartCount", 0) + 1,
                state={"running": {"startedAt": format_time(now)}},
                lastState={
                    "terminated": {"exitCode": code, "reason": "Error", "finishedAt": format_time(now)}
                },
            )
        self._write(pod, status)
        delay = ready_after(pod)
        if delay == 0:  # ready again within this instant, as a pod that starts Ready
            self.queue(READY, name, uid)
        elif delay is not None:
            self.clock.call_after(delay, ("kubelet", self.node, READY, name, uid))

    # ------------------------------------------------------------ Job pods (batch)

    def exit(self, pod: Obj, code: int, condition: str | None = None) -> None:
        """The pod's container exits with `code` now. Under restartPolicy OnFailure a failure restarts the
        container in place (restartCount + 1, still Running); otherwise the pod turns Succeeded (0) or
        Failed. With `condition` (e.g. DisruptionTarget) the pod is evicted: Failed whatever its policy."""
        restart = pod["spec"].get("restartPolicy", "Always")
        if code != 0 and condition is None and restart in ("OnFailure", "Always"):
            self.crash(pod, code)
            return
        now = self.clock.now
        status = clone(pod.get("status") or {})
        status["phase"] = "Succeeded" if code == 0 and condition is None else "Failed"
        set_condition(status, "ContainersReady", False, now)
        set_condition(status, "Ready", False, now)
        if condition is not None:
            set_condition(status, condition, True, now)
        reason = "Completed" if code == 0 else "Error"
        for container in status.get("containerStatuses") or ():
            terminated = {"exitCode": code, "reason": reason, "finishedAt": format_time(now)}
            container.update(ready=False, started=False, state={"terminated": terminated})
        self._write(pod, status)

    def _terminate_held(self, pod: Obj) -> None:
        """A pod a finalizer keeps after its deletion (a Job's) shows how it ended: Failed, its container
        killed (exit 137), as the kubelet reports a pod it stopped. Pods nothing holds just vanish."""
        if not pod["metadata"].get("finalizers") or (pod.get("status") or {}).get("phase") in (
            "Succeeded",
            "Failed",
        ):
            return
        now = self.clock.now
        status = clone(pod.get("status") or {})
        status["phase"] = "Failed"
        set_condition(status, "ContainersReady", False, now)
        set_condition(status, "Ready", False, now)
        for container in status.get("containerStatuses") or ():
            terminated = {"exitCode": 137, "reason": "Error", "finishedAt": format_time(now)}
            container.update(ready=False, started=False, state={"terminated": terminated})
        self._write(pod, status)

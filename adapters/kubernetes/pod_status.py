"""What our kubelet stand-in writes into a pod's status, as pure functions on raw pod JSON.

Mirrors the simulator's kubelet (`adapters/simulator/kubelet.py`) so the same scenario means the same
thing on both targets: a bound pod turns Running at once and Ready `kubeprops.io/ready-after` seconds
later (never for `never`); `fail` ends it with exit code 1; `unready`/`ready` flip the readiness probe.
Times are wall-clock seconds since the Unix epoch, written with whole-second precision as the API
server stores them anyway (metav1.Time).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from kubeprops.adapters.kube_objects import CONTAINER, NEVER, READY_AFTER, format_time, parse_time

from .client import Obj

UNIX = datetime(1970, 1, 1, tzinfo=UTC)
START, READY, FINISH = "start", "ready", "finish"


def stamp(seconds: float) -> str:
    return format_time(int(seconds), UNIX)


def wall(text: str) -> float:
    return parse_time(text, UNIX)


def ready_after(pod: Obj) -> float | None:
    raw = (pod["metadata"].get("annotations") or {}).get(READY_AFTER, "0")
    return None if raw == NEVER else float(raw)


def is_ready(pod: Obj) -> bool:
    conditions = (pod.get("status") or {}).get("conditions") or ()
    return any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)


def phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase", "Pending")


def due_action(pod: Obj, now: float, started: float | None, probe_failing: bool, forced: bool) -> str:
    """The kubelet's next step for a pod bound to one of our nodes ("" when there is none yet).

    `started` is when we started it (exact; startTime is whole seconds).
    """
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        # The grace period is over: the containers are gone, finish the deletion (as the kubelet does).
        return FINISH if now >= wall(meta["deletionTimestamp"]) else ""
    if phase(pod) == "Pending":
        return START
    if phase(pod) != "Running" or is_ready(pod) or probe_failing:
        return ""
    if forced:
        return READY
    delay = ready_after(pod)
    if delay is None:
        return ""
    since = started if started is not None else wall(pod["status"].get("startTime") or stamp(now))
    return READY if now >= since + delay else ""


def waiting(pod: Obj, now: float, started: float | None, probe_failing: bool, forced: bool) -> bool:
    """True while the kubelet still has something to do for this pod, now or later."""
    if due_action(pod, now, started, probe_failing, forced):
        return True
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return True
    later = due_action(pod, float("inf"), started, probe_failing, forced)
    return later == READY


def set_condition(status: Obj, type_: str, value: bool, now: float) -> None:
    """Set a pod condition, moving lastTransitionTime only when the status changes."""
    wanted = "True" if value else "False"
    conditions = status.setdefault("conditions", [])
    for i, cond in enumerate(conditions):
        if cond["type"] == type_:
            if cond["status"] != wanted:
                conditions[i] = {"type": type_, "status": wanted, "lastTransitionTime": stamp(now)}
            return
    conditions.append({"type": type_, "status": wanted, "lastTransitionTime": stamp(now)})


def started(pod: Obj, now: float, ready: bool) -> Obj:
    """The pod as the kubelet reports it once its container runs."""
    out = copy.deepcopy(pod)
    status = out.setdefault("status", {})
    status.update(phase="Running", startTime=stamp(now), hostIP="127.0.0.1", podIP="127.0.0.1")
    for type_, value in (("PodScheduled", True), ("Initialized", True)):
        set_condition(status, type_, value, now)
    for type_ in ("ContainersReady", "Ready"):
        set_condition(status, type_, ready, now)
    image = pod["spec"]["containers"][0]["image"]
    status["containerStatuses"] = [
        {
            "name": CONTAINER,
            "image": image,
            "imageID": "",
            "ready": ready,
            "restartCount": 0,
            "started": True,
            "state": {"running": {"startedAt": stamp(now)}},
        }
    ]
    return out


def with_readiness(pod: Obj, ready: bool, now: float) -> Obj:
    out = copy.deepcopy(pod)
    status = out.setdefault("status", {})
    set_condition(status, "ContainersReady", ready, now)
    set_condition(status, "Ready", ready, now)
    for container in status.get("containerStatuses") or ():
        container["ready"] = ready
    return out


def failed(pod: Obj, now: float) -> Obj:
    out = with_readiness(pod, False, now)
    status = out["status"]
    status["phase"] = "Failed"
    for container in status.get("containerStatuses") or ():
        terminated = {"exitCode": 1, "reason": "Error", "startedAt": stamp(now), "finishedAt": stamp(now)}
        container.update(ready=False, started=False, state={"terminated": terminated})
    return out

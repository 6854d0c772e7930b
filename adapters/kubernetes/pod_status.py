"""What our kubelet stand-in writes into a pod's status, as pure functions on raw pod JSON.

Mirrors the simulator's kubelet (`adapters/simulator/kubelet.py`) so the same scenario means the same
thing on both targets: a bound pod turns Running at once and Ready `kubeprops.io/ready-after` seconds
later (never for `never`); `fail` ends it with exit code 1; `unready`/`ready` flip the readiness probe;
`crash` restarts its container in place (restartCount + 1), Ready again `ready-after` seconds later.
Times are wall-clock seconds since the Unix epoch, written with whole-second precision as the API
server stores them anyway (metav1.Time).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime

from kubeprops.adapters.kube_objects import CONTAINER, NEVER, READY_AFTER, format_time, parse_time

from .client import Obj

UNIX = datetime(1970, 1, 1, tzinfo=UTC)
START, READY, UNREADY, FINISH, KILL = "start", "ready", "unready", "finish", "kill"


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


def due_action(
    pod: Obj, now: float, started: float | None, probe_failing: bool, forced: bool, node_ready: bool = True
) -> str:
    """The kubelet's next step for a pod bound to one of our nodes ("" when there is none yet).

    `started` is when we started it (exact; startTime is whole seconds). While the node is not Ready its
    pods are not Ready either (the node lifecycle controller marks them so, MarkPodsNotReady); once it
    is Ready again they are Ready when due, as on the simulator's kubelet.
    """
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        if now < wall(meta["deletionTimestamp"]):
            return ""
        # The grace period is over: the containers are gone. A pod a finalizer holds reports how it
        # ended first; one nothing holds is finished off (as the kubelet's final status write does).
        if held(pod):
            return KILL
        return "" if meta.get("finalizers") else FINISH
    if phase(pod) == "Pending":
        return START
    if phase(pod) != "Running":
        return ""
    if is_ready(pod):
        return UNREADY if not node_ready else ""
    if probe_failing or not node_ready:
        return ""
    if forced:
        return READY
    delay = ready_after(pod)
    if delay is None:
        return ""
    since = started if started is not None else wall(pod["status"].get("startTime") or stamp(now))
    return READY if now >= since + delay else ""


def next_due(pod: Obj, now: float, started: float | None) -> float | None:
    """The next wall-clock time after `now` at which `due_action` may turn non-empty without any write:
    the end of a deletion's grace period, or the Ready delay of a running pod (None when neither)."""
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        end = wall(meta["deletionTimestamp"])
        return end if end > now else None
    delay = ready_after(pod)
    if phase(pod) != "Running" or delay is None:
        return None
    since = started if started is not None else wall(pod["status"].get("startTime") or stamp(now))
    return since + delay if since + delay > now else None


def waiting(
    pod: Obj, now: float, started: float | None, probe_failing: bool, forced: bool, node_ready: bool = True
) -> bool:
    """True while the kubelet still has something to do for this pod, now or later."""
    facts = (started, probe_failing, forced, node_ready)
    if due_action(pod, now, *facts):
        return True
    meta = pod["metadata"]
    if meta.get("deletionTimestamp"):
        return True
    later = due_action(pod, float("inf"), *facts)
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


# ---------------------------------------------------------------- Job pods and held deletions

KILLED = 137  # 128 + SIGKILL: what the kubelet reports for a container it stopped


def terminated(pod: Obj, now: float, code: int, condition: str | None = None) -> Obj:
    """The pod after its container exited with `code`: Succeeded for 0, else Failed; `condition` (e.g.
    DisruptionTarget) is set True, as an eviction does. As the simulator's `Kubelet.exit`."""
    out = with_readiness(pod, False, now)
    status = out["status"]
    status["phase"] = "Succeeded" if code == 0 and condition is None else "Failed"
    if condition is not None:
        set_condition(status, condition, True, now)
    reason = "Completed" if code == 0 else "Error"
    for container in status.get("containerStatuses") or ():
        state = {"exitCode": code, "reason": reason, "startedAt": stamp(now), "finishedAt": stamp(now)}
        container.update(ready=False, started=False, state={"terminated": state})
    return out


def restarted(pod: Obj, now: float) -> Obj:
    """restartPolicy OnFailure/Always: the failed container restarts in place (restartCount + 1)."""
    out = copy.deepcopy(pod)
    for container in (out.get("status") or {}).get("containerStatuses") or ():
        container["restartCount"] = container.get("restartCount", 0) + 1
        container["state"] = {"running": {"startedAt": stamp(now)}}
    return out


def crashed(pod: Obj, now: float) -> Obj:
    """The `crash` action: the container dies and is restarted in place, not Ready until its delay has
    passed again (the kubelet stand-in counts that delay from `now`)."""
    return restarted(with_readiness(pod, False, now), now)


def exit_status(pod: Obj, now: float, code: int, condition: str | None = None) -> Obj:
    """What the kubelet writes when the pod's container exits `code` (see `terminated`, `restarted`)."""
    restart = (pod.get("spec") or {}).get("restartPolicy", "Always")
    if code != 0 and condition is None and restart in ("OnFailure", "Always"):
        return crashed(pod, now)  # Ready again once its delay has passed, as the simulator's Kubelet.exit
    return terminated(pod, now, code, condition)


def held(pod: Obj) -> bool:
    """A deleted pod a finalizer keeps (a Job's) that has not reported how it ended yet.

    The kubelet stops its containers and reports it Failed (exit 137) before the finalizer holder lets
    it go; without that report the Job controller would wait for it forever.
    """
    meta = pod["metadata"]
    return bool(meta.get("deletionTimestamp") and meta.get("finalizers")) and phase(pod) not in (
        "Succeeded",
        "Failed",
    )

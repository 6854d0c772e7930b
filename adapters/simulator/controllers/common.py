"""Predicates and helpers shared by the controllers (pods, int-or-percent, claiming).

Callers use these through the module (`common.is_pod_active(...)`) so a mutation test can patch one.
ref: pkg/api/v1/pod/util.go, pkg/controller/controller_utils.go, intstr.GetScaledValueFromIntOrPercent
"""

from __future__ import annotations

from kubeprops.adapters.kube_objects import parse_time

from ..objects import Obj
from ..store import ApiError

TERMINAL = ("Succeeded", "Failed")


def ready_condition(pod: Obj) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond["type"] == "Ready":
            return cond
    return None


def is_pod_ready(pod: Obj) -> bool:
    # ref: pkg/api/v1/pod/util.go (IsPodReady)
    cond = ready_condition(pod)
    return cond is not None and cond["status"] == "True"


def pod_ready_time(pod: Obj) -> float | None:
    """lastTransitionTime of a True Ready condition (None when not ready or unset)."""
    cond = ready_condition(pod)
    if cond is None or cond["status"] != "True" or not cond.get("lastTransitionTime"):
        return None
    return parse_time(cond["lastTransitionTime"])


def is_pod_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    """Ready, and Ready since at least minReadySeconds: at exactly lastTransitionTime + minReadySeconds the
    pod is Available (v1.35.4 compares with `<= 0`; older releases used Before, strictly after).

    ref: pkg/api/v1/pod/util.go@v1.35.4 (IsPodAvailable)
    """
    if not is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = pod_ready_time(pod)
    return since is not None and since + min_ready_seconds <= now


def next_availability_check(pods: list[Obj], min_ready_seconds: int, now: float) -> float | None:
    """Seconds until the first Ready pod that is not yet Available becomes Available (None: no such pod).
    On the virtual clock the sync and the check share one `now`, so the refreshed re-check upstream makes
    against its clock gives the same duration.

    ref: pkg/controller/controller_utils.go@v1.35.4 (FindMinNextPodAvailabilityCheck,
    findMinNextPodAvailabilitySimpleCheck, nextPodAvailabilityCheck)
    """
    if min_ready_seconds <= 0:
        return None
    waits = [
        since + min_ready_seconds - now
        for p in pods
        if is_pod_ready(p) and (since := pod_ready_time(p)) is not None and since + min_ready_seconds > now
    ]
    return min(waits, default=None)


def pod_phase(pod: Obj) -> str:
    return (pod.get("status") or {}).get("phase") or "Pending"


def is_pod_active(pod: Obj) -> bool:
    # ref: pkg/controller/controller_utils.go (IsPodActive)
    return pod_phase(pod) not in TERMINAL and not pod["metadata"].get("deletionTimestamp")


def is_pod_terminating(pod: Obj) -> bool:
    # ref: pkg/controller/controller_utils.go (IsPodTerminating)
    return pod_phase(pod) not in TERMINAL and bool(pod["metadata"].get("deletionTimestamp"))


def scaled_value(raw: int | str, total: int, round_up: bool) -> int:
    """intstr.GetScaledValueFromIntOrPercent with exact integer arithmetic."""
    if isinstance(raw, int):
        return raw
    percent = int(raw.rstrip("%"))
    return (percent * total + 99) // 100 if round_up else (percent * total) // 100


def creation_time(obj: Obj) -> float:
    return parse_time(obj["metadata"]["creationTimestamp"])


def by_creation(obj: Obj) -> tuple[float, str]:
    """controller.ReplicaSetsByCreationTimestamp / PodsByCreationTimestamp order (ties by name)."""
    return creation_time(obj), obj["metadata"]["name"]


class SyncFailed(ApiError):
    """An error a sync returns by itself (no API call failed); upstream requeues the key rate-limited,
    exactly as after an API error, so it travels the same way."""

    reason = "SyncFailed"

"""Realistic DaemonSet controller bugs for the mutation test (installed through `mutations.MUTATIONS`)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from kubeprops.adapters import node_fit

from .controllers import common
from .controllers import daemonset as ds_controller
from .controllers import daemonset_util as util
from .objects import Obj

Patch = tuple[ModuleType, str, Callable[..., Any]]
ORIGINAL_TOLERATIONS = util.daemon_tolerations
ORIGINAL_STATUS_COUNTS = ds_controller.status_counts


def _no_cordon_toleration(pod_spec: Obj) -> list[Obj]:
    """Forgets that daemon pods tolerate node.kubernetes.io/unschedulable: cordoned nodes get none."""
    return [t for t in ORIGINAL_TOLERATIONS(pod_spec) if t.get("key") != "node.kubernetes.io/unschedulable"]


def _no_execute_ignored(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """Reads only NoSchedule taints: a NoExecute-tainted node is wanted (and its pod never binds)."""
    pod_spec = ds["spec"]["template"].get("spec") or {}
    if not node_fit.matches_node_affinity(pod_spec, node):
        return False, False
    tolerations = util.daemon_tolerations(pod_spec)
    no_schedule = node_fit.untolerated_taint(
        node_fit.taints_of(node), tolerations, lambda t: t["effect"] == "NoSchedule"
    )
    return no_schedule is None, True


def _fenceposts(surge_up: bool, unavailable_up: bool) -> Callable[[Obj, int], tuple[int, int]]:
    def fenceposts(ds: Obj, desired: int) -> tuple[int, int]:
        rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
        unavailable = common.scaled_value(rolling.get("maxUnavailable", 1), desired, unavailable_up)
        surge = (
            common.scaled_value(rolling.get("maxSurge", 0), desired, surge_up) if util.allows_surge(ds) else 0
        )
        if desired > 0 and unavailable == 0 and surge == 0:
            unavailable = 1
        return surge, unavailable

    return fenceposts


def _misscheduled_not_counted(*args: Any) -> dict[str, int]:
    return {**ORIGINAL_STATUS_COUNTS(*args), "numberMisscheduled": 0}


DAEMONSET_MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "ds-skips-cordoned-nodes": ((util, "daemon_tolerations", _no_cordon_toleration),),
    "ds-ignores-no-execute": ((util, "should_run", _no_execute_ignored),),
    "ds-surge-rounded-down": ((util, "fenceposts", _fenceposts(False, True)),),
    "ds-unavailable-rounded-down": ((util, "fenceposts", _fenceposts(True, False)),),
    "ds-misscheduled-not-counted": ((ds_controller, "status_counts", _misscheduled_not_counted),),
}

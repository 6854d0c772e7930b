"""The DaemonSet RollingUpdate: delete old pods within maxUnavailable, or surge new ones within maxSurge.

The manage loop creates the replacements (no surge) and prunes the surplus (surge); this only chooses.
Deleted pods do not count as unavailable, so an update progresses while nodes are down.
ref: pkg/controller/daemon/update.go (rollingUpdate, findUpdatedPodsOnNode, updatedDesiredNodeCounts)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from ..objects import NODE, Obj
from . import common
from . import daemonset_util as util

if TYPE_CHECKING:
    from .daemonset import DaemonSetController


def find_updated_pods_on_node(pods: list[Obj], hash_: str) -> tuple[Obj | None, Obj | None, bool]:
    """(new pod, old pod, ok): ok is False with more than one live pod of a kind on the node."""
    new = old = None
    for pod in pods:
        if pod["metadata"].get("deletionTimestamp"):
            continue
        if util.is_updated(pod, hash_):
            if new is not None:
                return None, None, False
            new = pod
        else:
            if old is not None:
                return None, None, False
            old = pod
    return new, old, True


def desired_counts(ds: Obj, nodes: list[Obj], by_node: dict[str, list[Obj]]) -> tuple[int, int, int]:
    """(maxSurge, maxUnavailable, desiredNumberScheduled); adds an empty entry per node wanting a pod."""
    desired = 0
    for node in nodes:
        if util.should_run(node, ds)[0]:
            desired += 1
            by_node.setdefault(node["metadata"]["name"], [])
    surge, unavailable = util.fenceposts(ds, desired)
    return surge, unavailable, desired


Available = Callable[[Obj], bool]


def rolling_update(
    ctrl: DaemonSetController, ds: Obj, nodes: list[Obj], hash_: str, by_node: dict[str, list[Obj]]
) -> tuple[list[str], list[str]]:
    """(pods to delete, nodes to create a pod on) for this step of the rollout."""
    surge, unavailable, desired = desired_counts(ds, nodes, by_node)
    mrs = ds["spec"].get("minReadySeconds", 0)

    def available(pod: Obj) -> bool:
        return common.is_pod_available(pod, mrs, ctrl.clock.now)

    if surge == 0:
        return _no_surge_deletions(by_node, hash_, unavailable, available), []
    return _surge_plan(ctrl, ds, by_node, hash_, surge, desired, available)


def _no_surge_deletions(
    by_node: dict[str, list[Obj]], hash_: str, max_unavailable: int, available: Available
) -> list[str]:
    unavailable = 0
    replace: list[str] = []
    candidates: list[str] = []
    for _node, pods in sorted(by_node.items()):
        new, old, ok = find_updated_pods_on_node(pods, hash_)
        if not ok or (new is None) == (old is None):
            unavailable += 1  # the manage loop creates or prunes here
        elif new is not None:
            unavailable += 0 if available(new) else 1
        elif not available(old):
            replace.append(old["metadata"]["name"])
            unavailable += 1
        elif unavailable < max_unavailable:
            candidates.append(old["metadata"]["name"])
    remaining = min(max(0, max_unavailable - unavailable), len(candidates))
    return replace + candidates[:remaining]


def _surge_plan(
    ctrl: DaemonSetController,
    ds: Obj,
    by_node: dict[str, list[Obj]],
    hash_: str,
    max_surge: int,
    desired: int,
    available: Available,
) -> tuple[list[str], list[str]]:
    deletes: list[str] = []
    not_run: list[str] = []
    allowed: list[str] = []
    candidates: list[str] = []
    surging = available_count = 0
    for node_name, pods in sorted(by_node.items()):
        new, old, ok = find_updated_pods_on_node(pods, hash_)
        if not ok:
            surging += 1
            continue
        counted = old if old is not None else new
        available_count += 1 if counted is not None and available(counted) else 0
        if old is None:
            continue
        if new is not None:
            if available(new):
                deletes.append(old["metadata"]["name"])
            else:
                surging += 1
            continue
        node = ctrl.informer.get(NODE, node_name)
        if node is None:
            raise common.SyncFailed(f"couldn't get node for nodeName {node_name!r}")
        run = util.should_run(node, ds)[0]
        if not available(old):
            (allowed.append(node_name) if run else deletes.append(old["metadata"]["name"]))
        elif not run:
            not_run.append(old["metadata"]["name"])
        elif surging < max_surge:
            candidates.append(node_name)
    # only delete an old pod on a node that may no longer run one once enough pods elsewhere are available
    deletable = min(available_count - desired, len(not_run))
    deletes += not_run[: max(0, deletable)]
    remaining = min(max(0, max_surge - surging), len(candidates))
    return deletes, allowed + candidates[:remaining]

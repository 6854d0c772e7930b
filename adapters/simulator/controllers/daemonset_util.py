"""DaemonSet helpers: which nodes should run a daemon pod, the pod each node gets, pod predicates.

Functions are called through the module (`daemonset_util.should_run(...)`) so a mutation can patch one.
ref: pkg/controller/daemon/daemon_controller.go (NodeShouldRunDaemonPod, predicates, NewPod,
podByCreationTimestampAndPhase), pkg/controller/daemon/util/daemonset_util.go
(AddOrUpdateDaemonPodTolerations, ReplaceDaemonSetPodNodeNameNodeAffinity, GetTargetNodeName,
UnavailableCount, SurgeCount, AllowsSurge, IsPodUpdated)
"""

from __future__ import annotations

from kubeprops.adapters import node_fit
from kubeprops.adapters.kube_objects import parse_time

from ..objects import Obj, clone
from . import common

HASH_LABEL = "controller-revision-hash"
NODE_NAME_FIELD = "metadata.name"
# AddOrUpdateDaemonPodTolerations: Exists, no tolerationSeconds
DAEMON_TOLERATIONS = (
    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"},
    {"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"},
    {"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"},
)
NETWORK_UNAVAILABLE = {
    "key": "node.kubernetes.io/network-unavailable",
    "operator": "Exists",
    "effect": "NoSchedule",
}


def daemon_tolerations(pod_spec: Obj) -> list[Obj]:
    """The template's tolerations plus the ones every daemon pod gets (an equal one is not repeated)."""
    tolerations = list(pod_spec.get("tolerations") or ())
    added = [*DAEMON_TOLERATIONS, *([NETWORK_UNAVAILABLE] if pod_spec.get("hostNetwork") else [])]
    return tolerations + [dict(t) for t in added if t not in tolerations]


def should_run(node: Obj, ds: Obj) -> tuple[bool, bool]:
    """(shouldRun, shouldContinueRunning) of a daemon pod of `ds` on `node`."""
    pod_spec = ds["spec"]["template"].get("spec") or {}
    name = node["metadata"]["name"]
    if pod_spec.get("nodeName") not in (None, "", name):
        return False, False
    if not node_fit.matches_node_affinity(pod_spec, node):
        return False, False
    taints, tolerations = node_fit.taints_of(node), daemon_tolerations(pod_spec)
    if node_fit.untolerated_taint(taints, tolerations, node_fit.schedule_effects) is None:
        return True, True
    # an untolerated NoSchedule taint only stops new pods; an untolerated NoExecute one evicts
    return False, node_fit.untolerated_taint(taints, tolerations, node_fit.execute_effect) is None


def pod_template_for(ds: Obj, hash_: str, node: str) -> Obj:
    """The pod a node gets: the template with the hash label, daemon tolerations and its node affinity."""
    template = clone(ds["spec"]["template"])
    template["metadata"].setdefault("labels", {})[HASH_LABEL] = hash_
    spec = template["spec"]
    spec["tolerations"] = daemon_tolerations(spec)
    term = {"matchFields": [{"key": NODE_NAME_FIELD, "operator": "In", "values": [node]}]}
    node_affinity = spec.setdefault("affinity", {}).setdefault("nodeAffinity", {})
    node_affinity.setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})["nodeSelectorTerms"] = [
        term
    ]
    return template


def target_node(pod: Obj) -> str | None:
    """spec.nodeName, or for an unbound pod the node of its single metadata.name affinity term."""
    if pod["spec"].get("nodeName"):
        return pod["spec"]["nodeName"]
    required = ((pod["spec"].get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or ():
        for req in term.get("matchFields") or ():
            if (
                req["key"] == NODE_NAME_FIELD
                and req["operator"] == "In"
                and len(req.get("values") or ()) == 1
            ):
                return req["values"][0]
    return None


def creation_order(pod: Obj) -> tuple[bool, float, str]:
    """podByCreationTimestampAndPhase: scheduled pods first, then oldest, then by name."""
    return (
        not pod["spec"].get("nodeName"),
        parse_time(pod["metadata"]["creationTimestamp"]),
        pod["metadata"]["name"],
    )


def is_updated(pod: Obj, hash_: str) -> bool:
    return bool(hash_) and (pod["metadata"].get("labels") or {}).get(HASH_LABEL) == hash_


def allows_surge(ds: Obj) -> bool:
    strategy = ds["spec"].get("updateStrategy") or {}
    rolling = strategy.get("rollingUpdate")
    if strategy.get("type") != "RollingUpdate" or rolling is None:
        return False
    return common.scaled_value(rolling.get("maxSurge", 0), 1, True) != 0


def fenceposts(ds: Obj, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable): percents of desiredNumberScheduled rounded up; 1 unavailable if both 0."""
    rolling = (ds["spec"].get("updateStrategy") or {}).get("rollingUpdate") or {}
    unavailable = common.scaled_value(rolling.get("maxUnavailable", 1), desired, True)
    surge = common.scaled_value(rolling.get("maxSurge", 0), desired, True) if allows_surge(ds) else 0
    if desired > 0 and unavailable == 0 and surge == 0:
        unavailable = 1
    return surge, unavailable

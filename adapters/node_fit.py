"""Whether a pod fits a node: node selector, required node affinity, taints and tolerations, cordons.

The simulator's own reading of the scheduler plugins the DaemonSet controller also evaluates (upstream
both call the same helpers), on raw JSON; the Kubernetes adapter reads it too, to tell a pod the scheduler
will bind from one that waits for a node change (settledness, never a verdict). Not modelled: preferred
affinity, resources, pod (anti-)affinity.
ref: staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go,
pkg/apis/core/v1/helper/helpers.go (FindMatchingUntoleratedTaint), core/v1 toleration.go (ToleratesTaint),
pkg/scheduler/framework/plugins/nodeunschedulable/node_unschedulable.go
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

Obj = dict[str, Any]

INT64 = re.compile(r"^[+-]?\d+$")
UNSCHEDULABLE_TAINT = "node.kubernetes.io/unschedulable"
Effects = Callable[[Obj], bool]


def schedule_effects(taint: Obj) -> bool:
    return taint["effect"] in ("NoSchedule", "NoExecute")


def execute_effect(taint: Obj) -> bool:
    return taint["effect"] == "NoExecute"


def tolerates(toleration: Obj, taint: Obj) -> bool:
    if toleration.get("effect") and toleration["effect"] != taint["effect"]:
        return False
    if toleration.get("key") and toleration["key"] != taint["key"]:
        return False
    operator = toleration.get("operator") or "Equal"
    if operator == "Equal":
        return toleration.get("value", "") == taint.get("value", "")
    return operator == "Exists"


def untolerated_taint(taints: Iterable[Obj], tolerations: list[Obj], effects: Effects) -> Obj | None:
    for taint in taints:
        if effects(taint) and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def _expression(req: Obj, node_labels: Mapping[str, str]) -> bool:
    op, values = req["operator"], req.get("values") or []
    present, value = req["key"] in node_labels, node_labels.get(req["key"], "")
    if op == "In":
        return present and value in values
    if op == "NotIn":
        return not present or value not in values
    if op == "Exists":
        return present
    if op == "DoesNotExist":
        return not present
    if op in ("Gt", "Lt") and len(values) == 1 and INT64.match(values[0]) and INT64.match(value):
        return int(value) > int(values[0]) if op == "Gt" else int(value) < int(values[0])
    return False


def _field(req: Obj, node_name: str) -> bool:
    values = req.get("values") or []
    if req["key"] != "metadata.name" or len(values) != 1:
        return False
    return (node_name == values[0]) == (req["operator"] == "In")


def _term(term: Obj, node: Obj) -> bool:
    # an empty term matches no node (nodeaffinity.newNodeSelectorTerm)
    if not term.get("matchExpressions") and not term.get("matchFields"):
        return False
    node_labels = node["metadata"].get("labels") or {}
    return all(_expression(r, node_labels) for r in term.get("matchExpressions") or ()) and all(
        _field(r, node["metadata"]["name"]) for r in term.get("matchFields") or ()
    )


def matches_node_affinity(pod_spec: Obj, node: Obj) -> bool:
    """nodeSelector and, when present, any of the required node-affinity terms (GetRequiredNodeAffinity)."""
    node_labels = node["metadata"].get("labels") or {}
    if any(node_labels.get(k) != v for k, v in (pod_spec.get("nodeSelector") or {}).items()):
        return False
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is None:
        return True
    return any(_term(t, node) for t in required.get("nodeSelectorTerms") or ())


def named_nodes(pod_spec: Obj) -> set[str] | None:
    """The only nodes the required node affinity can match, when every term names them by
    `metadata.name In` (a daemon pod's pin): the scheduler's NodeAffinity PreFilter narrows its search
    to them instead of filtering every node. None when the affinity names no nodes.
    ref: pkg/scheduler/framework/plugins/nodeaffinity/node_affinity.go (PreFilter, getPreFilterNodeNames)"""
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    terms = (required or {}).get("nodeSelectorTerms") or ()
    names: set[str] = set()
    for term in terms:
        pins = [
            set(r.get("values") or ())
            for r in term.get("matchFields") or ()
            if r["key"] == "metadata.name" and r["operator"] == "In"
        ]
        if not pins:
            return None
        names |= set.intersection(*pins)
    return names if terms else None


def taints_of(node: Obj) -> list[Obj]:
    return list((node.get("spec") or {}).get("taints") or ())


def fits(pod_spec: Obj, node: Obj) -> bool:
    """The scheduler's filters: NodeUnschedulable, NodeAffinity, TaintToleration (NoSchedule, NoExecute)."""
    tolerations = list(pod_spec.get("tolerations") or ())
    cordon = {"key": UNSCHEDULABLE_TAINT, "effect": "NoSchedule"}
    if (node.get("spec") or {}).get("unschedulable") and not any(tolerates(t, cordon) for t in tolerations):
        return False
    if not matches_node_affinity(pod_spec, node):
        return False
    return untolerated_taint(taints_of(node), tolerations, schedule_effects) is None

"""DaemonSet, ControllerRevision and node scheduling fields: Kubernetes-shaped JSON <-> the vocabulary.

The apps counterpart of `kube_objects` (same conventions: raw API JSON shapes, camelCase keys, the pod
behaviour as the `kubeprops.io/ready-after` annotation). A ControllerRevision's `data` holds the
DaemonSet's template as `{"spec": {"template": ...}}`, the shape upstream's revision patch has.
ref: pkg/controller/daemon/update.go (getPatch)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import attrs

from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    ON_DELETE,
    AppsPodTemplate,
    ControllerRevisionView,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    DaemonSetStatus,
    DaemonSetUpdateStrategy,
    DaemonSetView,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)
from kubeprops.scenario.spec import IntOrPercent, labels
from kubeprops.scenario.view import NodeView

from . import kube_objects
from .kube_objects import (
    CONTAINER,
    READY_AFTER,
    SIM_EPOCH,
    TERMINATION_GRACE_SECONDS,
    Obj,
    _behavior,
    _created,
    _owner,
    _ready_after_text,
)

HOSTNAME = "kubernetes.io/hostname"


# ---------------------------------------------------------------- scheduling fields


def taint_manifest(taint: Taint) -> Obj:
    out: Obj = {"key": taint.key, "effect": taint.effect}
    if taint.value:
        out["value"] = taint.value
    return out


def taint_from_manifest(raw: Obj) -> Taint:
    return Taint(raw["key"], raw["effect"], raw.get("value", ""))


def toleration_manifest(t: Toleration) -> Obj:
    out: Obj = {"operator": t.operator or "Equal"}
    for key, value in (("key", t.key), ("value", t.value), ("effect", t.effect)):
        if value:
            out[key] = value
    return out


def toleration_from_manifest(raw: Obj) -> Toleration:
    return Toleration(
        raw.get("key", ""), raw.get("operator", "Equal"), raw.get("value", ""), raw.get("effect", "")
    )


def _requirement_manifest(r: NodeSelectorRequirement) -> Obj:
    out: Obj = {"key": r.key, "operator": r.operator}
    if r.values:
        out["values"] = list(r.values)
    return out


def _requirement(raw: Obj) -> NodeSelectorRequirement:
    return NodeSelectorRequirement(raw["key"], raw["operator"], tuple(raw.get("values") or ()))


def node_affinity_manifest(terms: Iterable[NodeSelectorTerm]) -> Obj:
    selector_terms = []
    for term in terms:
        raw: Obj = {}
        if term.match_expressions:
            raw["matchExpressions"] = [_requirement_manifest(r) for r in term.match_expressions]
        if term.match_fields:
            raw["matchFields"] = [_requirement_manifest(r) for r in term.match_fields]
        selector_terms.append(raw)
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": selector_terms}
        }
    }


def required_terms(pod_spec: Obj) -> list[Obj] | None:
    """The raw nodeSelectorTerms of a pod spec's required node affinity (None when it has none)."""
    required = ((pod_spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    return None if required is None else list(required.get("nodeSelectorTerms") or [])


def _terms(pod_spec: Obj) -> tuple[NodeSelectorTerm, ...] | None:
    raw = required_terms(pod_spec)
    if raw is None:
        return None
    return tuple(
        NodeSelectorTerm(
            tuple(_requirement(r) for r in t.get("matchExpressions") or ()),
            tuple(_requirement(r) for r in t.get("matchFields") or ()),
        )
        for t in raw
    )


# ---------------------------------------------------------------- pod templates


def apps_template_manifest(template: AppsPodTemplate) -> Obj:
    spec: Obj = {
        "containers": [{"name": CONTAINER, "image": template.image}],
        "restartPolicy": template.restart_policy,
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
    }
    if template.node_selector:
        spec["nodeSelector"] = dict(template.node_selector)
    if template.tolerations:
        spec["tolerations"] = [toleration_manifest(t) for t in template.tolerations]
    if template.required_node_affinity is not None:
        spec["affinity"] = node_affinity_manifest(template.required_node_affinity)
    if template.host_network:
        spec["hostNetwork"] = True
    if template.node_name:
        spec["nodeName"] = template.node_name
    return {
        "metadata": {
            "labels": dict(template.labels),
            "annotations": {READY_AFTER: _ready_after_text(template.behavior)},
        },
        "spec": spec,
    }


def apps_template_from_manifest(manifest: Obj) -> AppsPodTemplate:
    meta, spec = manifest.get("metadata") or {}, manifest.get("spec") or {}
    containers = spec.get("containers") or [{}]
    return AppsPodTemplate(
        labels=meta.get("labels") or {},
        image=containers[0].get("image", ""),
        behavior=_behavior(meta.get("annotations") or {}),
        node_selector=spec.get("nodeSelector") or {},
        tolerations=tuple(toleration_from_manifest(t) for t in spec.get("tolerations") or ()),
        required_node_affinity=_terms(spec),
        host_network=bool(spec.get("hostNetwork", False)),
        node_name=spec.get("nodeName", ""),
        restart_policy=spec.get("restartPolicy", "Always"),
    )


# ---------------------------------------------------------------- DaemonSets


def daemonset_strategy_manifest(strategy: DaemonSetUpdateStrategy) -> Obj:
    out: Obj = {"type": strategy.type}
    if strategy.rolling_update is not None:
        ru = strategy.rolling_update
        out["rollingUpdate"] = {
            "maxUnavailable": ru.max_unavailable.to_api(),
            "maxSurge": ru.max_surge.to_api(),
        }
    return out


def daemonset_manifest(name: str, spec: DaemonSetSpec) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name},
        "spec": {
            "selector": {"matchLabels": dict(spec.selector)},
            "template": apps_template_manifest(spec.template),
            "updateStrategy": daemonset_strategy_manifest(spec.update_strategy),
            "minReadySeconds": spec.min_ready_seconds,
            "revisionHistoryLimit": spec.revision_history_limit,
        },
    }


def _daemonset_strategy(raw: Obj) -> DaemonSetUpdateStrategy:
    kind = raw.get("type", "RollingUpdate")
    ru = raw.get("rollingUpdate")
    if kind == ON_DELETE or ru is None:
        return DaemonSetUpdateStrategy(kind, None)
    rolling = DaemonSetRollingUpdate(
        IntOrPercent.parse(ru.get("maxUnavailable", 1)), IntOrPercent.parse(ru.get("maxSurge", 0))
    )
    return DaemonSetUpdateStrategy(kind, rolling)


def daemonset_spec_from_manifest(spec: Obj) -> DaemonSetSpec:
    return DaemonSetSpec(
        template=apps_template_from_manifest(spec.get("template") or {}),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        update_strategy=_daemonset_strategy(spec.get("updateStrategy") or {}),
        min_ready_seconds=spec.get("minReadySeconds", 0),
        revision_history_limit=spec.get("revisionHistoryLimit", 10),
    )


def daemonset_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> DaemonSetView:
    meta, s = obj["metadata"], obj.get("status") or {}
    return DaemonSetView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        generation=meta.get("generation", 0),
        spec=daemonset_spec_from_manifest(obj["spec"]),
        status=DaemonSetStatus(
            current_number_scheduled=s.get("currentNumberScheduled", 0),
            number_misscheduled=s.get("numberMisscheduled", 0),
            desired_number_scheduled=s.get("desiredNumberScheduled", 0),
            number_ready=s.get("numberReady", 0),
            observed_generation=s.get("observedGeneration", 0),
            updated_number_scheduled=s.get("updatedNumberScheduled", 0),
            number_available=s.get("numberAvailable", 0),
            number_unavailable=s.get("numberUnavailable", 0),
            collision_count=s.get("collisionCount", 0),
        ),
        created=_created(meta, epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def controller_revision_view(obj: Obj, now: float | None = None) -> ControllerRevisionView:
    meta = obj["metadata"]
    owner = _owner(obj)
    assert owner is not None, f"controller revision {meta['name']} has no controller"
    template = ((obj.get("data") or {}).get("spec") or {}).get("template") or {}
    return ControllerRevisionView(
        name=meta["name"],
        owner=owner,
        revision=obj.get("revision", 0),
        template=apps_template_from_manifest(template),
        hash=(meta.get("labels") or {}).get(CONTROLLER_REVISION_HASH, ""),
    )


# ---------------------------------------------------------------- nodes


def apps_node_manifest(
    name: str,
    node_labels: Iterable[tuple[str, str]] = (),
    taints: Iterable[Taint] = (),
    unschedulable: bool = False,
    pods: int = 110,
) -> Obj:
    spec: Obj = {}
    if unschedulable:
        spec["unschedulable"] = True
    if taints:
        spec["taints"] = [taint_manifest(t) for t in taints]
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": {HOSTNAME: name, **dict(labels(node_labels))}},
        "spec": spec,
        "status": {
            "capacity": {"pods": str(pods)},
            "allocatable": {"pods": str(pods)},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


def node_taints(obj: Obj) -> tuple[Taint, ...]:
    return tuple(taint_from_manifest(t) for t in (obj.get("spec") or {}).get("taints") or ())


def node_ready_status(obj: Obj) -> str:
    conditions = (obj.get("status") or {}).get("conditions") or ()
    ready = next((c for c in conditions if c["type"] == "Ready"), None)
    return "Unknown" if ready is None else ready["status"]


def node_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> NodeView:
    """`kube_objects.node_view` plus the taints and the Ready condition's exact status."""
    base = kube_objects.node_view(obj, now, epoch=epoch)
    return attrs.evolve(base, taints=node_taints(obj), ready_status=node_ready_status(obj))

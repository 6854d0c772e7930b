"""Kubernetes-shaped JSON objects <-> the kubeprops vocabulary.

Shared by the embedded simulator and the real-cluster adapter, so it is pure and target-neutral: the
dicts have the shape of the raw API JSON (camelCase keys, as `ApiClient.sanitize_for_serialization`
produces), times are RFC3339 strings, and views carry float seconds relative to an `epoch`.

The pod behaviour travels as the template annotation `kubeprops.io/ready-after` ("<seconds>" or
"never"); the image is the first container's (named `app`).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from kubeprops.scenario.spec import (
    ROLLING_UPDATE,
    DeploymentSpec,
    DeploymentStrategy,
    IntOrPercent,
    PodBehavior,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
    labels,
)
from kubeprops.scenario.view import (
    ClusterView,
    Condition,
    DeploymentStatus,
    DeploymentView,
    NodeView,
    OwnerRef,
    PodView,
    ReplicaSetStatus,
    ReplicaSetView,
)

Obj = dict[str, Any]

READY_AFTER = "kubeprops.io/ready-after"
NEVER = "never"
CONTAINER = "app"
# Short grace so graceful deletion finishes in about a second on every target.
TERMINATION_GRACE_SECONDS = 1
SIM_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------- time


def format_time(seconds: float, epoch: datetime = SIM_EPOCH) -> str:
    """RFC3339 (RFC3339Nano when there is a fraction) for `epoch + seconds`."""
    ns = round(seconds * 1_000_000_000)
    whole, frac = divmod(ns, 1_000_000_000)
    text = (epoch + timedelta(seconds=whole)).strftime("%Y-%m-%dT%H:%M:%S")
    if frac:
        text += "." + f"{frac:09d}".rstrip("0")
    return text + "Z"


@functools.lru_cache(maxsize=1 << 16)
def parse_time(text: str, epoch: datetime = SIM_EPOCH) -> float:
    """Seconds from `epoch` for an RFC3339(Nano) string, exact to the nanosecond."""
    main, frac, zone = text, "", "Z"
    if main.endswith("Z"):
        main = main[:-1]
    elif main[-6] in "+-":
        main, zone = main[:-6], main[-6:]
    if "." in main:
        main, frac = main.split(".", 1)
    stamp = datetime.fromisoformat(main + ("+00:00" if zone == "Z" else zone))
    whole = int((stamp - epoch).total_seconds())
    return round(whole + (int(frac) / 10 ** len(frac) if frac else 0.0), 9)


def optional_time(text: str | None, epoch: datetime = SIM_EPOCH) -> float | None:
    return parse_time(text, epoch) if text else None


# ---------------------------------------------------------------- manifests


def _label_dict(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    return dict(items)


def _ready_after_text(behavior: PodBehavior) -> str:
    return NEVER if behavior.ready_after is None else str(behavior.ready_after)


def pod_template_manifest(template: PodTemplate) -> Obj:
    spec: Obj = {
        "containers": [{"name": CONTAINER, "image": template.image}],
        "restartPolicy": "Always",
        "terminationGracePeriodSeconds": TERMINATION_GRACE_SECONDS,
    }
    if template.node_selector:
        spec["nodeSelector"] = _label_dict(template.node_selector)
    return {
        "metadata": {
            "labels": _label_dict(template.labels),
            "annotations": {READY_AFTER: _ready_after_text(template.behavior)},
        },
        "spec": spec,
    }


def strategy_manifest(strategy: DeploymentStrategy) -> Obj:
    out: Obj = {"type": strategy.type}
    rolling = strategy.rolling_update
    if rolling is None and strategy.type == ROLLING_UPDATE:
        rolling = RollingUpdate()  # ref: pkg/apis/apps/v1/defaults.go (SetDefaults_Deployment)
    if rolling is not None:
        out["rollingUpdate"] = {
            "maxSurge": rolling.max_surge.to_api(),
            "maxUnavailable": rolling.max_unavailable.to_api(),
        }
    return out


def _metadata(name: str, object_labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> Obj:
    meta: Obj = {"name": name}
    if object_labels:
        meta["labels"] = _label_dict(labels(object_labels))
    return meta


def deployment_manifest(
    name: str, spec: DeploymentSpec, object_labels: Mapping[str, str] | Iterable[tuple[str, str]] = ()
) -> Obj:
    body: Obj = {
        "replicas": spec.replicas,
        "selector": {"matchLabels": _label_dict(spec.selector)},
        "template": pod_template_manifest(spec.template),
        "strategy": strategy_manifest(spec.strategy),
        "minReadySeconds": spec.min_ready_seconds,
        "revisionHistoryLimit": spec.revision_history_limit,
        "progressDeadlineSeconds": spec.progress_deadline_seconds,
    }
    if spec.paused:
        body["paused"] = True
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(name, object_labels),
        "spec": body,
    }


def replicaset_manifest(
    name: str, spec: ReplicaSetSpec, object_labels: Mapping[str, str] | Iterable[tuple[str, str]] = ()
) -> Obj:
    body: Obj = {
        "replicas": spec.replicas,
        "selector": {"matchLabels": _label_dict(spec.selector)},
        "template": pod_template_manifest(spec.template),
        "minReadySeconds": spec.min_ready_seconds,
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": _metadata(name, object_labels),
        "spec": body,
    }


def bare_pod_manifest(name: str, template: PodTemplate) -> Obj:
    """A pod created directly from `template`, with no ownerReference (`kubectl run`-style)."""
    body = pod_template_manifest(template)
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, **body["metadata"]},
        "spec": body["spec"],
    }


def node_manifest(name: str, node_labels: Iterable[tuple[str, str]] = (), pods: int = 110) -> Obj:
    all_labels = {"kubernetes.io/hostname": name, **_label_dict(node_labels)}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": all_labels},
        "spec": {},
        "status": {
            "capacity": {"pods": str(pods)},
            "allocatable": {"pods": str(pods)},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}],
        },
    }


# ---------------------------------------------------------------- back to the vocabulary


def _behavior(annotations: Mapping[str, str]) -> PodBehavior:
    raw = annotations.get(READY_AFTER, "0")
    return PodBehavior(None if raw == NEVER else int(raw))


def template_from_manifest(manifest: Obj) -> PodTemplate:
    meta = manifest.get("metadata") or {}
    spec = manifest.get("spec") or {}
    containers = spec.get("containers") or [{}]
    return PodTemplate(
        labels=meta.get("labels") or {},
        image=containers[0].get("image", ""),
        behavior=_behavior(meta.get("annotations") or {}),
        node_selector=spec.get("nodeSelector") or {},
    )


def _strategy(raw: Obj | None) -> DeploymentStrategy:
    raw = raw or {}
    kind = raw.get("type", ROLLING_UPDATE)
    rolling = raw.get("rollingUpdate")
    if rolling is None:
        return DeploymentStrategy(kind, RollingUpdate() if kind == ROLLING_UPDATE else None)
    return DeploymentStrategy(
        kind,
        RollingUpdate(
            IntOrPercent.parse(rolling.get("maxSurge", "25%")),
            IntOrPercent.parse(rolling.get("maxUnavailable", "25%")),
        ),
    )


def deployment_spec_from_manifest(spec: Obj) -> DeploymentSpec:
    return DeploymentSpec(
        template=template_from_manifest(spec.get("template") or {}),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        replicas=spec.get("replicas", 1),
        strategy=_strategy(spec.get("strategy")),
        min_ready_seconds=spec.get("minReadySeconds", 0),
        revision_history_limit=spec.get("revisionHistoryLimit", 10),
        progress_deadline_seconds=spec.get("progressDeadlineSeconds", 600),
        paused=bool(spec.get("paused", False)),
    )


def conditions_view(raw: Iterable[Obj] | None, epoch: datetime = SIM_EPOCH) -> tuple[Condition, ...]:
    return tuple(
        Condition(
            type=c["type"],
            status=c["status"],
            reason=c.get("reason", ""),
            message=c.get("message", ""),
            last_update_time=optional_time(c.get("lastUpdateTime"), epoch),
            last_transition_time=optional_time(c.get("lastTransitionTime"), epoch),
        )
        for c in raw or ()
    )


def controller_ref(obj: Obj) -> Obj | None:
    """The ownerReference with controller=true, if any (metav1.GetControllerOf)."""
    for ref in obj["metadata"].get("ownerReferences") or ():
        if ref.get("controller"):
            return ref
    return None


def _owner(obj: Obj) -> OwnerRef | None:
    ref = controller_ref(obj)
    return OwnerRef(ref["kind"], ref["name"], ref["uid"]) if ref else None


def _created(meta: Obj, epoch: datetime) -> float:
    return parse_time(meta["creationTimestamp"], epoch) if meta.get("creationTimestamp") else 0.0


def deployment_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> DeploymentView:
    """`now` is accepted for symmetry with `cluster_view`; no field of the view depends on it."""
    meta, status = obj["metadata"], obj.get("status") or {}
    return DeploymentView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        generation=meta.get("generation", 0),
        spec=deployment_spec_from_manifest(obj["spec"]),
        annotations=labels(meta.get("annotations") or {}),
        status=DeploymentStatus(
            replicas=status.get("replicas", 0),
            updated_replicas=status.get("updatedReplicas", 0),
            ready_replicas=status.get("readyReplicas", 0),
            available_replicas=status.get("availableReplicas", 0),
            unavailable_replicas=status.get("unavailableReplicas", 0),
            terminating_replicas=status.get("terminatingReplicas"),
            observed_generation=status.get("observedGeneration", 0),
            collision_count=status.get("collisionCount", 0),
            conditions=conditions_view(status.get("conditions"), epoch),
        ),
        created=_created(meta, epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def replicaset_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> ReplicaSetView:
    meta, spec, status = obj["metadata"], obj["spec"], obj.get("status") or {}
    return ReplicaSetView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        owner=_owner(obj),
        generation=meta.get("generation", 0),
        replicas=spec.get("replicas", 1),
        selector=labels((spec.get("selector") or {}).get("matchLabels") or {}),
        template=template_from_manifest(spec.get("template") or {}),
        min_ready_seconds=spec.get("minReadySeconds", 0),
        annotations=labels(meta.get("annotations") or {}),
        status=ReplicaSetStatus(
            replicas=status.get("replicas", 0),
            fully_labeled_replicas=status.get("fullyLabeledReplicas", 0),
            ready_replicas=status.get("readyReplicas", 0),
            available_replicas=status.get("availableReplicas", 0),
            terminating_replicas=status.get("terminatingReplicas"),
            observed_generation=status.get("observedGeneration", 0),
            conditions=conditions_view(status.get("conditions"), epoch),
        ),
        created=_created(meta, epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def pod_condition(pod: Obj, type_: str) -> Obj | None:
    for cond in (pod.get("status") or {}).get("conditions") or ():
        if cond["type"] == type_:
            return cond
    return None


def _restarts(status: Obj) -> int:
    return max((c.get("restartCount", 0) for c in status.get("containerStatuses") or ()), default=0)


def pod_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> PodView:
    meta, spec, status = obj["metadata"], obj.get("spec") or {}, obj.get("status") or {}
    ready = pod_condition(obj, "Ready")
    is_ready = ready is not None and ready["status"] == "True"
    containers = spec.get("containers") or [{}]
    return PodView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        owner=_owner(obj),
        labels=labels(meta.get("labels") or {}),
        image=containers[0].get("image", ""),
        node=spec.get("nodeName", ""),
        phase=status.get("phase", "Pending"),
        ready=is_ready,
        ready_since=optional_time(ready.get("lastTransitionTime"), epoch) if is_ready and ready else None,
        deleting=bool(meta.get("deletionTimestamp")),
        created=_created(meta, epoch),
        restarts=_restarts(status),
        annotations=labels(meta.get("annotations") or {}),
    )


def node_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> NodeView:
    ready = next((c for c in (obj.get("status") or {}).get("conditions") or () if c["type"] == "Ready"), None)
    return NodeView(
        name=obj["metadata"]["name"],
        labels=labels(obj["metadata"].get("labels") or {}),
        ready=ready is not None and ready["status"] == "True",
        unschedulable=bool((obj.get("spec") or {}).get("unschedulable", False)),
    )


def _by_name(objs: Iterable[Obj]) -> list[Obj]:
    return sorted(objs, key=lambda o: o["metadata"]["name"])


def cluster_view(
    now: float,
    deployments: Iterable[Obj] = (),
    replicasets: Iterable[Obj] = (),
    pods: Iterable[Obj] = (),
    nodes: Iterable[Obj] = (),
    *,
    epoch: datetime = SIM_EPOCH,
) -> ClusterView:
    """One snapshot, every collection sorted by name so equal clusters give equal views."""
    return ClusterView(
        now=now,
        deployments=tuple(deployment_view(o, now, epoch=epoch) for o in _by_name(deployments)),
        replicasets=tuple(replicaset_view(o, now, epoch=epoch) for o in _by_name(replicasets)),
        pods=tuple(pod_view(o, now, epoch=epoch) for o in _by_name(pods)),
        nodes=tuple(node_view(o, now, epoch=epoch) for o in _by_name(nodes)),
    )

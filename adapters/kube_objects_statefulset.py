"""StatefulSet and PersistentVolumeClaim: Kubernetes-shaped JSON <-> the vocabulary.

The StatefulSet counterpart of `kube_objects_apps` (same conventions: raw apps/v1 JSON, camelCase keys).
A volumeClaimTemplate is only its name here: the claim spec is a fixed ReadWriteOnce 1Gi request, which
nothing in the controller reads. A ControllerRevision's `data` is `{"spec": {"template": ...}}`, the shape of
upstream's revision patch, so `kube_objects_apps.controller_revision_view` reads both kinds' revisions.
ref: pkg/controller/statefulset/stateful_set_utils.go (getPatch), pkg/apis/apps/v1/defaults.go
(SetDefaults_StatefulSet)
"""

from __future__ import annotations

from datetime import datetime

from kubeprops.scenario.apps_extra import (
    ON_DELETE,
    PersistentVolumeClaimRetentionPolicy,
    PersistentVolumeClaimView,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetStatus,
    StatefulSetUpdateStrategy,
    StatefulSetView,
)
from kubeprops.scenario.spec import IntOrPercent, labels
from kubeprops.scenario.view import OwnerRef

from .kube_objects import SIM_EPOCH, Obj, _created
from .kube_objects_apps import apps_template_from_manifest, apps_template_manifest

CLAIM_SPEC: Obj = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}


def statefulset_strategy_manifest(strategy: StatefulSetUpdateStrategy) -> Obj:
    out: Obj = {"type": strategy.type}
    ru = strategy.rolling_update
    if ru is not None:
        block: Obj = {"partition": ru.partition}
        if ru.max_unavailable is not None:
            block["maxUnavailable"] = ru.max_unavailable.to_api()
        out["rollingUpdate"] = block
    return out


def retention_manifest(policy: PersistentVolumeClaimRetentionPolicy) -> Obj:
    return {"whenDeleted": policy.when_deleted, "whenScaled": policy.when_scaled}


def claim_template_manifest(name: str) -> Obj:
    return {"metadata": {"name": name}, "spec": dict(CLAIM_SPEC)}


def statefulset_manifest(name: str, spec: StatefulSetSpec) -> Obj:
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": dict(spec.selector)},
            "template": apps_template_manifest(spec.template),
            "serviceName": spec.service_name,
            "podManagementPolicy": spec.pod_management_policy,
            "updateStrategy": statefulset_strategy_manifest(spec.update_strategy),
            "ordinals": {"start": spec.ordinals_start},
            "minReadySeconds": spec.min_ready_seconds,
            "revisionHistoryLimit": spec.revision_history_limit,
            "volumeClaimTemplates": [claim_template_manifest(c) for c in spec.volume_claim_templates],
            "persistentVolumeClaimRetentionPolicy": retention_manifest(
                spec.persistent_volume_claim_retention_policy
            ),
        },
    }


def _strategy(raw: Obj) -> StatefulSetUpdateStrategy:
    kind = raw.get("type", "RollingUpdate")
    ru = raw.get("rollingUpdate")
    if kind == ON_DELETE or ru is None:
        return StatefulSetUpdateStrategy(kind, None)
    mu = ru.get("maxUnavailable")
    rolling = StatefulSetRollingUpdate(ru.get("partition", 0), None if mu is None else IntOrPercent.parse(mu))
    return StatefulSetUpdateStrategy(kind, rolling)


def statefulset_spec_from_manifest(spec: Obj) -> StatefulSetSpec:
    policy = spec.get("persistentVolumeClaimRetentionPolicy") or {}
    return StatefulSetSpec(
        template=apps_template_from_manifest(spec.get("template") or {}),
        selector=(spec.get("selector") or {}).get("matchLabels") or {},
        replicas=spec.get("replicas", 1),
        service_name=spec.get("serviceName", ""),
        pod_management_policy=spec.get("podManagementPolicy", "OrderedReady"),
        update_strategy=_strategy(spec.get("updateStrategy") or {}),
        ordinals_start=(spec.get("ordinals") or {}).get("start", 0),
        min_ready_seconds=spec.get("minReadySeconds", 0),
        revision_history_limit=spec.get("revisionHistoryLimit", 10),
        volume_claim_templates=tuple(t["metadata"]["name"] for t in spec.get("volumeClaimTemplates") or ()),
        persistent_volume_claim_retention_policy=PersistentVolumeClaimRetentionPolicy(
            policy.get("whenDeleted", "Retain"), policy.get("whenScaled", "Retain")
        ),
    )


def statefulset_view(obj: Obj, now: float | None = None, *, epoch: datetime = SIM_EPOCH) -> StatefulSetView:
    meta, s = obj["metadata"], obj.get("status") or {}
    return StatefulSetView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        generation=meta.get("generation", 0),
        spec=statefulset_spec_from_manifest(obj["spec"]),
        status=StatefulSetStatus(
            observed_generation=s.get("observedGeneration", 0),
            replicas=s.get("replicas", 0),
            ready_replicas=s.get("readyReplicas", 0),
            current_replicas=s.get("currentReplicas", 0),
            updated_replicas=s.get("updatedReplicas", 0),
            available_replicas=s.get("availableReplicas", 0),
            current_revision=s.get("currentRevision", ""),
            update_revision=s.get("updateRevision", ""),
            collision_count=s.get("collisionCount", 0),
        ),
        created=_created(meta, epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def claim_view(obj: Obj, now: float | None = None) -> PersistentVolumeClaimView:
    """Every owner reference counts (not only the controller): the garbage collector reads them all."""
    meta = obj["metadata"]
    owners = tuple(OwnerRef(r["kind"], r["name"], r["uid"]) for r in meta.get("ownerReferences") or ())
    return PersistentVolumeClaimView(
        name=meta["name"],
        uid=meta.get("uid", ""),
        owners=owners,
        labels=labels(meta.get("labels") or {}),
        deleting=bool(meta.get("deletionTimestamp")),
    )

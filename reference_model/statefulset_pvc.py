"""StatefulSet storage: claim names and what `persistentVolumeClaimRetentionPolicy` makes of claim owners.

Release: upstream v1.35.4 (StatefulSetAutoDeletePVC GA since 1.32, always on).

The controller never deletes a claim itself. It sets owner references and the garbage collector deletes a
claim once every owner it names is gone:

| whenScaled | whenDeleted | claim of an in-range pod | claim of a condemned pod (ordinal out of range) |
|---|---|---|---|
| Retain | Retain | no owner | no owner |
| Retain | Delete | the StatefulSet | the StatefulSet |
| Delete | Retain | no owner | its pod |
| Delete | Delete | the StatefulSet | its pod (the set reference is removed) |

So `whenScaled: Delete` deletes the claim together with a pod removed by scale-down, never with a pod that is
merely replaced (failed, updated or deleted by hand while in range).

Not modelled: claims with stale references to an older set of the same name, claims controlled by some other
controller (upstream leaves those alone), and the volume bindings themselves. Nor the wake-up after a stale
claim: the model resyncs the set once the garbage collector deleted it, while upstream's controller has no
claim event handler and does not requeue a sync that stopped on one (`processReplica` returns no error), so
the pod comes only with the next event for the set or its pods; the Kubernetes adapter reports such a state
as not settled.

refs kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_utils.go (getPersistentVolumeClaimName,
getPersistentVolumeClaimRetentionPolicy, isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod,
hasStaleOwnerRef), kubernetes/kubernetes:pkg/controller/statefulset/stateful_pod_control.go
(PodClaimIsStale, ClaimsMatchRetentionPolicy, createPersistentVolumeClaims,
createMissingPersistentVolumeClaims).
"""

from __future__ import annotations

from collections.abc import Mapping

from kubeprops.scenario.apps_extra import (
    DELETE,
    RETAIN,
    STATEFULSET,
    PersistentVolumeClaimRetentionPolicy,
    PersistentVolumeClaimView,
    StatefulSetSpec,
)

POD = "Pod"
Owners = frozenset[str]  # owner kinds: "StatefulSet" and/or "Pod"


def claim_name(claim_template: str, set_name: str, ordinal: int) -> str:
    """`<claim>-<set>-<ordinal>`."""
    # ref stateful_set_utils.go (getPersistentVolumeClaimName)
    return f"{claim_template}-{set_name}-{ordinal}"


def claim_names(spec: StatefulSetSpec, set_name: str, ordinal: int) -> tuple[str, ...]:
    return tuple(claim_name(c, set_name, ordinal) for c in spec.volume_claim_templates)


def desired_owners(policy: PersistentVolumeClaimRetentionPolicy, condemned: bool) -> Owners:
    """The owners a claim should have under `policy` (see the table in the module docstring)."""
    # ref stateful_set_utils.go (updateClaimOwnerRefForSetAndPod); unknown values are treated as Retain
    scaled_delete = policy.when_scaled == DELETE
    owners: set[str] = set()
    if policy.when_deleted == DELETE and (not scaled_delete or not condemned):
        owners.add(STATEFULSET)
    if scaled_delete and condemned:
        owners.add(POD)
    return frozenset(owners)


def owner_kinds(claim: PersistentVolumeClaimView, set_uid: str, pod_uid: str) -> Owners:
    """Which of the set and the pod (by uid) the claim names as owner."""
    kinds = {STATEFULSET for o in claim.owners if o.kind == STATEFULSET and o.uid == set_uid}
    kinds |= {POD for o in claim.owners if o.kind == POD and pod_uid and o.uid == pod_uid}
    return frozenset(kinds)


def claim_is_stale(
    policy: PersistentVolumeClaimRetentionPolicy,
    claim: PersistentVolumeClaimView,
    pod_name: str,
    pod_uid: str,
) -> bool:
    """whenScaled Delete and the claim still names an earlier pod of the same name: the garbage collector
    has not deleted it yet, so no pod may be created on it."""
    # ref stateful_pod_control.go (PodClaimIsStale), stateful_set_utils.go (hasStaleOwnerRef)
    if policy.when_scaled == RETAIN:
        return False
    return any(o.kind == POD and o.name == pod_name and o.uid != pod_uid for o in claim.owners)


def pod_claims_stale(
    spec: StatefulSetSpec,
    set_name: str,
    ordinal: int,
    claims: Mapping[str, PersistentVolumeClaimView],
    pod_name: str,
) -> bool:
    policy = spec.persistent_volume_claim_retention_policy
    return any(
        claim_is_stale(policy, claims[n], pod_name, "")
        for n in claim_names(spec, set_name, ordinal)
        if n in claims
    )

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

A claim that still names an earlier pod of the same name (whenScaled Delete, the garbage collector not done
with it yet) is stale: no pod is created on it, and the sync that met it is not requeued (`StaleClaimWait`).

Not modelled: claims with stale references to an older set of the same name, claims controlled by some other
controller (upstream leaves those alone), and the volume bindings themselves.

refs kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_utils.go (getPersistentVolumeClaimName,
getPersistentVolumeClaimRetentionPolicy, isClaimOwnerUpToDate, updateClaimOwnerRefForSetAndPod,
hasStaleOwnerRef), kubernetes/kubernetes:pkg/controller/statefulset/stateful_pod_control.go
(PodClaimIsStale, ClaimsMatchRetentionPolicy, createPersistentVolumeClaims,
createMissingPersistentVolumeClaims).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from kubeprops.scenario.apps_extra import (
    DELETE,
    RETAIN,
    STATEFULSET,
    PersistentVolumeClaimRetentionPolicy,
    PersistentVolumeClaimView,
    StatefulSetSpec,
    StatefulSetView,
)
from kubeprops.scenario.view import PodView

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


def has_stale_owner(
    claim: PersistentVolumeClaimView, set_name: str, set_uid: str, pod_name: str, pod_uid: str
) -> bool:
    """The claim names the set or the pod by name with another uid: an earlier incarnation manages it, and
    the controller leaves it alone (counts it as up to date) until the garbage collector has its say."""
    # ref stateful_set_utils.go (isClaimOwnerUpToDate: hasStaleOwnerRef of the set or of the pod)
    for kind, name, uid in ((STATEFULSET, set_name, set_uid), (POD, pod_name, pod_uid)):
        ref = next((o for o in claim.owners if o.kind == kind and o.name == name), None)
        if ref is not None and ref.uid != uid:
            return True
    return False


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


# ---------------------------------------------------------------- the wait after a stale claim


@attrs.frozen
class StaleClaimWait:
    """A set whose last sync did not create `pod` because a claim was stale, and what that sync read.

    Upstream nothing syncs it again when the garbage collector deletes the claim: the controller watches
    only pods and StatefulSets (no claim event handler), and `processReplica` stops on a stale claim without
    an error, so the key is not requeued. The next sync comes with the next event for the set (a spec or
    status write, its deletion) or for one of its pods (created, changed, deleted), or with a minReadySeconds
    requeue that sync planned; until then the pod stays missing. The informers' periodic resync (12-24 h,
    --min-resync-period) is past any horizon here and not modelled.
    """

    set_uid: str
    pod: str
    seen: tuple[StatefulSetView, tuple[PodView, ...]]
    wake_at: float | None  # the minReadySeconds requeue the stopped sync planned, if any


def _seen(sts: StatefulSetView, pods: Iterable[PodView]) -> tuple[StatefulSetView, tuple[PodView, ...]]:
    return sts, tuple(sorted(pods, key=lambda p: p.name))


def stale_claim_wait(sts: StatefulSetView, pods: Iterable[PodView], pod: str, now: float) -> StaleClaimWait:
    """The wait after a sync of `sts` that read its `pods` and stopped on `pod`'s stale claim."""
    # ref stateful_set.go (syncStatefulSet): with minReadySeconds, a sync whose status has readyReplicas !=
    # availableReplicas requeues the set when the next pod becomes available
    pods = tuple(pods)
    mrs = sts.spec.min_ready_seconds
    maturing = [
        p.ready_since + mrs
        for p in pods
        if mrs > 0 and p.ready and p.ready_since is not None and p.ready_since + mrs > now
    ]
    return StaleClaimWait(sts.uid, pod, _seen(sts, pods), min(maturing, default=None))


def still_waiting(wait: StaleClaimWait, sts: StatefulSetView, pods: Iterable[PodView], now: float) -> bool:
    """Whether no event has come for `sts` since its sync stopped on a stale claim: the set and its pods are
    as that sync read them and no requeue it planned is due."""
    # ref stateful_set.go (NewStatefulSetController: pod and set event handlers only; addPod, updatePod,
    # deletePod), stateful_set_control.go (processReplica: `return true, err` with err nil on a stale claim)
    if wait.set_uid != sts.uid or (wait.wake_at is not None and now >= wait.wake_at):
        return False
    return wait.seen == _seen(sts, pods)

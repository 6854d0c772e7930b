"""StatefulSet pod identity, health predicates, pod construction and claims (simulator, upstream v1.35).

Pods are `<set>-<ordinal>`; a pod is built from the template of the revision it is created at (the current
revision below the partition, else the update revision) with the revision's hash label, the pod-name and
pod-index labels, hostname/subdomain and one volume per volumeClaimTemplate naming `<claim>-<set>-<ordinal>`.
Claims: created before their pod; owner references follow persistentVolumeClaimRetentionPolicy (the set while
whenDeleted is Delete and the pod is in range; the pod once it is condemned and whenScaled is Delete).
Not modelled: claims controlled by an unexpected controller, stale references to an earlier *set* of the same
name, non-controller owner references (the simulator creates none of these).
ref: pkg/controller/statefulset/stateful_set_utils.go (getParentNameAndOrdinal, getPodName,
getPersistentVolumeClaimName, podInOrdinalRange, isRunningAndReady, isRunningAndAvailable, isCreated,
isTerminating, isUnavailable, newStatefulSetPod, initIdentity, updateStorage, isClaimOwnerUpToDate,
updateClaimOwnerRefForSetAndPod, hasStaleOwnerRef, getPersistentVolumeClaims),
pkg/controller/statefulset/stateful_pod_control.go (createPersistentVolumeClaims, PodClaimIsStale)
"""

from __future__ import annotations

import re

from ..objects import PVC, STATEFULSET, Obj, clone, controller_uid, new_controller_ref
from . import common

HASH_LABEL = "controller-revision-hash"
POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
INT32_MAX = 2**31 - 1
_NAME = re.compile(r"^(.*)-([0-9]+)$")
POD_KIND = "Pod"


# ---------------------------------------------------------------- identity


def parent_and_ordinal(name: str) -> tuple[str, int]:
    # ref stateful_set_utils.go (getParentNameAndOrdinal): strconv.ParseInt(.., 10, 32); -1 when unparsable
    match = _NAME.match(name)
    if match is None or int(match.group(2)) > INT32_MAX:
        return "", -1
    return match.group(1), int(match.group(2))


def ordinal(pod: Obj) -> int:
    return parent_and_ordinal(pod["metadata"]["name"])[1]


def start(sts: Obj) -> int:
    # ref stateful_set_utils.go (getStartOrdinal): spec.ordinals.start, 0 when unset
    return (sts["spec"].get("ordinals") or {}).get("start", 0)


def end(sts: Obj) -> int:
    # ref stateful_set_utils.go (getEndOrdinal): inclusive
    return start(sts) + sts["spec"]["replicas"] - 1


def in_range(sts: Obj, pod_ordinal: int) -> bool:
    # ref stateful_set_utils.go (podInOrdinalRange)
    return start(sts) <= pod_ordinal <= end(sts)


def claim_name(claim_template: str, set_name: str, pod_ordinal: int) -> str:
    # ref stateful_set_utils.go (getPersistentVolumeClaimName)
    return f"{claim_template}-{set_name}-{pod_ordinal}"


def claim_names(sts: Obj, pod_ordinal: int) -> list[str]:
    templates = sts["spec"].get("volumeClaimTemplates") or ()
    return [claim_name(t["metadata"]["name"], sts["metadata"]["name"], pod_ordinal) for t in templates]


def revision_of(pod: Obj) -> str:
    # ref stateful_set_utils.go (getPodRevision)
    return (pod["metadata"].get("labels") or {}).get(HASH_LABEL, "")


# ---------------------------------------------------------------- health
# A slot without a pod object is None here (upstream: a virtual pod with no phase).


def is_created(pod: Obj | None) -> bool:
    # ref stateful_set_utils.go (isCreated): phase != ""; a stored pod always has one
    return pod is not None


def phase(pod: Obj | None) -> str:
    return "" if pod is None else common.pod_phase(pod)


def is_terminating(pod: Obj | None) -> bool:
    return pod is not None and bool(pod["metadata"].get("deletionTimestamp"))


def is_running_and_ready(pod: Obj | None) -> bool:
    return pod is not None and phase(pod) == "Running" and common.is_pod_ready(pod)


def is_running_and_available(pod: Obj | None, mrs: int, now: float) -> bool:
    # ref stateful_set_utils.go (isRunningAndAvailable): podutil.IsPodAvailable
    return pod is not None and phase(pod) == "Running" and common.is_pod_available(pod, mrs, now)


def is_unavailable(pod: Obj | None, mrs: int, now: float) -> bool:
    # ref stateful_set_utils.go (isUnavailable)
    return not is_running_and_available(pod, mrs, now) or is_terminating(pod)


def is_failed_or_succeeded(pod: Obj | None) -> bool:
    return phase(pod) in ("Failed", "Succeeded")


# ---------------------------------------------------------------- pods


def new_pod(sts: Obj, template: Obj, revision: str, pod_ordinal: int) -> Obj:
    """The pod of `pod_ordinal` built from `template` (the template of revision `revision`)."""
    # ref stateful_set_utils.go (newStatefulSetPod, initIdentity, updateStorage, setPodRevision)
    name = f"{sts['metadata']['name']}-{pod_ordinal}"
    meta = clone(template.get("metadata") or {})
    meta["labels"] = {
        **(meta.get("labels") or {}),
        POD_NAME_LABEL: name,
        POD_INDEX_LABEL: str(pod_ordinal),
        HASH_LABEL: revision,
    }
    meta.update(name=name, ownerReferences=[new_controller_ref(sts, STATEFULSET)])
    spec = clone(template.get("spec") or {})
    spec.update(hostname=name, subdomain=sts["spec"].get("serviceName", ""))
    volumes = [
        {"name": t["metadata"]["name"], "persistentVolumeClaim": {"claimName": claim}}
        for t, claim in zip(
            sts["spec"].get("volumeClaimTemplates") or (), claim_names(sts, pod_ordinal), strict=True
        )
    ]
    if volumes:
        spec["volumes"] = volumes
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


# ---------------------------------------------------------------- claims


def _policy(sts: Obj) -> tuple[str, str]:
    policy = sts["spec"].get("persistentVolumeClaimRetentionPolicy") or {}
    return policy.get("whenDeleted", "Retain"), policy.get("whenScaled", "Retain")


def wanted_owners(sts: Obj, pod_ordinal: int) -> set[str]:
    """ "StatefulSet" and/or "Pod": the references the retention policy asks for."""
    # ref stateful_set_utils.go (updateClaimOwnerRefForSetAndPod): unknown values are Retain
    when_deleted, when_scaled = _policy(sts)
    scaled_down = not in_range(sts, pod_ordinal)
    if when_scaled == "Delete":
        if scaled_down:
            return {POD_KIND}
        return {STATEFULSET} if when_deleted == "Delete" else set()
    return {STATEFULSET} if when_deleted == "Delete" else set()


def has_stale_pod_ref(claim: Obj, pod_name: str, pod_uid: str) -> bool:
    # ref stateful_set_utils.go (hasStaleOwnerRef): a reference to the pod's name with another uid
    for ref in claim["metadata"].get("ownerReferences") or ():
        if ref["kind"] == POD_KIND and ref["name"] == pod_name:
            return ref["uid"] != pod_uid
    return False


def owner_up_to_date(sts: Obj, claim: Obj, pod_name: str, pod_uid: str, pod_ordinal: int) -> bool:
    # ref stateful_set_utils.go (isClaimOwnerUpToDate): a stale pod reference is left for the GC
    if has_stale_pod_ref(claim, pod_name, pod_uid):
        return True
    have = set()
    for ref in claim["metadata"].get("ownerReferences") or ():
        if ref["uid"] == sts["metadata"]["uid"]:
            have.add(STATEFULSET)
        elif pod_uid and ref["uid"] == pod_uid:
            have.add(POD_KIND)
    return have == wanted_owners(sts, pod_ordinal)


def owner_refs(sts: Obj, claim: Obj, pod: Obj | None, pod_ordinal: int) -> list[Obj]:
    """The claim's references with ours scrubbed and the wanted ones added back (controller refs)."""
    # ref stateful_set_utils.go (updateClaimOwnerRefForSetAndPod, removeRefs, addControllerRef)
    ours = {sts["metadata"]["uid"], pod["metadata"]["uid"] if pod else ""}
    refs = [r for r in claim["metadata"].get("ownerReferences") or () if r["uid"] not in ours]
    want = wanted_owners(sts, pod_ordinal)
    if STATEFULSET in want:
        refs.append(new_controller_ref(sts, STATEFULSET))
    if POD_KIND in want and pod is not None:
        refs.append(new_controller_ref(pod, POD_KIND))
    return refs


def new_claim(sts: Obj, name: str, pod_ordinal: int) -> Obj:
    """A claim as createPersistentVolumeClaims writes it: the selector's labels, the set reference already
    in place when the policy wants one (a pod reference needs the pod's uid, so it comes later)."""
    template = next(
        t
        for t in sts["spec"].get("volumeClaimTemplates") or ()
        if claim_name(t["metadata"]["name"], sts["metadata"]["name"], pod_ordinal) == name
    )
    meta: Obj = {"name": name, "labels": dict((sts["spec"].get("selector") or {}).get("matchLabels") or {})}
    if STATEFULSET in wanted_owners(sts, pod_ordinal):
        meta["ownerReferences"] = [new_controller_ref(sts, STATEFULSET)]
    return {"apiVersion": "v1", "kind": PVC, "metadata": meta, "spec": clone(template.get("spec") or {})}


def claim_is_stale(sts: Obj, claims: dict[str, Obj], pod_name: str, pod_ordinal: int) -> bool:
    """whenScaled Delete and a claim still names an earlier pod of this name: not created on."""
    # ref stateful_pod_control.go (PodClaimIsStale): the pod to create has no uid yet
    if _policy(sts)[1] == "Retain":
        return False
    return any(
        has_stale_pod_ref(claims[n], pod_name, "") for n in claim_names(sts, pod_ordinal) if n in claims
    )


def owned_by(obj: Obj, uid: str) -> bool:
    return controller_uid(obj) == uid

"""Adoption and release of dependents through controller ownerReferences.

ref: pkg/controller/controller_ref_manager.go@v1.35.4 (ClaimObject, ClaimPods: `claimed = append(claimed,
pod)`, ClaimReplicaSets, RecheckDeletionTimestamp)
"""

from __future__ import annotations

from collections.abc import Mapping

from ..client import Client
from ..objects import POD, Obj, controller_ref, is_deleting, new_controller_ref, selector_matches
from ..store import ApiError, Invalid, NotFound


class ClaimError(ApiError):
    pass


def _can_adopt(client: Client, owner: Obj, owner_kind: str) -> ApiError | None:
    """A quorum read: never adopt for an owner that is gone or being deleted. Its error is kept for every
    adoption of the sync (ref controller_ref_manager.go CanAdopt: sync.Once; RecheckDeletionTimestamp)."""
    try:
        fresh = client.get(owner_kind, owner["metadata"]["name"])
    except ApiError as exc:  # wrapped upstream too: "can't recheck DeletionTimestamp"
        return ClaimError(f"can't recheck DeletionTimestamp: {exc}")
    if fresh is None or fresh["metadata"]["uid"] != owner["metadata"]["uid"]:
        return ClaimError(f"original {owner_kind} {owner['metadata']['name']} is gone")
    if is_deleting(fresh):
        return ClaimError(f"{owner_kind} {owner['metadata']['name']} has just been deleted")
    return None


def claim(
    client: Client,
    owner: Obj,
    owner_kind: str,
    kind: str,
    selector: Mapping[str, str],
    candidates: list[Obj],
    finalizer: str | None = None,
) -> list[Obj]:
    """The candidates this owner controls after adopting matching orphans and releasing mismatches.
    `finalizer` (the Job's tracking finalizer) is added with each adoption and removed with each release
    (ref controller_ref_manager.go NewPodControllerRefManager(..., finalizers), AdoptPod, ReleasePod).

    Raises the first API error after processing everything (the sync is then retried). An adopted pod is
    returned as read, as upstream (ClaimPods appends the cached pod after AdoptPod's patch).
    """
    owner_uid = owner["metadata"]["uid"]
    claimed: list[Obj] = []
    error: ApiError | None = None
    can_adopt: list[ApiError | None] = []  # the recheck's outcome, once per sync (canAdoptOnce)
    for obj in candidates:
        ref = controller_ref(obj)
        if ref is not None and ref["uid"] != owner_uid:
            continue  # controlled by someone else
        matches = selector_matches(selector, obj["metadata"].get("labels") or {})
        try:
            if ref is not None:
                if matches:
                    claimed.append(obj)
                elif not is_deleting(owner):
                    _release(client, kind, obj, owner_uid, finalizer)
                continue
            if is_deleting(owner) or not matches or is_deleting(obj):
                continue
            if not can_adopt:
                can_adopt.append(_can_adopt(client, owner, owner_kind))
            if can_adopt[0] is not None:
                raise can_adopt[0]
            adopted = _adopt(client, kind, obj, owner, owner_kind, finalizer)
            # ClaimPods keeps the informer's copy of an adopted pod: a sync that adopts ranks and counts
            # the pod as its cache shows it, not as the patch returned it (ClaimReplicaSets does the same;
            # kept fresh here, so a Deployment's next write to an adopted ReplicaSet does not conflict).
            # The Job's getPodsForJob then adds the tracking finalizer to that copy in memory.
            claimed.append(_with_finalizer(obj, finalizer) if kind == POD else adopted)
        except NotFound:
            continue
        except ApiError as exc:
            error = error or exc
    if error is not None:
        raise error
    return claimed


def _with_finalizer(obj: Obj, finalizer: str | None) -> Obj:
    # ref job_controller.go (getPodsForJob: "Set finalizer on adopted pods for the remaining calculations")
    finalizers = _finalizers(obj, finalizer, True)
    if finalizers is None or finalizers == (obj["metadata"].get("finalizers") or []):
        return obj
    return {**obj, "metadata": {**obj["metadata"], "finalizers": finalizers}}


def _finalizers(obj: Obj, finalizer: str | None, present: bool) -> list[str] | None:
    if finalizer is None:
        return None
    kept = [f for f in obj["metadata"].get("finalizers") or () if f != finalizer]
    return [*kept, finalizer] if present else kept


def _adopt(
    client: Client, kind: str, obj: Obj, owner: Obj, owner_kind: str, finalizer: str | None = None
) -> Obj:
    refs = [*list(obj["metadata"].get("ownerReferences") or []), new_controller_ref(owner, owner_kind)]
    meta = obj["metadata"]
    return client.set_owner_refs(kind, meta["name"], meta["uid"], refs, _finalizers(obj, finalizer, True))


def _release(client: Client, kind: str, obj: Obj, owner_uid: str, finalizer: str | None = None) -> None:
    # ref controller_ref_manager.go (ReleasePod): 404 and 422 (no such reference, or the object was
    # deleted and recreated under the same name) are ignored
    refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r["uid"] != owner_uid]
    try:
        meta = obj["metadata"]
        client.set_owner_refs(kind, meta["name"], meta["uid"], refs, _finalizers(obj, finalizer, False))
    except Invalid:
        return

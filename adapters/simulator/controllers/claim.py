"""Adoption and release of dependents through controller ownerReferences.

ref: pkg/controller/controller_ref_manager.go (ClaimObject, ClaimPods, ClaimReplicaSets,
RecheckDeletionTimestamp)
"""

from __future__ import annotations

from collections.abc import Mapping

from ..client import Client
from ..objects import Obj, controller_ref, is_deleting, new_controller_ref, selector_matches
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
    client: Client, owner: Obj, owner_kind: str, kind: str, selector: Mapping[str, str], candidates: list[Obj]
) -> list[Obj]:
    """The candidates this owner controls after adopting matching orphans and releasing mismatches.

    Raises the first API error after processing everything (the sync is then retried). An adopted object
    is returned as read, as upstream (ClaimPods appends the cached pod after AdoptPod's patch).
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
                    _release(client, kind, obj, owner_uid)
                continue
            if is_deleting(owner) or not matches or is_deleting(obj):
                continue
            if not can_adopt:
                can_adopt.append(_can_adopt(client, owner, owner_kind))
            if can_adopt[0] is not None:
                raise can_adopt[0]
            _adopt(client, kind, obj, owner, owner_kind)
            # the object as read, not as the patch returned it: the sync goes on from its snapshot (a
            # kubelet may have made the pod Running and Ready in between)
            claimed.append(obj)
        except NotFound:
            continue
        except ApiError as exc:
            error = error or exc
    if error is not None:
        raise error
    return claimed


def _adopt(client: Client, kind: str, obj: Obj, owner: Obj, owner_kind: str) -> None:
    refs = [*list(obj["metadata"].get("ownerReferences") or []), new_controller_ref(owner, owner_kind)]
    client.set_owner_refs(kind, obj["metadata"]["name"], obj["metadata"]["uid"], refs)


def _release(client: Client, kind: str, obj: Obj, owner_uid: str) -> None:
    # ref controller_ref_manager.go (ReleasePod): 404 and 422 (no such reference, or the object was
    # deleted and recreated under the same name) are ignored
    refs = [r for r in obj["metadata"].get("ownerReferences") or [] if r["uid"] != owner_uid]
    try:
        client.set_owner_refs(kind, obj["metadata"]["name"], obj["metadata"]["uid"], refs)
    except Invalid:
        return

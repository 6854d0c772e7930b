"""DaemonSet ControllerRevisions: finding or creating the current revision, renumbering, cleanup.

The revision `data` is the template (`{"spec": {"template": ...}}`); its hash is the simulator's own
(FNV-1a over the canonical JSON, spelled in the label-safe alphabet), so names differ from a real
cluster's. Hash collisions (collisionCount) are not modelled.
ref: pkg/controller/daemon/update.go (constructHistory, snapshot, cleanupHistory, Match, getPatch)
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..objects import CONTROLLER_REVISION, DAEMONSET, Obj, clone, controller_uid, new_controller_ref
from ..store import AlreadyExists

if TYPE_CHECKING:
    from .daemonset import DaemonSetController

HASH_LABEL = "controller-revision-hash"
SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def template_hash(template: Obj) -> str:
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    digits = []
    for _ in range(8):
        value, digit = divmod(value, len(SAFE_ALPHABET))
        digits.append(SAFE_ALPHABET[digit])
    return "".join(digits)


def matches(ds: Obj, revision: Obj) -> bool:
    return (revision.get("data") or {}).get("spec", {}).get("template") == ds["spec"]["template"]


def owned_revisions(ctrl: DaemonSetController, ds: Obj) -> list[Obj]:
    uid = ds["metadata"]["uid"]
    return [r for r in ctrl.informer.list(CONTROLLER_REVISION) if controller_uid(r) == uid]


def construct_history(ctrl: DaemonSetController, ds: Obj) -> tuple[Obj, list[Obj]]:
    """(current revision, old revisions): creates the current one or moves it to the top number."""
    current, old = [], []
    for revision in owned_revisions(ctrl, ds):
        (current if matches(ds, revision) else old).append(revision)
    top = max((r.get("revision", 0) for r in old), default=0) + 1
    if not current:
        return snapshot(ctrl, ds, top), old
    cur = max(current, key=lambda r: r.get("revision", 0))
    if cur.get("revision", 0) < top:
        cur = ctrl.client.update(CONTROLLER_REVISION, {**clone(cur), "revision": top})
    return cur, old


def snapshot(ctrl: DaemonSetController, ds: Obj, number: int) -> Obj:
    template = ds["spec"]["template"]
    hash_ = template_hash(template)
    revision = {
        "apiVersion": "apps/v1",
        "kind": CONTROLLER_REVISION,
        "metadata": {
            "name": f"{ds['metadata']['name']}-{hash_}",
            "labels": {**(template.get("metadata") or {}).get("labels", {}), HASH_LABEL: hash_},
            "ownerReferences": [new_controller_ref(ds, DAEMONSET)],
        },
        "data": {"spec": {"template": clone(template)}},
        "revision": number,
    }
    try:
        return ctrl.client.create(CONTROLLER_REVISION, revision)
    except AlreadyExists:
        # our cache lags behind an earlier sync's write: the existing one is ours if it matches
        existing = ctrl.client.get(CONTROLLER_REVISION, revision["metadata"]["name"])
        if (
            existing is not None
            and matches(ds, existing)
            and controller_uid(existing) == ds["metadata"]["uid"]
        ):
            return existing
        raise


def cleanup_history(ctrl: DaemonSetController, ds: Obj, old: list[Obj], pods: Iterable[Obj]) -> None:
    """Delete the oldest revisions beyond revisionHistoryLimit that no live pod still uses."""
    to_kill = len(old) - ds["spec"].get("revisionHistoryLimit", 10)
    if to_kill <= 0:
        return
    live = {(p["metadata"].get("labels") or {}).get(HASH_LABEL) for p in pods}
    for revision in sorted(old, key=lambda r: r.get("revision", 0)):
        if to_kill <= 0:
            break
        if (revision["metadata"].get("labels") or {}).get(HASH_LABEL) in live:
            continue
        ctrl.client.delete(CONTROLLER_REVISION, revision["metadata"]["name"])
        to_kill -= 1

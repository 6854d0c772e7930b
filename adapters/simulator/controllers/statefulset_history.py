"""StatefulSet ControllerRevisions: current and update revision, roll-back renumbering, history truncation.

A revision's `data` is `{"spec": {"template": ...}}` (upstream stores that as a strategic-merge patch) and
two revisions are equal when their templates are. Names are `<set>-<hash>` with the simulator's own hash
(`daemonset_history.template_hash`), so they differ from a real cluster's. Hash collisions are not modelled:
collisionCount stays 0.
ref: pkg/controller/statefulset/stateful_set_control.go (ListRevisions, getStatefulSetRevisions,
truncateHistory), pkg/controller/statefulset/stateful_set_utils.go (newRevision, nextRevision, getPatch),
pkg/controller/history/controller_history.go (SortControllerRevisions, FindEqualRevisions, EqualRevision,
CreateControllerRevision, UpdateControllerRevision)
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from ..client import Client
from ..informer import Informer
from ..objects import CONTROLLER_REVISION, STATEFULSET, Obj, clone, new_controller_ref
from ..store import AlreadyExists
from .daemonset_history import template_hash
from .statefulset_pods import HASH_LABEL, owned_by, revision_of


@attrs.frozen
class Revisions:
    current: Obj
    update: Obj


def template_of(revision: Obj) -> Obj:
    return ((revision.get("data") or {}).get("spec") or {}).get("template") or {}


def number(revision: Obj) -> int:
    return revision.get("revision", 0)


def sorted_revisions(revisions: Iterable[Obj]) -> list[Obj]:
    # ref controller_history.go (SortControllerRevisions): by revision number, then name
    return sorted(revisions, key=lambda r: (number(r), r["metadata"]["name"]))


def list_revisions(informer: Informer, sts: Obj) -> list[Obj]:
    uid = sts["metadata"]["uid"]
    return sorted_revisions(r for r in informer.list(CONTROLLER_REVISION) if owned_by(r, uid))


def _new_revision(sts: Obj, revision_number: int) -> Obj:
    # ref stateful_set_utils.go (newRevision), controller_history.go (NewControllerRevision)
    template = sts["spec"]["template"]
    hash_ = template_hash(template)
    return {
        "apiVersion": "apps/v1",
        "kind": CONTROLLER_REVISION,
        "metadata": {
            "name": f"{sts['metadata']['name']}-{hash_}",
            "labels": {**((template.get("metadata") or {}).get("labels") or {}), HASH_LABEL: hash_},
            "ownerReferences": [new_controller_ref(sts, STATEFULSET)],
        },
        "data": {"spec": {"template": clone(template)}},
        "revision": revision_number,
    }


def _create(client: Client, sts: Obj, revision: Obj) -> Obj:
    try:
        return client.create(CONTROLLER_REVISION, revision)
    except AlreadyExists:
        # ref controller_history.go (CreateControllerRevision): an equal one already there is returned
        existing = client.get(CONTROLLER_REVISION, revision["metadata"]["name"])
        same = existing is not None and template_of(existing) == template_of(revision)
        if same and owned_by(existing, sts["metadata"]["uid"]):
            client.note_failed("create", CONTROLLER_REVISION, revision["metadata"]["name"], "AlreadyExists")
            return existing
        raise


def statefulset_revisions(client: Client, sts: Obj, revisions: list[Obj]) -> Revisions:
    """The current and update revisions; creates the update revision, or renumbers an equal older one."""
    # ref stateful_set_control.go (getStatefulSetRevisions)
    next_number = number(revisions[-1]) + 1 if revisions else 1  # ref nextRevision
    equal = [r for r in revisions if template_of(r) == sts["spec"]["template"]]
    if equal and equal[-1] is revisions[-1]:
        update = revisions[-1]
    elif equal:
        update = client.update(CONTROLLER_REVISION, {**clone(equal[-1]), "revision": next_number})
    else:
        update = _create(client, sts, _new_revision(sts, next_number))
    wanted = (sts.get("status") or {}).get("currentRevision", "")
    current = next((r for r in revisions if r["metadata"]["name"] == wanted), update)
    return Revisions(current, update)


def truncate_history(
    client: Client, sts: Obj, pods: list[Obj], revisions: list[Obj], revs: Revisions
) -> None:
    """Delete the oldest revisions that are neither current, update nor any pod's, down to the limit."""
    # ref stateful_set_control.go (truncateHistory)
    live = {revs.current["metadata"]["name"], revs.update["metadata"]["name"]}
    live |= {revision_of(p) for p in pods}
    history = [r for r in revisions if r["metadata"]["name"] not in live]
    limit = sts["spec"].get("revisionHistoryLimit", 10)
    if limit < 0 or len(history) <= limit:
        return
    for revision in history[: len(history) - limit]:
        client.delete(CONTROLLER_REVISION, revision["metadata"]["name"])

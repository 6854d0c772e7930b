"""The controllers' API client: store calls, with injected faults where a FaultPlan asks for them."""

from __future__ import annotations

from .faults import POD_CREATE, POD_DELETE, REPLICASET_CREATE, REPLICASET_UPDATE, FaultPlan
from .objects import POD, REPLICASET, Obj
from .store import ApiError, Store


class Client:
    def __init__(self, store: Store, faults: FaultPlan) -> None:
        self.store = store
        self.faults = faults
        # while a sync is traced: (verb, kind, name, object as stored or None, error reason) per write
        self.journal: list[tuple[str, str, str, Obj | None, str]] | None = None

    def _note(self, verb: str, kind: str, name: str, obj: Obj | None, error: str = "") -> None:
        if self.journal is not None:
            self.journal.append((verb, kind, name, obj, error))

    def note_failed(self, verb: str, kind: str, name: str, reason: str) -> None:
        """Journal a write that failed with `reason` and that the controller went on from (a create that
        found an equal object already stored)."""
        self._note(verb, kind, name, None, reason)

    def get(self, kind: str, name: str) -> Obj | None:
        """A quorum read (bypasses every cache)."""
        return self.store.get(kind, name)

    def create(self, kind: str, obj: Obj) -> Obj:
        if kind == POD:
            self.faults.check(POD_CREATE)
        elif kind == REPLICASET:
            self.faults.check(REPLICASET_CREATE)
        created = self.store.create(kind, obj)
        self._note("create", kind, created["metadata"]["name"], created)
        return created

    def update(self, kind: str, obj: Obj) -> Obj:
        if kind == REPLICASET:
            self.faults.check(REPLICASET_UPDATE)
        updated = self.store.update(kind, obj)
        self._note("update", kind, updated["metadata"]["name"], updated)
        return updated

    def update_status(self, kind: str, obj: Obj) -> Obj:
        try:
            updated = self.store.update_status(kind, obj)
        except ApiError as err:
            # journaled: a retry after a conflict writes on top of the object the retry read afresh
            self._note("update-status", kind, obj["metadata"]["name"], None, err.reason)
            raise
        self._note("update-status", kind, updated["metadata"]["name"], updated)
        return updated

    def set_owner_refs(
        self, kind: str, name: str, uid: str, refs: list[Obj], finalizers: list[str] | None = None
    ) -> Obj:
        """Adopt or release. Journaled for pods only: the ReplicaSet per-sync rules judge a pod's claim,
        while a Deployment's claim of ReplicaSets would read as a size write there."""
        try:
            updated = self.store.set_owner_refs(kind, name, uid, refs, finalizers)
        except ApiError as err:
            if kind == POD:
                self._note("update", kind, name, None, err.reason)
            raise
        if kind == POD:
            self._note("update", kind, name, updated)
        return updated

    def delete(self, kind: str, name: str, uid: str | None = None) -> None:
        if kind == POD:
            self.faults.check(POD_DELETE)
        try:
            self.store.delete(kind, name, uid=uid)
        except ApiError as err:
            # a delete that finds the object gone is still the decision the sync made
            self._note("delete", kind, name, None, err.reason)
            raise
        self._note("delete", kind, name, None)

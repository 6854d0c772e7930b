"""The controllers' API client: store calls, with injected faults where a FaultPlan asks for them."""

from __future__ import annotations

from .faults import POD_CREATE, POD_DELETE, REPLICASET_CREATE, REPLICASET_UPDATE, FaultPlan
from .objects import POD, REPLICASET, Obj
from .store import Store


class Client:
    def __init__(self, store: Store, faults: FaultPlan) -> None:
        self.store = store
        self.faults = faults

    def get(self, kind: str, name: str) -> Obj | None:
        """A quorum read (bypasses every cache)."""
        return self.store.get(kind, name)

    def create(self, kind: str, obj: Obj) -> Obj:
        if kind == POD:
            self.faults.check(POD_CREATE)
        elif kind == REPLICASET:
            self.faults.check(REPLICASET_CREATE)
        return self.store.create(kind, obj)

    def update(self, kind: str, obj: Obj) -> Obj:
        if kind == REPLICASET:
            self.faults.check(REPLICASET_UPDATE)
        return self.store.update(kind, obj)

    def update_status(self, kind: str, obj: Obj) -> Obj:
        return self.store.update_status(kind, obj)

    def set_owner_refs(self, kind: str, name: str, uid: str, refs: list[Obj]) -> Obj:
        return self.store.set_owner_refs(kind, name, uid, refs)

    def delete(self, kind: str, name: str, uid: str | None = None) -> None:
        if kind == POD:
            self.faults.check(POD_DELETE)
        self.store.delete(kind, name, uid=uid)

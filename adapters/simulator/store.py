"""The API object store: what kube-apiserver + etcd do for the four kinds we simulate.

One namespace; objects keyed by (kind, name); a global resourceVersion counter; uid and
creationTimestamp on create; `generation` bumped on spec changes only; status written through a
separate call (the status subresource); optimistic concurrency when the writer sends a
resourceVersion; graceful pod deletion. Every write appends a watch event to each subscriber.

Stored objects are never mutated in place (copy on write), so caches and events can share them; a
caller must `clone` before editing what it read.
Finalizers hold a deleted object until they are removed (nothing else about them is modelled).
Not modelled: foreground/orphan propagation, field managers, label selectors other than
matchLabels, namespaces other than `default`.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple

from kubeprops.adapters.kube_objects import format_time
from kubeprops.scenario.errors import InvalidSpec

from .admission import DEFAULTERS, STATUS_VALIDATORS, VALIDATORS
from .clock import Clock
from .objects import KINDS, NAMESPACE, POD, Obj, clone, controller_uid

GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # ref: apimachinery/pkg/util/rand/rand.go
ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"
DEFAULT_GRACE_SECONDS = 30


class WatchEvent(NamedTuple):
    type: str
    kind: str
    obj: Obj
    old: Obj | None


class ApiError(Exception):
    reason = "InternalError"


class NotFound(ApiError):
    reason = "NotFound"


class AlreadyExists(ApiError):
    reason = "AlreadyExists"


class Conflict(ApiError):
    reason = "Conflict"


class Invalid(ApiError):
    """A write the API server's validation rejects (HTTP 422) when a controller makes it."""

    reason = "Invalid"


Watcher = Callable[[WatchEvent], None]


class Store:
    def __init__(self, clock: Clock, rng: random.Random) -> None:
        self.clock = clock
        self.rng = rng
        self.resource_version = 0
        self._objects: dict[str, dict[str, Obj]] = {kind: {} for kind in KINDS}
        self._watchers: list[Watcher] = []
        self.dependents: dict[str, set[tuple[str, str]]] = {}  # controller uid -> (kind, name)
        self.uids: dict[str, tuple[str, str]] = {}
        self.finalizing: set[str] = set()  # uids whose deletion completed but finalizers remain

    def __deepcopy__(self, memo: dict[int, Any]) -> Store:
        """Containers are copied, stored objects shared: they are never mutated in place."""
        new = Store.__new__(Store)
        memo[id(self)] = new
        new.clock = copy.deepcopy(self.clock, memo)
        new.rng = copy.deepcopy(self.rng, memo)
        new.resource_version = self.resource_version
        new._objects = {kind: dict(objects) for kind, objects in self._objects.items()}
        new.dependents = {uid: set(names) for uid, names in self.dependents.items()}
        new.uids = dict(self.uids)
        new.finalizing = set(self.finalizing)
        new._watchers = copy.deepcopy(self._watchers, memo)
        return new

    # ------------------------------------------------------------ reads

    def get(self, kind: str, name: str) -> Obj | None:
        return self._objects[kind].get(name)

    def must_get(self, kind: str, name: str) -> Obj:
        obj = self._objects[kind].get(name)
        if obj is None:
            raise NotFound(f'{kind.lower()}s "{name}" not found')
        return obj

    def list(self, kind: str) -> list[Obj]:
        return list(self._objects[kind].values())

    def exists_uid(self, uid: str) -> bool:
        return uid in self.uids

    def watch(self, watcher: Watcher) -> None:
        self._watchers.append(watcher)

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.remove(watcher)

    # ------------------------------------------------------------ writes

    def create(self, kind: str, obj: Obj, *, dry_run: bool = False) -> Obj:
        obj = clone(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name"):
            meta["name"] = self._generate_name(kind, meta.get("generateName", ""))
        if meta["name"] in self._objects[kind]:
            raise AlreadyExists(f'{kind.lower()}s "{meta["name"]}" already exists')
        obj.setdefault("spec", {})
        if kind in DEFAULTERS:
            DEFAULTERS[kind](obj)
        if kind in VALIDATORS:
            VALIDATORS[kind](obj)
        if dry_run:
            return obj
        meta.update(
            namespace=NAMESPACE,
            uid=self._new_uid(),
            generation=1,
            creationTimestamp=format_time(self.clock.now),
        )
        obj.setdefault("status", {"phase": "Pending"} if kind == POD else {})
        obj.setdefault("kind", kind)
        self._store(kind, obj, None)
        return obj

    def update(self, kind: str, obj: Obj) -> Obj:
        """Replace metadata (labels, annotations, ownerReferences) and spec; keep status."""
        old = self.must_get(kind, obj["metadata"]["name"])
        self._check_version(old, obj)
        new = {**old, "metadata": self._merged_meta(old, obj), "spec": clone(obj["spec"])}
        for key in ("data", "revision"):  # a ControllerRevision's top-level fields
            if key in obj:
                new[key] = clone(obj[key])
        if kind in DEFAULTERS:
            DEFAULTERS[kind](new)
        if kind in VALIDATORS:
            VALIDATORS[kind](new, old)
        if new["spec"] != old["spec"]:
            new["metadata"]["generation"] = old["metadata"]["generation"] + 1
        if new == old:
            return old
        self._store(kind, new, old)
        if new["metadata"]["uid"] in self.finalizing and not new["metadata"].get("finalizers"):
            self.remove(kind, new["metadata"]["name"])  # the last finalizer is gone: deletion completes
        return new

    def update_status(self, kind: str, obj: Obj) -> Obj:
        """The status subresource: status plus annotations; spec and labels are kept.

        ref: pkg/registry/apps/deployment/strategy.go (deploymentStatusStrategy.PrepareForUpdate)
        """
        old = self.must_get(kind, obj["metadata"]["name"])
        self._check_version(old, obj)
        meta = dict(old["metadata"])
        meta["annotations"] = clone(obj["metadata"].get("annotations") or {})
        if not meta["annotations"] and not old["metadata"].get("annotations"):
            meta.pop("annotations")
        new = {**old, "metadata": meta, "status": clone(obj.get("status") or {})}
        if new == old:
            return old
        if kind in STATUS_VALIDATORS:
            try:
                STATUS_VALIDATORS[kind](new)
            except InvalidSpec as err:
                raise Invalid(str(err)) from None
        self._store(kind, new, old)
        return new

    def set_owner_refs(
        self, kind: str, name: str, uid: str, refs: list[Obj], finalizers: list[str] | None = None
    ) -> Obj:
        """A PATCH of metadata.ownerReferences with a uid precondition (adopt / release); `finalizers`,
        when given, are written in the same patch (the Job's claim adds or removes its tracking one)."""
        old = self.must_get(kind, name)
        # both are 422s upstream: the patch's metadata.uid would change an immutable field, and
        # ValidateOwnerReferences allows one controller reference
        if old["metadata"]["uid"] != uid:
            raise Invalid(f"metadata.uid: field is immutable (precondition uid {uid})")
        if sum(1 for r in refs if r.get("controller")) > 1:
            raise Invalid("metadata.ownerReferences: Only one reference can have Controller set to true")
        meta = {**old["metadata"], "ownerReferences": clone(refs)}
        if finalizers is not None:
            meta["finalizers"] = list(finalizers)
        if not refs:
            meta.pop("ownerReferences")
        new = {**old, "metadata": meta}
        self._store(kind, new, old)
        return new

    def bind(self, name: str, node: str) -> Obj:
        """pods/binding: set spec.nodeName and PodScheduled=True.

        ref: pkg/registry/core/pod/storage/storage.go (BindingREST.assignPod)
        """
        old = self.must_get(POD, name)
        if old["spec"].get("nodeName"):
            raise Conflict(f'pod "{name}" is already assigned to node "{old["spec"]["nodeName"]}"')
        status = dict(old.get("status") or {})
        conditions = [c for c in status.get("conditions") or [] if c["type"] != "PodScheduled"]
        status["conditions"] = [
            {"type": "PodScheduled", "status": "True", "lastTransitionTime": format_time(self.clock.now)},
            *conditions,
        ]
        new = {
            **old,
            "spec": {**old["spec"], "nodeName": node},
            "status": status,
            "metadata": dict(old["metadata"]),
        }
        self._store(POD, new, old)
        return new

    def delete(self, kind: str, name: str, *, grace: int | None = None, uid: str | None = None) -> None:
        """Delete; pods bound to a node and not terminal get a graceful deletionTimestamp.

        ref: pkg/registry/core/pod/strategy.go (CheckGracefulDelete)
        """
        old = self.must_get(kind, name)
        if uid is not None and old["metadata"]["uid"] != uid:
            raise Conflict(f"precondition failed: uid {uid}")
        if kind != POD or grace == 0 or not self._needs_grace(old):
            self.remove(kind, name)
            return
        if old["metadata"].get("deletionTimestamp"):
            return
        grace = (
            grace
            if grace is not None
            else old["spec"].get("terminationGracePeriodSeconds", DEFAULT_GRACE_SECONDS)
        )
        meta = {
            **old["metadata"],
            "deletionTimestamp": format_time(self.clock.now + grace),
            "deletionGracePeriodSeconds": grace,
        }
        self._store(kind, {**old, "metadata": meta}, old)

    def remove(self, kind: str, name: str) -> None:
        """The object is gone (grace period over, or no grace needed), unless finalizers hold it: then it
        stays, with a deletionTimestamp, until an update removes the last of them."""
        current = self._objects[kind].get(name)
        if current is not None and current["metadata"].get("finalizers"):
            self.finalizing.add(current["metadata"]["uid"])
            if not current["metadata"].get("deletionTimestamp"):
                meta = {**current["metadata"], "deletionTimestamp": format_time(self.clock.now)}
                self._store(kind, {**current, "metadata": meta}, current)
            return
        old = self._objects[kind].pop(name, None)
        if old is None:
            return
        self.finalizing.discard(old["metadata"]["uid"])
        self.resource_version += 1
        meta = old["metadata"]
        self.uids.pop(meta["uid"], None)
        self._unindex(kind, old)
        self._emit(WatchEvent(DELETED, kind, old, old))

    # ------------------------------------------------------------ internals

    @staticmethod
    def _needs_grace(pod: Obj) -> bool:
        phase = (pod.get("status") or {}).get("phase")
        return bool(pod["spec"].get("nodeName")) and phase not in ("Succeeded", "Failed")

    @staticmethod
    def _check_version(old: Obj, obj: Obj) -> None:
        sent = obj["metadata"].get("resourceVersion")
        if sent is not None and sent != old["metadata"]["resourceVersion"]:
            name = old["metadata"]["name"]
            raise Conflict(f'Operation cannot be fulfilled on "{name}": the object has been modified')

    @staticmethod
    def _merged_meta(old: Obj, obj: Obj) -> Obj:
        meta = dict(old["metadata"])
        # finalizers travel too (the Job controller removes its tracking finalizer; see `remove`)
        for key in ("labels", "annotations", "ownerReferences", "finalizers"):
            value = obj["metadata"].get(key)
            if value:
                meta[key] = clone(value)
            else:
                meta.pop(key, None)
        return meta

    def _store(self, kind: str, new: Obj, old: Obj | None) -> None:
        self.resource_version += 1
        new["metadata"]["resourceVersion"] = str(self.resource_version)
        self._objects[kind][new["metadata"]["name"]] = new
        self.uids[new["metadata"]["uid"]] = (kind, new["metadata"]["name"])
        if old is not None:
            self._unindex(kind, old)
        owner = controller_uid(new)
        if owner:
            self.dependents.setdefault(owner, set()).add((kind, new["metadata"]["name"]))
        self._emit(WatchEvent(MODIFIED if old is not None else ADDED, kind, new, old))

    def _unindex(self, kind: str, obj: Obj) -> None:
        owner = controller_uid(obj)
        if owner and owner in self.dependents:
            self.dependents[owner].discard((kind, obj["metadata"]["name"]))
            if not self.dependents[owner]:
                del self.dependents[owner]

    def _emit(self, event: WatchEvent) -> None:
        for watcher in self._watchers:
            watcher(event)

    def _generate_name(self, kind: str, prefix: str) -> str:
        prefix = prefix[:58]  # ref: apiserver/pkg/storage/names/generate.go (maxGeneratedNameLength)
        while True:
            name = prefix + "".join(self.rng.choice(GENERATE_ALPHABET) for _ in range(5))
            if name not in self._objects[kind]:
                return name

    def _new_uid(self) -> str:
        raw = f"{self.rng.getrandbits(128):032x}"
        return f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:]}"

    def dependents_of(self, uid: str) -> Iterable[tuple[str, str]]:
        return sorted(self.dependents.get(uid, ()))

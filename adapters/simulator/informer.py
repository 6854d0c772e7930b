"""Per-controller informer caches fed by the store's watch events.

Events are queued when the store is written and applied to the cache in a separate step, so a
controller can act on a cache that lags behind the store, exactly as a shared informer can. Handlers
see (old cached object, new object) like client-go's ResourceEventHandler.
ref: staging/src/k8s.io/client-go/tools/cache/shared_informer.go
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .objects import Obj, controller_uid
from .store import DELETED, WatchEvent

Handler = Callable[[str, Obj | None, Obj], None]  # (event type, old, new-or-last-state)


class Informer:
    def __init__(self, name: str, kinds: Iterable[str]) -> None:
        self.name = name
        self.kinds = frozenset(kinds)
        self.cache: dict[str, dict[str, Obj]] = {kind: {} for kind in self.kinds}
        self.events: deque[WatchEvent] = deque()
        self.handlers: dict[str, list[Handler]] = {kind: [] for kind in self.kinds}
        # by kind, then controller uid: the objects that controller owns (client-go's indexer by
        # controller UID, which the Job controller lists its pods with: controller.PodControllerUIDIndex)
        self.by_controller: dict[str, dict[str, dict[str, Obj]]] = {kind: {} for kind in self.kinds}

    def __deepcopy__(self, memo: dict[int, Any]) -> Informer:
        """Cached objects and events are immutable: share them, copy the containers."""
        new = Informer.__new__(Informer)
        memo[id(self)] = new
        new.name, new.kinds = self.name, self.kinds
        new.cache = {kind: dict(objects) for kind, objects in self.cache.items()}
        new.events = deque(self.events)
        new.by_controller = {
            kind: {uid: dict(objects) for uid, objects in index.items()}
            for kind, index in self.by_controller.items()
        }
        new.handlers = copy.deepcopy(self.handlers, memo)
        return new

    def on_watch(self, event: WatchEvent) -> None:
        if event.kind in self.kinds:
            self.events.append(event)

    def add_handler(self, kind: str, handler: Handler) -> None:
        self.handlers[kind].append(handler)

    @property
    def pending(self) -> bool:
        return bool(self.events)

    def deliver_one(self) -> None:
        event = self.events.popleft()
        objects = self.cache[event.kind]
        name = event.obj["metadata"]["name"]
        old = objects.get(name)
        if event.type == DELETED:
            objects.pop(name, None)
        else:
            objects[name] = event.obj
        self._reindex(event.kind, name, old, None if event.type == DELETED else event.obj)
        for handler in self.handlers[event.kind]:
            handler(event.type, old, event.obj)

    def deliver_all(self) -> None:
        while self.events:
            self.deliver_one()

    def _reindex(self, kind: str, name: str, old: Obj | None, new: Obj | None) -> None:
        # objects without a controller are indexed under "" (client-go's orphan key, which the Job
        # controller lists with its own pods: FilterPodsByOwner(..., includeOrphanedPods=true))
        index = self.by_controller[kind]
        if old is not None:
            index.get(controller_uid(old) or "", {}).pop(name, None)
        if new is not None:
            index.setdefault(controller_uid(new) or "", {})[name] = new

    def get(self, kind: str, name: str) -> Obj | None:
        return self.cache[kind].get(name)

    def list(self, kind: str) -> list[Obj]:
        """Cached objects of a kind, sorted by name (deterministic iteration)."""
        objects = self.cache[kind]
        return [objects[name] for name in sorted(objects)]

    def controlled_by(self, kind: str, uid: str) -> list[Obj]:
        """Cached objects of a kind whose controller has `uid` (no controller: ""), sorted by name."""
        objects = self.by_controller[kind].get(uid, {})
        return [objects[name] for name in sorted(objects)]

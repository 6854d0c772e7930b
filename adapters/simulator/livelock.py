"""Telling a controller loop from a long instant, quickly.

Some controllers loop at one instant as upstream's do (a StatefulSet sync that creates a pod, deletes it
in the same sync and has its status write rejected, woken again by its own pod events: see
tests/test_statefulset_status_loop.py). A step budget alone tells that apart from a big cluster doing a
lot of work at one instant only after hundreds of thousands of steps. A loop shows itself sooner: the
store's content keeps coming back to a state it already had at this instant. Content here is every
object without its uid and resourceVersion (a recreated pod is a new object with the old name and spec,
and an ownerReference names the owner by uid), so a loop that recreates objects still repeats.

Progress never repeats a content: a settling cluster changes something for good with each round of
writes. Hashing the whole store on every write would slow a 5,000-node instant by half, so the content is
compared only where a loop has been seen to go: whenever an object is created again under a name it had
at this instant at least REPEATS - 1 times before. A content seen REPEATS times at those moments is a loop.
Loops of another shape (two controllers fighting over a field) still end at the step budget.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

from .objects import KINDS
from .store import ADDED, Store, WatchEvent

REPEATS = 3
VOLATILE = frozenset({"uid", "resourceVersion"})


def _stable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [_stable(v) for v in value]
    return value


def content_hash(store: Store) -> int:
    """The store's objects, uids and resourceVersions aside, in a fixed order."""
    objects = [(kind, _stable(obj)) for kind in KINDS for obj in store.list(kind)]
    return hash(json.dumps(sorted(objects, key=lambda o: (o[0], o[1]["metadata"]["name"])), sort_keys=True))


class LoopDetector:
    """Watches the store's writes from `attach` to `detach` (one long instant)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._created: Counter[tuple[str, str]] = Counter()
        self._seen: Counter[int] = Counter()
        self.looping = False
        self._attached = False

    def attach(self) -> None:
        self._created.clear()
        self._seen.clear()
        self.looping = False
        if not self._attached:
            self.store.watch(self._on_event)
            self._attached = True

    def detach(self) -> None:
        if self._attached:
            self.store.unwatch(self._on_event)
            self._attached = False

    def _on_event(self, event: WatchEvent) -> None:
        if event.type != ADDED:
            return
        key = (event.kind, event.obj["metadata"]["name"])
        self._created[key] += 1
        if self._created[key] >= REPEATS:
            content = content_hash(self.store)
            self._seen[content] += 1
            self.looping = self.looping or self._seen[content] >= REPEATS

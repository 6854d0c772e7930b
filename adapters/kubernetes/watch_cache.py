"""The run's objects kept in memory from watches: an informer in miniature.

For each kind one thread LISTs (remembering the list's resourceVersion), then WATCHes from there and
applies ADDED / MODIFIED / DELETED to its store; BOOKMARKs only move the resourceVersion on. When the
server ends a watch (timeoutSeconds) it is renewed from the last resourceVersion; on 410 Gone (that
version is too old) or a broken stream the kind is LISTed again. Waiting code does not poll: it reads
a consistent `Reading` and `wait`s on the condition until the next event or its own deadline.

Read-your-writes: `Api` reports each write's answer (`expect`), and `caught_up` waits until the watch has
delivered that resourceVersion (or the object's deletion), as upstream controllers track their own
writes with expectations (pkg/controller/controller_utils.go, ControllerExpectations).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

from .client import Api, Gone, Obj, WatchStream

log = logging.getLogger(__name__)

RETRY = 0.5  # seconds before re-listing after a failed LIST or a broken stream (not after 410)
EXPECT_TIMEOUT = 5.0  # seconds `caught_up` waits for the event of one of our writes at most
JOIN_TIMEOUT = 10.0
HISTORY = 32  # resourceVersions remembered per object: a write's answer may come after its event


class Reading(NamedTuple):
    version: int  # counts every applied event (and `poke`): what `wait` compares
    changes: int  # counts the events of the namespace's objects: what "quiet" and observers follow
    changed_at: float  # time.monotonic() of the last of those
    objects: dict[str, list[Obj]]  # kind -> objects (shared: read them, never change them)


def rv(obj: Obj) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion", "")


def matches(obj: Obj, selector: str) -> bool:
    """Whether `obj` has the labels of an equality selector "k=v,k2=v2" (the only kind we use)."""
    labels = (obj.get("metadata") or {}).get("labels") or {}
    pairs = (term.split("=", 1) for term in selector.split(",") if term)
    return all(labels.get(key) == value for key, value in pairs)


class WatchCache:
    def __init__(
        self, api: Api, namespace: str, kinds: Iterable[str], cluster: Mapping[str, str] | None = None
    ) -> None:
        """`kinds` are watched in `namespace`; `cluster` maps cluster-scoped kinds to a label selector."""
        self.api = api
        self.namespace = namespace
        self.sources = {kind: (namespace, "") for kind in kinds} | {
            k: ("", sel) for k, sel in (cluster or {}).items()
        }
        self.namespaced = frozenset(kinds)
        self.stores: dict[str, dict[str, Obj]] = {kind: {} for kind in self.sources}
        self.cond = threading.Condition(threading.RLock())
        self.version = 0
        self.changes = 0
        self.changed_at = time.monotonic()
        self.expected: dict[tuple[str, str], tuple[str, float]] = {}  # (kind, name) -> (rv, give up at)
        self.history: defaultdict[tuple[str, str], deque[str]] = defaultdict(lambda: deque(maxlen=HISTORY))
        self.relists = 0
        self.errors = 0
        self._stop = threading.Event()
        self._streams: dict[str, WatchStream] = {}
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """List every kind (the cache is complete when this returns), then watch each in its thread."""
        versions = {kind: self._relist(kind) for kind in self.sources}
        self.api.on_write.append(self.expect)
        for kind, version in versions.items():
            thread = threading.Thread(
                target=self._run, args=(kind, version), name=f"watch-{kind}", daemon=True
            )
            self._threads.append(thread)
            thread.start()

    def close(self) -> None:
        """Stop every watch and join its thread."""
        self._stop.set()
        if self.expect in self.api.on_write:
            self.api.on_write.remove(self.expect)
        with self.cond:
            streams = list(self._streams.values())
            self.cond.notify_all()
        for stream in streams:
            stream.close()
        for thread in self._threads:
            thread.join(JOIN_TIMEOUT)
        self._threads = []

    @property
    def started(self) -> bool:
        return bool(self._threads)

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    # ------------------------------------------------------------ reading and waiting

    def read(self) -> Reading:
        with self.cond:
            objects = {kind: list(store.values()) for kind, store in self.stores.items()}
            return Reading(self.version, self.changes, self.changed_at, objects)

    def get(self, kind: str, name: str) -> Obj | None:
        with self.cond:
            return self.stores[kind].get(name)

    def wait(self, seen: int, timeout: float) -> None:
        """Return once `version` differs from `seen`, after `timeout` seconds, or when stopped."""
        with self.cond:
            self.cond.wait_for(lambda: self.version != seen or self.stopped, max(0.0, timeout))

    def wait_until(self, ready: Callable[[], bool], timeout: float) -> bool:
        """Wait (re-checking on every event) until `ready()` holds; False after `timeout` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: ready() or self.stopped, max(0.0, timeout)) and ready()

    def poke(self) -> None:
        """Wake the waiters (something they depend on changed outside the API)."""
        with self.cond:
            self.version += 1
            self.cond.notify_all()

    def expect(self, kind: str, obj: Obj) -> None:
        """Our write's answer: `caught_up` waits until its event arrives (unless already here)."""
        if kind not in self.stores:
            return
        namespace, selector = self.sources[kind]
        meta = obj["metadata"]
        if (namespace and meta.get("namespace") != namespace) or (selector and not matches(obj, selector)):
            return
        key = (kind, meta["name"])
        with self.cond:
            if rv(obj) not in self.history[key]:
                self.expected[key] = (rv(obj), time.monotonic() + EXPECT_TIMEOUT)

    def caught_up(self) -> bool:
        """Wait until every write we expect has arrived; False if some never did (given up then)."""
        given_up: list[tuple[str, str]] = []

        def done() -> bool:
            now = time.monotonic()
            for key, (_, give_up) in list(self.expected.items()):
                if give_up <= now:
                    log.warning("watch cache %s: no event for our write of %s", self.namespace, key)
                    given_up.append(key)
                    del self.expected[key]
            return not self.expected

        with self.cond:
            return self.cond.wait_for(lambda: done() or self.stopped, EXPECT_TIMEOUT) and not given_up

    # ------------------------------------------------------------ the watch threads

    def _run(self, kind: str, version: str | None) -> None:
        namespace, selector = self.sources[kind]
        while not self.stopped:
            try:
                if version is None:
                    version = self._relist(kind)
                stream = self.api.watch(kind, namespace, selector, version)
                with self.cond:
                    if self.stopped:
                        stream.close()
                        return
                    self._streams[kind] = stream
                try:
                    for event in stream:
                        version = self._apply(kind, event)
                finally:
                    with self.cond:
                        self._streams.pop(kind, None)
                # the server's timeoutSeconds ended it: renew from the last version, no LIST needed
            except Gone:
                version = None
            except Exception:
                if self.stopped:
                    return
                self.errors += 1
                log.warning(
                    "watch cache %s: %s stream broke; listing again", self.namespace, kind, exc_info=True
                )
                version = None
                self._stop.wait(RETRY)

    def _relist(self, kind: str) -> str:
        namespace, selector = self.sources[kind]
        items, version = self.api.list_versioned(kind, namespace, selector)
        fresh = {o["metadata"]["name"]: o for o in items}
        with self.cond:
            self.relists += 1
            old = self.stores[kind]
            if {n: rv(o) for n, o in old.items()} != {n: rv(o) for n, o in fresh.items()}:
                self.stores[kind] = fresh
                self._changed(kind)
            for name, obj in fresh.items():
                self._seen(kind, name, rv(obj))
        return version

    def _apply(self, kind: str, event: Obj) -> str:
        """Apply one event to the store; returns the resourceVersion to continue from."""
        obj = event.get("object") or {}
        kind_of_event = event.get("type")
        if kind_of_event in ("ADDED", "MODIFIED", "DELETED"):
            name = obj["metadata"]["name"]
            with self.cond:
                if kind_of_event == "DELETED":
                    self.stores[kind].pop(name, None)
                    self.expected.pop((kind, name), None)
                else:
                    self.stores[kind][name] = obj
                self._seen(kind, name, rv(obj))
                self._changed(kind)
        return rv(obj)  # a BOOKMARK carries only its resourceVersion

    def _seen(self, kind: str, name: str, version: str) -> None:
        self.history[(kind, name)].append(version)
        if self.expected.get((kind, name), ("",))[0] == version:
            del self.expected[(kind, name)]

    def _changed(self, kind: str) -> None:
        self.version += 1
        if kind in self.namespaced:
            self.changes += 1
            self.changed_at = time.monotonic()
        self.cond.notify_all()

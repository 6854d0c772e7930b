"""A rate-limited, de-duplicating work queue of object keys, and controller expectations.

ref: staging/src/k8s.io/client-go/util/workqueue (Type, delaying_queue, default_rate_limiters),
pkg/controller/controller_utils.go (ControllerExpectations, UIDTrackingControllerExpectations)
"""

from __future__ import annotations

from collections import deque

import attrs

from ..clock import Clock, quantize

BASE_DELAY = 0.005  # ItemExponentialFailureRateLimiter(5ms, 1000s)
MAX_DELAY = 1000.0
EXPECTATIONS_TIMEOUT = 300.0  # ExpectationsTimeout = 5 * time.Minute


class WorkQueue:
    """With `coalesce`, AddAfter is client-go's: one waiting entry per key, the earliest time wins. Only
    the Job controller asks for it so far (its 1 s batch period rests on it); the other controllers keep a
    timer per AddAfter: on the exact virtual clock the ReplicaSet's minReadySeconds + 1 s requeue would
    otherwise give way to its own sync's earlier minReadySeconds one, which fires at exactly
    minReadySeconds, when no pod is available yet (a real clock is a little late and finds them)."""

    def __init__(self, clock: Clock, owner: str, coalesce: bool = False) -> None:
        self.clock = clock
        self.owner = owner  # timers name the queue by its controller
        self.coalesce = coalesce
        self._keys: deque[str] = deque()
        self._dirty: set[str] = set()
        self._failures: dict[str, int] = {}
        # key -> when its delayed add is due: one entry per key, the earliest wins (delaying_queue.go)
        self._waiting: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> None:
        if key not in self._dirty:
            self._dirty.add(key)
            self._keys.append(key)

    def add_after(self, key: str, delay: float) -> None:
        """Add `key` once `delay` has passed. Coalescing as client-go's AddAfter: a key already waiting
        keeps one entry, moved earlier only if the new time is sooner (so a later AddAfter of a waiting
        key changes nothing); a key already in the queue is not added twice when its wait ends."""
        # ref client-go util/workqueue/delaying_queue.go (AddAfter, waitingLoop, insert)
        if delay <= 0:
            self.add(key)
            return
        if not self.coalesce:
            self.clock.call_after(delay, ("enqueue", self.owner, key))
            return
        ready_at = quantize(self.clock.now + delay)
        if self._waiting.get(key, ready_at + 1) <= ready_at:
            return
        self._waiting[key] = ready_at
        self.clock.call_at(ready_at, ("enqueue", self.owner, key))

    def waiting(self, key: str) -> float | None:
        """When the delayed add of `key` is due (None: not waiting)."""
        return self._waiting.get(key)

    def fire(self, key: str) -> None:
        """An "enqueue" timer is due: add the key if its wait is over (a timer of an entry that was
        moved earlier meanwhile finds it gone, or due later, and does nothing)."""
        if not self.coalesce:
            self.add(key)
            return
        ready_at = self._waiting.get(key)
        if ready_at is not None and ready_at <= self.clock.now:
            del self._waiting[key]
            self.add(key)

    def add_rate_limited(self, key: str) -> None:
        """Exponential back-off per key, reset by `forget`.

        Deviation: upstream `Forget`s after every successful sync, so a stuck-deployment requeue is
        always 5 ms; we only forget when a sync asks for no rate-limited requeue, so such a loop
        backs off (bounded work in virtual time).
        """
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        # a 2**failures past float range is simply the cap, as upstream's When checks it against MaxInt64
        self.add_after(key, MAX_DELAY if failures > 40 else min(BASE_DELAY * 2**failures, MAX_DELAY))

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def pop(self) -> str:
        key = self._keys.popleft()
        self._dirty.discard(key)
        return key


@attrs.define
class _Expectation:
    add: int
    deletions: set[str]
    timestamp: float


class Expectations:
    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._items: dict[str, _Expectation] = {}

    def satisfied(self, key: str) -> bool:
        # ref: controller_utils.go (SatisfiedExpectations, Fulfilled, isExpired)
        exp = self._items.get(key)
        if exp is None or (exp.add <= 0 and not exp.deletions):
            return True
        return self.clock.now - exp.timestamp > EXPECTATIONS_TIMEOUT

    def expect_creations(self, key: str, count: int) -> None:
        self._items[key] = _Expectation(count, set(), self.clock.now)

    def expect_deletions(self, key: str, pod_names: list[str]) -> None:
        self._items[key] = _Expectation(0, set(pod_names), self.clock.now)

    def creation_observed(self, key: str) -> None:
        exp = self._items.get(key)
        if exp is not None:
            exp.add -= 1

    def deletion_observed(self, key: str, pod_name: str) -> None:
        exp = self._items.get(key)
        if exp is not None:
            exp.deletions.discard(pod_name)

    def delete(self, key: str) -> None:
        self._items.pop(key, None)

"""A rate-limited, de-duplicating work queue of object keys, and controller expectations.

ref: staging/src/k8s.io/client-go/util/workqueue (Type, delaying_queue, default_rate_limiters),
pkg/controller/controller_utils.go (ControllerExpectations, UIDTrackingControllerExpectations)
"""

from __future__ import annotations

from collections import deque

import attrs

from ..clock import Clock

BASE_DELAY = 0.005  # ItemExponentialFailureRateLimiter(5ms, 1000s)
MAX_DELAY = 1000.0
EXPECTATIONS_TIMEOUT = 300.0  # ExpectationsTimeout = 5 * time.Minute


class WorkQueue:
    def __init__(self, clock: Clock, owner: str) -> None:
        self.clock = clock
        self.owner = owner  # timers name the queue by its controller
        self._keys: deque[str] = deque()
        self._dirty: set[str] = set()
        self._failures: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> None:
        if key not in self._dirty:
            self._dirty.add(key)
            self._keys.append(key)

    def add_after(self, key: str, delay: float) -> None:
        if delay <= 0:
            self.add(key)
        else:
            self.clock.call_after(delay, ("enqueue", self.owner, key))

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

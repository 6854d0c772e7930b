"""A rate-limited, de-duplicating work queue of object keys, and controller expectations.

ref: staging/src/k8s.io/client-go/util/workqueue (Type, delaying_queue, default_rate_limiters),
pkg/controller/controller_utils.go (ControllerExpectations, UIDTrackingControllerExpectations)
"""

from __future__ import annotations

from collections import deque

import attrs

from ..clock import Clock, quantize

EXPECTATIONS_TIMEOUT = 300.0  # ExpectationsTimeout = 5 * time.Minute


@attrs.frozen
class RateLimiter:
    """A queue's back-off for AddRateLimited: ItemExponentialFailureRateLimiter(base, cap) per key, and with
    `qps` also the overall token bucket (rate.NewLimiter(qps, burst)) whose delay counts when longer.

    ref: client-go util/workqueue/default_rate_limiters.go (DefaultTypedControllerRateLimiter,
    TypedItemExponentialFailureRateLimiter.When, TypedBucketRateLimiter, TypedMaxOfRateLimiter)"""

    base: float
    cap: float
    qps: float = 0.0  # 0: no overall bucket
    burst: int = 0

    def item_delay(self, failures: int) -> float:
        # a 2**failures past float range is simply the cap, as upstream's When checks it against MaxInt64
        return self.cap if failures > 62 else min(self.base * 2**failures, self.cap)


# DefaultTypedControllerRateLimiter: 5 ms doubling to 1000 s per key, max'ed with a 10 qps, 100 burst bucket
DEFAULT_CONTROLLER_RATE_LIMITER = RateLimiter(0.005, 1000.0, qps=10.0, burst=100)
# the Job controller's own: NewTypedItemExponentialFailureRateLimiter(DefaultJobApiBackOff, MaxJobApiBackOff)
# ref pkg/controller/job/job_controller.go@v1.35.4 (NewController; DefaultJobApiBackOff = 1 s,
# MaxJobApiBackOff = 1 min)
JOB_RATE_LIMITER = RateLimiter(1.0, 60.0)
BASE_DELAY = DEFAULT_CONTROLLER_RATE_LIMITER.base
MAX_DELAY = DEFAULT_CONTROLLER_RATE_LIMITER.cap


class WorkQueue:
    """client-go's rate-limited delaying queue of object keys. AddAfter merges waits per key: one waiting
    entry per key, the earliest time wins, and a key already queued is not added twice when its wait ends."""

    def __init__(
        self, clock: Clock, owner: str, rate_limiter: RateLimiter = DEFAULT_CONTROLLER_RATE_LIMITER
    ) -> None:
        self.clock = clock
        self.owner = owner  # timers name the queue by its controller
        self.rate_limiter = rate_limiter
        self._keys: deque[str] = deque()
        self._dirty: set[str] = set()
        self._failures: dict[str, int] = {}
        # key -> when its delayed add is due: one entry per key, the earliest wins (delaying_queue.go)
        self._waiting: dict[str, float] = {}
        # the overall token bucket: its tokens at `_bucket_at` (rate.Limiter starts full; may go negative)
        self._tokens = float(rate_limiter.burst)
        self._bucket_at = clock.now

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> None:
        if key not in self._dirty:
            self._dirty.add(key)
            self._keys.append(key)

    def add_after(self, key: str, delay: float) -> None:
        """Add `key` once `delay` has passed. A key already waiting keeps one entry, moved earlier only if
        the new time is sooner (so a later AddAfter of a waiting key changes nothing); a key already in the
        queue is not added twice when its wait ends."""
        # ref client-go util/workqueue/delaying_queue.go (AddAfter, waitingLoop, insert)
        if delay <= 0:
            self.add(key)
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
        ready_at = self._waiting.get(key)
        if ready_at is not None and ready_at <= self.clock.now:
            del self._waiting[key]
            self.add(key)

    def add_rate_limited(self, key: str) -> None:
        """AddAfter(key, rateLimiter.When(key)): exponential back-off per key, reset by `forget`, or the
        overall bucket's delay when that is longer.

        Deviation: upstream `Forget`s after every successful sync, so a stuck-deployment requeue is
        always 5 ms; we only forget when a sync asks for no rate-limited requeue, so such a loop
        backs off (bounded work in virtual time).
        """
        failures = self._failures.get(key, 0)
        self._failures[key] = failures + 1
        self.add_after(key, max(self.rate_limiter.item_delay(failures), self._bucket_delay()))

    def _bucket_delay(self) -> float:
        """rate.Limiter.Reserve().Delay(): refill since the last reservation, take a token, and wait for
        the deficit. ref golang.org/x/time/rate (Limiter.reserveN, advance)"""
        limiter = self.rate_limiter
        if limiter.qps <= 0:
            return 0.0
        elapsed = self.clock.now - self._bucket_at
        self._tokens = min(float(limiter.burst), self._tokens + elapsed * limiter.qps) - 1
        self._bucket_at = self.clock.now
        return -self._tokens / limiter.qps if self._tokens < 0 else 0.0

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

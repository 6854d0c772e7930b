"""Virtual time: a float clock and a queue of timers fired in time order.

Timers are plain data (`("enqueue", "deployment", "web")`), not closures, so a whole cluster can
be deep-copied to look ahead (see `Cluster.settle`). Times are rounded to the nanosecond so a time
written into an object as RFC3339Nano and parsed back is the same float.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Callable

Timer = tuple[str, ...]


def quantize(seconds: float) -> float:
    return round(seconds, 9)


class Clock:
    def __init__(self, start: float = 0.0) -> None:
        self.now = quantize(start)
        self._timers: list[tuple[float, int, Timer]] = []
        self._seq = 0  # FIFO among timers due at the same instant, for determinism

    def __deepcopy__(self, memo: dict[int, object]) -> Clock:
        new = Clock.__new__(Clock)
        memo[id(self)] = new
        new.now, new._seq, new._timers = self.now, self._seq, list(self._timers)  # timers are immutable
        return new

    def call_at(self, when: float, timer: Timer) -> None:
        self._seq += 1
        heapq.heappush(self._timers, (quantize(max(when, self.now)), self._seq, timer))

    def call_after(self, delay: float, timer: Timer) -> None:
        self.call_at(self.now + delay, timer)

    def next_timer(self) -> float | None:
        return self._timers[0][0] if self._timers else None

    def fire_due(self, dispatch: Callable[[Timer], None]) -> int:
        """Hand every timer due at or before `now` to `dispatch`; return how many fired."""
        fired = 0
        while self._timers and self._timers[0][0] <= self.now:
            _, _, timer = heapq.heappop(self._timers)
            dispatch(timer)
            fired += 1
        return fired

    def due_next(self) -> list[Timer]:
        """The timers of the earliest pending instant."""
        when = self.next_timer()
        return [timer for at, _, timer in self._timers if at == when]

    def jump_to(self, when: float) -> None:
        """Move time forward (never backward); timers are fired by the caller."""
        self.now = max(self.now, quantize(when))

    @property
    def timers(self) -> int:
        return len(self._timers)


class SeededRandom(random.Random):
    """random.Random whose deep copy shares the (immutable) state tuple instead of copying 625 ints."""

    def __deepcopy__(self, memo: dict[int, object]) -> SeededRandom:
        new = SeededRandom()
        new.setstate(self.getstate())
        memo[id(self)] = new
        return new

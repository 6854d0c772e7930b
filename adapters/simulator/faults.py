"""Fault injection: API calls made by the controllers that fail on purpose (off by default).

Flags name the call that may fail: `pod-create`, `pod-delete`, `replicaset-create`,
`replicaset-update`. Each has a probability; draws come from a `random.Random` derived from the run
seed, so a faulty run is as reproducible as a clean one.
"""

from __future__ import annotations

from collections.abc import Mapping

from .clock import SeededRandom
from .store import ApiError

POD_CREATE, POD_DELETE = "pod-create", "pod-delete"
REPLICASET_CREATE, REPLICASET_UPDATE = "replicaset-create", "replicaset-update"
FAULT_FLAGS = (POD_CREATE, POD_DELETE, REPLICASET_CREATE, REPLICASET_UPDATE)


class InjectedFault(ApiError):
    reason = "InternalError"


class FaultPlan:
    def __init__(self, rates: Mapping[str, float] | None = None, seed: int = 0) -> None:
        rates = dict(rates or {})
        unknown = sorted(set(rates) - set(FAULT_FLAGS))
        if unknown:
            raise ValueError(f"unknown fault flags {unknown}; known: {list(FAULT_FLAGS)}")
        self.rates = rates
        self._rng = SeededRandom(f"faults-{seed}")

    @property
    def flags(self) -> list[str]:
        return sorted(flag for flag, rate in self.rates.items() if rate > 0)

    def check(self, flag: str) -> None:
        """Raise InjectedFault with the configured probability for this call."""
        rate = self.rates.get(flag, 0.0)
        if rate > 0 and self._rng.random() < rate:
            raise InjectedFault(f"injected fault: {flag}")

"""The adapter protocol: a cluster that kubeprops can drive and observe.

Properties import only this module. Every target (the embedded simulator, a real cluster through the
Kubernetes adapter, a third party's controller rewrite) implements `Adapter`; what differs between
targets is declared in `capabilities`, never discovered by isinstance checks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import attrs

from kubeprops.scenario.ops import Operation
from kubeprops.scenario.trace import SyncRecord
from kubeprops.scenario.view import ClusterView

# Capability names. Properties adapt (smaller time budgets) or skip with a reason when one is missing.
VIRTUAL_CLOCK = "virtual-clock"  # advance() costs no wall time
INTERLEAVINGS = "interleavings"  # RunContext.seed chooses controller/cache/kubelet interleavings
NODE_OPERATIONS = "node-operations"  # NodeJoin / NodeLeave are supported
POD_FAULTS = "pod-faults"  # PodAction, CreateBarePod and RelabelPod are supported
SYNC_TRACE = "sync-trace"  # implements SyncTracing: what each controller sync read and wrote

Observer = Callable[[ClusterView], None]


@attrs.frozen
class RunContext:
    """What one state-machine run tells the adapter factory.

    `seed` is drawn by Hypothesis: 0 asks for the target's plainest schedule; other values let an
    adapter with INTERLEAVINGS choose orders and cache lags from it, so races shrink like data.
    `run_id` and `worker` make names unique per run and per pytest-xdist worker.
    """

    seed: int = 0
    run_id: str = "run"
    worker: str = "main"


@attrs.frozen
class SettleResult:
    settled: bool
    waited: float  # seconds of target time spent
    reason: str = ""  # why it did not settle, for the report


@runtime_checkable
class Adapter(Protocol):
    capabilities: frozenset[str]

    def apply(self, op: Operation) -> None:
        """Carry out one operation.

        For a spec write it returns once the API accepted it and the owning controller has observed
        the new generation (status.observedGeneration caught up), so successive edits are not merged
        by timing. Raises `kubeprops.scenario.InvalidSpec` naming the field when the API rejects it.
        """
        ...

    def advance(self, seconds: float, observer: Observer | None = None) -> None:
        """Let time pass while the controllers and kubelets run; report each state to `observer`."""
        ...

    def settle(self, timeout: float, observer: Observer | None = None) -> SettleResult:
        """Run until nothing changes any more (no pending work, no timer before `timeout`).

        A timeout is "did not settle": unknown, never a violation.
        """
        ...

    def observe(self) -> ClusterView: ...

    def close(self) -> None:
        """Delete everything this adapter created and stop what it started."""
        ...


@runtime_checkable
class SyncTracing(Protocol):
    """The extra surface of an adapter with the SYNC_TRACE capability (in-process targets)."""

    def start_sync_trace(self) -> None:
        """Record every ReplicaSet, Deployment, DaemonSet and Job sync from now on."""
        ...

    def take_sync_trace(self) -> tuple[SyncRecord, ...]:
        """The syncs recorded since the last call, oldest first."""
        ...


AdapterFactory = Callable[[RunContext], Adapter]

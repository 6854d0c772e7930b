"""An adapter for a (made-up) ReplicaSet implementation that clamps `spec.replicas` to five.

Only public kubeprops API is used: the adapter protocol's RunContext, the simulator as the base it
extends, and the scenario vocabulary.
"""

from __future__ import annotations

import attrs

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.scenario import CreateReplicaSet, Operation, Scale

CAP = 5  # the implementation's bug: a hard-coded ceiling, applied without an error


class CappedReplicaSets(SimulatorAdapter):
    """Our target: every write of spec.replicas above CAP is stored as CAP."""

    def apply(self, op: Operation) -> None:
        if isinstance(op, CreateReplicaSet) and op.spec.replicas > CAP:
            op = attrs.evolve(op, spec=attrs.evolve(op.spec, replicas=CAP))
        elif isinstance(op, Scale) and op.replicas > CAP:
            op = attrs.evolve(op, replicas=CAP)
        super().apply(op)


def capped_factory(ctx: RunContext) -> CappedReplicaSets:
    return CappedReplicaSets(ctx)

"""Targets kubeprops can drive: the protocol, and the adapters chosen by name."""

from .protocol import (
    INTERLEAVINGS,
    NODE_OPERATIONS,
    POD_FAULTS,
    VIRTUAL_CLOCK,
    Adapter,
    AdapterFactory,
    Observer,
    RunContext,
    SettleResult,
)

__all__ = [
    "INTERLEAVINGS",
    "NODE_OPERATIONS",
    "POD_FAULTS",
    "VIRTUAL_CLOCK",
    "Adapter",
    "AdapterFactory",
    "Observer",
    "RunContext",
    "SettleResult",
]

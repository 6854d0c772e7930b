"""The reference model: what upstream workload controllers must do (pure, no I/O).

One public function per question a property asks:

* what does one controller sync decide? `deployment_sync`, `replicaset_sync` (PER-SYNC);
* what must a scenario settle to? `settled_state` (QUIESCENT; compare with `quiescent.summarize` of an
  observed state through `quiescent.diff`);
* does an observed state break an always-true rule? `check_always` (ALWAYS).
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Operation

from . import world, world_operations
from .deployment import sync as deployment_sync
from .invariants import check_always
from .quiescent import Summary, diff, summarize
from .release import DEFAULT, Release
from .replicaset import sync as replicaset_sync

__all__ = [
    "DidNotSettle",
    "Summary",
    "check_always",
    "deployment_sync",
    "diff",
    "replicaset_sync",
    "settled_state",
    "summarize",
]


class DidNotSettle(RuntimeError):
    """The model still had work past the horizon: the verdict is unknown, not a violation."""


def settled_state(
    ops: Sequence[Operation], *, nodes: int = 3, release: Release = DEFAULT, horizon: float = 3600.0
) -> Summary:
    """Apply `ops` to a fresh world of `nodes` nodes, settle, and summarise.

    Operations the API server rejects (InvalidSpec) change nothing and are skipped, as they are on a target.
    Raises DidNotSettle when work remains `horizon` seconds after the last operation. Where upstream races
    allow more than one outcome the summary lists the others (`DeploymentSummary.progressing_also`), and
    `diff` accepts any of them.
    """
    state = world.initial_state(nodes)
    for op in ops:
        try:
            state = world_operations.apply(state, op, release=release)
        except InvalidSpec:
            continue
    state, settled = world.settle(state, horizon=horizon, release=release)
    if not settled:
        message = f"the model still had work {horizon:g} s after the last operation (t={state.now:g})"
        raise DidNotSettle(message)
    return world.expected_summary(state)

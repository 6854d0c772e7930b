"""The state machine base for StatefulSet / DaemonSet properties: drives an adapter and the apps model.

Like `machine.WorkloadMachine` (the same `DrivenMachine` plumbing and three checks, "did not settle" is
unknown), but the model is `reference_model.apps_world`: nodes carry labels, taints, cordons and a Ready
condition.
Where upstream leaves a choice to chance the machine keeps one model per policy (`policies`): by default
the two Go map walks of the DaemonSet controller (smallest and largest names first); an observed settled
state must equal the outcome of one of them.
"""

from __future__ import annotations

import typing
from typing import ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import rule

from kubeprops.adapters.protocol import VIRTUAL_CLOCK
from kubeprops.reference_model import apps_operations, apps_world
from kubeprops.reference_model.apps_invariants import check_always, check_transition
from kubeprops.scenario.apps_extra import AdvanceTime, AppsClusterView, AppsNodeView, AppsOperation
from kubeprops.scenario.ops import Operation
from kubeprops.scenario.view import ClusterView

from .machine import (
    MODEL_UNSETTLED,
    DrivenMachine,
    PropertyViolation,
    target_seconds,
)

INITIAL_NODES = 3
#: Taints the node lifecycle controller owns; the apps model derives them from the node's state itself.
DERIVED_TAINT_KEYS = (
    "node.kubernetes.io/unschedulable",
    "node.kubernetes.io/not-ready",
    "node.kubernetes.io/unreachable",
)
POLICIES = (apps_world.choose_first, apps_world.choose_last)


@attrs.frozen
class ModelPolicy:
    """How one of the machine's models breaks upstream's ties."""

    label: str
    choose: apps_world.Choose = apps_world.choose_first  # the DaemonSet controller's Go map walks
    gc_after_sync: bool = True  # the claim race (apps_world.AppsState.gc_after_sync)


def apps_view(view: ClusterView) -> AppsClusterView:
    """The apps model's view of an observed state (node taints without the derived ones)."""
    nodes = tuple(
        AppsNodeView(
            n.name,
            n.labels,
            tuple(t for t in n.taints if t.key not in DERIVED_TAINT_KEYS),
            n.unschedulable,
            n.ready_status,
        )
        for n in view.nodes
    )
    return AppsClusterView(
        now=view.now,
        statefulsets=view.statefulsets,
        daemonsets=view.daemonsets,
        revisions=view.controller_revisions,
        pods=view.pods,
        claims=view.claims,
        nodes=nodes,
    )


@attrs.frozen
class DaemonSetSummary:
    """What a settled DaemonSet must agree on: (node, revision number) of its live pods, and the status:
    desired, current, misscheduled, observedGeneration caught up, then ready, available, updated and
    unavailable (the four read from each node's oldest pod)."""

    name: str
    placement: tuple[tuple[str, int], ...]
    status: tuple[int, ...]


def summarize(view: AppsClusterView) -> tuple[DaemonSetSummary, ...]:
    out = []
    for ds in view.daemonsets:
        numbers = {r.hash: r.revision for r in view.revisions if r.owner.uid == ds.uid}
        placement = sorted(
            (p.node, numbers.get(dict(p.labels).get("controller-revision-hash", ""), 0))
            for p in view.pods
            if p.owner is not None and p.owner.uid == ds.uid and not p.deleting
        )
        s = ds.status
        # read from the oldest pod of each node: left out (-1) where that is a tie
        counted = (s.number_ready, s.number_available, s.updated_number_scheduled, s.number_unavailable)
        if _oldest_is_a_tie(view, ds.uid):
            counted = (-1, -1, -1, -1)
        status = (
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_misscheduled,
            s.observed_generation == ds.generation,
            *counted,
        )
        out.append(DaemonSetSummary(ds.name, tuple(placement), status))
    return tuple(out)


def _oldest_is_a_tie(view: AppsClusterView, uid: str) -> bool:
    """Whether some node's two oldest counted pods were created in the same second.

    The status counts read the oldest pod per node; creation timestamps have one-second resolution, and
    upstream breaks a tie by pod name (random), so which pod is counted is not determined.
    ref: pkg/controller/daemon/daemon_controller.go (podByCreationTimestampAndPhase)
    """
    by_node: dict[str, list[int]] = {}
    for p in view.pods:
        counted = not (p.deleting and p.phase in ("Succeeded", "Failed"))  # as getNodesToDaemonPods
        if p.owner is not None and p.owner.uid == uid and p.node and counted:
            by_node.setdefault(p.node, []).append(int(p.created))
    return any(len(c) > 1 and sorted(c)[0] == sorted(c)[1] for c in by_node.values())


class AppsMachine(DrivenMachine):
    name: ClassVar[str] = "agent"
    operations = typing.get_args(AppsOperation)
    policies: ClassVar[tuple[ModelPolicy, ...]] = tuple(ModelPolicy(c.__name__, c) for c in POLICIES)

    def __init__(self) -> None:
        super().__init__()
        self.models = [
            apps_world.initial_state(INITIAL_NODES, gc_after_sync=p.gc_after_sync) for p in self.policies
        ]
        self.nodes = [f"node-{i}" for i in range(INITIAL_NODES)]
        self.next_node = INITIAL_NODES

    def apply_to_model(self, op: Operation) -> None:
        release = self.config.release
        self.models = [
            apps_operations.apply(m, op, release=release, choose=p.choose)  # type: ignore[arg-type]
            for m, p in zip(self.models, self.policies, strict=True)
        ]

    def catch_up(self) -> None:
        """On a real clock the time operations take passes for the target's timers (grace periods,
        readiness delays, minReadySeconds) as well: the models' clocks follow the target's."""
        assert self.adapter is not None
        if VIRTUAL_CLOCK in self.adapter.capabilities:
            return
        lag = self.adapter.observe().now - self.models[0].now
        if lag > 0:
            self.apply_to_model(AdvanceTime(lag))  # type: ignore[arg-type]

    def always_view(self, view: ClusterView) -> AppsClusterView:
        return apps_view(view)

    def always_violations(self, previous: object | None, current: object) -> list:
        assert isinstance(current, AppsClusterView)
        found = check_always(current)
        if isinstance(previous, AppsClusterView):
            found += check_transition(previous, current)
        return found

    def settle_model(self) -> str:
        cfg = self.config
        settled = []
        for i, policy in enumerate(self.policies):
            self.models[i], ok = apps_world.settle(
                self.models[i], horizon=cfg.settle_timeout, release=cfg.release, choose=policy.choose
            )
            settled.append(ok)
        return "" if all(settled) else MODEL_UNSETTLED

    def compare_settled(self, observed: ClusterView) -> None:
        self._compare(self.summary(apps_view(observed)))

    def summary(self, view: AppsClusterView) -> tuple[object, ...]:
        """What a settled state must agree on (the StatefulSet machine overrides it)."""
        return summarize(view)

    def _compare(self, observed: tuple[object, ...]) -> None:
        allowed = [self.summary(apps_world.view(m)) for m in self.models]
        if observed in allowed:
            return
        lines = [
            f"observed: {observed}",
            *(f"model ({p.label}): {a}" for p, a in zip(self.policies, allowed, strict=True)),
        ]
        raise PropertyViolation("settled state differs from the model:\n  " + "\n  ".join(lines))

    @rule()
    def settle(self) -> None:
        self.settle_and_compare()

    @rule(seconds=st.sampled_from([1, 2, 5, 15, 60]))
    def advance(self, seconds: int) -> None:
        assert self.adapter is not None
        self.do(AdvanceTime(target_seconds(self.adapter, seconds)))

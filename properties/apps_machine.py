"""The state machine base for StatefulSet / DaemonSet properties: drives an adapter and the apps model.

Like `machine.WorkloadMachine` (the same `DrivenMachine` plumbing and three checks, "did not settle" is
unknown), but the model is `reference_model.apps_world`: nodes carry labels, taints, cordons and a Ready
condition.
Where upstream leaves a choice to chance the machine keeps one model per policy (`policies`): by default two
fixed tie-breaking policies for the DaemonSet controller (Go-map picks, the order of pods created in the same
second, `apps_world.TieBreak`: smallest and largest names first); the StatefulSet machine's are the two orders
of the stale-claim race (`apps_world.AppsState.gc_after_sync`), each with the pods whose deletions complete at
one instant removed together or one at a time (`apps_world.AppsState.removals`). When no policy reaches the
observed settled state of DaemonSets, the model adopts the target's choices: it replays the operations since
the last comparison preferring the pods the target was observed to keep and ordering same-second pods as the
target's names did; failing that, it replays every stretch from the start, each of which must reach what was
observed at its own comparison (a tie made early may only show later). An observed settled state must equal
one of those outcomes; the matching one is the model from then on, so later comparisons build on the choices
the target made, each of them a choice upstream may make.
"""

from __future__ import annotations

import graphlib
import itertools
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
    MODEL_LOOPS,
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
    removals: str = apps_world.TOGETHER  # deletions completing at one instant (apps_world.AppsState.removals)


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
        # read from the oldest pod of each node; where that is a same-second tie the target's names decided
        # it, and the model follows them (`merged_order`, `apps_world.TieBreak.rank`)
        counted = (s.number_ready, s.number_available, s.updated_number_scheduled, s.number_unavailable)
        status = (
            s.desired_number_scheduled,
            s.current_number_scheduled,
            s.number_misscheduled,
            s.observed_generation == ds.generation,
            *counted,
        )
        out.append(DaemonSetSummary(ds.name, tuple(placement), status))
    return tuple(out)


def kept_placements(view: AppsClusterView) -> frozenset[apps_world.Placement]:
    """(DaemonSet, node, revision number) of each live daemon pod observed: what the target kept."""
    kept = set()
    for ds in view.daemonsets:
        numbers = {r.hash: r.revision for r in view.revisions if r.owner.uid == ds.uid}
        for p in view.pods:
            if p.owner is not None and p.owner.uid == ds.uid and not p.deleting:
                kept.add(
                    (ds.name, p.node, numbers.get(dict(p.labels).get("controller-revision-hash", ""), 0))
                )
    return frozenset(kept)


def name_order(view: AppsClusterView) -> tuple[tuple[apps_world.Placement, int], ...]:
    """Each daemon pod's place in the name order of its node's pods created in the same second, where it
    has such peers: how the target broke that tie (`apps_world.TieBreak.order`). Keyed by placement, not
    by the second: the model's clock may run ahead of the target's (it fires timers that change nothing,
    which a target's settle never waits for)."""
    peers: dict[tuple[str, str, int], list[tuple[str, apps_world.Placement]]] = {}
    for ds in view.daemonsets:
        numbers = {r.hash: r.revision for r in view.revisions if r.owner.uid == ds.uid}
        for p in view.pods:
            if p.owner is not None and p.owner.uid == ds.uid and p.node:
                rev = numbers.get(dict(p.labels).get("controller-revision-hash", ""), 0)
                peers.setdefault((ds.name, p.node, int(p.created)), []).append(
                    (p.name, (ds.name, p.node, rev))
                )
    ties = [sorted(group) for group in peers.values() if len(group) > 1]
    return tuple((key, i) for group in ties for i, (_, key) in enumerate(group))


def merged_order(stretches: list[Stretch]) -> tuple[tuple[apps_world.Placement, int], ...]:
    """Each node's same-second name order as every comparison together shows it.

    Places from different comparisons do not compare (one may see two pods tie, a later one the
    survivor tie with a new peer), the orders they show do: each node's observed sequences are merged
    into one order (a topological sort of "seen before"); where they contradict each other (a placement
    seen on both sides of another, in different ties), the earliest sighting wins.
    """
    sequences: dict[tuple[str, str], list[list[apps_world.Placement]]] = {}
    for stretch in stretches:
        groups: dict[tuple[str, str], list[tuple[int, apps_world.Placement]]] = {}
        for key, i in stretch.order:
            groups.setdefault(key[:2], []).append((i, key))
        for node, members in groups.items():
            sequences.setdefault(node, []).append([key for _, key in sorted(members)])
    return tuple((key, i) for seqs in sequences.values() for i, key in enumerate(_merge(seqs)))


def _merge(sequences: list[list[apps_world.Placement]]) -> list[apps_world.Placement]:
    first_seen = list(dict.fromkeys(key for seq in sequences for key in seq))
    sorter = graphlib.TopologicalSorter({key: set() for key in first_seen})
    for seq in sequences:
        for before, after in itertools.pairwise(seq):
            sorter.add(after, before)
    try:
        sorter.prepare()
    except graphlib.CycleError:
        return first_seen
    merged: list[apps_world.Placement] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=first_seen.index)  # unordered peers: as first seen
        merged.extend(ready)
        sorter.done(*ready)
    return merged


@attrs.frozen
class Stretch:
    """The operations between two settled comparisons, and what the target settled on after them."""

    ops: tuple[Operation, ...]
    kept: frozenset[apps_world.Placement]
    order: tuple[tuple[apps_world.Placement, int], ...]
    summary: object


class AppsMachine(DrivenMachine):
    name: ClassVar[str] = "agent"
    operations = typing.get_args(AppsOperation)
    policies: ClassVar[tuple[ModelPolicy, ...]] = tuple(ModelPolicy(c.name, c) for c in POLICIES)

    def __init__(self) -> None:
        super().__init__()
        # the model as of the last settled comparison, and the operations applied since (to replay them)
        self.adopted = apps_world.initial_state(INITIAL_NODES)
        self.pending: list[Operation] = []
        self.stretches: list[Stretch] = []  # every comparison so far, for a replay from the start
        self.models = [
            apps_world.initial_state(INITIAL_NODES, gc_after_sync=p.gc_after_sync, removals=p.removals)
            for p in self.policies
        ]
        self.nodes = [f"node-{i}" for i in range(INITIAL_NODES)]
        self.next_node = INITIAL_NODES

    def apply_to_model(self, op: Operation) -> None:
        release = self.config.release
        self.models = [
            apps_operations.apply(m, op, release=release, choose=p.choose)  # type: ignore[arg-type]
            for m, p in zip(self.models, self.policies, strict=True)
        ]
        self.pending.append(op)  # only accepted operations: a rejected one left the model as it was

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
        if all(m.looping for m in self.models):
            return MODEL_LOOPS  # whichever way upstream's races went
        return "" if all(settled) else MODEL_UNSETTLED

    def compare_settled(self, observed: ClusterView) -> None:
        view = apps_view(observed)
        here = Stretch(tuple(self.pending), kept_placements(view), name_order(view), self.summary(view))
        candidates = [(p.label, m) for p, m in zip(self.policies, self.models, strict=True)]
        replays = [(self.adopted, [here])]
        if self.stretches:
            replays.append((apps_world.initial_state(INITIAL_NODES), [*self.stretches, here]))
        # where the observation leaves a pick or a same-second order open, each way round
        for (start, stretches), reverse, newer_first in itertools.product(replays, *[(False, True)] * 2):
            if here.summary in self._summaries(candidates) or not view.daemonsets:
                break
            choose = apps_world.TieBreak("observed", reverse, newer_first)
            name = f"adopting over {len(stretches)} comparison(s), {reverse=}, {newer_first=}"
            candidates.append((name, self._replay(start, stretches, choose)))
        allowed = self._summaries(candidates)
        if here.summary not in allowed:
            lines = [
                f"observed: {here.summary}",
                *(f"model ({n}): {a}" for (n, _), a in zip(candidates, allowed, strict=True)),
            ]
            raise PropertyViolation("settled state differs from the model:\n  " + "\n  ".join(lines))
        self._adopt(candidates[allowed.index(here.summary)][1], here, view)

    def _summaries(self, candidates: list[tuple[str, apps_world.AppsState | None]]) -> list[object]:
        return [None if m is None else self.summary(apps_world.view(m)) for _, m in candidates]

    def _replay(
        self, state: apps_world.AppsState, stretches: list[Stretch], policy: apps_world.TieBreak
    ) -> apps_world.AppsState | None:
        """`stretches` replayed from `state`, adopting the target's picks (`apps_world.TieBreak.keep`) and
        `policy`'s order for the rest; None where one did not settle or settled elsewhere than the target.

        A pod created in one stretch may tie with another whose order only shows later (both kept until a
        surge ends, then the older one fails): the name order of same-second pods seen at any comparison.
        """
        cfg = self.config
        order = merged_order(stretches)
        for stretch in stretches:
            choose = attrs.evolve(policy, keep=stretch.kept, order=order)
            for op in stretch.ops:  # accepted before, and acceptance reads the spec only: accepted again
                state = apps_operations.apply(state, op, release=cfg.release, choose=choose)  # type: ignore[arg-type]
            horizon, release = cfg.settle_timeout, cfg.release
            state, ok = apps_world.settle(state, horizon=horizon, release=release, choose=choose)
            if not ok or self.summary(apps_world.view(state)) != stretch.summary:
                return None
        return state

    def _adopt(self, state: apps_world.AppsState | None, here: Stretch, view: AppsClusterView) -> None:
        """The outcome the target matched is the model from now on, whatever policy reached it, with its
        pods on the nodes the target's scheduler chose (`apps_world.follow_placement`)."""
        assert state is not None
        state = apps_world.follow_placement(state, {p.name: p.node for p in view.pods if p.node})
        self.adopted, self.pending = state, []
        # each slot keeps its own way of breaking the claim and removal races from here on
        self.models = [
            attrs.evolve(state, gc_after_sync=p.gc_after_sync, removals=p.removals) for p in self.policies
        ]
        self.stretches.append(here)

    def summary(self, view: AppsClusterView) -> tuple[object, ...]:
        """What a settled state must agree on (the StatefulSet machine overrides it)."""
        return summarize(view)

    @rule()
    def settle(self) -> None:
        self.settle_and_compare()

    @rule(seconds=st.sampled_from([1, 2, 5, 15, 60]))
    def advance(self, seconds: int) -> None:
        assert self.adapter is not None
        self.do(AdvanceTime(target_seconds(self.adapter, seconds)))

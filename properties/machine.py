"""The state machine shared by every workload property.

One run drives an adapter and the reference model's world side by side with the same operations.
Which check is active is a parameter, so each property of the report is a run of its own and a failure
is attributed to exactly one property:

* `always`  - every observed state (after each step, and every intermediate state the adapter reports
  while time passes or it settles) satisfies the model's ALWAYS invariants (fact sheet §10);
* `settled` - after every settle, the observed state summarised equals the model's settled state;
* `per-sync` - every completed controller sync the target recorded made writes the model allows from the
  snapshot it read (targets with the SYNC_TRACE capability only).

"Did not settle" is unknown, never a violation: the run records it and stops comparing. Except where the
model says upstream's controllers never settle either (they loop at one instant; `MODEL_LOOPS`): then a
target that does not settle agrees with the model (a stall, counted, not unknown), and a target that settles
is a `settled` violation.
"""

from __future__ import annotations

import contextlib
import typing
from collections import Counter
from typing import ClassVar

import attrs
from hypothesis import note
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from kubeprops.adapters.protocol import (
    INTERLEAVINGS,
    NODE_OPERATIONS,
    POD_FAULTS,
    VIRTUAL_CLOCK,
    Adapter,
    AdapterFactory,
    RunContext,
    SettleResult,
    SyncTracing,
)
from kubeprops.reference_model import world, world_operations
from kubeprops.reference_model.invariants import check_always, check_transition
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.quiescent import diff, summarize
from kubeprops.reference_model.release import DEFAULT, Release
from kubeprops.scenario.apps_extra import READY_FALSE, READY_TRUE, READY_UNKNOWN, AdvanceTime, SetNodeReady
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.files import SETTLE
from kubeprops.scenario.ops import (
    POD_CRASH,
    POD_UNREADY,
    REPLICA_POD_ACTIONS,
    Advance,
    NodeJoin,
    NodeLeave,
    Operation,
    PodAction,
    UserOperation,
    WorldOperation,
)
from kubeprops.scenario.view import ClusterView, pod_class, pod_order

from .scenario_text import describe

ALWAYS = "always"
SETTLED = "settled"
PER_SYNC = "per-sync"
INITIAL_NODES = 3
MAX_NODES = 5
REAL_CLOCK_MAX_ADVANCE = 3  # seconds an Advance waits on targets without VIRTUAL_CLOCK


def target_seconds(adapter: Adapter, seconds: int) -> int:
    """How long an Advance of `seconds` lasts on `adapter`: as drawn on a virtual clock, capped at
    REAL_CLOCK_MAX_ADVANCE on a real one (same draws, so examples replay and shrink alike)."""
    return seconds if VIRTUAL_CLOCK in adapter.capabilities else min(seconds, REAL_CLOCK_MAX_ADVANCE)


@attrs.define
class RunStats:
    """Counters one property run accumulates across its examples (for the report)."""

    examples: int = 0
    steps: int = 0
    states_checked: int = 0
    syncs_checked: int = 0
    settles: int = 0
    unknown: int = 0
    stalls: int = 0  # examples where the target, as the model predicts, never settled
    unknown_reasons: list[str] = attrs.Factory(list)
    # the last example run: its seed and steps (operations and SETTLE); after a failure, the shrunk one
    last_seed: int = 0
    last_steps: list[Operation | str] = attrs.Factory(list)


@attrs.frozen
class MachineConfig:
    adapter_factory: AdapterFactory
    check: str
    stats: RunStats
    release: Release = DEFAULT
    settle_timeout: float = 3600.0
    run_id: str = "run"
    worker: str = "main"


class PropertyViolation(AssertionError):
    """An observed state or a settled state contradicts the reference model."""


# Seconds within which a crashed container is Ready again (the templates' readiness delays are 0-10 s).
RESTART_MARGIN = 16


def aligned_wait(least: int, ready_for: float) -> int:
    """A wait of at least `least` seconds after a crash that leaves the restarted pod's Ready age and
    its peers' (Ready for `ready_for` seconds at the crash) in one log2 bucket, as ActivePodsWithRanks
    compares them: 2**k + RESTART_MARGIN with 2**k > ready_for + RESTART_MARGIN, so both ages lie in
    [2**k, 2**(k+1))."""
    k = max((least - 1).bit_length(), (int(ready_for) + RESTART_MARGIN).bit_length())
    return 2**k + RESTART_MARGIN


def violations(header: str, found: list) -> PropertyViolation:
    """One violation listing every rule broken, as `[rule] object: message` lines under `header`."""
    lines = "\n".join(f"  [{v.rule}] {v.obj}: {v.message}" for v in found)
    return PropertyViolation(f"{header}:\n{lines}")


MODEL_UNSETTLED = "the model did not settle within the horizon"
MODEL_LOOPS = "the model's controllers loop at one instant without end, as upstream's do here"


class DrivenMachine(RuleBasedStateMachine):
    """The plumbing every property machine shares (no rules): start a target, apply each operation to it and
    to the model, settle both, and record the steps (operations and SETTLE) with the seed, so that a failing
    example becomes a scenario file `properties.replay` reruns through these same methods.

    A subclass says how its model takes an operation (`apply_to_model`, which raises InvalidSpec for a spec
    the API server rejects) and settles (`settle_model`), how an observed state is checked (`on_state`) and
    what a settled one must agree on (`compare_settled`).
    """

    config: ClassVar[MachineConfig]
    kind: ClassVar[str]
    name: ClassVar[str]
    #: the operation classes the machine's model takes (a scenario file of other ones is refused)
    operations: ClassVar[tuple[type, ...]]
    #: whether the kind reaches a settled state (a CronJob never does: its schedule keeps firing)
    settles: ClassVar[bool] = True

    def __init__(self) -> None:
        super().__init__()
        self.adapter: Adapter | None = None
        self.seed = 0
        self.ops: list[Operation] = []
        self.steps: list[Operation | str] = []  # ops and SETTLE, for the scenario file of a failure
        self.settled = False
        self.unknown = False
        self.stalled = False  # neither target nor model settles, as the model predicts: stop comparing
        self.last_view: object | None = None  # the previous observed state, for transition invariants

    def start(self, seed: int) -> Adapter:
        cfg = self.config
        cfg.stats.examples += 1
        ctx = RunContext(seed=seed, run_id=f"{cfg.run_id}-{cfg.stats.examples}", worker=cfg.worker)
        self.adapter = cfg.adapter_factory(ctx)
        self.seed = seed if INTERLEAVINGS in self.adapter.capabilities else 0
        if cfg.check == PER_SYNC and isinstance(self.adapter, SyncTracing):
            self.adapter.start_sync_trace()
        cfg.stats.last_seed, cfg.stats.last_steps = self.seed, self.steps
        say(f"seed={self.seed}")
        return self.adapter

    def do(self, op: Operation) -> None:
        """Apply one operation to the target and to the model; both must agree on rejection."""
        assert self.adapter is not None
        self.config.stats.steps += 1
        self.ops.append(op)
        self.steps.append(op)
        say(describe(op))
        self.catch_up()
        model_error = target_error = None
        try:
            self.apply_to_model(op)
        except InvalidSpec as err:
            model_error = err
        try:
            self._drive(op)
        except InvalidSpec as err:
            target_error = err
        self._compare_rejections(op, model_error, target_error)
        self.settled = False
        self.observe_now()

    def apply_to_model(self, op: Operation) -> None:
        """Advance the model by `op`; raises InvalidSpec (leaving the model as it was) where the API would."""
        raise NotImplementedError

    def catch_up(self) -> None:
        """Before each operation: let the model's clock follow a real target's (nothing by default)."""

    def _drive(self, op: Operation) -> None:
        assert self.adapter is not None
        if isinstance(op, Advance | AdvanceTime):
            self.adapter.advance(op.seconds, observer=self.on_state)
        else:
            self.adapter.apply(op)

    def _compare_rejections(
        self, op: Operation, model: InvalidSpec | None, target: InvalidSpec | None
    ) -> None:
        if model is None and target is None:
            return
        if model is not None and target is not None and model.field == target.field:
            return
        expected = f"rejected ({model})" if model else "accepted"
        observed = f"rejected ({target})" if target else "accepted"
        raise PropertyViolation(f"{describe(op)}: the model says {expected}, the target {observed}")

    def on_state(self, view: ClusterView) -> None:
        """Called for every observed state: checks the syncs that led to it, or its ALWAYS invariants."""
        if self.config.check == PER_SYNC:
            self.check_syncs()
        if self.config.check != ALWAYS:
            return
        self.config.stats.states_checked += 1
        current = self.always_view(view)
        found = self.always_violations(self.last_view, current)
        self.last_view = current
        if found:
            raise violations(f"observed state at t={view.now:g} violates", found)

    def always_view(self, view: ClusterView) -> object:
        """The view the machine's ALWAYS invariants read (the kind's own part of the state)."""
        return view

    def always_violations(self, previous: object | None, current: object) -> list:
        """The model's ALWAYS invariants on `current`, and on the step from `previous` (None at first)."""
        raise NotImplementedError

    def check_syncs(self) -> None:
        """The PER-SYNC check: every controller sync the target recorded since the last call."""
        assert isinstance(self.adapter, SyncTracing)
        for record in self.adapter.take_sync_trace():
            self.config.stats.syncs_checked += 1
            found = check_sync(record, release=self.config.release)
            if found:
                lines = "\n".join(f"  [{v.rule}] {v.obj}: {v.message}" for v in found)
                raise PropertyViolation(f"{record.controller} sync of {record.key!r} broke:\n{lines}")

    def observe_now(self) -> ClusterView:
        assert self.adapter is not None
        view = self.adapter.observe()
        self.on_state(view)
        return view

    def settle_and_compare(self) -> None:
        assert self.adapter is not None
        cfg = self.config
        cfg.stats.settles += 1
        self.steps.append(SETTLE)
        result = self.adapter.settle(cfg.settle_timeout, observer=self.on_state)
        model_problem = self.settle_model()
        if model_problem == MODEL_LOOPS:
            self._stall_as_predicted(result)
            return
        if not result.settled or model_problem:
            self._mark_unknown((result.reason if not result.settled else model_problem) or MODEL_UNSETTLED)
            return
        self.settled = True
        observed = self.observe_now()
        if cfg.check == SETTLED and not self.unknown and not self.stalled:
            self.compare_settled(observed)

    def _stall_as_predicted(self, result: SettleResult) -> None:
        if not result.settled:
            say(f"stalled as the model predicts: {result.reason}")
            if not self.stalled:
                self.stalled = True
                self.config.stats.stalls += 1
            return
        if self.config.check == SETTLED and not self.unknown and not self.stalled:
            raise PropertyViolation(f"the target settled, but {MODEL_LOOPS}")
        self._mark_unknown(MODEL_LOOPS)

    def settle_model(self) -> str:
        """Let the model settle as the target did: "" when it settled, else why not."""
        raise NotImplementedError

    def compare_settled(self, observed: ClusterView) -> None:
        """The SETTLED check: raise PropertyViolation where the settled `observed` differs from the model."""
        raise NotImplementedError

    def _mark_unknown(self, reason: str) -> None:
        if not self.unknown:
            self.unknown = True
            self.config.stats.unknown += 1
            self.config.stats.unknown_reasons.append(reason)
        say(f"did not settle: {reason}")

    def teardown(self) -> None:
        try:
            if self.adapter is not None and self.settles and not (self.unknown or self.stalled) and self.ops:
                self.settle_and_compare()
        finally:
            if self.adapter is not None:
                self.adapter.close()


class WorkloadMachine(DrivenMachine):
    """Rules common to every workload kind; subclasses add the kind's own operations."""

    name: ClassVar[str] = "web"
    operations = (*typing.get_args(UserOperation), *typing.get_args(WorldOperation), SetNodeReady)

    def __init__(self) -> None:
        super().__init__()
        self.model = world.initial_state(nodes=INITIAL_NODES)
        self.nodes = [f"node-{i}" for i in range(INITIAL_NODES)]
        self.not_ready: list[str] = []  # nodes a step turned NotReady or unreachable
        # a pod whose probe fails or that crashed: it differs from its peers in what no view shows
        self.marked_pods = False
        self.next_node = INITIAL_NODES

    # ------------------------------------------------------------------ plumbing

    def apply_to_model(self, op: Operation) -> None:
        self.model = world_operations.apply(self.model, op, release=self.config.release)

    def always_violations(self, previous: object | None, current: object) -> list:
        assert isinstance(current, ClusterView)
        found = check_always(current)
        if isinstance(previous, ClusterView):
            found += check_transition(previous, current)
        return found

    def settle_model(self) -> str:
        cfg = self.config
        self.model, settled = world.settle(self.model, horizon=cfg.settle_timeout, release=cfg.release)
        return "" if settled else MODEL_UNSETTLED

    def compare_settled(self, observed: ClusterView) -> None:
        problems = diff(world.expected_summary(self.model), summarize(observed))
        if problems:
            raise PropertyViolation("settled state differs from the model:\n  " + "\n  ".join(problems))

    # ------------------------------------------------------------------ world rules

    @rule()
    def settle(self) -> None:
        self.settle_and_compare()

    @rule(seconds=st.sampled_from([1, 2, 5, 15, 60]))
    def advance(self, seconds: int) -> None:
        # A real cluster waits real time: a capped wait; the model advances by the capped value too.
        self.do(Advance(target_seconds(self.adapter, seconds)))

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(index=st.integers(0, 30), action=st.sampled_from(REPLICA_POD_ACTIONS))
    def pod_action(self, index: int, action: str) -> None:
        # Only on settled states: there the target's and the model's pods are the same classes, so the
        # index picks an interchangeable pod on both sides (see scenario.view.pod_order). Then settle:
        # how fast the controller replaces the pod races with the next spec edit, upstream as here.
        if not self.pods_alike():
            return
        self.do(PodAction(self.kind, self.name, index, action))
        self.marked_pods = self.marked_pods or action in (POD_UNREADY, POD_CRASH)
        self.settle_and_compare()

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(index=st.integers(0, 30), wait=st.sampled_from([300, 900]), data=st.data())
    def crash_then_scale_down(self, index: int, wait: int, data: st.DataObject) -> None:
        # Restart counts rank a scale-down only between pods equal in every earlier rank: co-located
        # pods on the node, then the Ready time in log2 buckets (controller_utils.go
        # ActivePodsWithRanks.Less). So wait until the restarted pod's new Ready age shares its peers'
        # bucket, and remove a few pods only: removing a whole rank group removes the crashed pod
        # whatever the restarts say. Single steps reach this shape rarely.
        active = sum(p.active for p in world.view(self.model).pods_of(self.kind, self.name))
        if active < 2:
            return
        self.pod_action(self._on_busiest_node(index), POD_CRASH)
        self.advance(aligned_wait(wait, self._ready_for()))
        removed = data.draw(st.integers(1, max(1, active // 4)), label="removed")
        self.scale(active - removed)  # type: ignore[attr-defined]
        if not self.settled:
            self.settle_and_compare()

    def _on_busiest_node(self, index: int) -> int:
        """The `pod_order` index on the target of a pod on the node holding most of the workload's
        active pods: the first rank of a scale-down, so restarts decide among those pods only."""
        pods = sorted(
            (p for p in self.adapter.observe().pods_of(self.kind, self.name) if p.active), key=pod_order
        )
        if not pods:
            return index
        load = Counter(p.node for p in pods)
        most = max(load.values())
        busiest = [i for i, p in enumerate(pods) if load[p.node] == most]
        return busiest[index % len(busiest)]

    def _ready_for(self) -> float:
        """How long the workload's longest-Ready active pod on the target has been Ready."""
        view = self.adapter.observe()
        since = [p.ready_since for p in view.pods_of(self.kind, self.name) if p.active and p.ready]
        return max(0.0, view.now - min(since)) if since else 0.0

    @precondition(
        lambda self: (
            self.settled and len(self.nodes) < MAX_NODES and NODE_OPERATIONS in self.adapter.capabilities
        )
    )
    @rule()
    def node_join(self) -> None:
        # On settled states: where a pending pod lands races with the new node joining.
        name = f"node-{self.next_node}"
        self.next_node += 1
        self.nodes.append(name)
        self.do(NodeJoin(name))

    def pods_alike(self) -> bool:
        """True when the target's and the model's active pods of the workload are of the same classes
        (`scenario.view.pod_class`), so an index in `pod_order` picks a pod of one class on both.

        Settled states can differ in what the settled comparison leaves open: a scale-down that breaks a
        tie between pods of different images by uid (creation times in one log2 bucket,
        controller_utils.go ActivePodsWithRanks.Less) keeps an old pod on one target and a new one on
        the other, with equal counts. An index would then name different pods: skip the step.
        """
        if self.config.check != SETTLED:
            return True
        assert self.adapter is not None
        target, model = self.adapter.observe(), world.view(self.model)
        return self._classes(target) == self._classes(model)

    def _classes(self, view: ClusterView) -> list[tuple[object, ...]]:
        return sorted(pod_class(p) for p in view.pods_of(self.kind, self.name) if p.active)

    def pods_interchangeable(self) -> bool:
        """True when every pod of the workload, on the target and in the model, is of one class.

        Where pods sit is decided by tie-breaks (pod UIDs in the scale-down ranking) that differ between
        targets, so a departing node takes different pods on each unless they are interchangeable: all
        active, one image, one readiness. The always-invariants check needs no such restriction.
        """
        if self.config.check != SETTLED:
            return True
        assert self.adapter is not None
        return all(
            len({(p.image, p.ready, p.active) for p in v.pods_of(self.kind, self.name)}) <= 1
            and all(p.active for p in v.pods_of(self.kind, self.name))
            for v in (self.adapter.observe(), world.view(self.model))
        )

    def nodes_holding_as_many(self) -> list[str]:
        """The nodes that hold as many of the workload's pods on the target as in the model, and the same
        pods without a controller.

        A real scheduler spreads pods by its own scores (zero-request pods tie, and ties are broken at
        random), so a node can hold 4 pods there and 3 in the model; the settled comparison then needs
        a node where the counts agree. Targets that place pods as the model does keep every node.
        """
        if self.config.check != SETTLED:
            return sorted(self.nodes)
        assert self.adapter is not None
        target, model = self.adapter.observe(), world.view(self.model)

        def held(view: ClusterView, node: str) -> tuple[int, list[tuple[object, str]]]:
            # pods without a controller (bare or released) go with the node too and are never replaced
            orphans = sorted((p.labels, p.image) for p in view.pods if p.node == node and p.owner is None)
            return sum(p.node == node for p in view.pods_of(self.kind, self.name)), orphans

        return [n for n in sorted(self.nodes) if held(target, n) == held(model, n)]

    @precondition(
        lambda self: self.settled and len(self.nodes) > 1 and NODE_OPERATIONS in self.adapter.capabilities
    )
    @rule(data=st.data())
    def node_leave(self, data: st.DataObject) -> None:
        if not self.pods_interchangeable():
            return
        # Only on settled states, then settle: which pods a departing node takes with it depends on where
        # they were scheduled, and how fast they are replaced races with the next edit (upstream too).
        candidates = self.nodes_holding_as_many()
        if not candidates:
            return
        name = data.draw(st.sampled_from(candidates), label="node")
        self.nodes.remove(name)
        if name in self.not_ready:
            self.not_ready.remove(name)
        self.do(NodeLeave(name))
        self.settle_and_compare()

    def virtual_node_health(self) -> bool:
        # On a real clock a NotReady node costs 300 s of waiting before its pods are evicted (and the
        # real kubelet's status sync lags the recovery), so only virtual clocks get these steps.
        caps = self.adapter.capabilities
        return NODE_OPERATIONS in caps and VIRTUAL_CLOCK in caps

    @precondition(lambda self: self.settled and len(self.nodes) > 1 and self.virtual_node_health())
    @rule(data=st.data(), status=st.sampled_from([READY_FALSE, READY_UNKNOWN]))
    def node_not_ready(self, data: st.DataObject, status: str) -> None:
        # From settled states, on a node holding as many of the workload's pods on both sides, while
        # they are interchangeable: the node's pods turn not Ready now and are evicted 300 s later,
        # unless a later step brings the node back (as node_leave, which pods these are must agree).
        if not self.pods_interchangeable():
            return
        candidates = [n for n in self.nodes_holding_as_many() if n not in self.not_ready]
        if not candidates:
            return
        name = data.draw(st.sampled_from(candidates), label="node")
        self.not_ready.append(name)
        self.do(SetNodeReady(name, status))

    @precondition(lambda self: bool(self.not_ready))
    @rule(data=st.data())
    def node_ready_again(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.not_ready)), label="node")
        self.not_ready.remove(name)
        self.do(SetNodeReady(name, READY_TRUE))


M = typing.TypeVar("M", bound=DrivenMachine)


def say(text: str) -> None:
    """`hypothesis.note` inside a Hypothesis run; nothing when a scenario file is replayed outside one."""
    with contextlib.suppress(InvalidArgument):
        note(text)


def seeds() -> st.SearchStrategy[int]:
    """0 (the plainest schedule) is where shrinking heads; other seeds explore interleavings."""
    return st.one_of(st.just(0), st.integers(1, 2**31 - 1))


def bind(machine: type[M], config: MachineConfig) -> type[M]:
    """A subclass of `machine` bound to one adapter factory and one check."""
    bound = type(f"{machine.__name__}_{config.check}", (machine,), {"config": config})
    return bound

"""A StatefulSet whose controller loops without end, in the model and in the simulator alike.

RollingUpdate with no rollingUpdate block (the API server leaves it nil when the type is given) creates a
missing pod at the current revision while ordinal < start + status.currentReplicas, and the same sync's
rolling update deletes it (not at the update revision) and decrements currentReplicas whatever the pod's
revision; the status write of -1 is rejected (ValidateStatefulSetStatus), so the next sync, woken by the pod
events, does it all again. ref stateful_set_control.go (newVersionedStatefulSetPod, updateStatefulSet).
Upstream spins the same way: neither target nor model may call it settled, and neither may crash.
"""

from __future__ import annotations

import attrs

from kubeprops.adapters.protocol import Observer, RunContext, SettleResult
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.adapters.simulator.cluster import DEFAULT_MAX_STEPS
from kubeprops.properties.conformance import FAIL, PASS, UNKNOWN
from kubeprops.properties.replay import replay
from kubeprops.reference_model import apps_operations, apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.files import load

SCENARIO = """\
kubeprops-scenario: 1
controller: statefulset
property: settles-to-model
seed: 0
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}, node_selector: {zone: a}}
      replicas: 4
      pod_management_policy: Parallel
      update_strategy: {type: OnDelete}
      ordinals_start: 2
- SetStatefulSetUpdateStrategy:
    name: db
    strategy: {rolling_update: {partition: 3}}
- UpdateAppsTemplate:
    kind: StatefulSet
    name: db
    template: {labels: {app: db}, node_selector: {zone: a}, behavior: {ready_after: 2}}
- SetStatefulSetUpdateStrategy:
    name: db
    strategy: {rolling_update: null}
- ScaleStatefulSet: {name: db, replicas: 1}
"""

UNBLOCK = a.SetStatefulSetUpdateStrategy("db", a.StatefulSetUpdateStrategy())


def operations() -> list:
    return [s for s in load(SCENARIO).steps if s != "settle"]


def test_the_model_marks_the_loop_and_does_not_settle():
    state = apps_world.initial_state(3)
    for op in operations():
        state = apps_operations.apply(state, op)
    assert state.looping
    _, settled = apps_world.settle(state)
    assert not settled
    state = apps_operations.apply(state, UNBLOCK)
    assert not state.looping
    assert apps_world.settle(state)[1]


def test_the_simulator_reports_the_loop_as_not_settled():
    sim = SimulatorAdapter(RunContext(seed=0))
    for op in operations():
        sim.apply(op)
    result = sim.settle(600)
    assert not result.settled
    assert "loop" in result.reason
    # found by the store's content recurring, long before the step budget a 5,000-node cluster needs
    assert "recurred 3 times" in result.reason
    assert sim.cluster.steps < DEFAULT_MAX_STEPS // 10
    # an operation that ends the loop (a rollingUpdate block: new pods at the update revision) lets it settle
    sim.apply(UNBLOCK)
    assert sim.settle(600).settled


def test_a_target_that_loops_where_the_model_loops_passes_as_a_stall():
    result = replay(load(SCENARIO), SimulatorAdapter)  # the last settle is the teardown's
    assert result.verdict == PASS, result.message


class SettlesAnyway(SimulatorAdapter):
    """A target whose controllers claim to settle where upstream's loop (e.g. a rewrite that fixed it)."""

    def settle(self, timeout: float, observer: Observer | None = None) -> SettleResult:
        return SettleResult(True, 0.0)


def test_a_target_that_settles_where_upstream_loops_is_a_settled_violation():
    result = replay(load(SCENARIO), SettlesAnyway)
    assert result.verdict == FAIL
    assert "the target settled, but the model's controllers loop" in result.message
    always = replay(attrs.evolve(load(SCENARIO), property="always-invariants"), SettlesAnyway)
    assert always.verdict == UNKNOWN  # the other checks cannot compare a settled state with a loop

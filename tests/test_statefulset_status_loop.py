"""A StatefulSet whose controller loops without end, in the model and in the simulator alike.

RollingUpdate with no rollingUpdate block (the API server leaves it nil when the type is given) creates a
missing pod at the current revision while ordinal < start + status.currentReplicas, and the same sync's
rolling update deletes it (not at the update revision) and decrements currentReplicas whatever the pod's
revision; the status write of -1 is rejected (ValidateStatefulSetStatus), so the next sync, woken by the pod
events, does it all again. ref stateful_set_control.go (newVersionedStatefulSetPod, updateStatefulSet).
Upstream spins the same way: neither target nor model may call it settled, and neither may crash.
"""

from __future__ import annotations

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.adapters.simulator.controllers.workqueue import MAX_DELAY, WorkQueue
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


def test_the_simulator_reports_the_loop_as_not_settled(monkeypatch):
    sim = SimulatorAdapter(RunContext(seed=0))
    # a smaller step budget than a 5,000-node cluster needs keeps the test fast; the loop is the same
    run = sim.cluster.run_until_idle
    monkeypatch.setattr(sim.cluster, "run_until_idle", lambda max_steps=3000: run(max_steps))
    for op in operations():
        sim.apply(op)
    result = sim.settle(600)
    assert not result.settled
    assert "loop" in result.reason
    # an operation that ends the loop (a rollingUpdate block: new pods at the update revision) lets it settle
    sim.apply(UNBLOCK)
    assert sim.settle(600).settled


def test_rate_limiting_caps_the_delay_after_very_many_failures():
    class Clock:
        def __init__(self) -> None:
            self.calls: list[float] = []

        def call_after(self, delay: float, timer: object) -> None:
            self.calls.append(delay)

    clock = Clock()
    queue = WorkQueue(clock, "statefulset")  # type: ignore[arg-type]
    for _ in range(2000):
        queue.add_rate_limited("db")
    assert clock.calls[0] == 0.005 and clock.calls[1] == 0.01
    assert clock.calls[-1] == MAX_DELAY

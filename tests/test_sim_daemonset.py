"""The simulator's DaemonSet controller, node lifecycle and scheduler extensions, and agreement with the
apps reference model on small scenarios."""

from __future__ import annotations

import pytest

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import simulator_factory
from kubeprops.adapters.simulator.controllers import daemonset_history
from kubeprops.properties.apps_machine import POLICIES, apps_view, summarize
from kubeprops.properties.daemonset import DaemonSetMachine
from kubeprops.properties.machine import SETTLED, MachineConfig, RunStats, bind
from kubeprops.reference_model import apps_operations, apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import IntOrPercent, PodBehavior

AGENT = {"app": "agent"}


def template(image: str = "app:v1", ready_after: int | None = 0, **fields: object) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels=AGENT, image=image, behavior=PodBehavior(ready_after), **fields)


def strategy(max_unavailable: int | str = 1, max_surge: int | str = 0) -> a.DaemonSetUpdateStrategy:
    return a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(max_unavailable, max_surge))


@pytest.fixture
def sim():
    adapter = simulator_factory(RunContext(seed=0))
    yield adapter
    adapter.close()


def run(sim, *ops: object, settle: bool = True):
    for op in ops:
        sim.apply(op)
    if settle:
        assert sim.settle(3600).settled
    return sim.observe()


def placement(view) -> list[tuple[str, str]]:
    return sorted(
        (p.node, p.image) for p in view.pods if p.owner and p.owner.kind == "DaemonSet" and not p.deleting
    )


def create(spec_template: a.AppsPodTemplate | None = None, **spec: object) -> a.CreateDaemonSet:
    return a.CreateDaemonSet("agent", a.DaemonSetSpec(template=spec_template or template(), **spec))


def test_one_agent_pod_per_node_pinned_by_node_affinity(sim):
    # the log/monitoring agent pattern: every node runs exactly one, the scheduler binds it to its node
    view = run(sim, create())
    assert placement(view) == [("node-0", "app:v1"), ("node-1", "app:v1"), ("node-2", "app:v1")]
    pod = next(p for p in sim.cluster.store.list("Pod") if p["spec"]["nodeName"] == "node-1")
    terms = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert terms["nodeSelectorTerms"] == [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}
    ]
    status = view.daemonsets[0].status
    assert (status.desired_number_scheduled, status.current_number_scheduled, status.number_ready) == (
        3,
        3,
        3,
    )


def test_a_joining_node_gets_a_pod_and_a_departing_one_takes_its_pod(sim):
    run(sim, create())
    view = run(sim, a.AddNode("node-3", {"zone": "a"}))
    assert ("node-3", "app:v1") in placement(view)
    view = run(sim, a.RemoveNode("node-0"))
    assert [n for n, _ in placement(view)] == ["node-1", "node-2", "node-3"]


def test_cordoned_nodes_still_run_daemon_pods(sim):
    view = run(sim, a.CordonNode("node-1"), create())
    assert ("node-1", "app:v1") in placement(view)
    assert view.daemonsets[0].status.desired_number_scheduled == 3


def test_no_schedule_taint_keeps_the_running_pod_and_counts_it_misscheduled(sim):
    run(sim, create())
    view = run(sim, a.SetNodeTaints("node-2", (a.Taint("gpu", a.NO_SCHEDULE),)))
    assert ("node-2", "app:v1") in placement(view)
    status = view.daemonsets[0].status
    assert (status.desired_number_scheduled, status.number_misscheduled) == (2, 1)


def test_untolerated_no_execute_taint_removes_the_pod_and_a_toleration_keeps_it(sim):
    tolerating = template(tolerations=(a.Toleration("maintenance", a.EXISTS),))
    run(sim, create())
    view = run(sim, a.SetNodeTaints("node-2", (a.Taint("maintenance", a.NO_EXECUTE),)))
    assert [n for n, _ in placement(view)] == ["node-0", "node-1"]
    view = run(sim, a.UpdateAppsTemplate(a.DAEMONSET, "agent", tolerating))
    assert [n for n, _ in placement(view)] == ["node-0", "node-1", "node-2"]


def test_node_selector_and_required_affinity_choose_the_nodes(sim):
    zone_a = (a.NodeSelectorTerm((a.NodeSelectorRequirement("zone", a.IN, ("a",)),)),)
    run(sim, a.SetNodeLabels("node-0", {"zone": "a"}))
    view = run(sim, create(template(required_node_affinity=zone_a)))
    assert placement(view) == [("node-0", "app:v1")]
    view = run(sim, a.SetNodeLabels("node-0", {}), a.SetNodeLabels("node-2", {"zone": "a"}))
    assert placement(view) == [("node-2", "app:v1")]


def test_not_ready_node_makes_its_pod_unready_and_unreachable_keeps_it(sim):
    run(sim, create())
    view = run(sim, a.SetNodeReady("node-1", a.READY_FALSE))
    pod = next(p for p in view.pods if p.node == "node-1")
    assert not pod.ready and not pod.deleting  # daemon pods tolerate not-ready:NoExecute
    assert view.daemonsets[0].status.number_misscheduled == 1  # not-ready:NoSchedule is not tolerated
    view = run(sim, a.SetNodeReady("node-1", a.READY_TRUE))
    assert next(p for p in view.pods if p.node == "node-1").ready


def test_rolling_update_never_exceeds_max_unavailable(sim):
    run(sim, create(update_strategy=strategy(max_unavailable=1)))
    seen: list[int] = []
    sim.apply(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", ready_after=5)))
    sim.settle(3600, observer=lambda v: seen.append(sum(1 for p in v.pods if p.ready and not p.deleting)))
    assert min(seen) >= 2
    assert placement(sim.observe()) == [("node-0", "app:v2"), ("node-1", "app:v2"), ("node-2", "app:v2")]


def test_surge_starts_new_pods_before_deleting_old_ones_and_stalls_on_unready_ones(sim):
    run(sim, create(update_strategy=strategy(max_unavailable=0, max_surge="50%")))  # 50% of 3 -> 2
    view = run(sim, a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", ready_after=None)))
    assert placement(view) == [
        ("node-0", "app:v1"), ("node-0", "app:v2"), ("node-1", "app:v1"), ("node-1", "app:v2"), ("node-2", "app:v1")
    ]  # fmt: skip


def test_surge_resyncs_once_a_new_pod_is_available_under_min_ready_seconds(sim):
    # each node's oldest pod is the old, Available one: no status re-sync, only the one minReadySeconds + 1 s
    # after the new pod turns Ready moves the surge on to the next node
    run(sim, create(update_strategy=strategy(max_unavailable=0, max_surge=1), min_ready_seconds=3))
    start = sim.observe().now
    view = run(sim, a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", ready_after=2)))
    assert placement(view) == [("node-0", "app:v2"), ("node-1", "app:v2"), ("node-2", "app:v2")]
    assert sorted(p.created - start for p in view.pods) == [0, 6, 12]


def test_settled_check_accepts_the_surge_counterexample():
    """The shrunk counterexample of seed 130429628273012776099954575678512926312: the model woke the stalled
    surge at the end of an AdvanceTime, the simulator did not; upstream re-syncs it once the pod is Available."""
    machine = bind(DaemonSetMachine, MachineConfig(simulator_factory, SETTLED, RunStats()))()  # type: ignore[arg-type]
    machine.start(0)
    machine.do(create(update_strategy=strategy(max_unavailable=0, max_surge=1), min_ready_seconds=3))
    machine.settle_and_compare()
    machine.do(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template(ready_after=2)))
    machine.settle_and_compare()
    machine.do(a.AdvanceTime(5))
    machine.teardown()  # settles and compares
    assert not machine.unknown


def test_failed_pod_is_replaced_after_back_off(sim):
    run(sim, create())
    sim.apply(a.DaemonPodAction("agent", "node-0", "fail"))
    view = run(sim, settle=True)
    assert placement(view) == [("node-0", "app:v1"), ("node-1", "app:v1"), ("node-2", "app:v1")]
    assert all(p.phase == "Running" for p in view.pods)


def test_api_rejects_surge_together_with_unavailable(sim):
    with pytest.raises(InvalidSpec) as err:
        sim.apply(create(update_strategy=strategy(max_unavailable=1, max_surge=1)))
    assert err.value.field == "spec.updateStrategy.rollingUpdate.maxSurge"


def test_revisions_are_numbered_and_a_revert_reuses_its_revision(sim):
    run(sim, create())
    run(sim, a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2")))
    view = run(sim, a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v1")))
    assert sorted((r.revision, r.template.image) for r in view.controller_revisions) == [
        (2, "app:v2"),
        (3, "app:v1"),
    ]
    hashes = {r.hash for r in view.controller_revisions}
    assert hashes == {daemonset_history.template_hash(t) for t in _revision_templates(sim)}


def _revision_templates(sim) -> list:
    return [r["data"]["spec"]["template"] for r in sim.cluster.store.list("ControllerRevision")]


SCENARIOS = {
    "rollout-with-unavailable-percent": [
        create(update_strategy=strategy(max_unavailable=IntOrPercent(34, True))),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", ready_after=None)),
    ],
    "surge-then-node-tainted": [
        create(update_strategy=strategy(max_unavailable=0, max_surge=1)),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", ready_after=3)),
        a.SetNodeTaints("node-1", (a.Taint("maintenance", a.NO_EXECUTE),)),
        a.AdvanceTime(2),
    ],
    "fleet-churn": [
        create(template(node_selector={"zone": "a"})),
        a.AddNode("node-3", {"zone": "a"}, (a.Taint("dedicated", a.NO_SCHEDULE, "agents"),)),
        a.SetNodeLabels("node-0", {"zone": "a"}),
        a.CordonNode("node-0"),
        a.SetNodeReady("node-3", a.READY_UNKNOWN),
        a.RemoveNode("node-1"),
    ],
    # settling must not let time pass after the last change: the surge's progress depends on the instant
    "surge-stall-then-node-leaves-and-a-pod-fails": [
        create(
            template(tolerations=(a.Toleration("dedicated", a.EQUAL, "agents", a.NO_SCHEDULE),)),
            update_strategy=strategy(max_unavailable=0, max_surge="25%"),
            min_ready_seconds=3,
        ),
        a.AdvanceTime(6),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template()),
        a.RemoveNode("node-0"),
        a.DaemonPodAction("agent", "node-1", "fail"),
    ],
    # the taint manager evicts the old pod (its own tolerations miss the taint) though the current
    # template tolerates it; the controller then creates one at the current revision
    "no-execute-taint-evicts-an-old-revision-pod": [
        create(update_strategy=a.DaemonSetUpdateStrategy(a.ON_DELETE)),
        a.UpdateAppsTemplate(
            a.DAEMONSET, "agent", template("app:v2", tolerations=(a.Toleration("maintenance", a.EXISTS),))
        ),
        a.SetNodeTaints("node-1", (a.Taint("maintenance", a.NO_EXECUTE),)),
    ],
    "on-delete-keeps-old-pods-until-deleted": [
        create(update_strategy=a.DaemonSetUpdateStrategy(a.ON_DELETE)),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2")),
        a.DaemonPodAction("agent", "node-1", "delete"),
    ],
}


def model_outcomes(ops: list) -> set:
    """The model's settled summaries, one per tie-breaking policy."""
    outcomes = set()
    for choose in POLICIES:
        state = apps_world.initial_state(3)
        for op in ops:
            state = apps_operations.apply(state, op, choose=choose)
        state, settled = apps_world.settle(state, choose=choose)
        assert settled
        outcomes.add(summarize(apps_world.view(state)))
    return outcomes


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_simulator_settles_where_the_model_does(name, sim):
    for op in SCENARIOS[name]:
        if isinstance(op, a.AdvanceTime):
            sim.advance(op.seconds)
        else:
            sim.apply(op)
    assert sim.settle(3600).settled
    assert summarize(apps_view(sim.observe())) in model_outcomes(SCENARIOS[name])

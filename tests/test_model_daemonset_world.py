"""The QUIESCENT executor for DaemonSets: placement on a changing fleet, rollouts, status."""

from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model.apps_quiescent import daemonset_outcome, run, settled_outcomes
from kubeprops.scenario.apps_extra import (
    DAEMONSET,
    EXISTS,
    NO_EXECUTE,
    NO_SCHEDULE,
    ON_DELETE,
    READY_FALSE,
    READY_TRUE,
    AddNode,
    AdvanceTime,
    AppsPodTemplate,
    CordonNode,
    CreateDaemonSet,
    DaemonPodAction,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    DaemonSetUpdateStrategy,
    RemoveNode,
    SetNodeLabels,
    SetNodeReady,
    SetNodeTaints,
    Taint,
    Toleration,
    UpdateAppsTemplate,
)
from kubeprops.scenario.ops import POD_FAIL
from kubeprops.scenario.spec import PodBehavior

APP = {"app": "agent"}
V1 = AppsPodTemplate(labels=APP, image="agent:v1", behavior=PodBehavior(2))
V2 = AppsPodTemplate(labels=APP, image="agent:v2", behavior=PodBehavior(2))
MAINTENANCE = Toleration("maintenance", EXISTS)


def steps(*ops_):
    return [x for op in ops_ for x in (op, AdvanceTime(120))]


def create(template=V1, **kw):
    return CreateDaemonSet("agent", DaemonSetSpec(template=template, **kw))


def placement(state):
    return daemonset_outcome(state, state.daemonsets[0])


def test_one_pod_per_node_for_a_log_agent():
    o = placement(run(steps(create()), nodes=4))
    assert o.placement == {(f"node-{i}", 1) for i in range(4)}
    assert o.status == (4, 4, 4, 4, 4, 0, 0)


def test_fleet_changes_cordon_taints_join_leave():
    state = run(
        steps(
            create(),
            CordonNode("node-0"),  # still runs
            SetNodeTaints("node-1", (Taint("dedicated", NO_SCHEDULE),)),  # kept, misscheduled
            SetNodeTaints("node-2", (Taint("dedicated", NO_EXECUTE),)),  # removed
            AddNode("node-9", {"zone": "b"}),
            RemoveNode("node-3"),
        ),
        nodes=4,
    )
    o = placement(state)
    assert o.placement == {("node-0", 1), ("node-1", 1), ("node-9", 1)}
    assert o.status == (2, 2, 2, 2, 2, 1, 0)  # desired, current, ready, available, updated, miss, unavailable


def test_new_taint_blocks_a_replacement_on_the_misscheduled_node():
    state = run(
        steps(
            create(),
            SetNodeTaints("node-1", (Taint("x", NO_SCHEDULE),)),
            DaemonPodAction("agent", "node-1", POD_FAIL),
        )
    )
    assert ("node-1", 1) not in placement(state).placement


def test_relabel_out_of_selector_removes_the_pod():
    template = AppsPodTemplate(labels=APP, node_selector={"role": "edge"}, behavior=PodBehavior(2))
    scenario = steps(SetNodeLabels("node-0", {"role": "edge"}), SetNodeLabels("node-1", {"role": "edge"}),
                     create(template), SetNodeLabels("node-1", {}))  # fmt: skip
    assert placement(run(scenario)).placement == {("node-0", 1)}


def test_not_ready_node_keeps_its_pod_but_it_is_not_ready():
    state = run(steps(create(), SetNodeReady("node-2", READY_FALSE)))
    o = placement(state)
    assert ("node-2", 1) in o.placement
    assert o.status == (2, 2, 2, 2, 2, 1, 0)  # node-2 no longer desired (not-ready:NoSchedule), misscheduled
    back = run(steps(create(), SetNodeReady("node-2", READY_FALSE), SetNodeReady("node-2", READY_TRUE)))
    assert placement(back).status == (3, 3, 3, 3, 3, 0, 0)


def test_rolling_update_converges_and_respects_budget_on_the_way():
    state = ops.apply(world.initial_state(6), create(update_strategy=DaemonSetUpdateStrategy(
        rolling_update=DaemonSetRollingUpdate(max_unavailable="34%"))))  # fmt: skip
    state = ops.apply(state, AdvanceTime(60))
    state = ops.apply(state, UpdateAppsTemplate(DAEMONSET, "agent", V2))
    worst = 0
    for _ in range(40):
        state = ops.apply(state, AdvanceTime(1))
        ds = state.daemonsets[0]
        worst = max(worst, ds.status.number_unavailable)
    assert 0 < worst <= 3  # ceil(34% of 6) = 3
    assert placement(state).placement == {(f"node-{i}", 2) for i in range(6)}


def test_surge_rollout_never_drops_availability():
    surge = DaemonSetUpdateStrategy(rolling_update=DaemonSetRollingUpdate(max_unavailable=0, max_surge=1))
    state = ops.apply(world.initial_state(3), create(update_strategy=surge))
    state = ops.apply(state, AdvanceTime(60))
    state = ops.apply(state, UpdateAppsTemplate(DAEMONSET, "agent", V2))
    for _ in range(30):
        state = ops.apply(state, AdvanceTime(1))
        assert state.daemonsets[0].status.number_available == 3
    assert placement(state).placement == {(f"node-{i}", 2) for i in range(3)}


def test_surge_resyncs_once_a_new_pod_is_available_under_min_ready_seconds():
    # The old pod stays each node's oldest, so numberReady == numberAvailable and the status re-sync is off:
    # only the re-sync minReadySeconds + 1 s after the new pod turns Ready moves the surge on (upstream
    # updatePod). Without it the surge stalled on its first node (seed 130429628273012776099954575678512926312).
    surge = DaemonSetUpdateStrategy(rolling_update=DaemonSetRollingUpdate(max_unavailable=0, max_surge=1))
    v1 = AppsPodTemplate(labels=APP, image="agent:v1", behavior=PodBehavior(0))
    for choose in (world.choose_first, world.choose_last):
        state = ops.apply(world.initial_state(3), create(v1, update_strategy=surge, min_ready_seconds=3))
        state, _ = world.settle(state, choose=choose)
        start = state.now
        state = ops.apply(state, UpdateAppsTemplate(DAEMONSET, "agent", V2), choose=choose)
        state, settled = world.settle(state, choose=choose)
        assert settled and placement(state).placement == {(f"node-{i}", 2) for i in range(3)}
        # each new pod: Ready 2 s after its creation, re-synced 3 + 1 s later, the next node surged then
        assert sorted(p.created - start for p in state.pods) == [0, 6, 12]


def test_no_execute_taint_evicts_an_old_revision_pod_its_template_does_not_cover():
    # shouldContinueRunning holds for the current template, but the taint manager judges the pod's own
    tolerant = AppsPodTemplate(
        labels=APP, image="agent:v2", behavior=PodBehavior(2), tolerations=(MAINTENANCE,)
    )
    state = run(
        steps(
            create(update_strategy=DaemonSetUpdateStrategy(ON_DELETE)),
            UpdateAppsTemplate(DAEMONSET, "agent", tolerant),
            SetNodeTaints("node-1", (Taint("maintenance", NO_EXECUTE),)),
        )
    )
    assert placement(state).placement == {("node-0", 1), ("node-1", 2), ("node-2", 1)}


def test_failed_pod_is_replaced():
    state = run(steps(create(), DaemonPodAction("agent", "node-1", POD_FAIL)))
    assert placement(state).status == (3, 3, 3, 3, 3, 0, 0)
    assert len([p for p in state.pods if p.owner]) == 3


def test_settled_outcomes_agree_across_tie_breaks():
    outcomes = settled_outcomes(steps(create(), UpdateAppsTemplate(DAEMONSET, "agent", V2)), nodes=5)
    assert len(outcomes) == 1

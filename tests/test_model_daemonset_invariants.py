"""DaemonSet invariants (fact sheet 10.4): the model obeys them, realistic bugs break them."""

import attrs

from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model import daemonset as ds_util
from kubeprops.reference_model.apps_invariants import (
    DS_BURST,
    DS_NO_INELIGIBLE_CREATE,
    DS_ONE_PER_NODE,
    DS_STATUS,
    DS_UPDATE_BUDGET,
    DaemonSetActions,
    DaemonSetSnapshot,
    check_always,
    check_daemonset_quiescent,
    check_daemonset_sync,
)
from kubeprops.reference_model.daemonset_sync import sync
from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    DAEMONSET,
    NO_EXECUTE,
    NO_SCHEDULE,
    READY_FALSE,
    AdvanceTime,
    AppsClusterView,
    AppsNodeView,
    AppsPodTemplate,
    CordonNode,
    CreateDaemonSet,
    DaemonPodAction,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    DaemonSetStatus,
    DaemonSetUpdateStrategy,
    DaemonSetView,
    SetNodeLabels,
    SetNodeReady,
    SetNodeTaints,
    Taint,
    UpdateAppsTemplate,
)
from kubeprops.scenario.ops import POD_FAIL
from kubeprops.scenario.spec import PodBehavior
from kubeprops.scenario.view import RUNNING, OwnerRef, PodView

APP = {"app": "agent"}
V1 = AppsPodTemplate(labels=APP, image="agent:v1", behavior=PodBehavior(2))
V2 = AppsPodTemplate(labels=APP, image="agent:v2", behavior=PodBehavior(2))
NOW = 500.0


def ids(violations):
    return {v.rule for v in violations}


def make_ds(template=V1, **ru):
    strategy = (
        DaemonSetUpdateStrategy(rolling_update=DaemonSetRollingUpdate(**ru))
        if ru
        else DaemonSetUpdateStrategy()
    )
    return DaemonSetView("agent", "uid-agent", 1, DaemonSetSpec(template=template, update_strategy=strategy))


def snapshot(n, *, template=V1, with_pods=True, fleet=None, **ru):
    """n nodes running a V1 pod each; the DaemonSet's template is `template`."""
    ds = make_ds(V1, **ru)
    old = ds_util.daemonset_revisions(ds, ()).current
    ds = attrs.evolve(ds, spec=attrs.evolve(ds.spec, template=template))
    labels = tuple(sorted({**APP, CONTROLLER_REVISION_HASH: old.hash}.items()))
    owner = OwnerRef(DAEMONSET, "agent", "uid-agent")
    pods = tuple(PodView(f"agent-{i}", f"u{i}", owner, labels, "img", f"n{i}", RUNNING, True, 0.0, False, 0.0)
                 for i in range(n)) if with_pods else ()  # fmt: skip
    nodes = fleet or tuple(AppsNodeView(f"n{i}") for i in range(n))
    return DaemonSetSnapshot(ds, (old,), nodes, pods, NOW)


def test_model_runs_satisfy_always_sync_and_quiescent_rules():
    state = ops.apply(world.initial_state(5), CreateDaemonSet("agent", DaemonSetSpec(template=V1)))
    script = [
        AdvanceTime(10), CordonNode("node-0"), SetNodeTaints("node-1", (Taint("x", NO_SCHEDULE),)),
        SetNodeTaints("node-2", (Taint("y", NO_EXECUTE),)), UpdateAppsTemplate(DAEMONSET, "agent", V2),
        AdvanceTime(3), DaemonPodAction("agent", "node-3", POD_FAIL), SetNodeReady("node-4", READY_FALSE),
        SetNodeLabels("node-0", {"zone": "a"}), AdvanceTime(60),
    ]  # fmt: skip
    for op in script:
        state = ops.apply(state, op)
        assert check_always(world.view(state)) == []
    state, settled = world.settle(state)
    assert settled and check_daemonset_quiescent(world.view(state), state.daemonsets[0]) == []


def test_model_decisions_obey_per_sync_rules():
    for snap in (
        snapshot(4, template=V2, max_unavailable="50%"),
        snapshot(4, template=V2, max_unavailable=0, max_surge=2),
        snapshot(3, with_pods=False),
    ):
        d = sync(snap.ds, snap.revisions, snap.nodes, snap.pods, snap.now)
        for choice in (d.creates.first, d.creates.last):
            acts = DaemonSetActions(tuple(sorted(choice())), tuple(sorted(d.deletes.first())))
            assert check_daemonset_sync(snap, acts) == []


def test_bug_skips_nothing_but_creates_on_a_tainted_node():
    fleet = (AppsNodeView("n0"), AppsNodeView("n1", taints=(Taint("x", NO_SCHEDULE),)))
    snap = snapshot(2, with_pods=False, fleet=fleet)
    assert DS_NO_INELIGIBLE_CREATE.id in ids(
        check_daemonset_sync(snap, DaemonSetActions(created_on=("n0", "n1")))
    )
    assert check_daemonset_sync(snap, DaemonSetActions(created_on=("n0",))) == []


def test_bug_two_pods_on_one_node():
    snap = snapshot(2)
    assert DS_NO_INELIGIBLE_CREATE.id in ids(check_daemonset_sync(snap, DaemonSetActions(created_on=("n0",))))


def test_bug_surge_not_rounded_up():
    snap = snapshot(10, template=V2, max_unavailable="25%")  # ceil(2.5) = 3; a floor bug deletes 2, fine
    assert check_daemonset_sync(snap, DaemonSetActions(deleted=("agent-0", "agent-1", "agent-2"))) == []
    too_many = DaemonSetActions(deleted=("agent-0", "agent-1", "agent-2", "agent-3"))
    assert DS_UPDATE_BUDGET.id in ids(check_daemonset_sync(snap, too_many))
    surge = snapshot(7, template=V2, max_unavailable=0, max_surge="10%")  # ceil(0.7) = 1
    assert DS_UPDATE_BUDGET.id in ids(check_daemonset_sync(surge, DaemonSetActions(created_on=("n0", "n1"))))


def test_bug_burst_exceeded():
    snap = snapshot(300, with_pods=False)
    acts = DaemonSetActions(created_on=tuple(f"n{i}" for i in range(251)))
    assert DS_BURST.id in ids(check_daemonset_sync(snap, acts))


def test_quiescent_rule_catches_missing_and_extra_pods():
    state = ops.apply(world.initial_state(3), CreateDaemonSet("agent", DaemonSetSpec(template=V1)))
    state, _ = world.settle(state)
    view = world.view(state)
    ds = state.daemonsets[0]
    assert check_daemonset_quiescent(view, ds) == []
    missing = attrs.evolve(view, pods=view.pods[1:])
    assert DS_ONE_PER_NODE.id in ids(check_daemonset_quiescent(missing, ds))
    evicting = attrs.evolve(
        view, nodes=(attrs.evolve(view.nodes[0], taints=(Taint("y", NO_EXECUTE),)), *view.nodes[1:])
    )
    assert DS_ONE_PER_NODE.id in ids(check_daemonset_quiescent(evicting, ds))


def test_status_rule_catches_bad_numbers():
    ds = make_ds()
    bad = attrs.evolve(ds, status=DaemonSetStatus(desired_number_scheduled=2, current_number_scheduled=3))
    assert DS_STATUS.id in ids(check_always(AppsClusterView(now=0.0, daemonsets=(bad,))))
    wrong = attrs.evolve(ds, status=DaemonSetStatus(desired_number_scheduled=2, number_unavailable=0))
    assert DS_STATUS.id in ids(check_always(AppsClusterView(now=0.0, daemonsets=(wrong,))))

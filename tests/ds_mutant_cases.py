"""Concrete scenarios in which each DaemonSet mutant changes what the simulator does (see
test_mutants_apply): each returns the settled placement (node, image) or a status number."""

from sim_builders import simulator

from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.spec import IntOrPercent, PodBehavior


def _template(image: str = "app:v1", ready_after: int | None = 0) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels={"app": "agent"}, image=image, behavior=PodBehavior(ready_after))


def _strategy(max_unavailable: object, max_surge: object) -> a.DaemonSetUpdateStrategy:
    return a.DaemonSetUpdateStrategy(
        rolling_update=a.DaemonSetRollingUpdate(
            IntOrPercent.parse(max_unavailable), IntOrPercent.parse(max_surge)
        )
    )


def _settled(*ops, read):
    sim = simulator()
    try:
        for op in ops:
            sim.apply(op)
            sim.settle(3600)
        return read(sim.observe())
    finally:
        sim.close()


def _placement(view):
    return sorted(
        (p.node, p.image) for p in view.pods if p.owner and p.owner.kind == "DaemonSet" and not p.deleting
    )


def _create(template=None, **spec):
    return a.CreateDaemonSet("agent", a.DaemonSetSpec(template=template or _template(), **spec))


def nodes_of_agents_with_a_cordoned_node():
    return _settled(a.CordonNode("node-1"), _create(), read=lambda v: [n for n, _ in _placement(v)])


def desired_with_a_no_execute_taint():
    taint = a.SetNodeTaints("node-2", (a.Taint("maintenance", a.NO_EXECUTE),))
    return _settled(taint, _create(), read=lambda v: v.daemonsets[0].status.desired_number_scheduled)


def _stalled_rollout(max_unavailable, max_surge):
    update = a.UpdateAppsTemplate(a.DAEMONSET, "agent", _template("app:v2", ready_after=None))
    create = _create(update_strategy=_strategy(max_unavailable, max_surge))
    return _settled(create, update, read=lambda v: sum(1 for _, image in _placement(v) if image == "app:v2"))


def new_pods_of_a_stalled_half_surge():
    return _stalled_rollout(0, "50%")  # 50% of 3 nodes: 2 rounded up, 1 down


def new_pods_of_a_stalled_third_unavailable():
    return _stalled_rollout("34%", 0)  # 34% of 3 nodes: 2 rounded up, 1 down


def misscheduled_after_a_no_schedule_taint():
    taint = a.SetNodeTaints("node-2", (a.Taint("gpu", a.NO_SCHEDULE),))
    return _settled(_create(), taint, read=lambda v: v.daemonsets[0].status.number_misscheduled)


# mutant -> (scenario, clean outcome, mutant outcome)
DS_CASES = {
    "ds-skips-cordoned-nodes": (
        nodes_of_agents_with_a_cordoned_node,
        ["node-0", "node-1", "node-2"],
        ["node-0", "node-2"],
    ),
    "ds-ignores-no-execute": (desired_with_a_no_execute_taint, 2, 3),
    "ds-surge-rounded-down": (new_pods_of_a_stalled_half_surge, 2, 1),
    "ds-unavailable-rounded-down": (new_pods_of_a_stalled_third_unavailable, 2, 1),
    "ds-misscheduled-not-counted": (misscheduled_after_a_no_schedule_taint, 1, 0),
}

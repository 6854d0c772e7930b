"""What upstream leaves to chance in a DaemonSet sync, and how the model settles it (`apps_world.TieBreak`):
Go-map picks within a budget, and the name order of a node's pods created in the same second. Worked
examples of each rule, then the settled comparison adopting what a target chose."""

from __future__ import annotations

import pytest

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties import apps_machine
from kubeprops.properties.daemonset import DaemonSetMachine
from kubeprops.properties.machine import SETTLED, MachineConfig, PropertyViolation, RunStats, bind
from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model import daemonset as ds_util
from kubeprops.reference_model.apps_common import AnyOf
from kubeprops.reference_model.apps_quiescent import daemonset_outcome
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.spec import IntOrPercent, PodBehavior
from kubeprops.scenario.view import OwnerRef, PodView

APP = {"app": "agent"}
NODES = AnyOf(frozenset(), frozenset({"node-0", "node-1", "node-2"}), 1)


def template(image: str, ready_after: int | None, **fields: object) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels=APP, image=image, behavior=PodBehavior(ready_after), **fields)


def surge(max_surge: int | IntOrPercent) -> a.DaemonSetUpdateStrategy:
    return a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(IntOrPercent(0), max_surge))


def create(tmpl: a.AppsPodTemplate, strategy: a.DaemonSetUpdateStrategy) -> a.CreateDaemonSet:
    return a.CreateDaemonSet("agent", a.DaemonSetSpec(template=tmpl, update_strategy=strategy))


def on_node(member: str) -> world.Placement:
    return ("agent", member, 2)


# ---------------------------------------------------------------- Go-map picks (update.go rollingUpdate)


def test_fixed_policies_take_the_smallest_or_largest_names():
    assert world.choose_first.pick(NODES, on_node, creating=True) == {"node-0"}
    assert world.choose_last.pick(NODES, on_node, creating=True) == {"node-2"}


def test_adopting_creates_where_the_target_has_the_revision():
    keep = world.TieBreak("observed", keep=frozenset({("agent", "node-1", 2)}))
    assert keep.pick(NODES, lambda n: ("agent", n, 2), creating=True) == {"node-1"}


def test_adopting_deletes_the_pods_the_target_no_longer_has():
    pods = AnyOf(frozenset({"p-certain"}), frozenset({"p0", "p1", "p2"}), 2)
    where = {"p0": "node-0", "p1": "node-1", "p2": "node-2", "p-certain": "node-3"}
    keep = world.TieBreak("observed", keep=frozenset({("agent", "node-0", 1)}))
    chosen = keep.pick(pods, lambda name: ("agent", where[name], 1), creating=False)
    # node-0's old pod stays as observed; the certain delete stays certain; still exactly the budget
    assert chosen == {"p-certain", "p1", "p2"}
    assert pods.allows(chosen)


def test_adopting_never_leaves_the_any_of():
    # the target kept nothing the pool offers: the pick still takes `pick` members, by name
    keep = world.TieBreak("observed", keep=frozenset({("agent", "node-9", 2)}))
    chosen = keep.pick(NODES, lambda n: ("agent", n, 2), creating=True)
    assert chosen == {"node-0"} and NODES.allows(chosen)


def test_a_surge_may_stall_on_any_node():
    # maxSurge 1 of three nodes and a never-Ready template: the rollout stalls on whichever node the Go map
    # gave first; the two policies reach node-0 and node-2, adopting reaches node-1 too (dev seed 10)
    steps = [
        create(template("app:v1", 0), surge(IntOrPercent(1))),
        a.AdvanceTime(5),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", None)),
    ]
    stalled = {}
    for choose in (
        world.choose_first,
        world.choose_last,
        world.TieBreak("x", keep=frozenset({("agent", "node-1", 2)})),
    ):
        state = world.initial_state(3)
        for op in steps:
            state = ops.apply(state, op, choose=choose)
        state, settled = world.settle(state, choose=choose)
        assert settled
        new = {node for node, rev in daemonset_outcome(state, state.daemonsets[0]).placement if rev == 2}
        stalled[choose.name] = new
    assert stalled == {"first": {"node-0"}, "last": {"node-2"}, "x": {"node-1"}}


# ---------------------------------------------------------------- same-second ties (podByCreationTimestampAndPhase)


def pod(name: str, created: float) -> PodView:
    return PodView(
        name,
        f"uid-{name}",
        OwnerRef(a.DAEMONSET, "agent", "ds-uid"),
        (("app", "agent"),),
        "app:v1",
        "node-0",
        "Running",
        True,
        0.0,
        False,
        created,
    )


def sorted_names(pods: list[PodView], ranks: dict[str, int] | None = None) -> list[str]:
    ds = a.DaemonSetView("agent", "ds-uid", 1, a.DaemonSetSpec(template=template("app:v1", 0)))
    return [p.name for p in ds_util.nodes_to_pods(ds, pods, {}, ranks=ranks)["node-0"]]


def test_same_second_pods_sort_by_rank_before_name():
    pods = [pod("agent-b", 5.0), pod("agent-a", 5.0), pod("agent-c", 4.0)]
    assert sorted_names(pods) == ["agent-c", "agent-a", "agent-b"]  # upstream: timestamp, then name
    # the model's names are not upstream's: a rank decides the same-second order first
    assert sorted_names(pods, {"agent-a": 1}) == ["agent-c", "agent-b", "agent-a"]
    # an older pod stays first whatever the ranks
    assert sorted_names(pods, {"agent-c": 5}) == ["agent-c", "agent-a", "agent-b"]


def test_ranks_of_each_policy():
    kept, gone = ("agent", "node-0", 3), ("agent", "node-0", 2)
    assert world.choose_first.rank(kept, 5.0, uid=7) == 0  # the model's names decide
    assert world.choose_last.rank(kept, 5.0, uid=7) < world.choose_last.rank(kept, 5.0, uid=6)  # newer first
    observed = world.TieBreak("observed", keep=frozenset({kept}))
    assert observed.rank(kept, 5.0, uid=7) < observed.rank(gone, 5.0, uid=6)  # the survivor sorts first
    # where the target was seen with both pods, its name order wins over what survived
    order = ((("agent", "node-0", 2), 0), (("agent", "node-0", 3), 1))
    seen = world.TieBreak("observed", keep=frozenset({kept}), order=order)
    assert seen.rank(gone, 5.0, uid=6) < seen.rank(kept, 5.0, uid=7)


def test_on_delete_keeps_whichever_same_second_pod_sorts_first():
    # the v1 pod and the surge's v3 pod on one node are created in the same instant; switching to a
    # non-surge strategy prunes all but the oldest: either may survive, and the status reads the survivor
    v1, never = template("app:v1", 0), template("app:v3", None)
    steps = [
        create(v1, surge(IntOrPercent(34, percent=True))),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", None)),
        a.UpdateAppsTemplate(a.DAEMONSET, "agent", never),
        a.SetDaemonSetUpdateStrategy("agent", a.DaemonSetUpdateStrategy(a.ON_DELETE)),
    ]
    outcomes = {}
    for keep in ({("agent", "node-0", 1)}, {("agent", "node-0", 3)}):
        choose = world.TieBreak("observed", keep=frozenset(keep))
        state = world.initial_state(1)
        for op in steps:
            state = ops.apply(state, op, choose=choose)
        state, _ = world.settle(state, choose=choose)
        o = daemonset_outcome(state, state.daemonsets[0])
        outcomes[o.placement] = o.status
    assert outcomes == {
        frozenset({("node-0", 1)}): (1, 1, 1, 1, 0, 0, 0),
        frozenset({("node-0", 3)}): (1, 1, 0, 0, 1, 0, 1),
    }


# ---------------------------------------------------------------- the settled comparison adopts


def machine() -> DaemonSetMachine:
    m = bind(DaemonSetMachine, MachineConfig(simulator_factory, SETTLED, RunStats()))()  # type: ignore[arg-type]
    m.start(0)
    return m


ZONES = (a.NodeSelectorTerm((a.NodeSelectorRequirement("zone", a.IN, ("a", "b")),)),)


def test_a_pod_action_on_a_same_second_tie_follows_the_targets_names():
    """Shrunk from dev seed 6: the surge leaves a v2 and a v3 pod created in the same second on node-0 (and
    node-1); failing "the oldest pod on node-0" hits the one the simulator's names put first, the v3 one.
    The two policies both fail the v2 pod; replaying from the start with the names the target showed at
    the first comparison reaches the observed state."""
    m = machine()
    m.do(create(template("app:v1", 0, required_node_affinity=ZONES), surge(IntOrPercent(25, percent=True))))
    m.do(a.AddNode("node-3", {}, (), True))
    m.do(a.AddNode("node-4", {"zone": "b"}, (), True))
    m.settle_and_compare()
    m.do(a.AdvanceTime(5))
    m.do(a.AddNode("node-5", {}, (), True))
    m.do(
        a.UpdateAppsTemplate(
            a.DAEMONSET, "agent", template("app:v1", 0, tolerations=(a.Toleration("", a.EXISTS),))
        )
    )
    no_disk = (a.NodeSelectorTerm((a.NodeSelectorRequirement("disk", a.DOES_NOT_EXIST),)),)
    m.do(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v1", None, required_node_affinity=no_disk)))
    m.settle_and_compare()
    m.do(a.DaemonPodAction("agent", "node-0", "fail"))
    m.settle_and_compare()
    m.teardown()
    assert not m.unknown
    # the model adopted the target's order: node-0 keeps its v2 pod and has a fresh v3 one
    summary = apps_machine.summarize(world.view(m.adopted))[0]
    assert [rev for node, rev in summary.placement if node == "node-0"] == [2, 3]


def test_the_comparison_still_rejects_an_outcome_no_choice_reaches():
    m = machine()
    m.do(create(template("app:v1", 0), surge(IntOrPercent(1))))
    m.settle_and_compare()
    m.do(a.AdvanceTime(5))
    m.do(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", None)))
    # the target's fleet shrinks behind the model's back: no choice upstream may make explains it
    m.adapter.apply(a.RemoveNode("node-2"))
    with pytest.raises(PropertyViolation, match="settled state differs from the model"):
        m.settle_and_compare()


def stretch(*ties: tuple[str, ...]) -> apps_machine.Stretch:
    """A comparison that saw, on node-0, each tuple of revision numbers as one same-second tie."""
    order = tuple((("agent", "node-0", int(rev)), i) for tie in ties for i, rev in enumerate(tie))
    return apps_machine.Stretch((), frozenset(), order, None)


def test_orders_seen_at_different_comparisons_merge_into_one():
    # first the v5 pod tied ahead of v6; later the surviving v6 pod tied ahead of a new v7 one
    merged = dict(apps_machine.merged_order([stretch(("5", "6")), stretch(("6", "7"))]))
    assert merged[("agent", "node-0", 5)] < merged[("agent", "node-0", 6)] < merged[("agent", "node-0", 7)]
    # contradicting sightings (two pods of one placement, in different ties): the earliest order wins
    merged = dict(apps_machine.merged_order([stretch(("5", "6")), stretch(("6", "5"))]))
    assert merged[("agent", "node-0", 5)] < merged[("agent", "node-0", 6)]


def test_status_counts_follow_the_targets_names_when_the_clocks_differ():
    """Shrunk from dev seed 11: the model's first settle fires a requeue timer that changes nothing, so its
    clock runs ahead of the simulator's, whose settle ends at the last change. Later a v2 and a v3 surge
    pod tie within a second on two nodes, and the status counts read whichever the names put first: the
    v3 pod on one node, the v2 pod on the other, which neither fixed policy does. The order is keyed by
    placement (not by the second, which differs between the clocks), so the replay reaches the observed
    ready/updated counts."""
    m = machine()
    m.do(
        create(
            template("app:v1", 0),
            a.DaemonSetUpdateStrategy(
                rolling_update=a.DaemonSetRollingUpdate(IntOrPercent(2), IntOrPercent(0))
            ),
        )
    )
    m.settle_and_compare()
    m.do(a.AdvanceTime(17))
    m.do(a.SetDaemonSetUpdateStrategy("agent", surge(IntOrPercent(2))))
    m.do(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2", 0)))
    m.do(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v3", None)))
    m.do(a.AdvanceTime(15))
    m.do(a.AddNode("node-3", {}, (), False))
    m.settle_and_compare()
    m.teardown()
    assert not m.unknown
    assert m.adapter.observe().now != m.models[0].now  # the clocks did differ
    status = apps_machine.summarize(world.view(m.adopted))[0].status
    assert (status[4], status[6]) == (
        2,
        2,
    )  # ready, updated:  # one node counts its (Ready) v2 pod, the other its v3 pod

"""Nodes that stop being Ready and containers that crash, for ReplicaSet and Deployment pods.

Each scenario is a worked example on the model's world, and the same scenario on the simulator must
agree with it (the simulator implements node health on its own: DefaultTolerationSeconds admission,
tainting, taint eviction with tolerationSeconds, a crashing kubelet).
"""

from __future__ import annotations

import pytest
from sim_builders import replicaset, simulator, template

from kubeprops.adapters.simulator.admission import default_toleration_seconds
from kubeprops.adapters.simulator.node_lifecycle import min_toleration_seconds, used_tolerations
from kubeprops.reference_model import world, world_operations
from kubeprops.reference_model.quiescent import diff, summarize
from kubeprops.scenario import REPLICASET, Advance, CreateReplicaSet, PodAction, Scale
from kubeprops.scenario.apps_extra import SetNodeReady
from kubeprops.scenario.view import ClusterView

NOT_READY = "node.kubernetes.io/not-ready"


def create(replicas: int = 3, ready_after: int | None = 0) -> CreateReplicaSet:
    return CreateReplicaSet("web", replicaset(replicas, template(ready_after=ready_after)))


def on_both(*ops: object) -> tuple[ClusterView, ClusterView]:
    """The observed view after `ops` on the model's world and on the simulator (seed 0)."""
    state = world.initial_state(3)
    sim = simulator()
    for op in ops:
        state = world_operations.apply(state, op)
        if isinstance(op, Advance):
            sim.advance(op.seconds)
        else:
            sim.apply(op)
    return world.view(state), sim.observe()


def ready_by_node(view: ClusterView) -> dict[str, tuple[int, int]]:
    """node -> (active pods, Ready pods) of the ReplicaSet."""
    out: dict[str, tuple[int, int]] = {}
    for p in view.pods:
        if p.active:
            active, ready = out.get(p.node, (0, 0))
            out[p.node] = (active + 1, ready + p.ready)
    return out


def agree(*ops: object) -> ClusterView:
    model, sim = on_both(*ops)
    assert ready_by_node(model) == ready_by_node(sim)
    assert sorted(p.restarts for p in model.pods) == sorted(p.restarts for p in sim.pods)
    assert diff(summarize(model), summarize(sim)) == []
    return model


# ---------------------------------------------------------------- crash


def test_crash_restarts_in_place_and_is_ready_again_after_ready_after():
    view = agree(create(3, ready_after=10), Advance(10), PodAction(REPLICASET, "web", 0, "crash"))
    assert [p.restarts for p in view.pods if not p.ready] == [1]
    assert view.replicasets[0].status.ready_replicas == 2
    assert all(p.active for p in view.pods)  # Running: the ReplicaSet replaces nothing
    view = agree(create(3, ready_after=10), Advance(10), PodAction(REPLICASET, "web", 0, "crash"), Advance(9))
    assert view.replicasets[0].status.ready_replicas == 2
    view = agree(
        create(3, ready_after=10), Advance(10), PodAction(REPLICASET, "web", 0, "crash"), Advance(10)
    )
    assert view.replicasets[0].status.ready_replicas == 3


def test_crash_of_a_ready_at_once_pod_is_ready_again_within_the_instant():
    view = agree(create(3), PodAction(REPLICASET, "web", 1, "crash"))
    assert view.replicasets[0].status.ready_replicas == 3
    assert sorted(p.restarts for p in view.pods) == [0, 0, 1]


def test_crashed_pod_is_deleted_first_on_scale_down():
    # ActivePodsWithRanks: equal readiness, more restarts first (ref pkg/controller/controller_utils.go)
    view = agree(
        create(3),
        PodAction(REPLICASET, "web", 1, "crash"),
        Advance(5),
        PodAction(REPLICASET, "web", 1, "ready"),
        Scale(REPLICASET, "web", 2),
        Advance(5),
    )
    assert sorted(p.restarts for p in view.pods) == [0, 0]


def test_crash_never_ready_template_stays_not_ready():
    view = agree(create(2, ready_after=None), PodAction(REPLICASET, "web", 0, "crash"), Advance(600))
    assert view.replicasets[0].status.ready_replicas == 0
    assert sorted(p.restarts for p in view.pods) == [0, 1]


# ---------------------------------------------------------------- NotReady nodes


@pytest.mark.parametrize("status", ["False", "Unknown"])
def test_pods_on_a_not_ready_node_turn_not_ready_and_are_evicted_after_300s(status):
    steps = [create(3), SetNodeReady("node-0", status)]
    view = agree(*steps)
    assert ready_by_node(view)["node-0"] == (1, 0)
    assert view.replicasets[0].status.ready_replicas == 2
    view = agree(*steps, Advance(299))
    assert ready_by_node(view)["node-0"] == (1, 0)  # tolerated for 300 s: nothing replaced yet
    view = agree(*steps, Advance(300))
    assert "node-0" not in ready_by_node(view)  # evicted (terminating) and replaced elsewhere
    assert view.replicasets[0].status.ready_replicas == 3
    view = agree(*steps, Advance(302))
    assert sorted(p.node for p in view.pods) == ["node-1", "node-1", "node-2"] or sorted(
        p.node for p in view.pods
    ) == ["node-1", "node-2", "node-2"]


def test_node_ready_again_before_300s_cancels_the_eviction():
    view = agree(
        create(3),
        SetNodeReady("node-0", "False"),
        Advance(200),
        SetNodeReady("node-0", "True"),
        Advance(200),
    )
    assert ready_by_node(view) == {"node-0": (1, 1), "node-1": (1, 1), "node-2": (1, 1)}


def test_unknown_after_false_keeps_the_first_eviction_time():
    view = agree(
        create(3),
        SetNodeReady("node-0", "False"),
        Advance(200),
        SetNodeReady("node-0", "Unknown"),
        Advance(100),
    )
    assert "node-0" not in ready_by_node(view)


def test_no_pod_is_scheduled_on_a_not_ready_node():
    view = agree(
        create(1),
        SetNodeReady("node-1", "False"),
        SetNodeReady("node-2", "False"),
        Scale(REPLICASET, "web", 4),
    )
    assert ready_by_node(view) == {"node-0": (4, 4)}


def test_not_yet_due_pod_turns_ready_on_time_after_recovery():
    view = agree(
        create(3, ready_after=30),
        SetNodeReady("node-0", "False"),
        Advance(10),
        SetNodeReady("node-0", "True"),
    )
    assert ready_by_node(view)["node-0"] == (1, 0)
    view = agree(
        create(3, ready_after=30),
        SetNodeReady("node-0", "False"),
        Advance(10),
        SetNodeReady("node-0", "True"),
        Advance(20),
    )
    assert ready_by_node(view)["node-0"] == (1, 1)


def test_settled_after_node_loss_matches():
    model = world.initial_state(3)
    sim = simulator()
    for op in (create(4), SetNodeReady("node-2", "Unknown")):
        model = world_operations.apply(model, op)
        sim.apply(op)
    model, settled = world.settle(model)
    assert settled and sim.settle(3600).settled
    assert diff(world.expected_summary(model), summarize(sim.observe())) == []
    assert ready_by_node(world.view(model)) == ready_by_node(sim.observe())


# ---------------------------------------------------------------- the simulator's admission and eviction rules


def test_default_tolerations_are_added_unless_already_tolerated():
    pod = {"spec": {}}
    default_toleration_seconds(pod)
    assert [(t["key"], t["tolerationSeconds"]) for t in pod["spec"]["tolerations"]] == [
        (NOT_READY, 300),
        ("node.kubernetes.io/unreachable", 300),
    ]
    everything = {"spec": {"tolerations": [{"operator": "Exists"}]}}
    default_toleration_seconds(everything)
    assert everything["spec"]["tolerations"] == [{"operator": "Exists"}]


def test_shortest_toleration_of_the_first_match_per_taint():
    taints = [{"key": NOT_READY, "effect": "NoExecute"}]
    forever = {"key": NOT_READY, "operator": "Exists", "effect": "NoExecute"}
    short = {**forever, "tolerationSeconds": 5}
    assert min_toleration_seconds(used_tolerations(taints, [forever, short])) is None  # first match wins
    assert min_toleration_seconds(used_tolerations(taints, [short, forever])) == 5
    assert min_toleration_seconds([{**short, "tolerationSeconds": -3}]) == 0
    assert used_tolerations(taints, [{"key": "other", "operator": "Exists"}]) is None

"""Scheduler, kubelets, node join/leave and pod GC of the simulator."""

from sim_builders import replicaset, simulator, template

from kubeprops.adapters.simulator.cluster import Cluster
from kubeprops.adapters.simulator.objects import clone
from kubeprops.scenario import CreateReplicaSet, NodeJoin, NodeLeave, PodAction


def test_pods_spread_fewest_first_ties_by_name():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(4)))
    sim.settle(30)
    nodes = sorted(p.node for p in sim.observe().pods)
    assert nodes == ["node-0", "node-0", "node-1", "node-2"]


def test_node_selector_and_cordon_are_respected():
    sim = simulator()
    sim.apply(NodeJoin("edge", {"zone": "edge"}))
    node = clone(sim.cluster.store.get("Node", "node-0"))
    node["spec"]["unschedulable"] = True
    sim.cluster.store.update("Node", node)
    sim.apply(
        CreateReplicaSet(
            "a", replicaset(2, template(node_selector={"zone": "edge"}), selector={"app": "web"})
        )
    )
    sim.settle(30)
    assert {p.node for p in sim.observe().pods} == {"edge"}
    assert any(n.unschedulable for n in sim.observe().nodes)


def test_capacity_leaves_pods_pending_until_a_node_joins():
    sim = simulator(nodes=1, node_capacity=2)
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.settle(30)
    pending = [p for p in sim.observe().pods if not p.node]
    assert len(pending) == 1 and pending[0].phase == "Pending"
    sim.apply(NodeJoin("node-9"))
    sim.settle(30)
    assert all(p.node for p in sim.observe().pods)


def test_kubelet_runs_then_readies_after_delay():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1, template(ready_after=5))))
    sim.cluster.run_until_idle()
    (pod,) = sim.observe().pods
    assert pod.phase == "Running" and not pod.ready
    sim.advance(5)
    (pod,) = sim.observe().pods
    assert pod.ready and pod.ready_since == 5.0


def test_never_ready_pods_stay_unready():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1, template(ready_after=None))))
    assert sim.settle(3600).settled
    (pod,) = sim.observe().pods
    assert pod.phase == "Running" and not pod.ready


def test_pod_actions_unready_ready_fail():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1)))
    sim.settle(30)
    sim.advance(10)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "unready"))
    (pod,) = sim.observe().pods
    assert not pod.ready
    sim.advance(2)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "ready"))
    (pod,) = sim.observe().pods
    assert pod.ready and pod.ready_since == 12.0
    sim.apply(PodAction("ReplicaSet", "rs", 5, "fail"))  # index is taken modulo the pod count
    failed = [p for p in sim.observe().pods if p.phase == "Failed"]
    assert len(failed) == 1 and not failed[0].ready


def test_graceful_deletion_takes_one_second():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1)))
    sim.settle(30)
    victim = sim.observe().pods[0].name
    sim.apply(PodAction("ReplicaSet", "rs", 0, "delete"))
    sim.advance(0.5)
    assert any(p.name == victim and p.deleting for p in sim.observe().pods)
    sim.advance(0.5)
    assert all(p.name != victim for p in sim.observe().pods)


def test_node_leave_pods_are_collected_and_replaced():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.settle(30)
    sim.apply(NodeLeave("node-1"))
    sim.advance(39)
    assert any(p.node == "node-1" for p in sim.observe().pods)  # pod GC waits for its quarantine
    assert sim.settle(120).settled
    view = sim.observe()
    assert "node-1" not in {n.name for n in view.nodes}
    assert sorted(p.node for p in view.pods) == ["node-0", "node-0", "node-2"]
    assert view.replicaset("rs").status.available_replicas == 3


def test_cluster_starts_with_configured_nodes():
    assert sorted(Cluster(0, nodes=2).kubelets) == ["node-0", "node-1"]


def test_pod_counts_kept_from_the_watch_equal_a_recount():
    # the scheduler keeps non-terminal bound pods per node incrementally; it must equal counting them
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(7)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "fail"))
    sim.apply(PodAction("ReplicaSet", "rs", 1, "delete"))
    sim.apply(NodeLeave("node-2"))
    sim.settle(120)
    recount: dict[str, int] = {}
    for pod in sim.cluster.store.list("Pod"):
        node = pod["spec"].get("nodeName")
        if node and pod["status"].get("phase") not in ("Succeeded", "Failed"):
            recount[node] = recount.get(node, 0) + 1
    kept = {n: c for n, c in sim.cluster.scheduler._pods_per_node().items() if c}
    assert kept == recount and sum(recount.values()) == 7


def test_node_affinity_prefilter_narrows_to_the_named_nodes():
    from kubeprops.adapters.node_fit import named_nodes

    def pinned(*terms):
        affinity = {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
        return {"affinity": {"nodeAffinity": affinity}}

    by_name = {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-1"]}]}
    by_label = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
    assert named_nodes(pinned(by_name)) == {"node-1"}  # a daemon pod's pin
    assert named_nodes(pinned(by_name, by_label)) is None  # one term may match any node
    assert named_nodes({"nodeSelector": {"zone": "a"}}) is None

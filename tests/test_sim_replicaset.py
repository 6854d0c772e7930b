"""The simulated ReplicaSet controller against the fact sheet (§0.2-§0.5, §1)."""

from sim_builders import replicaset, simulator, template

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters.simulator.controllers import replicaset as rsc
from kubeprops.adapters.simulator.objects import clone
from kubeprops.scenario import CreateReplicaSet, PodAction, Scale


def make_pod(name, uid="u", node="node-0", phase="Running", ready=True, ready_at=0.0, created=0.0, cost=None):
    pod = {
        "metadata": {"name": name, "uid": uid, "creationTimestamp": ko.format_time(created), "labels": {}},
        "spec": {"nodeName": node},
        "status": {
            "phase": phase,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True" if ready else "False",
                    "lastTransitionTime": ko.format_time(ready_at),
                }
            ],
        },
    }
    if cost is not None:
        pod["metadata"]["annotations"] = {rsc.DELETION_COST: str(cost)}
    return pod


def order(pods, now=100.0, related=()):
    return [p["metadata"]["name"] for p in rsc.rank_pods_for_deletion(pods, list(related), now)]


def test_rank_unassigned_pending_notready_first():
    pods = [
        make_pod("ready"),
        make_pod("notready", ready=False),
        make_pod("pending", phase="Pending", ready=False),
        make_pod("unassigned", node="", phase="Pending", ready=False),
    ]
    assert order(pods) == ["unassigned", "pending", "notready", "ready"]


def test_rank_deletion_cost_before_colocation():
    cheap, dear = make_pod("cheap", node="node-0", cost=-5), make_pod("dear", node="node-1", cost=5)
    crowded = [make_pod(f"x{i}", uid=f"x{i}", node="node-1") for i in range(3)]
    assert order([dear, cheap], related=[cheap, dear, *crowded]) == ["cheap", "dear"]


def test_rank_doubled_up_pods_first():
    alone = make_pod("alone", node="node-0", uid="a")
    doubled = make_pod("doubled", node="node-1", uid="b")
    buddy = make_pod("buddy", node="node-1", uid="c")
    assert order([alone, doubled], related=[alone, doubled, buddy]) == ["doubled", "alone"]


def test_rank_log_buckets_and_uid_tie_break():
    # Ready 3 s and 5 s ago: buckets 31 and 32 differ, the newer goes first.
    a, b = make_pod("three", uid="z", ready_at=97.0), make_pod("five", uid="a", ready_at=95.0)
    assert order([b, a]) == ["three", "five"]
    # 5 s and 7 s: same bucket 32, the smaller UID goes first.
    c, d = make_pod("five", uid="b", ready_at=95.0), make_pod("seven", uid="a", ready_at=93.0)
    assert order([c, d]) == ["seven", "five"]


def test_rank_creation_buckets_when_not_ready():
    young, old = (
        make_pod("young", uid="z", ready=False, created=97.0),
        make_pod("old", uid="a", ready=False, created=0.0),
    )
    assert order([old, young]) == ["young", "old"]


def test_log_bucket():
    assert rsc.log_bucket(97.0, 100.0) == 31 and rsc.log_bucket(95.0, 100.0) == 32
    assert rsc.log_bucket(100.0, 100.0) == -1


def test_no_sorting_when_every_pod_goes():
    pods = [make_pod("b"), make_pod("a", ready=False)]
    assert [p["metadata"]["name"] for p in rsc.pods_to_delete(pods, [], 2, 0.0)] == ["b", "a"]


def test_slow_start_batches_stop_at_first_error():
    calls = []

    def call():
        calls.append(1)
        if len(calls) == 5:
            raise rsc.ApiError("boom")

    successes, error = rsc.slow_start_batch(20, 1, call)
    assert (successes, len(calls), str(error)) == (6, 7, "boom")  # batches 1, 2, 4: the error is in the third
    assert rsc.slow_start_batch(500, 1, lambda: None) == (500, None)


def test_replicaset_creates_pods_and_reports_status():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    assert sim.settle(30).settled
    view = sim.observe()
    rs = view.replicaset("rs")
    assert len(view.pods_of("ReplicaSet", "rs")) == 3
    assert (rs.status.replicas, rs.status.ready_replicas, rs.status.available_replicas) == (3, 3, 3)
    assert rs.status.fully_labeled_replicas == 3 and rs.status.terminating_replicas == 0
    assert rs.status.observed_generation == rs.generation
    assert all(p.name.startswith("rs-") and p.owner.uid == rs.uid for p in view.pods)


def test_burst_caps_creations_per_sync():
    sim = simulator()
    cluster = sim.cluster
    cluster.store.create("ReplicaSet", ko.replicaset_manifest("big", replicaset(600)))
    while not cluster.store.list("Pod"):
        cluster.step()
    assert len(cluster.store.list("Pod")) == 500


def test_scale_down_deletes_not_ready_pods_first():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 1, "unready"))
    unready = next(p.name for p in sim.observe().pods if not p.ready)
    sim.apply(Scale("ReplicaSet", "rs", 2))
    sim.settle(30)
    names = {p.name for p in sim.observe().pods}
    assert unready not in names and len(names) == 2


def test_terminating_pods_are_replaced_at_once_and_counted():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(2)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "delete"))
    sim.cluster.run_until_idle()
    view = sim.observe()
    assert len(view.pods) == 3 and sum(p.active for p in view.pods) == 2
    assert view.replicaset("rs").status.terminating_replicas == 1
    sim.settle(30)
    assert len(sim.observe().pods) == 2


def test_min_ready_seconds_counts_from_the_ready_transition():
    # IsPodAvailable@v1.35.4: lastTransitionTime + minReadySeconds <= now, so at exactly 10 s the pods are
    # Available, and the requeue updatePod makes for minReadySeconds (merged with the sync's own
    # FindMinNextPodAvailabilityCheck one, the same instant) writes it then
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3, min_ready_seconds=10)))
    sim.cluster.run_until_idle()
    assert sim.observe().replicaset("rs").status.ready_replicas == 3
    sim.advance(9.5)
    assert sim.observe().replicaset("rs").status.available_replicas == 0
    sim.advance(0.5)
    assert sim.observe().replicaset("rs").status.available_replicas == 3  # exactly 10 s


def test_pods_ready_at_different_times_become_available_one_by_one():
    # pod 1 turns Ready 1 s after pod 0: its updatePod requeue (at 11) merges into pod 0's (at 10); the
    # sync at 10 requeues itself for pod 1's moment (FindMinNextPodAvailabilityCheck: 11), not for
    # minReadySeconds later (20)
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1, min_ready_seconds=10)))
    sim.cluster.run_until_idle()
    sim.advance(1)
    sim.apply(Scale("ReplicaSet", "rs", 2))
    sim.cluster.run_until_idle()
    assert sim.observe().replicaset("rs").status.ready_replicas == 2
    sim.advance(9)
    assert sim.observe().replicaset("rs").status.available_replicas == 1
    sim.advance(0.5)
    assert sim.observe().replicaset("rs").status.available_replicas == 1
    sim.advance(0.5)
    assert sim.observe().replicaset("rs").status.available_replicas == 2


def test_failed_pods_are_replaced_and_not_counted():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(2)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "fail"))
    sim.settle(30)
    view = sim.observe()
    assert [p.phase for p in view.pods].count("Failed") == 1
    assert view.replicaset("rs").status.replicas == 2 and sum(p.active for p in view.pods) == 2


def test_orphans_are_adopted_and_mismatches_released():
    sim = simulator()
    store = sim.cluster.store
    orphan = ko.pod_template_manifest(template())
    store.create("Pod", {"metadata": {"name": "orphan", **orphan["metadata"]}, "spec": orphan["spec"]})
    sim.apply(CreateReplicaSet("rs", replicaset(2)))
    sim.settle(30)
    view = sim.observe()
    assert view.pods_of("ReplicaSet", "rs") and any(
        p.name == "orphan" for p in view.pods_of("ReplicaSet", "rs")
    )
    assert len(view.pods) == 2
    pod = clone(store.get("Pod", "orphan"))
    pod["metadata"]["labels"] = {"app": "elsewhere"}
    store.update("Pod", pod)
    sim.settle(30)
    view = sim.observe()
    released = next(p for p in view.pods if p.name == "orphan")
    assert released.owner is None and len(view.pods_of("ReplicaSet", "rs")) == 2


def test_injected_create_failures_set_replica_failure_then_recover():
    sim = simulator(faults={"pod-create": 1.0})
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.cluster.run_until_idle()
    cond = sim.observe().replicaset("rs").status.conditions
    assert [(c.type, c.reason) for c in cond] == [("ReplicaFailure", "FailedCreate")]
    sim.cluster.faults.rates.clear()
    assert sim.settle(60).settled
    rs = sim.observe().replicaset("rs")
    assert rs.status.conditions == () and rs.status.available_replicas == 3


def test_interleavings_never_create_twice():
    for seed in range(1, 6):
        sim = simulator(seed)
        sim.apply(CreateReplicaSet("rs", replicaset(5)))
        sim.settle(30)
        sim.apply(Scale("ReplicaSet", "rs", 8))
        sim.settle(30)
        view = sim.observe()
        assert len(view.pods) == 8 and view.replicaset("rs").status.available_replicas == 8, seed


def test_full_ties_keep_the_cache_order():
    # Upstream's sort is unstable; ours is stable over the informer's name-sorted list: deterministic.
    pods = [make_pod(f"p{i}", uid="same") for i in range(6)]
    assert order(pods) == [f"p{i}" for i in range(6)]

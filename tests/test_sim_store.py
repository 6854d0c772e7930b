"""The simulator's API store, admission, informers and garbage collection."""

import random

import pytest
from sim_builders import RECREATE, deployment, replicaset, rolling, simulator, template

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters.simulator.clock import Clock
from kubeprops.adapters.simulator.informer import Informer
from kubeprops.adapters.simulator.objects import clone
from kubeprops.adapters.simulator.store import Conflict, Store
from kubeprops.scenario import (
    CreateDeployment,
    CreateReplicaSet,
    DeleteWorkload,
    DeploymentStrategy,
    InvalidSpec,
    RollingUpdate,
)


def new_store():
    return Store(Clock(), random.Random(0))


def test_create_assigns_identity_and_versions():
    store = new_store()
    a = store.create("ReplicaSet", ko.replicaset_manifest("a", replicaset()))
    b = store.create("ReplicaSet", ko.replicaset_manifest("b", replicaset()))
    assert a["metadata"]["uid"] != b["metadata"]["uid"]
    assert (
        a["metadata"]["generation"],
        a["metadata"]["resourceVersion"],
        b["metadata"]["resourceVersion"],
    ) == (1, "1", "2")
    assert a["metadata"]["creationTimestamp"] == "2026-01-01T00:00:00Z"


def test_generation_moves_on_spec_changes_only():
    store = new_store()
    rs = store.create("ReplicaSet", ko.replicaset_manifest("a", replicaset()))
    annotated = clone(rs)
    annotated["metadata"]["annotations"] = {"x": "y"}
    rs = store.update("ReplicaSet", annotated)
    assert rs["metadata"]["generation"] == 1
    scaled = clone(rs)
    scaled["spec"]["replicas"] = 5
    rs = store.update("ReplicaSet", scaled)
    assert rs["metadata"]["generation"] == 2
    rs = store.update_status("ReplicaSet", {**rs, "status": {"replicas": 5}})
    assert rs["metadata"]["generation"] == 2 and rs["status"] == {"replicas": 5}


def test_stale_resource_version_conflicts():
    store = new_store()
    rs = store.create("ReplicaSet", ko.replicaset_manifest("a", replicaset()))
    store.update_status("ReplicaSet", {**rs, "status": {"replicas": 1}})
    with pytest.raises(Conflict):
        store.update_status("ReplicaSet", {**rs, "status": {"replicas": 2}})


def test_generate_name_uses_the_upstream_alphabet():
    store = new_store()
    pod = store.create(
        "Pod", {"metadata": {"generateName": "web-"}, "spec": {"containers": [{"image": "x"}]}}
    )
    name = pod["metadata"]["name"]
    assert name.startswith("web-") and len(name) == 9 and set(name[4:]) <= set("bcdfghjklmnpqrstvwxz2456789")


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        (deployment(-1), "spec.replicas"),
        (deployment(strategy=rolling(0, 0)), "spec.strategy.rollingUpdate.maxUnavailable"),
        (deployment(strategy=rolling("0%", 0)), "spec.strategy.rollingUpdate.maxUnavailable"),
        (deployment(strategy=rolling(1, "101%")), "spec.strategy.rollingUpdate.maxUnavailable"),
        (
            deployment(strategy=DeploymentStrategy("Recreate", RollingUpdate())),
            "spec.strategy.rollingUpdate",
        ),
        (deployment(min_ready_seconds=10, progress_deadline_seconds=10), "spec.progressDeadlineSeconds"),
        (deployment(revision_history_limit=-1), "spec.revisionHistoryLimit"),
        (deployment(min_ready_seconds=-1), "spec.minReadySeconds"),
        (deployment(selector={"app": "other"}), "spec.template.metadata.labels"),
    ],
)
def test_admission_rejects_invalid_deployments(spec, field):
    sim = simulator()
    with pytest.raises(InvalidSpec) as error:
        sim.apply(CreateDeployment("web", spec))
    assert error.value.field == field
    assert sim.observe().deployments == ()


def test_admission_accepts_surge_over_100_percent_and_recreate():
    sim = simulator()
    sim.apply(CreateDeployment("a", deployment(strategy=rolling("200%", 0))))
    sim.apply(CreateDeployment("b", deployment(strategy=RECREATE)))
    assert len(sim.observe().deployments) == 2


@pytest.mark.parametrize("name", ["Web", "web_1", "-web", "a" * 254])
def test_admission_rejects_invalid_names(name):
    with pytest.raises(InvalidSpec) as error:
        simulator().apply(CreateReplicaSet(name, replicaset()))
    assert error.value.field == "metadata.name"


def test_admission_rejects_negative_replicaset_replicas():
    with pytest.raises(InvalidSpec) as error:
        simulator().apply(CreateReplicaSet("rs", replicaset(-2)))
    assert error.value.field == "spec.replicas"


def test_selector_is_immutable():
    store = new_store()
    rs = store.create("ReplicaSet", ko.replicaset_manifest("a", replicaset()))
    changed = clone(rs)
    changed["spec"]["selector"] = {"matchLabels": {"app": "web", "x": "y"}}
    changed["spec"]["template"]["metadata"]["labels"]["x"] = "y"
    with pytest.raises(InvalidSpec, match="immutable"):
        store.update("ReplicaSet", changed)


def test_informer_cache_lags_until_delivery():
    store = new_store()
    informer = Informer("test", ("ReplicaSet",))
    store.watch(informer.on_watch)
    seen = []
    informer.add_handler("ReplicaSet", lambda type_, old, new: seen.append((type_, old is None)))
    store.create("ReplicaSet", ko.replicaset_manifest("a", replicaset()))
    assert informer.get("ReplicaSet", "a") is None and informer.pending
    informer.deliver_all()
    assert informer.get("ReplicaSet", "a") is not None and seen == [("ADDED", True)]
    store.delete("ReplicaSet", "a")
    assert informer.get("ReplicaSet", "a") is not None
    informer.deliver_all()
    assert informer.get("ReplicaSet", "a") is None and seen[-1] == ("DELETED", False)


def test_graceful_deletion_of_a_bound_pod_and_immediate_for_unbound():
    store = new_store()
    bound = store.create(
        "Pod", {"metadata": {"name": "b"}, "spec": {"nodeName": "n", "terminationGracePeriodSeconds": 1}}
    )
    store.create("Pod", {"metadata": {"name": "u"}, "spec": {}})
    store.delete("Pod", "b")
    store.delete("Pod", "u")
    assert store.get("Pod", "u") is None
    assert store.get("Pod", "b")["metadata"]["deletionTimestamp"] == ko.format_time(1)
    assert bound["metadata"]["uid"] in store.uids


def test_gc_cascades_from_deployment_to_pods():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(3)))
    sim.settle(60)
    assert len(sim.observe().pods) == 3
    sim.apply(DeleteWorkload("Deployment", "web"))
    sim.cluster.run_until_idle()
    view = sim.observe()
    assert view.deployments == () and view.replicasets == ()
    assert len(view.pods) == 3 and all(p.deleting for p in view.pods)  # graceful
    assert sim.settle(60).settled
    assert sim.observe().pods == ()


def test_gc_removes_pods_of_a_deleted_replicaset():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(2, template(ready_after=None))))
    sim.settle(30)
    sim.apply(DeleteWorkload("ReplicaSet", "rs"))
    sim.settle(30)
    assert sim.observe().pods == ()


def test_clone_copies_deeply_and_never_shares_a_container():
    shared = [{"uid": "a"}]
    obj = {"status": {"active": shared, "again": shared}, "n": 1.5, "ok": True, "none": None}
    copy = clone(obj)
    assert copy == obj
    copy["status"]["active"][0]["uid"] = "b"  # one reference in the original: two copies in the clone
    assert shared == [{"uid": "a"}] and copy["status"]["again"] == [{"uid": "a"}]


def test_clone_of_a_value_marshal_refuses_copies_the_containers_and_shares_the_leaf():
    leaf = object()
    obj = {"items": [leaf], "meta": {"name": "x"}}
    copy = clone(obj)
    assert copy["items"][0] is leaf
    assert copy["items"] is not obj["items"] and copy["meta"] is not obj["meta"]

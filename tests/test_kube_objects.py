"""kube_objects: the vocabulary <-> Kubernetes-shaped JSON converters shared by every adapter."""

from datetime import UTC, datetime

import pytest
from sim_builders import RECREATE, deployment, replicaset, rolling, template

from kubeprops.adapters import kube_objects as ko
from kubeprops.scenario import PodTemplate


@pytest.mark.parametrize("seconds", [0.0, 1.0, 2.005, 86_400.5, 3.000000001])
def test_time_round_trips_to_the_nanosecond(seconds):
    assert ko.parse_time(ko.format_time(seconds)) == seconds


def test_time_format_is_rfc3339_and_nano_only_with_a_fraction():
    assert ko.format_time(0) == "2026-01-01T00:00:00Z"
    assert ko.format_time(61.25) == "2026-01-01T00:01:01.25Z"
    epoch = datetime(2030, 5, 1, tzinfo=UTC)
    assert ko.parse_time("2030-05-01T00:00:10+00:00", epoch) == 10.0


@pytest.mark.parametrize(
    "tmpl",
    [
        template(),
        template("app:v2", ready_after=7),
        template(ready_after=None),
        template(node_selector={"zone": "a"}),
    ],
)
def test_template_round_trip(tmpl):
    manifest = ko.pod_template_manifest(tmpl)
    assert manifest["spec"]["containers"][0]["name"] == "app"
    assert ko.template_from_manifest(manifest) == tmpl


def test_behaviour_travels_as_an_annotation():
    never = ko.pod_template_manifest(template(ready_after=None))
    assert never["metadata"]["annotations"][ko.READY_AFTER] == "never"
    assert ko.pod_template_manifest(template(ready_after=3))["metadata"]["annotations"][ko.READY_AFTER] == "3"


@pytest.mark.parametrize(
    "spec",
    [
        deployment(),
        deployment(7, strategy=rolling(2, "10%"), min_ready_seconds=5, revision_history_limit=3),
        deployment(2, strategy=RECREATE, paused=True, progress_deadline_seconds=60),
    ],
)
def test_deployment_spec_round_trip(spec):
    obj = ko.deployment_manifest("web", spec, {"run": "r1"})
    assert obj["metadata"] == {"name": "web", "labels": {"run": "r1"}}
    obj["metadata"].update(uid="u", generation=1, creationTimestamp=ko.format_time(3))
    view = ko.deployment_view(obj)
    assert view.spec == spec
    assert view.created == 3.0


def test_recreate_manifest_has_no_rolling_update():
    assert ko.deployment_manifest("web", deployment(strategy=RECREATE))["spec"]["strategy"] == {
        "type": "Recreate"
    }


def test_replicaset_view_reads_status_and_owner():
    obj = ko.replicaset_manifest("rs", replicaset(3, min_ready_seconds=4))
    obj["metadata"].update(
        uid="u1",
        generation=2,
        creationTimestamp=ko.format_time(0),
        ownerReferences=[{"kind": "Deployment", "name": "web", "uid": "d1", "controller": True}],
    )
    obj["status"] = {
        "replicas": 3,
        "readyReplicas": 2,
        "availableReplicas": 1,
        "observedGeneration": 2,
        "terminatingReplicas": 0,
        "conditions": [
            {
                "type": "ReplicaFailure",
                "status": "True",
                "reason": "FailedCreate",
                "lastTransitionTime": ko.format_time(5),
            }
        ],
    }
    view = ko.replicaset_view(obj)
    assert (view.replicas, view.min_ready_seconds, view.generation) == (3, 4, 2)
    assert view.owner.name == "web" and view.owner.uid == "d1"
    assert (view.status.ready_replicas, view.status.available_replicas, view.status.terminating_replicas) == (
        2,
        1,
        0,
    )
    assert view.status.conditions[0].last_transition_time == 5.0


def pod(**status):
    return {
        "metadata": {
            "name": "p",
            "uid": "u",
            "labels": {"app": "web"},
            "creationTimestamp": ko.format_time(1),
        },
        "spec": {"nodeName": "node-0", "containers": [{"name": "app", "image": "app:v1"}]},
        "status": status,
    }


def test_pod_view_readiness():
    ready = pod(
        phase="Running",
        conditions=[{"type": "Ready", "status": "True", "lastTransitionTime": ko.format_time(4)}],
    )
    view = ko.pod_view(ready)
    assert view.ready and view.ready_since == 4.0 and view.phase == "Running" and view.node == "node-0"
    assert view.active and not view.deleting
    unready = ko.pod_view(pod(phase="Running", conditions=[{"type": "Ready", "status": "False"}]))
    assert not unready.ready and unready.ready_since is None
    assert ko.pod_view(pod()).phase == "Pending"


def test_cluster_view_sorts_by_name():
    nodes = [ko.node_manifest(n) for n in ("node-2", "node-0", "node-1")]
    view = ko.cluster_view(1.5, nodes=nodes)
    assert [n.name for n in view.nodes] == ["node-0", "node-1", "node-2"]
    assert view.now == 1.5 and view.nodes[0].ready


def test_template_defaults_for_a_sparse_manifest():
    assert ko.template_from_manifest(
        {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": [{"image": "x"}]}}
    ) == PodTemplate(labels={"a": "b"}, image="x")

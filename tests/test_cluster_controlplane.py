"""The real upstream control plane: build (cached), start, a ReplicaSet gets its Pods, stop, nothing left.

Skipped unless the binaries are already built or KUBEPROPS_CONTROLPLANE=1 (then it builds: ~5 min on
2 cores, once per machine). CI sets the variable.
"""

import os
import sys
import time
import uuid

import pytest

from kubeprops.cluster import cluster_status, is_built, start_cluster
from kubeprops.cluster.processes import cmdline

pytestmark = [
    pytest.mark.controlplane,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the control plane runs on Linux"),
]


@pytest.fixture
def control_plane(tmp_path):
    if not is_built() and os.environ.get("KUBEPROPS_CONTROLPLANE") != "1":
        pytest.skip(
            "control plane binaries not built: run `kubeprops cluster build` or set KUBEPROPS_CONTROLPLANE=1"
        )
    handle = start_cluster(tmp_path / "cluster")
    try:
        yield handle
    finally:
        handle.stop()


def test_replicaset_controller_creates_pods(control_plane):
    from kubernetes import client, config

    api = config.new_client_from_config(str(control_plane.kubeconfig), context=control_plane.context)
    core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
    assert client.VersionApi(api).get_code().git_version == control_plane.state.release
    namespace = f"kubeprops-cp-{uuid.uuid4().hex[:8]}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    labels = {"app": "web"}
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels=labels),
        spec=client.V1PodSpec(containers=[client.V1Container(name="c", image="registry.k8s.io/pause:3.10")]),
    )
    spec = client.V1ReplicaSetSpec(
        replicas=2, selector=client.V1LabelSelector(match_labels=labels), template=template
    )
    replicaset = apps.create_namespaced_replica_set(
        namespace, client.V1ReplicaSet(metadata=client.V1ObjectMeta(name="web"), spec=spec)
    )
    pods = wait_for(lambda: core.list_namespaced_pod(namespace).items, lambda items: len(items) == 2)
    assert {p.metadata.owner_references[0].uid for p in pods} == {replicaset.metadata.uid}
    assert {p.status.phase for p in pods} == {"Pending"}  # no nodes: scheduled nowhere, and that is fine
    status = wait_for(
        lambda: apps.read_namespaced_replica_set("web", namespace).status, lambda s: s.replicas == 2
    )
    assert status.ready_replicas in (None, 0)

    state, rss = cluster_status(control_plane.dir)
    assert all(used is not None for used in rss.values()), rss
    control_plane.stop()
    assert [c.name for c in state.components if cmdline(c.pid) is not None] == []
    assert cluster_status(control_plane.dir)[1] == dict.fromkeys(rss)


def wait_for(get, done, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        value = get()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"not done after {timeout} s: {value}"
        time.sleep(0.2)

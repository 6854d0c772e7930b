"""The Kubernetes adapter's pure parts, without a cluster: the kubelet's decisions, settledness, placement."""

from kubeprops.adapters.kube_objects import replicaset_manifest
from kubeprops.adapters.kubernetes import pod_status as ps
from kubeprops.adapters.kubernetes import settle
from kubeprops.adapters.kubernetes.manifests import Placement
from kubeprops.scenario.spec import PodBehavior, PodTemplate, ReplicaSetSpec

T = 1_800_000_000.0


def pod(ready_after="0", **meta):
    return {
        "metadata": {
            "name": "p",
            "uid": "u",
            "annotations": {"kubeprops.io/ready-after": ready_after},
            **meta,
        },
        "spec": {"nodeName": "n", "containers": [{"name": "app", "image": "app:v1"}]},
        "status": {"phase": "Pending"},
    }


def test_a_bound_pod_starts_then_turns_ready_after_its_delay():
    p = pod("3")
    assert ps.due_action(p, T, None, False, False) == ps.START
    running = ps.started(p, T, ready=False)
    assert running["status"]["phase"] == "Running" and not ps.is_ready(running)
    assert {c["type"] for c in running["status"]["conditions"]} == {
        "PodScheduled",
        "Initialized",
        "ContainersReady",
        "Ready",
    }
    assert ps.due_action(running, T + 2, T, False, False) == ""
    assert ps.waiting(running, T + 2, T, False, False)
    assert ps.due_action(running, T + 3, T, False, False) == ps.READY
    assert ps.due_action(running, T + 3, T, True, False) == ""  # the probe fails: never Ready
    never = ps.started(pod("never"), T, ready=False)
    assert not ps.waiting(never, T + 1000, T, False, False)
    assert ps.due_action(never, T, T, False, True) == ps.READY  # a `ready` action forces it


def test_a_crashed_pod_restarts_in_place_and_is_ready_again_after_its_delay():
    running = ps.with_readiness(ps.started(pod("3"), T, ready=False), True, T + 3)
    crashed = ps.crashed(running, T + 10)
    status = crashed["status"]
    assert status["phase"] == "Running" and not ps.is_ready(crashed)
    assert status["containerStatuses"][0]["restartCount"] == 1
    assert status["containerStatuses"][0]["state"] == {"running": {"startedAt": ps.stamp(T + 10)}}
    # the stand-in restarts the delay at the crash: not due at +2, due at +3
    assert ps.due_action(crashed, T + 12, T + 10, False, False) == ""
    assert ps.due_action(crashed, T + 13, T + 10, False, False) == ps.READY


def test_a_deleted_pod_is_finished_when_its_grace_period_is_over():
    p = pod(deletionTimestamp=ps.stamp(T + 1))
    assert ps.due_action(p, T, None, False, False) == ""
    assert ps.waiting(p, T, None, False, False)
    assert ps.due_action(p, T + 1, None, False, False) == ps.FINISH


def test_a_failed_pod_is_terminal_with_exit_code_1():
    failed = ps.failed(ps.started(pod(), T, ready=True), T + 5)
    assert failed["status"]["phase"] == "Failed" and not ps.is_ready(failed)
    assert failed["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 1
    assert ps.due_action(failed, T + 100, T, False, False) == ""


def test_replicaset_is_unsettled_until_its_status_counts_its_pods():
    rs = {
        "metadata": {"name": "web", "uid": "rs", "generation": 1},
        "spec": {"replicas": 1, "minReadySeconds": 5},
        "status": {"observedGeneration": 1, "replicas": 1, "readyReplicas": 1, "availableReplicas": 0},
    }
    p = ps.started(pod(), T, ready=True)
    p["metadata"]["ownerReferences"] = [
        {"uid": "rs", "controller": True, "kind": "ReplicaSet", "name": "web"}
    ]
    assert settle.replicaset_reason(rs, [p], T + 6) == "ReplicaSet web: status.availableReplicas 0 != 1 pods"
    rs["status"]["availableReplicas"] = 1
    assert settle.replicaset_reason(rs, [p], T + 6) == ""
    rs["status"]["availableReplicas"] = 0
    assert settle.replicaset_reason(rs, [p], T + 2) == (
        "ReplicaSet web: a Ready pod is not yet available (minReadySeconds)"
    )


def test_placement_is_injected_and_hidden_again():
    placement = Placement("kp-run", "kp-run-")
    spec = ReplicaSetSpec(PodTemplate({"app": "web"}, behavior=PodBehavior(1), node_selector={"zone": "b"}))
    injected = placement.inject(replicaset_manifest("web", spec))
    pod_spec = injected["spec"]["template"]["spec"]
    assert pod_spec["nodeSelector"] == {"zone": "b", "kubeprops.io/run": "kp-run"}
    assert pod_spec["tolerations"][0]["key"] == "kubeprops.io/virtual"
    stripped = placement.strip_workload(injected)
    assert stripped["spec"]["template"]["spec"]["nodeSelector"] == {"zone": "b"}
    assert "tolerations" not in stripped["spec"]["template"]["spec"]
    assert placement.strip_pod({"metadata": {}, "spec": {"nodeName": "kp-run-node-1"}})["spec"][
        "nodeName"
    ] == ("node-1")

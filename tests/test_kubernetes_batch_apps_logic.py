"""The Kubernetes adapter's pure DaemonSet / Job / node parts, without a cluster: Job pod exits, held
deletions, node readiness, settledness of DaemonSets and Jobs, daemon pod targets, node taint edits,
CronJob placement and status.active."""

from kubeprops.adapters import kube_objects_cron as kc
from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER
from kubeprops.adapters.kubernetes import pod_status as ps
from kubeprops.adapters.kubernetes import settle
from kubeprops.adapters.kubernetes.adapter_apps import oldest_daemon_pod, target_node
from kubeprops.adapters.kubernetes.adapter_cronjob import (
    CronJobOperations,
    cronjob_reason,
    inject_cronjob,
    strip_cronjob,
)
from kubeprops.adapters.kubernetes.kubelet import next_ready_condition
from kubeprops.adapters.kubernetes.manifests import Placement
from kubeprops.scenario import batch
from kubeprops.scenario.spec import PodTemplate

T = 1_800_000_000.0


def pod(restart="Never", owner="job", **meta):
    return {
        "metadata": {
            "name": "p",
            "uid": "u",
            "creationTimestamp": ps.stamp(T),
            "ownerReferences": [{"uid": owner, "controller": True, "kind": "Job", "name": "work"}],
            **meta,
        },
        "spec": {"nodeName": "n", "restartPolicy": restart, "containers": [{"name": "app", "image": "w"}]},
        "status": {"phase": "Pending"},
    }


def terminated_state(p):
    return p["status"]["containerStatuses"][0]["state"]["terminated"]


def test_a_job_pod_exit_is_succeeded_for_0_and_failed_otherwise():
    running = ps.started(pod(), T, ready=True)
    done = ps.exit_status(running, T + 2, 0)
    assert done["status"]["phase"] == "Succeeded" and terminated_state(done)["exitCode"] == 0
    failed = ps.exit_status(running, T + 2, 42)
    assert failed["status"]["phase"] == "Failed" and terminated_state(failed)["exitCode"] == 42
    assert not ps.is_ready(failed)


def test_on_failure_restarts_in_place_unless_the_pod_is_evicted():
    running = ps.started(pod("OnFailure"), T, ready=True)
    again = ps.exit_status(running, T + 2, 1)
    assert again["status"]["phase"] == "Running"
    assert again["status"]["containerStatuses"][0]["restartCount"] == 1
    evicted = ps.exit_status(running, T + 2, 1, "DisruptionTarget")
    assert evicted["status"]["phase"] == "Failed"
    assert any(
        c["type"] == "DisruptionTarget" and c["status"] == "True" for c in evicted["status"]["conditions"]
    )


def test_a_deleted_pod_held_by_a_finalizer_reports_exit_137_then_waits_for_its_holder():
    running = ps.started(pod(), T, ready=True)
    running["metadata"].update(deletionTimestamp=ps.stamp(T), finalizers=["batch.kubernetes.io/job-tracking"])
    assert ps.due_action(running, T, T, False, False) == ps.KILL
    killed = ps.terminated(running, T, ps.KILLED)
    assert terminated_state(killed)["exitCode"] == 137 and killed["status"]["phase"] == "Failed"
    assert ps.due_action(killed, T + 1, T, False, False) == ""  # the Job controller lets it go
    assert ps.waiting(killed, T + 1, T, False, False)


def test_pods_on_a_node_that_is_not_ready_are_not_ready_until_it_is_again():
    ready = ps.started(pod(), T, ready=True)
    assert ps.due_action(ready, T, T, False, False, node_ready=False) == ps.UNREADY
    unready = ps.with_readiness(ready, False, T)
    assert ps.due_action(unready, T + 1, T, False, False, node_ready=False) == ""
    assert ps.due_action(unready, T + 1, T, False, False, node_ready=True) == ps.READY


def test_the_ready_condition_moves_its_transition_time_only_on_a_change():
    node = {"status": {"conditions": [next_ready_condition(None, "True", T)]}}
    same = next_ready_condition(node, "True", T + 10)
    assert same["lastTransitionTime"] == ps.stamp(T) and same["lastHeartbeatTime"] == ps.stamp(T + 10)
    changed = next_ready_condition(node, "Unknown", T + 10)
    assert changed["lastTransitionTime"] == ps.stamp(T + 10) and changed["reason"] == "NodeStatusUnknown"


def job(**spec):
    return {
        "metadata": {"name": "work", "uid": "job"},
        "spec": {"parallelism": 2, "completions": 3, **spec},
        "status": {"active": 1, "ready": 1, "succeeded": 0},
    }


def test_a_job_short_of_pods_waits_for_back_off_only_when_timers_count():
    live = ps.started(pod(), T, ready=True)
    assert settle.job_wanted(job()) == 2
    assert "back-off" in settle.job_reason(job(), [live], timers=True)
    assert settle.job_reason(job(), [live], timers=False) == ""
    assert settle.job_reason(job(suspend=True), [live], timers=True) == ""


def test_a_job_is_unsettled_while_its_counters_lag_its_pods_or_a_deadline_is_ahead():
    live = ps.started(pod(), T, ready=True)
    done = ps.exit_status(live, T, 0)
    done["metadata"]["finalizers"] = ["batch.kubernetes.io/job-tracking"]
    assert "not counted" in settle.job_reason(job(), [live, done], timers=False)
    assert "status.active" in settle.job_reason(job(), [], timers=False)
    # the controller fails a started Job at its deadline even with no pod at all (parallelism 0)
    deadline = job(parallelism=0, activeDeadlineSeconds=30)
    deadline["status"] = {"startTime": ps.stamp(T)}
    assert "deadline" in settle.job_reason(deadline, [], timers=True)
    assert settle.job_reason(deadline, [], timers=False) == ""
    deadline["spec"]["suspend"] = True
    assert settle.job_reason(deadline, [], timers=True) == ""
    assert settle.job_wanted(job(completions=None, parallelism=3)) == 3
    queue_done = job(completions=None, parallelism=3)
    queue_done["status"]["succeeded"] = 1
    assert settle.job_wanted(queue_done) == 0


def test_a_daemonset_with_a_failed_pod_waits_for_its_back_off():
    ds = {
        "metadata": {"name": "agent", "uid": "ds", "generation": 1},
        "spec": {},
        "status": {"observedGeneration": 1},
    }
    failed = ps.failed(ps.started(pod(owner="ds"), T, ready=True), T)
    assert "back-off" in settle.daemonset_reason(ds, [failed], T, timers=True)
    assert settle.daemonset_reason(ds, [failed], T, timers=False) == ""
    ds["metadata"]["generation"] = 2
    assert "observedGeneration" in settle.daemonset_reason(ds, [], T, timers=False)


def test_a_daemon_pod_targets_its_node_by_name_or_by_affinity():
    bound = pod(owner="ds")
    assert target_node(bound) == "n"
    headed = pod(owner="ds", name="q")
    headed["spec"] = {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["m"]}]}
                    ]
                }
            }
        }
    }
    assert target_node(headed) == "m"
    older = pod(owner="ds", name="a")
    older["metadata"]["creationTimestamp"] = ps.stamp(T - 1)
    assert oldest_daemon_pod([bound, older], "ds", "n") is older
    assert oldest_daemon_pod([bound, older], "ds", "m") is None


def test_a_user_taint_edit_keeps_the_run_taint_and_the_node_lifecycle_taints():
    placement = Placement("kp-run", "kp-run-")
    node = {
        "spec": {
            "taints": [
                {"key": "kubeprops.io/virtual", "value": "kp-run", "effect": "NoSchedule"},
                {"key": "gpu", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/not-ready", "effect": "NoExecute"},
            ]
        }
    }
    new = placement.with_user_taints(node, [{"key": "spot", "effect": "PreferNoSchedule"}])
    assert [t["key"] for t in new] == ["kubeprops.io/virtual", "node.kubernetes.io/not-ready", "spot"]
    stripped = placement.strip_node({"metadata": {"name": "kp-run-node-1"}, **node})
    assert [t["key"] for t in stripped["spec"]["taints"]] == ["gpu", "node.kubernetes.io/not-ready"]
    assert stripped["metadata"]["name"] == "node-1"


def test_a_daemonset_with_min_ready_seconds_waits_for_its_resync_until_all_ready_pods_count_available():
    ds = {
        "metadata": {"name": "agent", "uid": "ds", "generation": 1},
        "spec": {"minReadySeconds": 3},
        "status": {"observedGeneration": 1, "numberReady": 3, "numberAvailable": 0},
    }
    # the pods have been Ready long enough, but the controller has not re-synced yet
    assert "re-sync" in settle.daemonset_reason(ds, [], T, timers=True)
    ds["status"]["numberAvailable"] = 3
    assert settle.daemonset_reason(ds, [], T, timers=True) == ""


def test_a_graceful_deletion_is_a_timer_not_work_of_the_instant():
    terminating = ps.started(pod(owner="ds"), T, ready=True)
    terminating["metadata"]["deletionTimestamp"] = ps.stamp(T + 1)
    assert settle.pod_reason(terminating, {"n"}, lambda p: False) == "pod p: terminating"
    assert settle.pod_reason(terminating, {"n"}, lambda p: False, timers=False) == ""


def test_the_no_schedule_taint_that_follows_the_ready_condition_is_read_from_the_node():
    from kubeprops.adapters.kubernetes.adapter_apps import CONDITION_TAINTS, condition_taints

    node = {
        "spec": {
            "taints": [
                {"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"},
                {"key": "node.kubernetes.io/unreachable", "effect": "NoExecute"},
                {"key": "gpu", "effect": "NoSchedule"},
            ]
        }
    }
    assert condition_taints(node) == CONDITION_TAINTS["Unknown"]
    assert condition_taints({"spec": {}}) == CONDITION_TAINTS["True"]


def test_a_cronjobs_child_pods_are_placed_on_the_runs_nodes_and_the_view_strips_it_again():
    p = Placement("kp-run", "kp-run-")
    spec = batch.CronJobSpec(
        "*/5 * * * *", batch.JobSpec(PodTemplate({"app": "tick"})), time_zone="Asia/Tokyo"
    )
    manifest = kc.cronjob_manifest("tick", spec)
    injected = inject_cronjob(p, manifest)
    pod_spec = injected["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod_spec["nodeSelector"] == {"kubeprops.io/run": "kp-run"}
    assert pod_spec["tolerations"] == [p.toleration]
    assert injected["metadata"]["labels"] == {"kubeprops.io/run": "kp-run"}
    assert strip_cronjob(p, injected) == {**manifest, "metadata": {"name": "tick", "labels": {}}}


def test_a_cronjob_is_busy_until_its_active_list_names_exactly_its_running_children():
    def job(name, finished=None, owner="cj"):
        conds = [{"type": finished, "status": "True"}] if finished else []
        meta = {"name": name, "ownerReferences": [{"uid": owner, "kind": "CronJob", "name": "tick"}]}
        return {"metadata": meta, "status": {"conditions": conds}}

    def cronjob(*active):
        return {
            "metadata": {"name": "tick", "uid": "cj"},
            "status": {"active": [{"name": n} for n in active]},
        }

    jobs = [job("tick-1", "Complete"), job("tick-2"), job("other", owner="x")]
    assert cronjob_reason(cronjob("tick-2"), jobs) == ""
    assert "running children ['tick-2']" in cronjob_reason(cronjob("tick-1", "tick-2"), jobs)
    assert cronjob_reason(cronjob(), jobs)  # a new child not listed yet
    assert cronjob_reason(cronjob(), [job("tick-3", "Failed")]) == ""


# ---------------------------------------------------------------- a deleted owner's dependents


def owned(kind, name, uid, owner_kind, owner_uid, **meta):
    ref = {"kind": owner_kind, "name": "x", "uid": owner_uid, "controller": True, "blockOwnerDeletion": True}
    return {"kind": kind, "metadata": {"name": name, "uid": uid, "ownerReferences": [ref], **meta}}


def snapshot(**objs):
    kinds = ("CronJob", "Job", "Pod", "ReplicaSet")
    return {k: objs.get(k, []) for k in kinds}


def test_a_deleted_cronjobs_job_and_pod_wait_for_the_garbage_collector():
    cronjob = {"metadata": {"name": "tick", "uid": "cj"}}
    child = owned("Job", "tick-1", "j1", "CronJob", "cj")
    p = owned("Pod", "tick-1-a", "p1", "Job", "j1", finalizers=[JOB_TRACKING_FINALIZER])
    assert settle.gc_reason(snapshot(CronJob=[cronjob], Job=[child], Pod=[p])) == ""
    # the CronJob is gone: its Job is next, then (the Job gone) its pod
    reason = settle.gc_reason(snapshot(Job=[child], Pod=[p]))
    assert reason == "Job tick-1: its controller CronJob x is gone (waiting for the garbage collector)"
    assert settle.gc_reason(snapshot(Pod=[p])).startswith("Pod tick-1-a: its controller Job x is gone")


def test_an_orphaned_job_pod_waits_for_its_finalizer_to_go_then_only_for_its_grace_period():
    p = owned("Pod", "tick-1-a", "p1", "Job", "j1", deletionTimestamp=ps.stamp(T), finalizers=[])
    held = owned(
        "Pod",
        "tick-1-a",
        "p1",
        "Job",
        "j1",
        deletionTimestamp=ps.stamp(T),
        finalizers=[JOB_TRACKING_FINALIZER],
    )
    assert "still holding the Job tracking finalizer" in settle.gc_reason(snapshot(Pod=[held]))
    assert settle.gc_reason(snapshot(Pod=[p])) == ""  # deleted, no holder: the kubelet's grace period


def test_an_owner_of_a_kind_the_snapshot_does_not_list_is_not_taken_for_gone():
    p = owned("Pod", "p", "p1", "Node", "n1")
    assert settle.gc_reason(snapshot(Pod=[p])) == ""
    assert settle.gc_reason({"Pod": [owned("Pod", "p", "p1", "ReplicaSet", "rs")]}) == ""


def test_a_namespace_with_dependents_of_a_deleted_owner_is_unsettled_even_without_timers():
    child = owned("Job", "tick-1", "j1", "CronJob", "cj")
    snap = {**snapshot(Job=[child]), "Deployment": [], "DaemonSet": [], "StatefulSet": []}
    for timers in (True, False):
        reason = settle.unsettled_reason(snap, {"n"}, T, lambda p: False, timers=timers)
        assert reason.startswith("Job tick-1: its controller CronJob x is gone")


def test_deleting_a_cronjob_sends_kubectls_background_propagation_then_waits_for_the_instant():
    calls = []

    class RecordingApi:
        def delete(self, kind, namespace, name, **options):
            calls.append((kind, namespace, name, options))

    adapter = CronJobOperations()
    adapter.api, adapter.namespace = RecordingApi(), "run-ns"
    adapter._finish_instant = lambda: calls.append("finish instant")
    adapter._apply_DeleteCronJob(batch.DeleteCronJob("tick"))
    assert calls == [("CronJob", "run-ns", "tick", {"propagationPolicy": "Background"}), "finish instant"]

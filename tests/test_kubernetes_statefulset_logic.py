"""The Kubernetes adapter's pure StatefulSet parts, without a cluster: settledness of a StatefulSet and its
claims, whether the scheduler will bind a pending pod, the provisioner's volumes, claim templates."""

from kubeprops.adapters import kube_objects_statefulset as kos
from kubeprops.adapters.kubernetes import pod_status as ps
from kubeprops.adapters.kubernetes import settle
from kubeprops.adapters.kubernetes.manifests import Placement
from kubeprops.adapters.kubernetes.volumes import needs_volume, volume_for
from kubeprops.scenario import apps_extra as apps

T = 1_800_000_000.0
OWNER = [{"uid": "set", "controller": True, "kind": "StatefulSet", "name": "web"}]


def pod(name="web-0", ready=True, claims=(), **spec):
    meta = {"name": name, "uid": name, "creationTimestamp": ps.stamp(T), "ownerReferences": OWNER}
    volumes = [{"name": c, "persistentVolumeClaim": {"claimName": f"{c}-{name}"}} for c in claims]
    raw = {
        "metadata": meta,
        "spec": {"containers": [{"name": "app", "image": "a"}], "volumes": volumes, **spec},
    }
    return ps.started(raw, T, ready=ready) if ready is not None else {**raw, "status": {"phase": "Pending"}}


def statefulset(generation=1, observed=1, min_ready=0, **status):
    return {
        "metadata": {"name": "web", "uid": "set", "generation": generation},
        "spec": {"minReadySeconds": min_ready},
        "status": {"observedGeneration": observed, **status},
    }


def claim(name="data-web-0", phase="Pending", cls="", **meta):
    return {
        "metadata": {"name": name, "namespace": "ns", "uid": f"uid-{name}", **meta},
        "spec": {
            "storageClassName": cls,
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}},
        },
        "status": {"phase": phase},
    }


def node(name="n", labels=None, unschedulable=False, taints=()):
    return {
        "metadata": {"name": name, "labels": labels or {}},
        "spec": {"unschedulable": unschedulable, "taints": list(taints)},
    }


def test_a_statefulset_is_settled_once_observed_and_counting_its_pods():
    pods = [pod("web-0"), pod("web-1", ready=False)]
    counted = {"replicas": 2, "readyReplicas": 1, "availableReplicas": 1}
    assert settle.statefulset_reason(statefulset(**counted), pods, T + 5, timers=True) == ""
    assert "observedGeneration" in settle.statefulset_reason(statefulset(2, 1, **counted), pods, T, True)
    behind = {**counted, "readyReplicas": 0}
    assert "readyReplicas" in settle.statefulset_reason(statefulset(**behind), pods, T, True)
    # minReadySeconds: Ready at T, available at T + 3; the controller requeues for it (a timer)
    waiting = statefulset(min_ready=3, replicas=2, readyReplicas=1, availableReplicas=0)
    assert "minReadySeconds" in settle.statefulset_reason(waiting, pods, T + 1, timers=True)
    assert settle.statefulset_reason(waiting, pods, T + 1, timers=False) == ""
    assert "availableReplicas" in settle.statefulset_reason(waiting, pods, T + 4, timers=True)


def test_claims_settle_once_bound_and_gone_when_deleted():
    assert "not bound" in settle.claim_reason(claim())
    assert settle.claim_reason(claim(phase="Bound")) == ""
    assert "being deleted" in settle.claim_reason(claim(phase="Bound", deletionTimestamp=ps.stamp(T)))
    assert settle.claim_reason(claim(cls="standard")) == ""  # some other provisioner's: not ours to wait for


def test_a_pending_pod_counts_as_unsettled_only_when_the_scheduler_will_bind_it():
    nodes = [node(labels={"zone": "b"}), node("m", unschedulable=True, labels={"zone": "a"})]
    claims = {"data-web-0": claim()}
    zone_a = pod(ready=None, claims=("data",), nodeSelector={"zone": "a"})
    assert not settle.can_schedule(zone_a, nodes, claims)  # the only zone-a node is cordoned
    assert settle.pod_reason(zone_a, set(), lambda p: False, schedulable=lambda p: False) == ""
    anywhere = pod(ready=None, claims=("data",))
    assert settle.can_schedule(anywhere, nodes, claims)  # an unbound claim of ours is about to bind
    assert "Pending" in settle.pod_reason(anywhere, set(), lambda p: False, schedulable=lambda p: True)
    assert not settle.can_schedule(anywhere, nodes, {})  # its claim is gone: it waits for a new one
    deleting = {"data-web-0": claim(deletionTimestamp=ps.stamp(T))}
    assert not settle.can_schedule(anywhere, nodes, deleting)


def test_the_provisioner_makes_one_prebound_volume_per_pending_classless_claim():
    assert needs_volume(claim())
    assert not needs_volume(claim(phase="Bound"))
    assert not needs_volume(claim(cls="standard"))
    assert not needs_volume(claim(deletionTimestamp=ps.stamp(T)))
    volume = volume_for(claim(), "kp-run")
    ref = volume["spec"]["claimRef"]
    assert (ref["namespace"], ref["name"], ref["uid"]) == ("ns", "data-web-0", "uid-data-web-0")
    assert volume["metadata"]["labels"] == {"kubeprops.io/run": "kp-run"}
    assert volume["spec"]["storageClassName"] == "" and volume["spec"]["capacity"] == {"storage": "1Gi"}
    assert (
        volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    )  # the controller-manager deletes nothing


def test_claim_templates_get_no_storage_class_and_the_view_hides_it():
    spec = apps.StatefulSetSpec(apps.AppsPodTemplate({"app": "db"}), volume_claim_templates=("data",))
    manifest = Placement("kp-run", "kp-run-").inject(kos.statefulset_manifest("db", spec))
    assert [t["spec"]["storageClassName"] for t in manifest["spec"]["volumeClaimTemplates"]] == [""]
    stripped = Placement("kp-run", "kp-run-").strip_workload(manifest)
    assert kos.statefulset_spec_from_manifest(stripped["spec"]) == spec


def test_a_set_stalled_short_of_a_pod_after_a_stale_claim_is_settled():
    # ordinals.start 0 -> 1 -> 0 under whenScaled Delete: the sync stopped on data-web-0 still naming the gone
    # web-0, and nothing wakes it; its status counts web-1, the condemned pod it keeps
    sts = {
        "metadata": {"name": "web", "uid": "set", "generation": 3},
        "spec": {"replicas": 1, "ordinals": {"start": 0}},
        "status": {"observedGeneration": 3, "replicas": 1, "readyReplicas": 1, "availableReplicas": 1},
    }
    assert settle.statefulset_reason(sts, [pod("web-1")], T, timers=True) == ""

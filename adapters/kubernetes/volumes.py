"""A tiny volume provisioner for the run's PersistentVolumeClaims (StatefulSet volumeClaimTemplates).

The StatefulSet controller does not wait for its claims to bind, but the scheduler does: its VolumeBinding
plugin keeps a pod whose claim is unbound (immediate binding) unschedulable, and the local control plane has
no provisioner. So for every claim of the run's namespace without a storage class (the adapter gives every
claim template `storageClassName: ""`) that is still Pending, we create a PersistentVolume pre-bound to it
(claimRef with the claim's uid); the PV controller in kube-controller-manager then completes the binding
(claim.spec.volumeName, both Bound) as for any statically provisioned volume, and the scheduler retries the
pod. The volumes are hostPath and never mounted: no real kubelet runs.

PersistentVolumes are cluster-scoped: ours are labelled `kubeprops.io/run=<run>`, deleted once their claim
is gone (phase Released; reclaim policy Retain, so the controller-manager never touches the path) and at the
end of the run.
ref: pkg/controller/volume/persistentvolume/pv_controller.go (syncVolume: a pre-bound volume enqueues its
claim; syncUnboundClaim), pkg/scheduler/framework/plugins/volumebinding/binder.go (FindPodVolumes)
"""

from __future__ import annotations

import contextlib

from .client import Api, Conflict, NotFound, Obj
from .kubelet import RUN_LABEL
from .watch_cache import WatchCache

RELEASED = ("Released", "Failed")  # the claim is gone: nothing will use the volume again


def needs_volume(claim: Obj) -> bool:
    """A claim of ours that is still waiting for a volume."""
    spec, status = claim.get("spec") or {}, claim.get("status") or {}
    return (
        not claim["metadata"].get("deletionTimestamp")
        and spec.get("storageClassName") == ""
        and not spec.get("volumeName")
        and status.get("phase", "Pending") == "Pending"
    )


def volume_for(claim: Obj, run: str) -> Obj:
    meta, spec = claim["metadata"], claim.get("spec") or {}
    storage = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "1Gi")
    claim_ref = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "namespace": meta["namespace"],
        "name": meta["name"],
        "uid": meta["uid"],
    }
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": f"{meta['namespace']}-{meta['uid']}", "labels": {RUN_LABEL: run}},
        "spec": {
            "capacity": {"storage": storage},
            "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "hostPath": {"path": f"/kubeprops/{run}/{meta['name']}"},
            "claimRef": claim_ref,
        },
    }


class ClaimProvisioner:
    """Run on each event by the kubelet stand-in's loop: claims and volumes come from the watch cache."""

    def __init__(self, api: Api, cache: WatchCache, namespace: str, run: str) -> None:
        self.api = api
        self.cache = cache
        self.namespace = namespace
        self.run = run

    def volumes(self) -> list[Obj]:
        return self.api.list("PersistentVolume", selector=f"{RUN_LABEL}={self.run}")

    def sync_once(self) -> None:
        objects = self.cache.read().objects
        claims, volumes = objects["PersistentVolumeClaim"], objects["PersistentVolume"]
        if not claims and not volumes:
            return
        provided = {((v.get("spec") or {}).get("claimRef") or {}).get("uid") for v in volumes}
        for claim in claims:
            if needs_volume(claim) and claim["metadata"]["uid"] not in provided:
                with contextlib.suppress(Conflict):  # made by an earlier pass the list did not show yet
                    self.api.create("PersistentVolume", "", volume_for(claim, self.run))
        for volume in volumes:
            released = (volume.get("status") or {}).get("phase") in RELEASED
            if released and not volume["metadata"].get("deletionTimestamp"):
                self.api.delete("PersistentVolume", "", volume["metadata"]["name"])

    def remove_all(self) -> None:
        """Delete the run's volumes and let them go at once: their claims go with the namespace, and the
        pv-protection finalizer would otherwise hold each until the PV controller released it."""
        for volume in self.volumes():
            name = volume["metadata"]["name"]
            self.api.delete("PersistentVolume", "", name)
            with contextlib.suppress(NotFound):
                self.api.merge_patch("PersistentVolume", "", name, {"metadata": {"finalizers": None}})

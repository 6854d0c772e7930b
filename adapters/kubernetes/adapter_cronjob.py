"""The Kubernetes adapter's CronJob operations (mixed into `KubernetesAdapter`).

Deleting a CronJob sends what `kubectl delete cronjob` sends, propagationPolicy Background (kubectl's
--cascade default). That is also batch/v1's own default for a DELETE without options (DeleteDependents,
pkg/registry/batch/cronjob/strategy.go DefaultGarbageCollectionPolicy; batch/v1beta1 orphaned), but said
explicitly the request does not depend on the group version the client happens to use. The CronJob is gone
at once; the garbage collector deletes its Jobs, then their pods, and the Job controller strips the
tracking finalizer of those orphaned pods: `_finish_instant` waits for that (`settle.orphan_reason`).

The CronJob's jobTemplate gets the run's placement (node selector, toleration), so its child Jobs' pods
land on the run's virtual nodes and the kubelet stand-in plays them like any Job pod. CronJobs have no
status.observedGeneration: a write returns once the controllers did what they do at once
(`_finish_instant`), which includes the CronJob's status.active following its children (`cronjob_reason`).

Time is the real clock: the CronJob controller fires on wall-clock minutes (its sync requeues at the next
schedule time + 100 ms, cronjob_controllerv2.go nextScheduleTimeDuration), so a slot's Job appears a
fraction of a second after the minute.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from kubeprops.adapters import kube_objects_cron as kc
from kubeprops.adapters.cronjob_edits import CronJobEdits
from kubeprops.scenario import batch
from kubeprops.scenario.errors import InvalidSpec

from .client import Api, Conflict, Obj
from .kubelet import RUN_LABEL
from .manifests import Placement


def inject_cronjob(p: Placement, manifest: Obj) -> Obj:
    """The run label on the CronJob, the placement on its jobTemplate's pod template."""
    out = copy.deepcopy(manifest)
    out["metadata"].setdefault("labels", {})[RUN_LABEL] = p.run
    job_spec = out["spec"]["jobTemplate"]["spec"]
    job_spec["template"] = p.inject_template(job_spec["template"])
    return out


def strip_cronjob(p: Placement, obj: Obj) -> Obj:
    """What `inject_cronjob` added, taken away again for the view."""
    out = copy.deepcopy(obj)
    out["metadata"]["labels"] = {
        k: v for k, v in (out["metadata"].get("labels") or {}).items() if k != RUN_LABEL
    }
    job_spec = (out["spec"].get("jobTemplate") or {}).get("spec") or {}
    if "template" in job_spec:
        job_spec["template"] = p.strip_template(job_spec["template"])
    return out


def _finished(job: Obj) -> bool:
    conds = (job.get("status") or {}).get("conditions") or ()
    return any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True" for c in conds)


def cronjob_reason(cronjob: Obj, jobs: list[Obj]) -> str:
    """Why the CronJob's status does not follow its children yet ("" when it does): status.active lists
    exactly its unfinished children (the controller's sync after a child's update writes that)."""
    uid = cronjob["metadata"]["uid"]
    children = [
        j for j in jobs if any(r.get("uid") == uid for r in j["metadata"].get("ownerReferences") or ())
    ]
    running = sorted(
        j["metadata"]["name"]
        for j in children
        if not _finished(j) and not j["metadata"].get("deletionTimestamp")
    )
    listed = sorted(r["name"] for r in (cronjob.get("status") or {}).get("active") or ())
    if running != listed:
        return f"CronJob {cronjob['metadata']['name']}: status.active {listed}, running children {running}"
    return ""


class CronJobOperations(CronJobEdits):
    # provided by KubernetesAdapter
    api: Api
    namespace: str
    placement: Placement
    _finish_instant: Callable[[], None]

    def _apply_CreateCronJob(self, op: batch.CreateCronJob) -> None:
        manifest = inject_cronjob(self.placement, kc.cronjob_manifest(op.name, op.spec))
        try:
            self.api.create("CronJob", self.namespace, manifest)
        except Conflict as err:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {err}") from None
        self._finish_instant()

    def _apply_DeleteCronJob(self, op: batch.DeleteCronJob) -> None:
        # a missing CronJob is a no-op, as on the model (the client ignores NotFound)
        self.api.delete("CronJob", self.namespace, op.name, propagationPolicy="Background")
        self._finish_instant()

    def _edit_cronjob(self, name: str, change: Callable[[Obj], None]) -> None:
        for _ in range(20):
            current = self.api.get("CronJob", self.namespace, name)
            if current is None:
                return
            change(current["spec"])
            try:
                self.api.update("CronJob", self.namespace, current)
            except Conflict:
                continue  # the CronJob controller wrote status meanwhile
            self._finish_instant()
            return
        raise RuntimeError(f"CronJob {name}: 20 conflicting writes in a row")

"""The Kubernetes adapter's Job operations (mixed into `KubernetesAdapter`).

Jobs have no status.observedGeneration, so a Job write cannot wait for the controller to observe it;
instead every batch operation returns once the Job controller has done what it does at once (pods
created or removed, counters written), leaving only what a timer brings (back-off, the active deadline),
as the simulator finishes the instant. Pod exits are played by our kubelet stand-in.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from kubeprops.adapters import kube_objects_batch as kb
from kubeprops.scenario import batch, ops
from kubeprops.scenario.errors import InvalidSpec

from . import settle as st
from .adapter_workloads import relabelled
from .client import Api, Conflict, Obj
from .kubelet import VirtualKubelet
from .manifests import Placement


def job_pod_order(pod: Obj, epoch: datetime) -> tuple[object, ...]:
    """The order `PodSucceeds.pod` counts in (see `kubeprops.scenario.batch.job_pod_order`)."""
    view = kb.job_pod_view(pod, epoch=epoch)
    assert view is not None, f"pod {pod['metadata']['name']} has no Job controller"
    return batch.job_pod_order(view)


class BatchOperations:
    # provided by KubernetesAdapter
    api: Api
    namespace: str
    placement: Placement
    kubelet: VirtualKubelet
    epoch: datetime
    _finish_instant: Callable[[], None]

    def _apply_CreateJob(self, op: batch.CreateJob) -> None:
        try:
            self.api.create("Job", self.namespace, self.placement.inject(kb.job_manifest(op.name, op.spec)))
        except Conflict as err:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {err}") from None
        self._finish_instant()

    def _edit_job(self, name: str, change: Callable[[Obj], None]) -> None:
        for _ in range(20):
            current = self.api.get("Job", self.namespace, name)
            if current is None:
                return
            change(current["spec"])
            try:
                self.api.update("Job", self.namespace, current)
            except Conflict:
                continue  # the Job controller wrote status meanwhile
            self._finish_instant()
            return
        raise RuntimeError(f"Job {name}: 20 conflicting writes in a row")

    def _apply_SetSuspend(self, op: batch.SetSuspend) -> None:
        if op.kind == batch.CRONJOB:
            self._suspend_cronjob(op)  # type: ignore[attr-defined]  # CronJobOperations, mixed in too
            return
        self._edit_job(op.name, lambda spec: spec.update(suspend=op.suspend))

    def _apply_SetParallelism(self, op: batch.SetParallelism) -> None:
        self._edit_job(op.name, lambda spec: spec.update(parallelism=op.parallelism))

    def _job_pod(self, job_name: str, ordinal: int) -> Obj | None:
        job = self.api.get("Job", self.namespace, job_name)
        if job is None:
            return None
        uid = job["metadata"]["uid"]
        pods = [p for p in self.api.list("Pod", self.namespace) if st.controller_uid(p) == uid]
        pods = [p for p in pods if st.active(p)]
        pods.sort(key=lambda p: job_pod_order(p, self.epoch))
        return pods[ordinal % len(pods)] if pods else None

    def _exit(self, job: str, ordinal: int, code: int, condition: str | None = None) -> None:
        pod = self._job_pod(job, ordinal)
        if pod is not None:
            self.kubelet.exit_pod(pod["metadata"]["name"], code, condition)
            self._finish_instant()

    def _apply_PodSucceeds(self, op: batch.PodSucceeds) -> None:
        self._exit(op.job, op.pod, 0)

    def _apply_PodFails(self, op: batch.PodFails) -> None:
        self._exit(op.job, op.pod, op.exit_code, op.condition)

    def _rewrite_job_pod(self, job: str, ordinal: int, change: Callable[[Obj], None]) -> None:
        if self._rewrite_pod(self._job_pod(job, ordinal), change):  # type: ignore[attr-defined]  # mixed in
            self._finish_instant()

    def _apply_OrphanPod(self, op: ops.OrphanPod) -> None:
        """The conformance test's `pod.OwnerReferences = nil` for the controller reference (an update)."""
        if op.kind != batch.JOB:
            raise TypeError(f"OrphanPod is supported for Jobs only, not {op.kind}s")

        def orphan(meta: Obj) -> None:
            meta["ownerReferences"] = [
                r for r in meta.get("ownerReferences") or [] if not r.get("controller")
            ]

        self._rewrite_job_pod(op.name, op.index, orphan)

    def _relabel_job_pod(self, op: ops.RelabelPod) -> None:
        self._rewrite_job_pod(op.name, op.index, relabelled(op.labels))

    def _apply_DeleteJobPod(self, op: batch.DeleteJobPod) -> None:
        pod = self._job_pod(op.job, op.pod)
        if pod is not None:
            meta = pod["metadata"]
            self.api.delete("Pod", self.namespace, meta["name"], preconditions={"uid": meta["uid"]})
            self._finish_instant()

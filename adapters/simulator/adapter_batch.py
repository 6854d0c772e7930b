"""The simulator adapter's batch operations: Job writes and the kubelet playing Job pods.

A mixin of `SimulatorAdapter`. Jobs have no status.observedGeneration, so a Job write does not wait for
the controller to observe it: `apply` runs the cluster to idle at the instant anyway (finish_instant).
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters import kube_objects_batch as kb
from kubeprops.scenario import batch, ops
from kubeprops.scenario.errors import InvalidSpec

from .cluster import Cluster
from .objects import JOB, POD, Obj, clone, controller_ref
from .store import AlreadyExists

VIEW_CACHE_SIZE = 20_000


def is_job_controlled(pod: Obj) -> bool:
    ref = controller_ref(pod)
    return ref is not None and ref.get("kind") == JOB


class BatchOperations:
    cluster: Cluster

    def _apply_CreateJob(self, op: batch.CreateJob) -> None:
        try:
            self.cluster.store.create(JOB, kb.job_manifest(op.name, op.spec))
        except AlreadyExists as exc:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {exc}") from None

    def _edit_job(self, name: str, change: Callable[[Obj], None]) -> None:
        current = self.cluster.store.get(JOB, name)
        if current is None:
            return
        edited = clone(current)
        change(edited["spec"])
        self.cluster.store.update(JOB, edited)

    def _apply_SetSuspend(self, op: batch.SetSuspend) -> None:
        if op.kind == batch.CRONJOB:
            self._suspend_cronjob(op)  # type: ignore[attr-defined]  # CronJobOperations, mixed in too
            return
        if op.kind != batch.JOB:
            raise TypeError(f"the simulator does not support {op.kind}s")
        self._edit_job(op.name, lambda spec: spec.update(suspend=op.suspend))

    def _apply_SetParallelism(self, op: batch.SetParallelism) -> None:
        self._edit_job(op.name, lambda spec: spec.update(parallelism=op.parallelism))

    def _job_pod(self, job_name: str, ordinal: int) -> Obj | None:
        store = self.cluster.store
        job = store.get(JOB, job_name)
        if job is None:
            return None
        pods = self.cluster.active_pods.controlled_by(job["metadata"]["uid"])
        pods.sort(key=self._job_pod_order)
        return pods[ordinal % len(pods)] if pods else None

    def _exit(self, job: str, ordinal: int, code: int, condition: str | None = None) -> None:
        pod = self._job_pod(job, ordinal)
        kubelet = self.cluster.kubelets.get(pod["spec"].get("nodeName", "")) if pod else None
        if pod is not None and kubelet is not None:
            kubelet.exit(pod, code, condition)

    def _apply_PodSucceeds(self, op: batch.PodSucceeds) -> None:
        self._exit(op.job, op.pod, 0)

    def _apply_PodFails(self, op: batch.PodFails) -> None:
        self._exit(op.job, op.pod, op.exit_code, op.condition)

    def _apply_DeleteJobPod(self, op: batch.DeleteJobPod) -> None:
        pod = self._job_pod(op.job, op.pod)
        if pod is not None:
            self.cluster.store.delete(POD, pod["metadata"]["name"])

    def _apply_OrphanPod(self, op: ops.OrphanPod) -> None:
        if op.kind != batch.JOB:
            raise TypeError(f"the simulator orphans pods of Jobs only, not of {op.kind}s")
        pod = self._job_pod(op.name, op.index)
        if pod is None:
            return
        meta = pod["metadata"]
        refs = [r for r in meta.get("ownerReferences") or [] if not r.get("controller")]
        self.cluster.store.set_owner_refs(POD, meta["name"], meta["uid"], refs)

    def _relabel_job_pod(self, op: ops.RelabelPod) -> None:
        pod = self._job_pod(op.name, op.index)
        if pod is None:
            return
        relabelled = clone(pod)
        relabelled["metadata"]["labels"] = dict(op.labels)  # admission validates them (validate_pod)
        self.cluster.store.update(POD, relabelled)

    def _job_pod_order(self, pod: Obj) -> tuple[object, ...]:
        """The order `PodSucceeds.pod` counts in (see `kubeprops.scenario.batch.job_pod_order`)."""
        view = self._cached_view("JobPod", pod, kb.job_pod_view)
        assert isinstance(view, batch.JobPodView)
        return batch.job_pod_order(view)

    def _cached_view(self, kind: str, obj: Obj, convert: Callable[[Obj], object]) -> object:
        """`convert(obj)`, cached by resourceVersion: a stored object never changes in place."""
        cache: dict[tuple[str, str], object] = self.__dict__.setdefault("_batch_views", {})
        key = (kind, obj["metadata"]["resourceVersion"])
        if key not in cache:
            if len(cache) >= VIEW_CACHE_SIZE:
                cache.clear()
            cache[key] = convert(obj)
        return cache[key]

    def _job_views(self) -> dict[str, tuple]:
        """ClusterView fields for Jobs and their pods (views cached by resourceVersion, as observe's)."""
        store = self.cluster.store
        jobs = sorted(store.list(JOB), key=lambda o: o["metadata"]["name"])
        if not jobs and not any(is_job_controlled(p) for p in store.list(POD)):
            return {}  # no Job, and no pod a deleted Job left behind either
        cached = self._cached_view
        pods = sorted(store.list(POD), key=lambda o: o["metadata"]["name"])
        job_pods = (cached("JobPod", p, kb.job_pod_view) for p in pods)
        return {
            "jobs": tuple(cached(JOB, j, kb.job_view) for j in jobs),
            "job_pods": tuple(p for p in job_pods if p is not None),
        }

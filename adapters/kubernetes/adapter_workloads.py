"""The Kubernetes adapter's ReplicaSet and Deployment operations, pod steps and node joins and leaves
(mixed into `KubernetesAdapter`). Spec writes go through the adapter's `_create` / `_edit`, which return once
the controller observed the new generation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime

from kubeprops.adapters import kube_objects as ko
from kubeprops.scenario import ops
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.view import POD_TEMPLATE_HASH, REVISION, pod_order

from . import settle as st
from .client import Api, Conflict, Obj
from .kubelet import RUN_LABEL, VirtualKubelet
from .manifests import Placement


class WorkloadOperations:
    # provided by KubernetesAdapter
    api: Api
    namespace: str
    placement: Placement
    kubelet: VirtualKubelet
    epoch: datetime
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]
    _snapshot: Callable[[], dict[str, list[Obj]]]
    advance: Callable[..., None]

    # ------------------------------------------------------------ user operations

    def _apply_CreateDeployment(self, op: ops.CreateDeployment) -> None:
        self._create("Deployment", ko.deployment_manifest(op.name, op.spec))

    def _apply_CreateReplicaSet(self, op: ops.CreateReplicaSet) -> None:
        self._create("ReplicaSet", ko.replicaset_manifest(op.name, op.spec))

    def _apply_Scale(self, op: ops.Scale) -> None:
        self._edit(op.kind, op.name, lambda spec: spec.update(replicas=op.replicas))

    def _apply_UpdateTemplate(self, op: ops.UpdateTemplate) -> None:
        template = self.placement.inject_template(ko.pod_template_manifest(op.template))
        self._edit(op.kind, op.name, lambda spec: spec.update(template=template))

    def _apply_SetStrategy(self, op: ops.SetStrategy) -> None:
        strategy = ko.strategy_manifest(op.strategy)
        self._edit("Deployment", op.name, lambda spec: spec.update(strategy=strategy))

    def _apply_SetPaused(self, op: ops.SetPaused) -> None:
        def change(spec: Obj) -> None:
            if op.paused:
                spec["paused"] = True
            else:
                spec.pop("paused", None)

        self._edit("Deployment", op.name, change)

    def _apply_Rollback(self, op: ops.Rollback) -> None:
        """`kubectl rollout undo` (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go)."""
        d = self.api.get("Deployment", self.namespace, op.name)
        if d is None or d["spec"].get("paused"):
            return  # kubectl refuses to roll back a paused deployment
        owned = [
            rs
            for rs in self.api.list("ReplicaSet", self.namespace)
            if st.controller_uid(rs) == d["metadata"]["uid"]
        ]
        target = rollback_target(owned, op.to_revision)
        if target is None:
            return
        template = target["spec"]["template"]
        template["metadata"]["labels"].pop(POD_TEMPLATE_HASH, None)
        if template != d["spec"]["template"]:
            self._edit("Deployment", op.name, lambda spec: spec.update(template=template))

    def _apply_DeleteWorkload(self, op: ops.DeleteWorkload) -> None:
        self.api.delete(op.kind, self.namespace, op.name, propagationPolicy="Background")

    # ------------------------------------------------------------ world operations

    def _apply_PodAction(self, op: ops.PodAction) -> None:
        pod = self._pick_pod(op)
        if pod is None:
            return
        name = pod["metadata"]["name"]
        if op.action == ops.POD_DELETE:
            self.api.delete("Pod", self.namespace, name, preconditions={"uid": pod["metadata"]["uid"]})
        else:
            self.kubelet.write_pod(name, op.action)

    def _apply_CreateBarePod(self, op: ops.CreateBarePod) -> None:
        manifest = self.placement.inject_pod(ko.bare_pod_manifest(op.name, op.template))
        try:
            self.api.create("Pod", self.namespace, manifest)
        except Conflict as err:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {err}") from None

    def _apply_RelabelPod(self, op: ops.RelabelPod) -> None:
        """Replace the pod's labels (the run label of a bare pod stays)."""
        if op.kind == ops.JOB:
            self._relabel_job_pod(op)  # type: ignore[attr-defined]  # BatchOperations, mixed in too
            return
        self._rewrite_pod(self._pick_pod(op), relabelled(op.labels))

    def _rewrite_pod(self, pod: Obj | None, change: Callable[[Obj], None]) -> bool:
        """Read `pod` afresh and write `change` of its metadata; the kubelet stand-in and the controllers
        write the pod too, so a conflicting write is read again and retried. False when it is gone."""
        if pod is None:
            return False
        for _ in range(20):
            current = self.api.get("Pod", self.namespace, pod["metadata"]["name"])
            if current is None or current["metadata"]["uid"] != pod["metadata"]["uid"]:
                return False
            change(current["metadata"])
            try:
                self.api.update("Pod", self.namespace, current)
                return True
            except Conflict:
                continue
        raise RuntimeError(f"Pod {pod['metadata']['name']}: 20 conflicting writes in a row")

    def _pick_pod(self, op: ops.PodAction | ops.RelabelPod) -> Obj | None:
        snapshot = self._snapshot()
        workload = next((o for o in snapshot[op.kind] if o["metadata"]["name"] == op.name), None)
        if workload is None:
            return None
        owners = {workload["metadata"]["uid"]}
        if op.kind == "Deployment":
            owners = {
                rs["metadata"]["uid"] for rs in snapshot["ReplicaSet"] if st.controller_uid(rs) in owners
            }
        pods = [p for p in snapshot["Pod"] if st.controller_uid(p) in owners and st.active(p)]
        if not pods:
            return None
        pods.sort(key=lambda p: pod_order(ko.pod_view(self.placement.strip_pod(p), epoch=self.epoch)))
        return pods[op.index % len(pods)]

    def _apply_NodeJoin(self, op: ops.NodeJoin) -> None:
        name = self.placement.node_name(op.name)
        if name not in self.kubelet.nodes:
            self.kubelet.add_node(name, op.labels)

    def _apply_NodeLeave(self, op: ops.NodeLeave) -> None:
        name = self.placement.node_name(op.name)
        if name in self.kubelet.nodes:
            self.kubelet.remove_node(name)

    def _apply_Advance(self, op: ops.Advance) -> None:
        self.advance(op.seconds)


def rollback_target(rss: list[Obj], to_revision: int) -> Obj | None:
    """The RS with `to_revision`, or for 0 the one with the second-highest revision (kubectl's choice)."""

    def revision(rs: Obj) -> int:
        raw = (rs["metadata"].get("annotations") or {}).get(REVISION, "")
        return int(raw) if raw.isdigit() else -1

    ranked = sorted((rs for rs in rss if revision(rs) >= 0), key=revision, reverse=True)
    if to_revision > 0:
        return next((rs for rs in ranked if revision(rs) == to_revision), None)
    return ranked[1] if len(ranked) > 1 else None


def relabelled(labels: Iterable[tuple[str, str]]) -> Callable[[Obj], None]:
    """A pod metadata change to `labels`, keeping the run label (the adapter's own, see Placement.inject)."""

    def change(meta: Obj) -> None:
        kept = {k: v for k, v in (meta.get("labels") or {}).items() if k == RUN_LABEL}
        meta["labels"] = {**dict(labels), **kept}

    return change

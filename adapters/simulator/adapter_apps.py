"""The simulator adapter's DaemonSet and node operations (mixed into `SimulatorAdapter`).

Node operations act on the Node object as a user or the node's kubelet would (labels, taints, cordon,
the Ready condition); the simulator's node lifecycle controller derives its taints from them.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.scenario import apps_extra as apps
from kubeprops.scenario.ops import POD_DELETE, POD_FAIL, POD_READY, POD_UNREADY

from .adapter_statefulset import StatefulSetOperations
from .cluster import Cluster
from .controllers import daemonset_util
from .controllers.common import creation_time
from .node_lifecycle import MANAGED
from .objects import CONTROLLER_REVISION, DAEMONSET, NODE, POD, STATEFULSET, Obj, clone, controller_uid


class AppsOperations(StatefulSetOperations):
    # provided by SimulatorAdapter
    cluster: Cluster
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]
    _converted: Callable[[list[Obj], Callable[[Obj], object]], tuple]

    def _apps_views(self) -> dict[str, tuple]:
        """The ClusterView fields of this module's kinds."""
        store = self.cluster.store
        return {
            "daemonsets": self._converted(store.list(DAEMONSET), koa.daemonset_view),
            "controller_revisions": self._converted(
                store.list(CONTROLLER_REVISION), koa.controller_revision_view
            ),
            **self._statefulset_views(),
        }

    # ------------------------------------------------------------ DaemonSets

    def _apply_CreateDaemonSet(self, op: apps.CreateDaemonSet) -> None:
        self._create(DAEMONSET, koa.daemonset_manifest(op.name, op.spec))

    def _apply_UpdateAppsTemplate(self, op: apps.UpdateAppsTemplate) -> None:
        kind = {apps.DAEMONSET: DAEMONSET, apps.STATEFULSET: STATEFULSET}[op.kind]
        template = koa.apps_template_manifest(op.template)
        self._edit(kind, op.name, lambda spec: spec.update(template=template))

    def _apply_SetDaemonSetUpdateStrategy(self, op: apps.SetDaemonSetUpdateStrategy) -> None:
        strategy = koa.daemonset_strategy_manifest(op.strategy)
        self._edit(DAEMONSET, op.name, lambda spec: spec.update(updateStrategy=strategy))

    def _apply_DeleteAppsWorkload(self, op: apps.DeleteAppsWorkload) -> None:
        kind = {apps.DAEMONSET: DAEMONSET, apps.STATEFULSET: STATEFULSET}[op.kind]
        if self.cluster.store.get(kind, op.name) is not None:
            self.cluster.store.delete(kind, op.name)

    def _apply_DaemonPodAction(self, op: apps.DaemonPodAction) -> None:
        pod = self._daemon_pod(op)
        if pod is None:
            return
        if op.action == POD_DELETE:
            self.cluster.store.delete(POD, pod["metadata"]["name"])
            return
        kubelet = self.cluster.kubelets.get(pod["spec"].get("nodeName", ""))
        if kubelet is None:
            return
        actions = {POD_FAIL: kubelet.fail, POD_UNREADY: kubelet.make_unready, POD_READY: kubelet.make_ready}
        actions[op.action](pod)

    def _daemon_pod(self, op: apps.DaemonPodAction) -> Obj | None:
        """The oldest non-deleting pod of the DaemonSet bound or headed to the node."""
        ds = self.cluster.store.get(DAEMONSET, op.name)
        if ds is None:
            return None
        mine = [
            p
            for p in self.cluster.store.list(POD)
            if controller_uid(p) == ds["metadata"]["uid"]
            and not p["metadata"].get("deletionTimestamp")
            and daemonset_util.target_node(p) == op.node
        ]
        return min(mine, key=lambda p: (creation_time(p), p["metadata"]["name"]), default=None)

    # ------------------------------------------------------------ nodes

    def _edit_node(self, name: str, change: Callable[[Obj], None]) -> None:
        node = self.cluster.store.get(NODE, name)
        if node is not None:
            edited = clone(node)
            change(edited)
            self.cluster.store.update(NODE, edited)

    def _apply_AddNode(self, op: apps.AddNode) -> None:
        if self.cluster.store.get(NODE, op.name) is not None:
            return
        # one write, as a kubelet registering with --register-with-taints does: no controller ever sees
        # the node without its taints
        manifest = koa.apps_node_manifest(
            op.name, op.labels, op.taints, op.unschedulable, pods=self.cluster.node_capacity
        )
        self.cluster.add_node(op.name, manifest=manifest)

    def _apply_RemoveNode(self, op: apps.RemoveNode) -> None:
        # The apps world's contract (reference_model.apps_world): the node's pods are force-deleted at
        # once, as pod GC does after its 40 s quarantine; `NodeLeave` keeps the quarantine.
        self.cluster.remove_node(op.name)
        for pod in self.cluster.store.list(POD):
            if pod["spec"].get("nodeName") == op.name:
                self.cluster.store.delete(POD, pod["metadata"]["name"], grace=0)

    def _apply_SetNodeLabels(self, op: apps.SetNodeLabels) -> None:
        wanted = {**dict(op.labels), koa.HOSTNAME: op.name}  # the kubelet keeps its hostname label
        self._edit_node(op.name, lambda node: node["metadata"].update(labels=wanted))

    def _apply_SetNodeTaints(self, op: apps.SetNodeTaints) -> None:
        def change(node: Obj) -> None:
            managed = [t for t in node["spec"].get("taints") or () if t["key"] in MANAGED]
            taints = [koa.taint_manifest(t) for t in op.taints] + managed
            if taints:
                node["spec"]["taints"] = taints
            else:
                node["spec"].pop("taints", None)

        self._edit_node(op.name, change)

    def _apply_CordonNode(self, op: apps.CordonNode) -> None:
        def change(node: Obj) -> None:
            if op.unschedulable:
                node["spec"]["unschedulable"] = True
            else:
                node["spec"].pop("unschedulable", None)

        self._edit_node(op.name, change)

    def _apply_SetNodeReady(self, op: apps.SetNodeReady) -> None:
        node = self.cluster.store.get(NODE, op.name)
        if node is None or koa.node_ready_status(node) == op.status:
            return
        status = clone(node.get("status") or {})
        conditions = [c for c in status.get("conditions") or () if c["type"] != "Ready"]
        status["conditions"] = [*conditions, {"type": "Ready", "status": op.status, "reason": "Simulated"}]
        self.cluster.store.update_status(NODE, {**node, "status": status})
        kubelet = self.cluster.kubelets.get(op.name)
        if kubelet is not None:
            kubelet.set_node_ready(op.status == apps.READY_TRUE)

    def _apply_AdvanceTime(self, op: apps.AdvanceTime) -> None:
        self.cluster.advance(op.seconds)

"""The Kubernetes adapter's DaemonSet and node operations (mixed into `KubernetesAdapter`).

Node operations touch only the run's own virtual nodes, and keep what makes them ours (the run label and
taint) and what the node lifecycle controller owns (its `node.kubernetes.io/*` taints). RemoveNode plays
pod GC at once, as the apps world's contract says (pod GC itself waits a 40 s quarantine).
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.scenario import apps_extra as apps
from kubeprops.scenario.ops import POD_DELETE

from . import settle as st
from .client import Api, Conflict, Obj
from .kubelet import RUN_LABEL, VirtualKubelet
from .manifests import Placement
from .watch_cache import WatchCache

NODE_NAME_FIELD = "metadata.name"
TAINT_TIMEOUT = 15.0  # seconds SetNodeReady waits for the node lifecycle controller's taint
# The NoSchedule taint the node lifecycle controller derives from each Ready status
# ref: pkg/controller/nodelifecycle/node_lifecycle_controller.go (doNoScheduleTaintingPass)
CONDITION_TAINTS = {
    "True": frozenset(),
    "False": frozenset({"node.kubernetes.io/not-ready"}),
    "Unknown": frozenset({"node.kubernetes.io/unreachable"}),
}


def condition_taints(node: Obj) -> frozenset[str]:
    """The node's NoSchedule taints that follow its Ready condition."""
    keys = set().union(*CONDITION_TAINTS.values())
    taints = (node.get("spec") or {}).get("taints") or ()
    return frozenset(t["key"] for t in taints if t["key"] in keys and t.get("effect") == "NoSchedule")


def target_node(pod: Obj) -> str:
    """The node a daemon pod is bound or headed to: nodeName, else its metadata.name node affinity.

    ref: pkg/controller/daemon/util/daemonset_util.go (GetTargetNodeName)
    """
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return spec["nodeName"]
    for term in koa.required_terms(spec) or ():
        for field in term.get("matchFields") or ():
            if field.get("key") == NODE_NAME_FIELD and len(field.get("values") or ()) == 1:
                return field["values"][0]
    return ""


def oldest_daemon_pod(pods: list[Obj], ds_uid: str, node: str) -> Obj | None:
    """The DaemonSet's oldest non-deleting pod on `node` (creation time, then name)."""
    mine = [
        p
        for p in pods
        if st.controller_uid(p) == ds_uid
        and not p["metadata"].get("deletionTimestamp")
        and target_node(p) == node
    ]
    return min(mine, key=lambda p: (p["metadata"]["creationTimestamp"], p["metadata"]["name"]), default=None)


class AppsOperations:
    # provided by KubernetesAdapter
    api: Api
    namespace: str
    placement: Placement
    kubelet: VirtualKubelet
    cache: WatchCache
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]

    # ------------------------------------------------------------ DaemonSets

    def _apply_CreateDaemonSet(self, op: apps.CreateDaemonSet) -> None:
        self._create("DaemonSet", koa.daemonset_manifest(op.name, op.spec))

    def _apply_UpdateAppsTemplate(self, op: apps.UpdateAppsTemplate) -> None:
        template = self.placement.inject_template(koa.apps_template_manifest(op.template))
        self._edit(op.kind, op.name, lambda spec: spec.update(template=template))  # DaemonSet, StatefulSet

    def _apply_SetDaemonSetUpdateStrategy(self, op: apps.SetDaemonSetUpdateStrategy) -> None:
        strategy = koa.daemonset_strategy_manifest(op.strategy)
        self._edit("DaemonSet", op.name, lambda spec: spec.update(updateStrategy=strategy))

    def _apply_DeleteAppsWorkload(self, op: apps.DeleteAppsWorkload) -> None:
        self.api.delete(op.kind, self.namespace, op.name, propagationPolicy="Background")

    def _apply_DaemonPodAction(self, op: apps.DaemonPodAction) -> None:
        ds = self.api.get("DaemonSet", self.namespace, op.name)
        if ds is None:
            return
        pods = self.api.list("Pod", self.namespace)
        pod = oldest_daemon_pod(pods, ds["metadata"]["uid"], self.placement.node_name(op.node))
        if pod is None:
            return
        name = pod["metadata"]["name"]
        if op.action == POD_DELETE:
            self.api.delete("Pod", self.namespace, name, preconditions={"uid": pod["metadata"]["uid"]})
        else:
            self.kubelet.write_pod(name, op.action)

    # ------------------------------------------------------------ nodes (ours only)

    def _edit_node(self, scenario_name: str, change: Callable[[Obj], None]) -> None:
        name = self.placement.node_name(scenario_name)
        if name not in self.kubelet.nodes:
            return  # not one of this run's nodes: never touched
        for _ in range(20):
            node = self.api.get("Node", "", name)
            if node is None or (node["metadata"].get("labels") or {}).get(RUN_LABEL) != self.placement.run:
                return
            change(node)
            try:
                self.api.update("Node", "", node)
                return
            except Conflict:
                continue  # the node lifecycle controller wrote its taints meanwhile
        raise RuntimeError(f"node {name}: 20 conflicting writes in a row")

    def _apply_AddNode(self, op: apps.AddNode) -> None:
        name = self.placement.node_name(op.name)
        if name in self.kubelet.nodes:
            return
        spec: Obj = {"taints": [koa.taint_manifest(t) for t in op.taints]}
        if op.unschedulable:
            spec["unschedulable"] = True
        self.kubelet.add_node(name, op.labels, spec)

    def _apply_RemoveNode(self, op: apps.RemoveNode) -> None:
        name = self.placement.node_name(op.name)
        if name not in self.kubelet.nodes:
            return
        self.kubelet.remove_node(name)
        for pod in self.api.list("Pod", self.namespace):
            if (pod.get("spec") or {}).get("nodeName") == name:
                meta = pod["metadata"]
                self.api.delete("Pod", self.namespace, meta["name"], gracePeriodSeconds=0)

    def _apply_SetNodeLabels(self, op: apps.SetNodeLabels) -> None:
        name = self.placement.node_name(op.name)
        # the kubelet keeps its hostname label; our run label keeps the node ours
        wanted = {**dict(op.labels), koa.HOSTNAME: name, RUN_LABEL: self.placement.run}
        self._edit_node(op.name, lambda node: node["metadata"].update(labels=wanted))

    def _apply_SetNodeTaints(self, op: apps.SetNodeTaints) -> None:
        wanted = [koa.taint_manifest(t) for t in op.taints]

        def change(node: Obj) -> None:
            node.setdefault("spec", {})["taints"] = self.placement.with_user_taints(node, wanted)

        self._edit_node(op.name, change)

    def _apply_CordonNode(self, op: apps.CordonNode) -> None:
        def change(node: Obj) -> None:
            spec = node.setdefault("spec", {})
            if op.unschedulable:
                spec["unschedulable"] = True
            else:
                spec.pop("unschedulable", None)

        self._edit_node(op.name, change)

    def _apply_SetNodeReady(self, op: apps.SetNodeReady) -> None:
        """Post the condition, then wait (bounded) for the node lifecycle controller's NoSchedule taint
        to follow it: the model derives that taint at once, upstream adds it on its next monitor pass
        (nodeMonitorPeriod 5 s), and a DaemonSet sync in between may still place a pod there."""
        name = self.placement.node_name(op.name)
        if name not in self.kubelet.nodes:
            return
        self.kubelet.set_node_ready(name, op.status)

        def tainted() -> bool:
            node = self.cache.get("Node", name)
            return node is None or condition_taints(node) == CONDITION_TAINTS[op.status]

        self.cache.caught_up()
        self.cache.wait_until(tainted, TAINT_TIMEOUT)

    def _apply_AdvanceTime(self, op: apps.AdvanceTime) -> None:
        self.advance(op.seconds)  # type: ignore[attr-defined]

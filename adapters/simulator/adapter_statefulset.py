"""The simulator adapter's StatefulSet operations (mixed into `SimulatorAdapter` through `AppsOperations`).

Each user operation is one API write (create, or an edit of the stored spec); the adapter then waits for the
controller to observe it, as for the other workloads. `StatefulPodAction` acts on the pod `<set>-<ordinal>`
through its node's kubelet (delete: an API delete); nothing happens when that pod does not exist.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters import kube_objects_statefulset as kos
from kubeprops.adapters.statefulset_edits import StatefulSetEdits
from kubeprops.scenario import apps_extra as apps
from kubeprops.scenario.ops import POD_DELETE, POD_FAIL, POD_READY, POD_UNREADY

from .cluster import Cluster
from .objects import POD, PVC, STATEFULSET, Obj, controller_uid


class StatefulSetOperations(StatefulSetEdits):
    # provided by SimulatorAdapter
    cluster: Cluster
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]
    _converted: Callable[[list[Obj], Callable[[Obj], object]], tuple]

    def _statefulset_views(self) -> dict[str, tuple]:
        store = self.cluster.store
        return {
            "statefulsets": self._converted(store.list(STATEFULSET), kos.statefulset_view),
            "claims": self._converted(store.list(PVC), kos.claim_view),
        }

    def _apply_StatefulPodAction(self, op: apps.StatefulPodAction) -> None:
        sts = self.cluster.store.get(STATEFULSET, op.name)
        pod = self.cluster.store.get(POD, f"{op.name}-{op.ordinal}")
        if sts is None or pod is None or controller_uid(pod) != sts["metadata"]["uid"]:
            return
        if op.action == POD_DELETE:
            self.cluster.store.delete(POD, pod["metadata"]["name"])
            return
        kubelet = self.cluster.kubelets.get(pod["spec"].get("nodeName", ""))
        if kubelet is None:
            return
        actions = {POD_FAIL: kubelet.fail, POD_UNREADY: kubelet.make_unready, POD_READY: kubelet.make_ready}
        actions[op.action](pod)

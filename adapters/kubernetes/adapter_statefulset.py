"""The Kubernetes adapter's StatefulSet operations (mixed into `KubernetesAdapter`; views: `views`).

Each user operation is one write (create, or a read-change-replace of the spec) that returns once the
StatefulSet controller observed the new generation; as for every apps operation the adapter then waits for
what the controllers do at once. `StatefulPodAction` acts on the pod `<set>-<ordinal>` the set controls,
through our kubelet stand-in (delete: an API delete); nothing happens when that pod does not exist. The claims
the controller creates from volumeClaimTemplates are bound by the adapter's provisioner (`volumes.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters.statefulset_edits import StatefulSetEdits
from kubeprops.scenario import apps_extra as apps
from kubeprops.scenario.ops import POD_DELETE

from . import settle as st
from .client import Api, Obj
from .kubelet import VirtualKubelet
from .manifests import Placement

STATEFULSET = "StatefulSet"


class StatefulSetOperations(StatefulSetEdits):
    # provided by KubernetesAdapter
    api: Api
    namespace: str
    placement: Placement
    kubelet: VirtualKubelet
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]

    def _apply_StatefulPodAction(self, op: apps.StatefulPodAction) -> None:
        sts = self.api.get(STATEFULSET, self.namespace, op.name)
        pod = self.api.get("Pod", self.namespace, f"{op.name}-{op.ordinal}")
        if sts is None or pod is None or st.controller_uid(pod) != sts["metadata"]["uid"]:
            return
        meta = pod["metadata"]
        if op.action == POD_DELETE:
            self.api.delete("Pod", self.namespace, meta["name"], preconditions={"uid": meta["uid"]})
        else:
            self.kubelet.write_pod(meta["name"], op.action)

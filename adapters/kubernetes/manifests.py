"""What the adapter adds to the manifests `kube_objects` builds, and takes away again when observing.

Our pods must land on our virtual nodes only: every template gets a toleration for the nodes' taint and
a nodeSelector on the run label. Views strip both again and report nodes by their scenario names, so
a view of the real cluster compares with the model's and the simulator's.
"""

from __future__ import annotations

import copy

from .client import Obj
from .kubelet import RUN_LABEL, TAINT_KEY

# The node lifecycle controller's taints (not-ready, unreachable, unschedulable, ...): a user's taint edit
# leaves them as they are, as `kubectl taint` does.
MANAGED_TAINT_PREFIX = "node.kubernetes.io/"


class Placement:
    """Injection into, and removal from, the raw JSON of one run."""

    def __init__(self, run: str, node_prefix: str) -> None:
        self.run = run
        self.node_prefix = node_prefix
        self.toleration = {"key": TAINT_KEY, "operator": "Equal", "value": run, "effect": "NoSchedule"}

    def node_name(self, scenario_name: str) -> str:
        return f"{self.node_prefix}{scenario_name}"

    def scenario_node(self, api_name: str) -> str:
        return api_name.removeprefix(self.node_prefix)

    def inject_template(self, template: Obj) -> Obj:
        out = copy.deepcopy(template)
        spec = out.setdefault("spec", {})
        spec["nodeSelector"] = {**(spec.get("nodeSelector") or {}), RUN_LABEL: self.run}
        spec["tolerations"] = [*(spec.get("tolerations") or []), self.toleration]
        return out

    def inject(self, manifest: Obj) -> Obj:
        out = copy.deepcopy(manifest)
        out["metadata"].setdefault("labels", {})[RUN_LABEL] = self.run
        out["spec"]["template"] = self.inject_template(out["spec"]["template"])
        for claim in out["spec"].get("volumeClaimTemplates") or ():
            # No storage class: a cluster's default class and its provisioner stay out of it, and the
            # adapter's own provisioner (volumes.py) binds the claim on every cluster alike.
            claim["spec"]["storageClassName"] = ""
        return out

    def inject_pod(self, manifest: Obj) -> Obj:
        """A bare pod: labelled as the run's, and placed on the run's nodes as the workloads' pods are."""
        out = self.inject_template(manifest)
        out["metadata"].setdefault("labels", {})[RUN_LABEL] = self.run
        return out

    def strip_template(self, template: Obj) -> Obj:
        out = copy.deepcopy(template)
        spec = out.get("spec") or {}
        selector = {k: v for k, v in (spec.get("nodeSelector") or {}).items() if k != RUN_LABEL}
        if selector:
            spec["nodeSelector"] = selector
        else:
            spec.pop("nodeSelector", None)
        tolerations = [t for t in spec.get("tolerations") or () if t.get("key") != TAINT_KEY]
        if tolerations:
            spec["tolerations"] = tolerations
        else:
            spec.pop("tolerations", None)
        return out

    def strip_workload(self, obj: Obj) -> Obj:
        out = dict(obj)
        out["metadata"] = {**obj["metadata"], "labels": self._labels(obj["metadata"])}
        out["spec"] = {**obj["spec"], "template": self.strip_template(obj["spec"].get("template") or {})}
        return out

    def strip_pod(self, pod: Obj) -> Obj:
        spec, meta = pod.get("spec") or {}, pod["metadata"]
        node = spec.get("nodeName", "")
        out = {**pod, "spec": {**spec, "nodeName": self.scenario_node(node) if node else ""}}
        if RUN_LABEL in (meta.get("labels") or {}):  # a bare pod the adapter created (inject_pod)
            out["metadata"] = {**meta, "labels": self._labels(meta)}
        return out

    def strip_node(self, node: Obj) -> Obj:
        meta, spec = node["metadata"], node.get("spec") or {}
        name = self.scenario_node(meta["name"])
        labels = {**self._labels(meta), "kubernetes.io/hostname": name}
        taints = [t for t in spec.get("taints") or () if t.get("key") != TAINT_KEY]
        return {
            **node,
            "metadata": {**meta, "name": name, "labels": labels},
            "spec": {**spec, "taints": taints},
        }

    def strip_revision(self, revision: Obj) -> Obj:
        """A ControllerRevision with its DaemonSet template stripped (data.spec.template)."""
        data = revision.get("data") or {}
        template = (data.get("spec") or {}).get("template") or {}
        spec = {**(data.get("spec") or {}), "template": self.strip_template(template)}
        return {**revision, "data": {**data, "spec": spec}}

    def with_user_taints(self, node: Obj, taints: list[Obj]) -> list[Obj]:
        """The node's taints with the user's replaced by `taints`: ours and the node lifecycle
        controller's stay as they are."""
        kept = [
            t
            for t in (node.get("spec") or {}).get("taints") or ()
            if t.get("key") == TAINT_KEY or t.get("key", "").startswith(MANAGED_TAINT_PREFIX)
        ]
        return kept + taints

    def _labels(self, meta: Obj) -> dict[str, str]:
        return {k: v for k, v in (meta.get("labels") or {}).items() if k != RUN_LABEL}

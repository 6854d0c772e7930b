"""The Deployment controller: event handlers, work queue and the per-key dispatch.

Modelled: claim of ReplicaSets, dispatch order (§2.3), paused sync, scaling events, RollingUpdate,
Recreate, Progressing/Available conditions with the timed progress re-check, history cleanup.
Not modelled: the legacy `deprecated.deployment.rollback.to` annotation (apps/v1 cannot set it;
`kubectl rollout undo` edits the template, handled like any template change), events, metrics.
ref: pkg/controller/deployment/deployment_controller.go
"""

from __future__ import annotations

from ...client import Client
from ...clock import Clock
from ...informer import Informer
from ...objects import (
    DEPLOYMENT,
    POD,
    REPLICASET,
    Obj,
    controller_ref,
    is_deleting,
    labels_of,
    selector_matches,
    selector_of,
)
from ...store import ADDED, DELETED, ApiError
from ...tracing import SyncTracer
from ..claim import claim
from ..workqueue import WorkQueue
from . import recreate, rolling, sync, util


class DeploymentController:
    name = "deployment"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self._backing_off: set[str] = set()
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        informer.add_handler(DEPLOYMENT, self._on_deployment)
        informer.add_handler(REPLICASET, self._on_replicaset)
        informer.add_handler(POD, self._on_pod)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        traced = self.tracer and self.tracer.begin(DEPLOYMENT, key, self.informer)
        try:
            sync_deployment(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            if key in self._backing_off:
                self._backing_off.discard(key)  # keep the back-off of a stuck-deployment re-check
            else:
                self.queue.forget(key)
            completed = True
        if self.tracer and traced:
            self.tracer.end(traced, completed)

    def rate_limited_requeue(self, key: str) -> None:
        self._backing_off.add(key)
        self.queue.add_rate_limited(key)

    # ------------------------------------------------------------ event handlers

    def _on_deployment(self, type_: str, old: Obj | None, new: Obj) -> None:
        self.queue.add(new["metadata"]["name"])

    def _owner_of(self, rs: Obj) -> Obj | None:
        ref = controller_ref(rs)
        if ref is None or ref["kind"] != DEPLOYMENT:
            return None
        d = self.informer.get(DEPLOYMENT, ref["name"])
        return d if d is not None and d["metadata"]["uid"] == ref["uid"] else None

    def _enqueue_owner(self, rs: Obj) -> None:
        d = self._owner_of(rs)
        if d is not None:
            self.queue.add(d["metadata"]["name"])

    def _enqueue_matching(self, rs: Obj) -> None:
        # ref: deployment_controller.go (getDeploymentsForReplicaSet)
        for d in self.informer.list(DEPLOYMENT):
            selector = selector_of(d)
            if selector and selector_matches(selector, labels_of(rs)):
                self.queue.add(d["metadata"]["name"])

    def _on_replicaset(self, type_: str, old: Obj | None, new: Obj) -> None:
        # ref: deployment_controller.go (addReplicaSet, updateReplicaSet, deleteReplicaSet)
        if type_ == DELETED or (type_ == ADDED and is_deleting(new)):
            self._enqueue_owner(new)
            return
        if type_ == ADDED or old is None:
            if controller_ref(new) is not None:
                self._enqueue_owner(new)
            else:
                self._enqueue_matching(new)
            return
        if old["metadata"]["resourceVersion"] == new["metadata"]["resourceVersion"]:
            return
        ref_changed = controller_ref(old) != controller_ref(new)
        if ref_changed and controller_ref(old) is not None:
            self._enqueue_owner(old)
        if controller_ref(new) is not None:
            self._enqueue_owner(new)
        elif ref_changed or labels_of(old) != labels_of(new):
            self._enqueue_matching(new)

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        """A Recreate Deployment waits for its last old pod to disappear.

        ref: deployment_controller.go (deletePod)
        """
        if type_ != DELETED:
            return
        ref = controller_ref(new)
        rs = self.informer.get(REPLICASET, ref["name"]) if ref and ref["kind"] == REPLICASET else None
        d = self._owner_of(rs) if rs is not None and rs["metadata"]["uid"] == ref["uid"] else None
        if d is None or d["spec"]["strategy"]["type"] != "Recreate":
            return
        rs_list = [
            r
            for r in self.informer.list(REPLICASET)
            if (c := controller_ref(r)) and c["uid"] == d["metadata"]["uid"]
        ]
        if not any(get_pod_map(self, d, rs_list).values()):
            self.queue.add(d["metadata"]["name"])


# ---------------------------------------------------------------- sync


def get_replicasets_for_deployment(ctl: DeploymentController, d: Obj) -> list[Obj]:
    # ref: deployment_controller.go (getReplicaSetsForDeployment)
    selector = selector_of(d) or {}
    return claim(ctl.client, d, DEPLOYMENT, REPLICASET, selector, ctl.informer.list(REPLICASET))


def get_pod_map(ctl: DeploymentController, d: Obj, rs_list: list[Obj]) -> dict[str, list[Obj]]:
    """Pods matching the Deployment selector, grouped by the uid of their controlling RS.

    ref: deployment_controller.go (getPodMapForDeployment)
    """
    pod_map: dict[str, list[Obj]] = {rs["metadata"]["uid"]: [] for rs in rs_list}
    selector = selector_of(d) or {}
    for pod in ctl.informer.list(POD):
        ref = controller_ref(pod)
        if ref is not None and ref["uid"] in pod_map and selector_matches(selector, labels_of(pod)):
            pod_map[ref["uid"]].append(pod)
    return pod_map


def sync_deployment(ctl: DeploymentController, key: str) -> None:
    # ref: deployment_controller.go (syncDeployment)
    cached = ctl.informer.get(DEPLOYMENT, key)
    if cached is None:
        return
    # The working copy: only annotations and status are edited; the spec stays shared, read-only.
    meta = {**cached["metadata"], "annotations": dict(cached["metadata"].get("annotations") or {})}
    # Condition dicts are never edited in place (set_condition replaces them): copy the list only.
    status = dict(cached.get("status") or {})
    if "conditions" in status:
        status["conditions"] = list(status["conditions"])
    d = {**cached, "metadata": meta, "status": status}
    if not selector_of(d):
        _observe_generation_only(ctl, d)
        return
    rs_list = get_replicasets_for_deployment(ctl, d)
    if is_deleting(d):
        new_rs, old_rss = sync.get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=False)
        sync.sync_deployment_status(ctl, [*old_rss, new_rs], new_rs, d)
        return
    sync.check_paused_conditions(ctl, d)
    if util.is_paused(d):
        sync.sync(ctl, d, rs_list)
        return
    if sync.is_scaling_event(ctl, d, rs_list):
        sync.sync(ctl, d, rs_list)
        return
    if d["spec"]["strategy"]["type"] == "Recreate":
        recreate.rollout_recreate(ctl, d, rs_list, get_pod_map(ctl, d, rs_list))
    else:
        rolling.rollout_rolling(ctl, d, rs_list)


def _observe_generation_only(ctl: DeploymentController, d: Obj) -> None:
    status = d.setdefault("status", {})
    if status.get("observedGeneration", 0) < d["metadata"]["generation"]:
        status["observedGeneration"] = d["metadata"]["generation"]
        ctl.client.update_status(DEPLOYMENT, d)

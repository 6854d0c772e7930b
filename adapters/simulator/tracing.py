"""Sync tracing: what each ReplicaSet, Deployment and DaemonSet sync read from its cache and wrote
(SYNC_TRACE).

Off unless a property asks for it: converting a whole cache to views at every sync costs more than the
sync. The controllers call `begin` and `end` around each sync; the shared client journals the writes.
"""

from __future__ import annotations

import attrs

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.scenario.trace import SyncRecord, Write
from kubeprops.scenario.view import ClusterView

from .client import Client
from .clock import Clock
from .controllers.daemonset_util import target_node
from .informer import Informer
from .objects import CONTROLLER_REVISION, DAEMONSET, DEPLOYMENT, NODE, POD, REPLICASET, Obj

CONVERT = {
    DEPLOYMENT: ko.deployment_view,
    REPLICASET: ko.replicaset_view,
    POD: ko.pod_view,
    DAEMONSET: koa.daemonset_view,
    CONTROLLER_REVISION: koa.controller_revision_view,
    NODE: koa.node_view,
}


@attrs.define
class OpenSync:
    controller: str
    key: str
    snapshot: ClusterView
    expectations_satisfied: bool
    targets: tuple[tuple[str, str], ...] = ()
    backoff: tuple[tuple[str, float, float], ...] = ()


class SyncTracer:
    def __init__(self, client: Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.records: list[SyncRecord] = []

    def begin(
        self,
        controller: str,
        key: str,
        informer: Informer,
        expectations: bool = True,
        backoff: tuple[tuple[str, float, float], ...] = (),
    ) -> OpenSync:
        """`backoff`: the controller's failed-pod back-off entries (DaemonSet), as the sync starts."""
        self.client.journal = []
        targets = _unbound_targets(informer) if DAEMONSET in informer.kinds else ()
        return OpenSync(controller, key, self._snapshot(informer), expectations, targets, backoff)

    def end(self, sync: OpenSync, completed: bool) -> None:
        journal, self.client.journal = self.client.journal or [], None
        writes = tuple(
            Write(verb, kind, name, _view(kind, obj), err, _target(kind, obj))
            for verb, kind, name, obj, err in journal
        )
        record = SyncRecord(
            sync.controller,
            sync.key,
            sync.snapshot,
            writes,
            completed,
            sync.expectations_satisfied,
            sync.targets,
            sync.backoff,
        )
        self.records.append(record)

    def take(self) -> tuple[SyncRecord, ...]:
        taken, self.records = tuple(self.records), []
        return taken

    def _snapshot(self, informer: Informer) -> ClusterView:
        def listed(kind: str) -> tuple:
            if kind not in informer.kinds:
                return ()
            return tuple(CONVERT[kind](obj) for obj in informer.list(kind))

        return ClusterView(
            now=self.clock.now,
            deployments=listed(DEPLOYMENT),
            replicasets=listed(REPLICASET),
            pods=listed(POD),
            nodes=listed(NODE),
            daemonsets=listed(DAEMONSET),
            controller_revisions=listed(CONTROLLER_REVISION),
        )


def _unbound_targets(informer: Informer) -> tuple[tuple[str, str], ...]:
    """The node each unbound pod is pinned to by its metadata.name affinity (GetTargetNodeName)."""
    pinned = (
        (p["metadata"]["name"], target_node(p)) for p in informer.list(POD) if not p["spec"].get("nodeName")
    )
    return tuple(sorted((name, node) for name, node in pinned if node))


def _view(kind: str, obj: Obj | None) -> object:
    return None if obj is None or kind not in CONVERT else CONVERT[kind](obj)


def _target(kind: str, obj: Obj | None) -> str:
    return (target_node(obj) or "") if kind == POD and obj is not None else ""

"""Sync tracing: what each ReplicaSet and Deployment sync read from its cache and wrote (SYNC_TRACE).

Off unless a property asks for it: converting a whole cache to views at every sync costs more than the
sync. The controllers call `begin` and `end` around each sync; the shared client journals the writes.
"""

from __future__ import annotations

import attrs

from kubeprops.adapters import kube_objects as ko
from kubeprops.scenario.trace import SyncRecord, Write
from kubeprops.scenario.view import ClusterView

from .client import Client
from .clock import Clock
from .informer import Informer
from .objects import DEPLOYMENT, POD, REPLICASET, Obj

CONVERT = {DEPLOYMENT: ko.deployment_view, REPLICASET: ko.replicaset_view, POD: ko.pod_view}


@attrs.define
class OpenSync:
    controller: str
    key: str
    snapshot: ClusterView
    expectations_satisfied: bool


class SyncTracer:
    def __init__(self, client: Client, clock: Clock) -> None:
        self.client = client
        self.clock = clock
        self.records: list[SyncRecord] = []

    def begin(self, controller: str, key: str, informer: Informer, expectations: bool = True) -> OpenSync:
        self.client.journal = []
        return OpenSync(controller, key, self._snapshot(informer), expectations)

    def end(self, sync: OpenSync, completed: bool) -> None:
        journal, self.client.journal = self.client.journal or [], None
        writes = tuple(
            Write(verb, kind, name, _view(kind, obj), err) for verb, kind, name, obj, err in journal
        )
        record = SyncRecord(
            sync.controller, sync.key, sync.snapshot, writes, completed, sync.expectations_satisfied
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
        )


def _view(kind: str, obj: Obj | None) -> object:
    return None if obj is None or kind not in CONVERT else CONVERT[kind](obj)

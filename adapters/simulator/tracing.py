"""Sync tracing: what each ReplicaSet, Deployment, DaemonSet, Job, StatefulSet and CronJob sync read from its
cache and wrote (SYNC_TRACE).

Off unless a property asks for it: converting a whole cache to views at every sync costs more than the
sync. The controllers call `begin` and `end` around each sync; the shared client journals the writes.
"""

from __future__ import annotations

import attrs

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.adapters import kube_objects_batch as kob
from kubeprops.adapters import kube_objects_cron as koc
from kubeprops.adapters import kube_objects_statefulset as kos
from kubeprops.scenario.trace import SyncRecord, Write
from kubeprops.scenario.view import ClusterView

from .client import Client
from .clock import Clock
from .controllers.daemonset_util import target_node
from .informer import Informer
from .objects import (
    CONTROLLER_REVISION,
    CRONJOB,
    DAEMONSET,
    DEPLOYMENT,
    JOB,
    NODE,
    POD,
    PVC,
    REPLICASET,
    STATEFULSET,
    Obj,
)

CONVERT = {
    DEPLOYMENT: ko.deployment_view,
    REPLICASET: ko.replicaset_view,
    POD: ko.pod_view,
    DAEMONSET: koa.daemonset_view,
    CONTROLLER_REVISION: koa.controller_revision_view,
    NODE: koa.node_view,
    STATEFULSET: kos.statefulset_view,
    PVC: kos.claim_view,
}
# the Job controller reads its pods as JobPodViews (phase, index, finalizer): its writes are shown so too
JOB_CONVERT = {JOB: kob.job_view, POD: kob.job_pod_view}
# the CronJob controller reads its CronJobs and their Jobs (times on the virtual clock, see `epoch`)
CRON_CONVERT = {CRONJOB: koc.cronjob_view, JOB: kob.job_view}


@attrs.define
class OpenSync:
    controller: str
    key: str
    snapshot: ClusterView
    expectations_satisfied: bool
    targets: tuple[tuple[str, str], ...] = ()
    backoff: tuple[tuple[str, float, float], ...] = ()
    job_backoff: tuple[int, float | None] = (0, None)
    finalizer_removals: tuple[str, ...] = ()


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
        job_backoff: tuple[int, float | None] = (0, None),
        finalizer_removals: tuple[str, ...] = (),
    ) -> OpenSync:
        """`backoff`: the controller's failed-pod back-off entries (DaemonSet), as the sync starts;
        `job_backoff` and `finalizer_removals`: the Job controller's in-memory state (see SyncRecord)."""
        self.client.journal = []
        targets = _unbound_targets(informer) if DAEMONSET in informer.kinds else ()
        if CRONJOB in informer.kinds:
            snapshot = self._cron_snapshot(informer)
        elif JOB in informer.kinds:
            snapshot = self._job_snapshot(informer)
        else:
            snapshot = self._snapshot(informer)
        return OpenSync(
            controller, key, snapshot, expectations, targets, backoff, job_backoff, finalizer_removals
        )

    def end(self, sync: OpenSync, completed: bool, reread: Obj | None = None) -> None:
        """`reread`: the CronJob a CronJob sync's live GET returned when it replaced the cached copy."""
        journal, self.client.journal = self.client.journal or [], None
        convert = {JOB: JOB_CONVERT, CRONJOB: CRON_CONVERT}.get(sync.controller, CONVERT)
        writes = tuple(
            Write(verb, kind, name, _view(convert, kind, obj), err, _target(kind, obj))
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
            sync.job_backoff,
            sync.finalizer_removals,
            koc.cronjob_view(reread) if reread is not None else None,
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
            statefulsets=listed(STATEFULSET),
            claims=listed(PVC),
        )

    def _job_snapshot(self, informer: Informer) -> ClusterView:
        pods = (kob.job_pod_view(p) for p in informer.list(POD))
        return ClusterView(
            now=self.clock.now,
            jobs=tuple(kob.job_view(j) for j in informer.list(JOB)),
            job_pods=tuple(p for p in pods if p is not None),
        )

    def _cron_snapshot(self, informer: Informer) -> ClusterView:
        return ClusterView(
            now=self.clock.now,
            jobs=tuple(kob.job_view(j) for j in informer.list(JOB)),
            cronjobs=tuple(koc.cronjob_view(c) for c in informer.list(CRONJOB)),
            epoch=ko.SIM_EPOCH.timestamp(),
        )


def _unbound_targets(informer: Informer) -> tuple[tuple[str, str], ...]:
    """The node each unbound pod is pinned to by its metadata.name affinity (GetTargetNodeName)."""
    pinned = (
        (p["metadata"]["name"], target_node(p)) for p in informer.list(POD) if not p["spec"].get("nodeName")
    )
    return tuple(sorted((name, node) for name, node in pinned if node))


def _view(convert: dict, kind: str, obj: Obj | None) -> object:
    return None if obj is None or kind not in convert else convert[kind](obj)


def _target(kind: str, obj: Obj | None) -> str:
    return (target_node(obj) or "") if kind == POD and obj is not None else ""

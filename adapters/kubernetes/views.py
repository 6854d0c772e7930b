"""The Kubernetes adapter's ClusterView: one raw snapshot of the run's namespace, stripped of what the
adapter injected (placement, the run label) and read by the same translation the simulator's view uses."""

from __future__ import annotations

from datetime import datetime

import attrs

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.adapters import kube_objects_batch as kb
from kubeprops.adapters import kube_objects_cron as kc
from kubeprops.adapters import kube_objects_statefulset as kos
from kubeprops.scenario.view import ClusterView

from .adapter_cronjob import strip_cronjob
from .client import Obj
from .manifests import Placement


def by_name(objs: list[Obj]) -> list[Obj]:
    return sorted(objs, key=lambda o: o["metadata"]["name"])


def cluster_view(
    snapshot: dict[str, list[Obj]], nodes: list[Obj], p: Placement, now: float, epoch: datetime
) -> ClusterView:
    base = ko.cluster_view(
        now,
        deployments=[p.strip_workload(o) for o in snapshot["Deployment"]],
        replicasets=[p.strip_workload(o) for o in snapshot["ReplicaSet"]],
        pods=[p.strip_pod(o) for o in snapshot["Pod"]],
        epoch=epoch,
    )
    pods = [p.strip_pod(o) for o in by_name(snapshot["Pod"])]
    job_pods = (kb.job_pod_view(o, epoch=epoch) for o in pods)
    return attrs.evolve(
        base,
        # with taints and the Ready condition's exact status, as the simulator reports them
        nodes=tuple(koa.node_view(p.strip_node(o), epoch=epoch) for o in by_name(nodes)),
        daemonsets=tuple(
            koa.daemonset_view(p.strip_workload(o), epoch=epoch) for o in by_name(snapshot["DaemonSet"])
        ),
        controller_revisions=tuple(
            koa.controller_revision_view(p.strip_revision(o)) for o in by_name(snapshot["ControllerRevision"])
        ),
        jobs=tuple(kb.job_view(p.strip_workload(o), epoch=epoch) for o in by_name(snapshot["Job"])),
        job_pods=tuple(v for v in job_pods if v is not None),
        statefulsets=tuple(
            kos.statefulset_view(p.strip_workload(o), epoch=epoch) for o in by_name(snapshot["StatefulSet"])
        ),
        claims=tuple(kos.claim_view(o) for o in by_name(snapshot["PersistentVolumeClaim"])),
        cronjobs=tuple(
            kc.cronjob_view(strip_cronjob(p, o), epoch=epoch) for o in by_name(snapshot["CronJob"])
        ),
        epoch=epoch.timestamp(),  # the Unix time of the views' zero: epoch + now is the wall clock
    )

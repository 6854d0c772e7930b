"""Observed state: what an adapter reports, in the API's own terms.

A `ClusterView` is one snapshot of the objects a scenario created: Deployments, ReplicaSets, pods and
nodes with their status and conditions. Times are seconds on the target's clock (virtual on the
simulator, wall-clock seconds since the run started on a real cluster).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from .spec import DeploymentSpec, Labels, PodTemplate

if TYPE_CHECKING:  # apps_extra imports this module; its classes only annotate fields here
    from .apps_extra import (
        ControllerRevisionView,
        DaemonSetView,
        PersistentVolumeClaimView,
        StatefulSetView,
        Taint,
    )
    from .batch import CronJobView, JobPodView, JobView  # batch imports this module too

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"

PENDING, RUNNING, SUCCEEDED, FAILED, UNKNOWN = "Pending", "Running", "Succeeded", "Failed", "Unknown"


@attrs.frozen
class Condition:
    type: str
    status: str  # "True" | "False" | "Unknown"
    reason: str = ""
    message: str = ""
    last_update_time: float | None = None
    last_transition_time: float | None = None


@attrs.frozen
class OwnerRef:
    kind: str
    name: str
    uid: str


@attrs.frozen
class PodView:
    name: str
    uid: str
    owner: OwnerRef | None  # the controller ownerReference, if any
    labels: Labels
    image: str
    node: str  # "" while unscheduled
    phase: str
    ready: bool
    ready_since: float | None  # lastTransitionTime of Ready=True, None when not Ready
    deleting: bool  # deletionTimestamp set
    created: float
    restarts: int = 0
    annotations: Labels = ()

    @property
    def active(self) -> bool:
        """controller.IsPodActive: not terminal and not being deleted."""
        return self.phase not in (SUCCEEDED, FAILED) and not self.deleting

    @property
    def terminating(self) -> bool:
        return self.deleting and self.phase not in (SUCCEEDED, FAILED)


@attrs.frozen
class ReplicaSetStatus:
    replicas: int = 0
    fully_labeled_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    terminating_replicas: int | None = None
    observed_generation: int = 0
    conditions: tuple[Condition, ...] = ()


@attrs.frozen
class ReplicaSetView:
    name: str
    uid: str
    owner: OwnerRef | None
    generation: int
    replicas: int  # spec.replicas
    selector: Labels
    template: PodTemplate  # labels include the pod-template-hash label when a Deployment owns it
    min_ready_seconds: int
    annotations: Labels
    status: ReplicaSetStatus
    created: float
    deleting: bool = False

    def annotation(self, key: str) -> str | None:
        return dict(self.annotations).get(key)

    @property
    def revision(self) -> int:
        raw = self.annotation(REVISION)
        return int(raw) if raw and raw.isdigit() else 0


@attrs.frozen
class DeploymentStatus:
    replicas: int = 0
    updated_replicas: int = 0
    ready_replicas: int = 0
    available_replicas: int = 0
    unavailable_replicas: int = 0
    terminating_replicas: int | None = None
    observed_generation: int = 0
    collision_count: int = 0
    conditions: tuple[Condition, ...] = ()

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_), None)


@attrs.frozen
class DeploymentView:
    name: str
    uid: str
    generation: int
    spec: DeploymentSpec
    annotations: Labels
    status: DeploymentStatus
    created: float
    deleting: bool = False

    @property
    def revision(self) -> int:
        raw = dict(self.annotations).get(REVISION)
        return int(raw) if raw and raw.isdigit() else 0


@attrs.frozen
class NodeView:
    name: str
    labels: Labels
    ready: bool = True
    unschedulable: bool = False
    taints: tuple[Taint, ...] = ()  # spec.taints as stored (the node lifecycle controller's included)
    ready_status: str = "True"  # the Ready condition's status: "True", "False" or "Unknown"


@attrs.frozen
class ClusterView:
    now: float
    deployments: tuple[DeploymentView, ...] = ()
    replicasets: tuple[ReplicaSetView, ...] = ()
    pods: tuple[PodView, ...] = ()
    nodes: tuple[NodeView, ...] = ()
    daemonsets: tuple[DaemonSetView, ...] = ()
    controller_revisions: tuple[ControllerRevisionView, ...] = ()
    jobs: tuple[JobView, ...] = ()
    cronjobs: tuple[CronJobView, ...] = ()
    job_pods: tuple[JobPodView, ...] = ()  # the pods Jobs control, as the Job controller reads them
    statefulsets: tuple[StatefulSetView, ...] = ()
    claims: tuple[PersistentVolumeClaimView, ...] = ()  # PersistentVolumeClaims
    # Unix time at which the target's clock read 0: CronJob schedules and Job names are in Unix time
    epoch: float = 0.0

    def deployment(self, name: str) -> DeploymentView | None:
        return next((d for d in self.deployments if d.name == name), None)

    def replicaset(self, name: str) -> ReplicaSetView | None:
        return next((r for r in self.replicasets if r.name == name), None)

    def replicasets_of(self, deployment: str) -> tuple[ReplicaSetView, ...]:
        return tuple(r for r in self.replicasets if r.owner and r.owner.name == deployment)

    def pods_of(self, kind: str, name: str) -> tuple[PodView, ...]:
        """Pods controlled by the workload: directly (ReplicaSet) or through its ReplicaSets."""
        if kind == "ReplicaSet":
            return tuple(p for p in self.pods if p.owner and p.owner.kind == kind and p.owner.name == name)
        owners = {r.name for r in self.replicasets_of(name)}
        return tuple(
            p for p in self.pods if p.owner and p.owner.kind == "ReplicaSet" and p.owner.name in owners
        )


def pod_class(pod: PodView) -> tuple[object, ...]:
    """What the settled states of two targets agree on for a pod they both hold: image, phase, readiness
    and restarts (where it runs and its exact times differ between targets)."""
    return (pod.image, pod.phase, pod.ready, pod.restarts)


def pod_order(pod: PodView) -> tuple[object, ...]:
    """The order `PodAction.index` counts in: by `pod_class`, creation time, Ready time, node, then name.

    Pods that compare equal up to the name are interchangeable for every rule the model checks, so
    a different choice among them on another target is the same scenario. Which node holds which pod
    differs between targets (a scale-down breaks ties between equal pods by uid, a real scheduler by its
    own scores), so the node comes last but the name: ranked earlier it would move the index onto pods
    of another creation time there, and those differ in what no view shows (their template's behaviour,
    as a pod forced Ready by a `ready` action whose template never turns Ready) and in how upstream
    ranks them for a scale-down (controller_utils.go ActivePodsWithRanks.Less: restarts, then creation
    time). The node stays in the key because a later NodeLeave takes exactly the pods on that node
    (adapters report nodes by their scenario names, so they compare across targets).
    """
    ready_since = -1.0 if pod.ready_since is None else pod.ready_since
    return (*pod_class(pod), pod.created, ready_since, pod.node, pod.name)

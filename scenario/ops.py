"""Operations: everything a scenario can do to a target, as data.

User operations change workload specs through the API; world operations act on what the controllers
do not own (nodes, kubelets, pods' health) and on time. The same operation sequence means the same
thing on every target, so a counterexample found on one can be replayed on another.
"""

from __future__ import annotations

import attrs

from .apps_extra import DAEMONSET, STATEFULSET, AppsOperation
from .spec import DeploymentSpec, DeploymentStrategy, Labels, PodTemplate, ReplicaSetSpec, labels

DEPLOYMENT = "Deployment"
REPLICASET = "ReplicaSet"
WORKLOAD_KINDS = (DEPLOYMENT, REPLICASET)


# ---------------------------------------------------------------- user operations (API writes)


@attrs.frozen
class CreateDeployment:
    name: str
    spec: DeploymentSpec


@attrs.frozen
class CreateReplicaSet:
    name: str
    spec: ReplicaSetSpec


@attrs.frozen
class Scale:
    kind: str
    name: str
    replicas: int


@attrs.frozen
class UpdateTemplate:
    """Replace the pod template (a new image or pod behaviour): a rollout for a Deployment."""

    kind: str
    name: str
    template: PodTemplate


@attrs.frozen
class SetStrategy:
    name: str
    strategy: DeploymentStrategy


@attrs.frozen
class SetPaused:
    name: str
    paused: bool


@attrs.frozen
class Rollback:
    """`kubectl rollout undo`: copy the template of the ReplicaSet with `to_revision` (0 = the previous
    revision) into the Deployment. A no-op when that revision no longer exists."""

    name: str
    to_revision: int = 0


@attrs.frozen
class DeleteWorkload:
    kind: str
    name: str


# ---------------------------------------------------------------- world operations


POD_FAIL = "fail"  # the pod's containers exit non-zero; phase Failed (restartPolicy Always pods too)
POD_DELETE = "delete"  # someone deletes the pod (graceful; the kubelet finishes the deletion)
POD_UNREADY = "unready"  # the readiness probe starts failing, and keeps failing
POD_READY = "ready"  # the readiness probe passes again
POD_ACTIONS = (POD_FAIL, POD_DELETE, POD_UNREADY, POD_READY)
# the container crashes and the kubelet restarts it in place (restartCount + 1, phase stays Running): not
# Ready until the template's ready_after has passed again. ReplicaSet and Deployment pods only, for now.
POD_CRASH = "crash"
REPLICA_POD_ACTIONS = (*POD_ACTIONS, POD_CRASH)


@attrs.frozen
class PodAction:
    """Act on the `index`-th pod (modulo their number) of the workload's active pods, ordered by
    `kubeprops.scenario.view.pod_order`. Nothing happens when the workload has no active pod."""

    kind: str
    name: str
    index: int
    action: str


@attrs.frozen
class CreateBarePod:
    """Create a pod directly (as `kubectl run` does): no ownerReference, labels and behaviour from
    `template`, scheduled and run by the kubelets like a controller's pod. A ReplicaSet whose selector
    matches its labels adopts it (ref controller_ref_manager.go ClaimObject)."""

    name: str
    template: PodTemplate


@attrs.frozen
class RelabelPod:
    """Replace the labels of the `index`-th active pod (modulo their number, `view.pod_order`) of the
    workload. When its controller's selector no longer matches them the controller releases the pod: it
    keeps running as an orphan and a replacement is created. Nothing happens without an active pod (and
    then nothing is validated: the API server rejects invalid labels only on a write). For a Job (pods in
    `batch.job_pod_order`) the labels never match its selector again: that is the generated
    `batch.kubernetes.io/controller-uid=<uid>`, whose uid a scenario cannot know."""

    kind: str
    name: str
    index: int
    labels: Labels = attrs.field(converter=labels)


@attrs.frozen
class OrphanPod:
    """Remove the controller ownerReference of the `index`-th active pod (modulo their number, in the
    workload's pod order: `batch.job_pod_order` for Jobs) of the workload, as the conformance test
    "Jobs, orphan pods, re-adoption" does. While the workload's selector still matches the pod's labels, its
    controller adopts it again (for a Job with its tracking finalizer, ref controller_ref_manager.go
    AdoptPod). Nothing happens without an active pod. Jobs only for now."""

    kind: str
    name: str
    index: int


@attrs.frozen
class NodeJoin:
    name: str
    labels: Labels = attrs.field(default=(), converter=labels)


@attrs.frozen
class NodeLeave:
    """The node is deleted; its pods are garbage-collected and replaced elsewhere."""

    name: str


@attrs.frozen
class Advance:
    """Let `seconds` of (virtual or real) time pass while the controllers run."""

    seconds: int


UserOperation = (
    CreateDeployment
    | CreateReplicaSet
    | Scale
    | UpdateTemplate
    | SetStrategy
    | SetPaused
    | Rollback
    | DeleteWorkload
)
WorldOperation = PodAction | CreateBarePod | RelabelPod | OrphanPod | NodeJoin | NodeLeave | Advance
Operation = UserOperation | WorldOperation

# StatefulSet and DaemonSet operations are defined with their vocabulary in `apps_extra`.
APPS_KINDS = (STATEFULSET, DAEMONSET)
Operation = Operation | AppsOperation

# Job and CronJob operations are defined with their vocabulary in `batch` (which imports `view`, not this).
from .batch import CRONJOB, JOB, BatchOperation  # noqa: E402

BATCH_KINDS = (JOB, CRONJOB)
Operation = Operation | BatchOperation

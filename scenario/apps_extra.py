"""StatefulSet and DaemonSet vocabulary: specs with API defaults, views with status, node extensions, and the
operations that act on them.

Plain frozen data, as in `spec`, `view` and `ops`. Defaults are those `SetDefaults_StatefulSet` and
`SetDefaults_DaemonSet` apply (apps/v1, v1.35), so a spec built with no arguments is what the API server
would store; except a StatefulSet's `maxUnavailable`, defaulted to 1 here as with the
MaxUnavailableStatefulSet gate on: the gate is off by default, and the API server then drops the field (the
model does too). A spec may still be invalid on purpose; validation lives in
`kubeprops.reference_model.apps_validation`.

ref kubernetes/kubernetes:pkg/apis/apps/v1/defaults.go (SetDefaults_StatefulSet, SetDefaults_DaemonSet)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from .spec import ROLLING_UPDATE, IntOrPercent, Labels, PodBehavior, labels
from .view import OwnerRef, PodView

STATEFULSET, DAEMONSET = "StatefulSet", "DaemonSet"
ON_DELETE = "OnDelete"
ORDERED_READY, PARALLEL = "OrderedReady", "Parallel"
RETAIN, DELETE = "Retain", "Delete"

# pod labels the controllers set
CONTROLLER_REVISION_HASH = "controller-revision-hash"
STATEFULSET_POD_NAME = "statefulset.kubernetes.io/pod-name"
POD_INDEX = "apps.kubernetes.io/pod-index"

# taint effects and toleration operators (core/v1)
NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE = "NoSchedule", "PreferNoSchedule", "NoExecute"
EQUAL, EXISTS = "Equal", "Exists"
# node selector operators (core/v1 NodeSelectorOperator)
IN, NOT_IN, OP_EXISTS, DOES_NOT_EXIST, GT, LT = "In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"
NODE_NAME_FIELD = "metadata.name"
READY_AT_ONCE = PodBehavior(ready_after=0)
# node Ready condition status
READY_TRUE, READY_FALSE, READY_UNKNOWN = "True", "False", "Unknown"


def _labels(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    return labels(value)


def _iop_or_none(raw: int | str | IntOrPercent | None) -> IntOrPercent | None:
    return None if raw is None else IntOrPercent.parse(raw)


def _iop(raw: int | str | IntOrPercent) -> IntOrPercent:
    return IntOrPercent.parse(raw)


# ---------------------------------------------------------------- scheduling vocabulary


@attrs.frozen
class Taint:
    key: str
    effect: str  # NoSchedule | PreferNoSchedule | NoExecute
    value: str = ""


@attrs.frozen
class Toleration:
    """`operator` "" means Equal; an empty `key` with Exists tolerates every taint; an empty `effect` every
    effect."""

    key: str = ""
    operator: str = EQUAL
    value: str = ""
    effect: str = ""


@attrs.frozen
class NodeSelectorRequirement:
    key: str
    operator: str  # In | NotIn | Exists | DoesNotExist | Gt | Lt
    values: tuple[str, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class NodeSelectorTerm:
    """One term of `requiredDuringSchedulingIgnoredDuringExecution`: every requirement must hold."""

    match_expressions: tuple[NodeSelectorRequirement, ...] = attrs.field(default=(), converter=tuple)
    match_fields: tuple[NodeSelectorRequirement, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class AppsPodTemplate:
    """A pod template with the scheduling fields StatefulSets and DaemonSets need.

    `required_node_affinity` is the list of nodeSelectorTerms (ORed); None means the pod has no required
    node affinity at all (different from an empty list, which matches no node).
    """

    labels: Labels = attrs.field(converter=_labels)
    image: str = "app:v1"
    behavior: PodBehavior = READY_AT_ONCE
    node_selector: Labels = attrs.field(default=(), converter=_labels)
    tolerations: tuple[Toleration, ...] = attrs.field(default=(), converter=tuple)
    required_node_affinity: tuple[NodeSelectorTerm, ...] | None = None
    host_network: bool = False
    node_name: str = ""
    restart_policy: str = "Always"

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


# ---------------------------------------------------------------- StatefulSet spec


@attrs.frozen
class StatefulSetRollingUpdate:
    partition: int = 0
    max_unavailable: IntOrPercent | None = attrs.field(default=IntOrPercent(1), converter=_iop_or_none)


@attrs.frozen
class StatefulSetUpdateStrategy:
    """Pass `rolling_update=None` with type RollingUpdate for the no-block quirk (fact sheet 3.1)."""

    type: str = ROLLING_UPDATE
    rolling_update: StatefulSetRollingUpdate | None = attrs.field()

    @rolling_update.default
    def _default_rolling_update(self) -> StatefulSetRollingUpdate | None:
        return StatefulSetRollingUpdate() if self.type == ROLLING_UPDATE else None


@attrs.frozen
class PersistentVolumeClaimRetentionPolicy:
    when_deleted: str = RETAIN
    when_scaled: str = RETAIN


@attrs.frozen
class StatefulSetSpec:
    template: AppsPodTemplate
    selector: Labels = attrs.field(converter=_labels)
    replicas: int = 1
    service_name: str = ""
    pod_management_policy: str = ORDERED_READY
    update_strategy: StatefulSetUpdateStrategy = StatefulSetUpdateStrategy()
    ordinals_start: int = 0
    min_ready_seconds: int = 0
    revision_history_limit: int = 10
    volume_claim_templates: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    persistent_volume_claim_retention_policy: PersistentVolumeClaimRetentionPolicy = (
        PersistentVolumeClaimRetentionPolicy()
    )

    @selector.default
    def _default_selector(self) -> Labels:
        return self.template.labels


# ---------------------------------------------------------------- DaemonSet spec


@attrs.frozen
class DaemonSetRollingUpdate:
    max_unavailable: IntOrPercent = attrs.field(default=IntOrPercent(1), converter=_iop)
    max_surge: IntOrPercent = attrs.field(default=IntOrPercent(0), converter=_iop)


@attrs.frozen
class DaemonSetUpdateStrategy:
    type: str = ROLLING_UPDATE
    rolling_update: DaemonSetRollingUpdate | None = attrs.field()

    @rolling_update.default
    def _default_rolling_update(self) -> DaemonSetRollingUpdate | None:
        return DaemonSetRollingUpdate() if self.type == ROLLING_UPDATE else None


@attrs.frozen
class DaemonSetSpec:
    template: AppsPodTemplate
    selector: Labels = attrs.field(converter=_labels)
    update_strategy: DaemonSetUpdateStrategy = DaemonSetUpdateStrategy()
    min_ready_seconds: int = 0
    revision_history_limit: int = 10

    @selector.default
    def _default_selector(self) -> Labels:
        return self.template.labels


# ---------------------------------------------------------------- views


@attrs.frozen
class StatefulSetStatus:
    observed_generation: int = 0
    replicas: int = 0
    ready_replicas: int = 0
    current_replicas: int = 0
    updated_replicas: int = 0
    available_replicas: int = 0
    current_revision: str = ""
    update_revision: str = ""
    collision_count: int = 0


@attrs.frozen
class StatefulSetView:
    name: str
    uid: str
    generation: int
    spec: StatefulSetSpec
    status: StatefulSetStatus = StatefulSetStatus()
    created: float = 0.0
    deleting: bool = False


@attrs.frozen
class DaemonSetStatus:
    current_number_scheduled: int = 0
    number_misscheduled: int = 0
    desired_number_scheduled: int = 0
    number_ready: int = 0
    observed_generation: int = 0
    updated_number_scheduled: int = 0
    number_available: int = 0
    number_unavailable: int = 0
    collision_count: int = 0


@attrs.frozen
class DaemonSetView:
    name: str
    uid: str
    generation: int
    spec: DaemonSetSpec
    status: DaemonSetStatus = DaemonSetStatus()
    created: float = 0.0
    deleting: bool = False


@attrs.frozen
class ControllerRevisionView:
    """A ControllerRevision: `name` is `<owner>-<hash>`, `hash` its controller-revision-hash label value."""

    name: str
    owner: OwnerRef
    revision: int
    template: AppsPodTemplate
    hash: str


@attrs.frozen
class PersistentVolumeClaimView:
    name: str
    uid: str
    owners: tuple[OwnerRef, ...] = attrs.field(default=(), converter=tuple)
    labels: Labels = attrs.field(default=(), converter=_labels)
    deleting: bool = False


@attrs.frozen
class AppsNodeView:
    """A node with what DaemonSet eligibility reads: labels, `spec.taints`, `spec.unschedulable` and the
    Ready condition ("True", "False", "Unknown"). `taints` are the taints the user set; the ones the node
    lifecycle controller derives from `unschedulable` and `ready` are added by
    `reference_model.node_eligibility.effective_taints`."""

    name: str
    labels: Labels = attrs.field(default=(), converter=_labels)
    taints: tuple[Taint, ...] = attrs.field(default=(), converter=tuple)
    unschedulable: bool = False
    ready: str = READY_TRUE


# ---------------------------------------------------------------- operations


@attrs.frozen
class CreateStatefulSet:
    name: str
    spec: StatefulSetSpec


@attrs.frozen
class CreateDaemonSet:
    name: str
    spec: DaemonSetSpec


@attrs.frozen
class ScaleStatefulSet:
    name: str
    replicas: int


@attrs.frozen
class UpdateAppsTemplate:
    """Replace the pod template of a StatefulSet or DaemonSet (`kind`): a new revision."""

    kind: str
    name: str
    template: AppsPodTemplate


@attrs.frozen
class SetStatefulSetUpdateStrategy:
    name: str
    strategy: StatefulSetUpdateStrategy


@attrs.frozen
class SetPartition:
    """Edit `updateStrategy.rollingUpdate.partition` (creating the block if absent)."""

    name: str
    partition: int


@attrs.frozen
class SetOrdinalsStart:
    name: str
    start: int


@attrs.frozen
class SetPodManagementPolicy:
    """Immutable upstream: the API server rejects any change; kept so properties can check that."""

    name: str
    policy: str


@attrs.frozen
class SetPVCRetentionPolicy:
    name: str
    policy: PersistentVolumeClaimRetentionPolicy


@attrs.frozen
class SetDaemonSetUpdateStrategy:
    name: str
    strategy: DaemonSetUpdateStrategy


@attrs.frozen
class DeleteAppsWorkload:
    kind: str
    name: str


@attrs.frozen
class StatefulPodAction:
    """Act (fail / delete / unready / ready, as `ops.PodAction`) on the pod of ordinal `ordinal`; nothing
    happens when that pod does not exist."""

    name: str
    ordinal: int
    action: str


@attrs.frozen
class DaemonPodAction:
    """Act on the DaemonSet's non-deleting pod on `node` (the oldest one); nothing when there is none."""

    name: str
    node: str
    action: str


@attrs.frozen
class AddNode:
    name: str
    labels: Labels = attrs.field(default=(), converter=_labels)
    taints: tuple[Taint, ...] = attrs.field(default=(), converter=tuple)
    unschedulable: bool = False


@attrs.frozen
class RemoveNode:
    """The node object is deleted; pod GC force-deletes its pods."""

    name: str


@attrs.frozen
class SetNodeLabels:
    name: str
    labels: Labels = attrs.field(converter=_labels)


@attrs.frozen
class SetNodeTaints:
    name: str
    taints: tuple[Taint, ...] = attrs.field(converter=tuple)


@attrs.frozen
class CordonNode:
    """`kubectl cordon` (unschedulable=True) or `uncordon` (False)."""

    name: str
    unschedulable: bool = True


@attrs.frozen
class SetNodeReady:
    """The node's Ready condition becomes `status` ("True", "False" = NotReady, "Unknown" = unreachable)."""

    name: str
    status: str


@attrs.frozen
class AdvanceTime:
    seconds: int


AppsUserOperation = (
    CreateStatefulSet
    | CreateDaemonSet
    | ScaleStatefulSet
    | UpdateAppsTemplate
    | SetStatefulSetUpdateStrategy
    | SetPartition
    | SetOrdinalsStart
    | SetPodManagementPolicy
    | SetPVCRetentionPolicy
    | SetDaemonSetUpdateStrategy
    | DeleteAppsWorkload
)
AppsWorldOperation = (
    StatefulPodAction
    | DaemonPodAction
    | AddNode
    | RemoveNode
    | SetNodeLabels
    | SetNodeTaints
    | CordonNode
    | SetNodeReady
    | AdvanceTime
)
AppsOperation = AppsUserOperation | AppsWorldOperation


@attrs.frozen
class AppsClusterView:
    """One snapshot of the StatefulSet / DaemonSet world, as an adapter reports it."""

    now: float
    statefulsets: tuple[StatefulSetView, ...] = ()
    daemonsets: tuple[DaemonSetView, ...] = ()
    revisions: tuple[ControllerRevisionView, ...] = ()
    pods: tuple[PodView, ...] = ()
    claims: tuple[PersistentVolumeClaimView, ...] = ()
    nodes: tuple[AppsNodeView, ...] = ()

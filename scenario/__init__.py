"""The shared vocabulary of kubeprops: workload specs, operations and observed state.

Everything here is plain frozen data. The reference model, the adapters and the properties all speak
it; it imports nothing else of kubeprops.
"""

from .errors import InvalidSpec
from .ops import (
    DEPLOYMENT,
    REPLICASET,
    Advance,
    CreateBarePod,
    CreateDeployment,
    CreateReplicaSet,
    DeleteWorkload,
    NodeJoin,
    NodeLeave,
    Operation,
    OrphanPod,
    PodAction,
    RelabelPod,
    Rollback,
    Scale,
    SetPaused,
    SetStrategy,
    UpdateTemplate,
)
from .spec import (
    DeploymentSpec,
    DeploymentStrategy,
    IntOrPercent,
    PodBehavior,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
    labels,
)
from .view import ClusterView, Condition, DeploymentView, NodeView, PodView, ReplicaSetView

__all__ = [
    "DEPLOYMENT",
    "REPLICASET",
    "Advance",
    "ClusterView",
    "Condition",
    "CreateBarePod",
    "CreateDeployment",
    "CreateReplicaSet",
    "DeleteWorkload",
    "DeploymentSpec",
    "DeploymentStrategy",
    "DeploymentView",
    "IntOrPercent",
    "InvalidSpec",
    "NodeJoin",
    "NodeLeave",
    "NodeView",
    "Operation",
    "OrphanPod",
    "PodAction",
    "PodBehavior",
    "PodTemplate",
    "PodView",
    "RelabelPod",
    "ReplicaSetSpec",
    "ReplicaSetView",
    "Rollback",
    "RollingUpdate",
    "Scale",
    "SetPaused",
    "SetStrategy",
    "UpdateTemplate",
    "labels",
]

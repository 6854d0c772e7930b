"""A real upstream control plane on 127.0.0.1 that kubeprops builds from source and starts itself.

    from kubeprops.cluster import running_cluster
    with running_cluster(tmp_dir) as cluster:
        ...  # cluster.kubeconfig, cluster.context, cluster.server

`build_control_plane()` compiles etcd and the three Kubernetes binaries of the pinned release once per
machine (cached); `start_cluster`/`stop_cluster` run them with generated certificates and RBAC on.
"""

from .build import build_control_plane, is_built
from .errors import ControlPlaneError
from .lifecycle import ClusterHandle, cluster_status, running_cluster, start_cluster, stop_cluster

__all__ = [
    "ClusterHandle",
    "ControlPlaneError",
    "build_control_plane",
    "cluster_status",
    "is_built",
    "running_cluster",
    "start_cluster",
    "stop_cluster",
]

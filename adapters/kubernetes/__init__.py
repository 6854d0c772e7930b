"""The Kubernetes adapter: any real cluster (kind, the local control plane) behind the adapter protocol.

The only place kubeprops imports the official `kubernetes` client.
"""

from .adapter import KubernetesAdapter, kubernetes_factory
from .client import ConfigError

__all__ = ["ConfigError", "KubernetesAdapter", "kubernetes_factory"]

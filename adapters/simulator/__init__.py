"""The embedded simulator: an in-process mini control plane with a virtual clock.

An independent implementation of the ReplicaSet and Deployment controllers (never the reference
model), with an API store, informer caches, a scheduler, kubelets and garbage collection.
"""

from .adapter import SimulatorAdapter, simulator_factory
from .cluster import Cluster

__all__ = ["Cluster", "SimulatorAdapter", "simulator_factory"]

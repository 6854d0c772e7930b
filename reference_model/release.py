"""Behaviour switches that differ between the upstream releases kubeprops supports (1.31-1.35).

Each switch is a feature gate at its default for that release (fact sheet section 7):

* `terminating_replicas`: `DeploymentReplicaSetTerminatingReplicas` (alpha, off, in 1.33-1.34; beta, on,
  in 1.35): ReplicaSet and Deployment status report `terminatingReplicas`; before that the field is nil.
* `logarithmic_scale_down`: `LogarithmicScaleDown` (beta 1.22, GA 1.31): the ReplicaSet deletion comparator
  compares log2 age buckets with a UID tie-break instead of raw times.
* `pod_deletion_cost`: `PodDeletionCost` (beta, on, since 1.22; still beta in 1.35): the
  `controller.kubernetes.io/pod-deletion-cost` annotation ranks pods for deletion.
* `max_unavailable_statefulset`: `MaxUnavailableStatefulSet` (alpha 1.24-1.34, beta in 1.35 but still off by
  default): off in every supported release, so the API server drops a StatefulSet's
  `rollingUpdate.maxUnavailable` and the controller updates one pod at a time. On only for a cluster that
  enables the gate (`attrs.evolve(release, max_unavailable_statefulset=True)`).

ref kubernetes/kubernetes:pkg/features/kube_features.go (defaultVersionedKubernetesFeatureGates)
"""

from __future__ import annotations

import re

import attrs

MIN_MINOR = 31
MAX_MINOR = 35
SUPPORTED = f"v1.{MIN_MINOR}-v1.{MAX_MINOR}"

_VERSION = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?([-+].*)?$")


@attrs.frozen
class Release:
    version: str
    terminating_replicas: bool
    logarithmic_scale_down: bool = True
    pod_deletion_cost: bool = True
    max_unavailable_statefulset: bool = False


V1_35 = Release(version="v1.35.4", terminating_replicas=True)
DEFAULT = V1_35


def _minor(version: str) -> int:
    match = _VERSION.match(version.strip())
    if match is None or match.group(1) != "1":
        raise ValueError(
            f"cannot read Kubernetes version {version!r}; expected a server version like 'v1.35.4' "
            f"(supported: {SUPPORTED})"
        )
    return int(match.group(2))


def for_version(version: str) -> Release:
    """The switches of the server release `version` ("v1.34.2", "1.33", "v1.35.0-gke.1")."""
    minor = _minor(version)
    if not MIN_MINOR <= minor <= MAX_MINOR:
        raise ValueError(
            f"Kubernetes {version} is not supported; kubeprops models {SUPPORTED} "
            f"(pass one of those versions or use release.DEFAULT)"
        )
    # Gate defaults per release: only DeploymentReplicaSetTerminatingReplicas changes inside 1.31-1.35
    # (MaxUnavailableStatefulSet turned beta in 1.35 but stayed off by default).
    return Release(version=version, terminating_replicas=minor >= 35)

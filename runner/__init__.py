"""kubeprops: property-based conformance tests for Kubernetes workload controllers."""

__version__ = "0.1.0"

#: The upstream release the reference model follows (see reference_model/release.py).
PINNED_RELEASE = "v1.35.4"

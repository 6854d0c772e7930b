"""Simulated kube-controller-manager controllers (ReplicaSet, Deployment) and their plumbing."""

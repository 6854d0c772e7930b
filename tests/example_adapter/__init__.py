"""A third party's adapter, written against kubeprops' public API only (the README's worked example).

`capped` is a made-up ReplicaSet implementation with a bug: it silently clamps `spec.replicas` to five.
It is built on the embedded simulator, with the bug where such an implementation would have it (in what
it stores); kubeprops knows nothing about it.
"""

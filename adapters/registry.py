"""Adapters chosen by name: `load_adapter_factory("simulator", nodes=5)`.

Entries are "module:attribute" strings imported on demand, so choosing the simulator never imports
the Kubernetes client and vice versa.
"""

from __future__ import annotations

import functools
import importlib

from .protocol import AdapterFactory

ADAPTERS: dict[str, str] = {
    "simulator": "kubeprops.adapters.simulator.adapter:simulator_factory",
    "kubernetes": "kubeprops.adapters.kubernetes.adapter:kubernetes_factory",
}


# How to ask a target which Kubernetes release it runs, so the model follows that release: a
# "module:function" taking the adapter's options and returning a version like "v1.34.2". Adapters
# without an entry implement the pinned release (the simulator does).
VERSIONS: dict[str, str] = {
    "kubernetes": "kubeprops.adapters.kubernetes.client:server_version",
}


class UnknownAdapter(ValueError):
    """No adapter is registered under that name; the message lists the known ones."""


def target_version(name: str, default: str, **options: object) -> str:
    """The release the target `name` runs (`default` for adapters that cannot say)."""
    if name not in VERSIONS:
        return default
    module_name, _, attribute = VERSIONS[name].partition(":")
    return getattr(importlib.import_module(module_name), attribute)(**options)


def load_adapter_factory(name: str, **options: object) -> AdapterFactory:
    """The factory registered under `name`, with `options` bound as keyword arguments."""
    if name not in ADAPTERS:
        known = ", ".join(sorted(ADAPTERS))
        raise UnknownAdapter(f"unknown adapter {name!r}; known adapters: {known}")
    module_name, _, attribute = ADAPTERS[name].partition(":")
    factory = getattr(importlib.import_module(module_name), attribute)
    return functools.partial(factory, **options) if options else factory

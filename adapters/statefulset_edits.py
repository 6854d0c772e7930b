"""The StatefulSet spec operations every adapter writes the same way (a mixin over `_create` and `_edit`).

A user operation on a StatefulSet is one API write: a create, or a read-change-replace of its spec. What
changes in the manifest does not depend on the target (the manifests are `kube_objects_statefulset`'s), so
the simulator adapter and the Kubernetes adapter share these; each adds what is its own (pod actions, views).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubeprops.adapters import kube_objects_statefulset as kos
from kubeprops.scenario import apps_extra as apps

Obj = dict[str, Any]
STATEFULSET = "StatefulSet"


class StatefulSetEdits:
    # provided by the adapter: create a manifest; change the spec of a named object and write it back
    _create: Callable[[str, Obj], None]
    _edit: Callable[[str, str, Callable[[Obj], None]], None]

    def _apply_CreateStatefulSet(self, op: apps.CreateStatefulSet) -> None:
        self._create(STATEFULSET, kos.statefulset_manifest(op.name, op.spec))

    def _apply_ScaleStatefulSet(self, op: apps.ScaleStatefulSet) -> None:
        self._edit(STATEFULSET, op.name, lambda spec: spec.update(replicas=op.replicas))

    def _apply_SetStatefulSetUpdateStrategy(self, op: apps.SetStatefulSetUpdateStrategy) -> None:
        strategy = kos.statefulset_strategy_manifest(op.strategy)
        self._edit(STATEFULSET, op.name, lambda spec: spec.update(updateStrategy=strategy))

    def _apply_SetPartition(self, op: apps.SetPartition) -> None:
        def change(spec: Obj) -> None:
            # the block is created when absent, with the defaults the API server gives it
            strategy = spec.setdefault("updateStrategy", {"type": "RollingUpdate"})
            block = strategy.setdefault("rollingUpdate", {"maxUnavailable": 1})
            block["partition"] = op.partition

        self._edit(STATEFULSET, op.name, change)

    def _apply_SetOrdinalsStart(self, op: apps.SetOrdinalsStart) -> None:
        self._edit(STATEFULSET, op.name, lambda spec: spec.update(ordinals={"start": op.start}))

    def _apply_SetPodManagementPolicy(self, op: apps.SetPodManagementPolicy) -> None:
        self._edit(STATEFULSET, op.name, lambda spec: spec.update(podManagementPolicy=op.policy))

    def _apply_SetPVCRetentionPolicy(self, op: apps.SetPVCRetentionPolicy) -> None:
        policy = kos.retention_manifest(op.policy)
        self._edit(
            STATEFULSET, op.name, lambda spec: spec.update(persistentVolumeClaimRetentionPolicy=policy)
        )

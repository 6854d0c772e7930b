"""The simulator adapter's CronJob operations: create, edit and delete CronJobs, and their ClusterView field.

A mixin of `SimulatorAdapter` next to `BatchOperations` (which routes `SetSuspend` of a CronJob here).
CronJobs have no status.observedGeneration either: `apply` runs the cluster to idle at the instant.
"""

from __future__ import annotations

from collections.abc import Callable

from kubeprops.adapters import kube_objects_cron as kc
from kubeprops.adapters.cronjob_edits import CronJobEdits
from kubeprops.scenario import batch
from kubeprops.scenario.errors import InvalidSpec

from .cluster import Cluster
from .objects import CRONJOB, Obj, clone
from .store import AlreadyExists


class CronJobOperations(CronJobEdits):
    cluster: Cluster

    def _apply_CreateCronJob(self, op: batch.CreateCronJob) -> None:
        try:
            self.cluster.store.create(CRONJOB, kc.cronjob_manifest(op.name, op.spec))
        except AlreadyExists as exc:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {exc}") from None

    def _edit_cronjob(self, name: str, change: Callable[[Obj], None]) -> None:
        current = self.cluster.store.get(CRONJOB, name)
        if current is None:
            return
        edited = clone(current)
        change(edited["spec"])
        self.cluster.store.update(CRONJOB, edited)

    def _apply_DeleteCronJob(self, op: batch.DeleteCronJob) -> None:
        """A DELETE without options: the store removes the CronJob; the simulator's garbage collector then
        deletes its Jobs (and their pods) as the GC would with batch/v1's default, background propagation."""
        if self.cluster.store.get(CRONJOB, op.name) is not None:
            self.cluster.store.delete(CRONJOB, op.name)

    def _cronjob_views(self) -> dict[str, tuple]:
        cronjobs = sorted(self.cluster.store.list(CRONJOB), key=lambda o: o["metadata"]["name"])
        return {"cronjobs": tuple(kc.cronjob_view(c) for c in cronjobs)} if cronjobs else {}

"""`KubernetesAdapter`: a real cluster behind the adapter protocol.

Each run creates one namespace and its own virtual nodes, both labelled `kubeprops.io/run=<run>`, and
touches nothing else; `close` deletes exactly those and waits until they are gone. Spec writes return
once the owning controller observed the new generation, as the protocol asks. Time is wall-clock time:
no VIRTUAL_CLOCK, so `advance` really waits; no INTERLEAVINGS (the real schedule is what it is); no
SYNC_TRACE (the per-sync property is skipped).

NodeLeave deletes the Node (and its Lease). Its pods stay bound to the missing node until the
controller-manager's pod GC force-deletes them: pod GC checks every 20 s and waits a 40 s quarantine
for a node that is missing (pkg/controller/podgc/gc_controller.go, gcCheckPeriod, quarantineTime), so
they go 40-60 s later, and only then are they replaced. `settle` waits for that.

The run's objects are read from a watch cache (`watch_cache`: LIST once, then WATCH each kind): `settle`,
`advance` and the waits after writes sleep on it until the next event or the next timer that can change
their verdict (`settle.next_timer`), instead of listing the namespace again and again.

The operations live in mixins by kind: `adapter_workloads` (ReplicaSet, Deployment, pods, node join and
leave), `adapter_apps` (DaemonSet, node edits), `adapter_statefulset`, `adapter_batch` (Job),
`adapter_cronjob`. Claims of StatefulSets are bound by the adapter's own provisioner (`volumes`), run by
the kubelet stand-in's loop, which also reacts to the cache's events.
"""

from __future__ import annotations

import contextlib
import logging
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kubeprops.adapters.protocol import NODE_OPERATIONS, POD_FAULTS, Observer, RunContext, SettleResult
from kubeprops.scenario import apps_extra, batch, ops
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.view import ClusterView

from . import pod_status as ps
from . import settle as st
from . import views
from .adapter_apps import AppsOperations
from .adapter_batch import BatchOperations
from .adapter_cronjob import CronJobOperations, cronjob_reason
from .adapter_statefulset import StatefulSetOperations
from .adapter_workloads import WorkloadOperations
from .client import Api, Conflict, NotFound, Obj, load_api_client
from .kubelet import RUN_LABEL, VirtualKubelet
from .manifests import Placement
from .volumes import ClaimProvisioner
from .watch_cache import Reading, WatchCache

log = logging.getLogger(__name__)

OBSERVE_TIMEOUT = 30.0  # seconds apply() waits for the controller to observe a write
QUIET = 1.0  # seconds without any watch event before a settled-looking namespace counts as settled
MAX_SETTLE = 150.0  # real seconds settle() waits at most, whatever the property's budget
CLOSE_TIMEOUT = 120.0
INSTANT_TIMEOUT = 30.0  # seconds a DaemonSet / Job / node operation waits for the immediate reactions
INSTANT_QUIET = 0.3  # ... and for how long nothing may change after them
WORKLOAD_KINDS = (
    "CronJob",
    "Deployment",
    "ReplicaSet",
    "DaemonSet",
    "StatefulSet",
    "ControllerRevision",
    "Job",
    "Pod",
    "PersistentVolumeClaim",
)
OWNER_KINDS = ("CronJob", "Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job")  # orphaned on close
# Operations after which, as on the simulator, the adapter waits for what the controllers do at once.
FINISH_INSTANT = (apps_extra.AppsOperation, batch.BatchOperation)


def run_name(ctx: RunContext) -> str:
    """A DNS-1123 label unique per run and worker: kp-<worker>-<run id>-<random>."""
    raw = re.sub(r"[^a-z0-9-]+", "-", f"{ctx.worker}-{ctx.run_id}".lower()).strip("-")
    return f"kp-{raw[:40].strip('-')}-{uuid.uuid4().hex[:6]}"


class KubernetesAdapter(
    WorkloadOperations, AppsOperations, StatefulSetOperations, BatchOperations, CronJobOperations
):
    def __init__(
        self,
        ctx: RunContext | None = None,
        *,
        kubeconfig: str | Path | None = None,
        context: str | None = None,
        nodes: int = 3,
        node_operations: bool = True,
        max_settle: float = MAX_SETTLE,
        wait_for_namespace: bool = True,
    ) -> None:
        self.ctx = ctx or RunContext()
        self.capabilities = frozenset({POD_FAULTS, *([NODE_OPERATIONS] if node_operations else [])})
        self.max_settle = max_settle
        self.wait_for_namespace = wait_for_namespace
        self.api = Api(load_api_client(kubeconfig, context))
        self.run = self.namespace = run_name(self.ctx)
        self.placement = Placement(self.run, f"{self.run}-")
        self.t0 = float(int(time.time()))  # whole seconds: API timestamps are whole seconds too
        self.epoch = datetime.fromtimestamp(self.t0, UTC)
        selector = f"{RUN_LABEL}={self.run}"
        self.cache = WatchCache(
            self.api,
            self.namespace,
            WORKLOAD_KINDS,
            {"Node": selector, "PersistentVolume": selector, "Namespace": selector},
        )
        self.volumes = ClaimProvisioner(self.api, self.cache, self.namespace, self.run)
        self.kubelet = VirtualKubelet(
            self.api, self.cache, self.namespace, self.run, chores=(self.volumes.sync_once,)
        )
        self._closed = False
        try:
            meta = {"name": self.namespace, "labels": {RUN_LABEL: self.run}}
            self.api.create("Namespace", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
            self.cache.start()
            for i in range(nodes):
                self.kubelet.add_node(self.placement.node_name(f"node-{i}"))
            self.kubelet.start()
        except BaseException:
            self.close()
            raise

    # ------------------------------------------------------------ protocol

    def apply(self, op: ops.Operation) -> None:
        handler = getattr(self, f"_apply_{type(op).__name__}", None)
        if handler is None:
            raise TypeError(f"the kubernetes adapter does not support {type(op).__name__}")
        handler(op)
        if isinstance(op, FINISH_INSTANT) and not isinstance(op, apps_extra.AdvanceTime):
            self._finish_instant()

    def advance(self, seconds: float, observer: Observer | None = None) -> None:
        """Let `seconds` of real time pass; the observer sees every change of the namespace meanwhile."""
        deadline = time.monotonic() + seconds
        last = None
        self.cache.caught_up()
        while time.monotonic() < deadline:
            reading = self.cache.read()
            if observer is not None and reading.changes != last:
                last = reading.changes
                observer(self._view(reading.objects))
            self.cache.wait(reading.version, deadline - time.monotonic())

    def settle(self, timeout: float, observer: Observer | None = None) -> SettleResult:
        """Wait until `settle.unsettled_reason` finds nothing and no event came for QUIET seconds; checked
        again on each event and at the next timer that can change the verdict, never on a fixed beat."""
        start = time.monotonic()
        budget = min(timeout, self.max_settle)
        last = None
        self.cache.caught_up()
        while True:
            reading = self.cache.read()
            now, wall = time.monotonic(), time.time()
            if observer is not None and reading.changes != last:
                last = reading.changes
                observer(self._view(reading.objects))
            quiet_since = max(start, reading.changed_at)
            snapshot = reading.objects
            reason = st.unsettled_reason(
                snapshot,
                set(self.kubelet.nodes),
                wall,
                self._kubelet_waits,
                schedulable=self._schedulable(snapshot),
            )
            if not reason and now - quiet_since >= QUIET:
                return SettleResult(True, now - start)
            if now - start >= budget:
                why = reason or "objects still changing"
                return SettleResult(False, now - start, f"not settled after {budget:g}s of real time: {why}")
            wake = start + budget
            if not reason:
                wake = min(wake, quiet_since + QUIET)
            timer = st.next_timer(snapshot, wall)
            if timer is not None:
                wake = min(wake, now + timer - wall)
            self.cache.wait(reading.version, wake - now)

    def observe(self) -> ClusterView:
        self.cache.caught_up()
        return self._view(self.cache.read().objects)

    def close(self) -> None:
        """Empty and delete the namespace, delete the nodes and their Leases; wait until all are gone.

        The pods are orphaned and deleted at once (grace 0) so nothing replaces them and no kubelet is
        needed to finish them. The namespace itself goes 5 s later whatever it holds (the namespace
        controller's fixed namespaceDeletionGracePeriod); with `wait_for_namespace=False` close returns
        once it is empty and Terminating, which saves those 5 s per example in long runs.
        """
        if self._closed:
            return
        self._closed = True
        deadline = time.monotonic() + CLOSE_TIMEOUT
        try:
            for kind in OWNER_KINDS:
                self.api.delete(kind, self.namespace, "", propagationPolicy="Orphan")
            self.api.delete("Pod", self.namespace, "", gracePeriodSeconds=0)
            self._drop_pod_finalizers()
            self.api.delete("Namespace", "", self.namespace, propagationPolicy="Background")
        finally:
            self.kubelet.stop()
            for name in list(self.kubelet.nodes):
                self.kubelet.remove_node(name)
            self.volumes.remove_all()
            try:
                self._await_gone(deadline)
            finally:
                self.cache.close()
                self.api.close()

    def _drop_pod_finalizers(self) -> None:
        """Job pods keep the job-tracking finalizer until their (now orphaning) Job counts them: drop it,
        so the pods and the namespace can go."""
        for pod in self.api.list("Pod", self.namespace):
            if pod["metadata"].get("finalizers"):
                patch = {"metadata": {"finalizers": None}}
                # the Job controller may release it (and its deletion complete) after our list
                with contextlib.suppress(NotFound):
                    self.api.merge_patch("Pod", self.namespace, pod["metadata"]["name"], patch)

    def _await_gone(self, deadline: float) -> None:
        """Wait on the watch cache until the run's nodes, volumes and namespace are gone."""
        if not self.cache.started:  # __init__ failed before starting it
            try:
                self.cache.start()
            except Exception:
                log.warning("kubernetes adapter %s: cannot watch the deletions", self.run, exc_info=True)
                return
        self.cache.wait_until(
            lambda: not self._leftovers(self.cache.read().objects), deadline - time.monotonic()
        )

    def _leftovers(self, objects: dict[str, list[Obj]]) -> bool:
        if objects["Node"] or objects["PersistentVolume"]:
            return True
        if self.wait_for_namespace:
            return bool(objects["Namespace"])
        return any(objects[kind] for kind in WORKLOAD_KINDS)

    # ------------------------------------------------------------ reading

    def _snapshot(self) -> dict[str, list[Obj]]:
        """The cached objects (the run's namespace, its nodes and volumes), with our own writes in."""
        self.cache.caught_up()
        return self.cache.read().objects

    def _view(self, snapshot: dict[str, list[Obj]]) -> ClusterView:
        # now = time.time() - t0 and epoch = t0: epoch + now is the wall-clock time of the view
        return views.cluster_view(
            snapshot, snapshot["Node"], self.placement, time.time() - self.t0, self.epoch
        )

    def _schedulable(self, snapshot: dict[str, list[Obj]]) -> Callable[[Obj], bool]:
        """`settle.can_schedule` against the run's nodes."""
        claims = {c["metadata"]["name"]: c for c in snapshot["PersistentVolumeClaim"]}
        return lambda pod: st.can_schedule(pod, snapshot["Node"], claims)

    def _kubelet_waits(self, pod: Obj) -> bool:
        return self.kubelet.waiting(pod, time.time())

    def _kubelet_due(self, pod: Obj) -> bool:
        return self.kubelet.mine(pod) and bool(ps.due_action(pod, time.time(), *self.kubelet.facts(pod)))

    def _finish_instant(self) -> None:
        """Wait until the controllers and our kubelet did what they do at once after an operation (what
        is left waits for a timer), as the simulator runs to idle at the instant; bounded, since a
        real cluster may also just be slow (the next settle then says so)."""
        start = time.monotonic()
        self.cache.caught_up()
        while time.monotonic() - start < INSTANT_TIMEOUT:
            reading = self.cache.read()
            now = time.monotonic()
            quiet_since = max(start, reading.changed_at)
            busy = self._instant_busy(reading)
            if not busy and now - quiet_since >= INSTANT_QUIET:
                return
            # busy: what is due happens at once and shows as an event (a due pod is played by our kubelet)
            wake = start + INSTANT_TIMEOUT if busy else quiet_since + INSTANT_QUIET
            self.cache.wait(reading.version, wake - now)

    def _instant_busy(self, reading: Reading) -> str:
        snapshot = reading.objects
        nodes, schedulable = set(self.kubelet.nodes), self._schedulable(snapshot)
        return st.unsettled_reason(
            snapshot, nodes, time.time(), self._kubelet_due, timers=False, schedulable=schedulable
        ) or next(filter(None, (cronjob_reason(c, snapshot["Job"]) for c in snapshot["CronJob"])), "")

    # ------------------------------------------------------------ writing

    def _create(self, kind: str, manifest: Obj) -> None:
        try:
            created = self.api.create(kind, self.namespace, self.placement.inject(manifest))
        except Conflict as err:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {err}") from None
        self._await_observed(kind, created)

    def _edit(self, kind: str, name: str, change: Callable[[Obj], None]) -> None:
        """Read, change the spec, replace; a conflict (the controller wrote status meanwhile) retries."""
        for _ in range(20):
            current = self.api.get(kind, self.namespace, name)
            if current is None:
                return
            change(current["spec"])
            try:
                written = self.api.update(kind, self.namespace, current)
            except Conflict:
                continue
            self._await_observed(kind, written)
            return
        raise RuntimeError(f"{kind} {name}: 20 conflicting writes in a row")

    def _await_observed(self, kind: str, written: Obj) -> None:
        """Wait until the controller observed the generation we wrote (or the object is gone)."""
        meta = written["metadata"]

        def observed() -> bool:
            obj = self.cache.get(kind, meta["name"])
            if obj is None or obj["metadata"]["uid"] != meta["uid"]:
                return True  # deleted (the cache has our write, see caught_up)
            return (obj.get("status") or {}).get("observedGeneration", 0) >= meta.get("generation", 0)

        self.cache.caught_up()
        self.cache.wait_until(observed, OBSERVE_TIMEOUT)


def kubernetes_factory(ctx: RunContext, **options: object) -> KubernetesAdapter:
    """Build an adapter for one run; options: kubeconfig, context, nodes, node_operations, max_settle,
    wait_for_namespace."""
    return KubernetesAdapter(ctx, **options)  # type: ignore[arg-type]

"""`SimulatorAdapter`: the embedded simulator behind the adapter protocol.

A user operation is one API write (a rejected write raises `InvalidSpec` and creates nothing),
after which the cluster runs until the owning controller has observed it (status.observedGeneration
caught up with metadata.generation). World operations act through the kubelets and node objects;
`Advance` lets virtual time pass. An operation naming a workload, pod or node that does not exist
is a no-op, as `Rollback` to a missing revision is.

By default `apply` then runs every actor until idle at the current instant (no virtual time
passes), as the reference model does; `finish_instant=False` returns as soon as the controller has
observed the write, so the next operation races the rest of this one's work.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.adapters.protocol import (
    INTERLEAVINGS,
    NODE_OPERATIONS,
    POD_FAULTS,
    SYNC_TRACE,
    VIRTUAL_CLOCK,
    Observer,
    RunContext,
    SettleResult,
)
from kubeprops.scenario import ops
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.trace import SyncRecord
from kubeprops.scenario.view import ClusterView, pod_order

from . import mutations as mutation_registry
from .adapter_apps import AppsOperations
from .adapter_batch import BatchOperations
from .adapter_cronjob import CronJobOperations
from .cluster import DEFAULT_NODES, Cluster, Livelock
from .controllers.common import is_pod_active
from .objects import DEPLOYMENT, JOB, NODE, POD, REPLICASET, Obj, clone, controller_uid
from .store import AlreadyExists
from .tracing import SyncTracer

OBSERVE_STEPS = 10_000  # bound on the steps apply() waits for the controller
VIEW_CACHE_SIZE = 20_000
OBSERVE_SECONDS = 30.0  # ... and on the virtual time it lets pass (retries after injected faults)
HASH_LABEL = "pod-template-hash"


class SimulatorAdapter(AppsOperations, BatchOperations, CronJobOperations):
    capabilities = frozenset({VIRTUAL_CLOCK, INTERLEAVINGS, NODE_OPERATIONS, POD_FAULTS, SYNC_TRACE})

    def __init__(
        self,
        ctx: RunContext | None = None,
        *,
        nodes: int = DEFAULT_NODES,
        node_capacity: int = 110,
        faults: Mapping[str, float] | None = None,
        mutations: Iterable[str] = (),
        finish_instant: bool = True,
    ) -> None:
        self.ctx = ctx or RunContext()
        self.finish_instant = finish_instant
        self._undo = mutation_registry.install(tuple(mutations))
        self.cluster = Cluster(self.ctx.seed, nodes=nodes, node_capacity=node_capacity, faults=faults)
        self._views: dict[tuple[str, str], object] = {}
        self._tracer: SyncTracer | None = None
        self._looping = ""  # why the last operation's instant never went idle ("" when it did)

    # ------------------------------------------------------------ protocol

    def apply(self, op: ops.Operation) -> None:
        handler = getattr(self, f"_apply_{type(op).__name__}", None)
        if handler is None:
            raise TypeError(f"the simulator does not support {type(op).__name__}")
        handler(op)
        if self.finish_instant:
            # Virtual time makes it free to finish all work at this instant, as the reference model
            # does after each operation; otherwise the next edit would race the previous one's syncs.
            try:
                self.cluster.run_until_idle()
                self._looping = ""
            except Livelock as exc:
                # upstream's controllers loop like this too (e.g. a StatefulSet sync that creates and
                # deletes a pod while the API server rejects its status): the next operation may end it,
                # else `settle` reports it as not settled
                self._looping = str(exc)

    def advance(self, seconds: float, observer: Observer | None = None) -> None:
        self._with_observer(observer, lambda: self.cluster.advance(seconds))

    def settle(self, timeout: float, observer: Observer | None = None) -> SettleResult:
        start = self.cluster.clock.now
        if self._looping:
            return SettleResult(False, 0.0, f"controllers loop without settling: {self._looping}")
        try:
            settled, waited = self._with_observer(observer, lambda: self.cluster.settle(timeout))
        except Livelock as exc:
            return SettleResult(False, self.cluster.clock.now - start, str(exc))
        reason = "" if settled else f"still changing after {timeout}s of virtual time"
        return SettleResult(settled, waited, reason)

    def observe(self) -> ClusterView:
        """A snapshot; per-object views are cached by resourceVersion (objects are immutable)."""
        store = self.cluster.store
        if len(self._views) > VIEW_CACHE_SIZE:
            self._views.clear()
        return ClusterView(
            now=self.cluster.clock.now,
            epoch=ko.SIM_EPOCH.timestamp(),
            deployments=self._converted(store.list(DEPLOYMENT), ko.deployment_view),
            replicasets=self._converted(store.list(REPLICASET), ko.replicaset_view),
            pods=self._converted(store.list(POD), ko.pod_view),
            nodes=self._converted(store.list(NODE), koa.node_view),  # with taints and Ready status
            **self._job_views(),
            **self._cronjob_views(),
            **self._apps_views(),
        )

    def _converted(self, objects: list[Obj], convert: Callable[[Obj], object]) -> tuple:
        views = []
        for obj in sorted(objects, key=lambda o: o["metadata"]["name"]):
            key = (obj["kind"], obj["metadata"]["resourceVersion"])
            view = self._views.get(key)
            if view is None:
                view = self._views[key] = convert(obj)
            views.append(view)
        return tuple(views)

    def start_sync_trace(self) -> None:
        if self._tracer is None:
            self._tracer = self.cluster.new_tracer()
            self.cluster.trace_syncs(self._tracer)

    def take_sync_trace(self) -> tuple[SyncRecord, ...]:
        return self._tracer.take() if self._tracer is not None else ()

    def close(self) -> None:
        mutation_registry.uninstall(self._undo)
        self._undo = []
        self.cluster = Cluster(self.ctx.seed, nodes=0)
        self._views.clear()

    # ------------------------------------------------------------ helpers

    def _with_observer(self, observer: Observer | None, run):  # noqa: ANN001, ANN202
        if observer is None:
            return run()
        self.cluster.on_change = lambda: observer(self.observe())
        try:
            return run()
        finally:
            self.cluster.on_change = None

    def _create(self, kind: str, manifest: Obj) -> None:
        try:
            self.cluster.store.create(kind, manifest)
        except AlreadyExists as exc:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {exc}") from None
        self._await_observed(kind, manifest["metadata"]["name"])

    def _edit(self, kind: str, name: str, change) -> None:  # noqa: ANN001
        current = self.cluster.store.get(kind, name)
        if current is None:
            return
        edited = clone(current)
        change(edited["spec"])
        self.cluster.store.update(kind, edited)
        self._await_observed(kind, name)

    def _observed(self, kind: str, name: str) -> bool:
        obj = self.cluster.store.get(kind, name)
        if obj is None:
            return True
        return (obj.get("status") or {}).get("observedGeneration", 0) >= obj["metadata"]["generation"]

    def _await_observed(self, kind: str, name: str) -> None:
        cluster = self.cluster
        limit = cluster.clock.now + OBSERVE_SECONDS
        for _ in range(OBSERVE_STEPS):
            if self._observed(kind, name):
                return
            if not cluster.step():
                next_timer = cluster.clock.next_timer()
                if next_timer is None or next_timer > limit:
                    return
                cluster.advance(next_timer - cluster.clock.now)

    # ------------------------------------------------------------ user operations

    def _apply_CreateDeployment(self, op: ops.CreateDeployment) -> None:
        self._create(DEPLOYMENT, ko.deployment_manifest(op.name, op.spec))

    def _apply_CreateReplicaSet(self, op: ops.CreateReplicaSet) -> None:
        self._create(REPLICASET, ko.replicaset_manifest(op.name, op.spec))

    def _apply_Scale(self, op: ops.Scale) -> None:
        self._edit(op.kind, op.name, lambda spec: spec.update(replicas=op.replicas))

    def _apply_UpdateTemplate(self, op: ops.UpdateTemplate) -> None:
        template = ko.pod_template_manifest(op.template)
        self._edit(op.kind, op.name, lambda spec: spec.update(template=template))

    def _apply_SetStrategy(self, op: ops.SetStrategy) -> None:
        strategy = ko.strategy_manifest(op.strategy)
        self._edit(DEPLOYMENT, op.name, lambda spec: spec.update(strategy=strategy))

    def _apply_SetPaused(self, op: ops.SetPaused) -> None:
        def change(spec: Obj) -> None:
            if op.paused:
                spec["paused"] = True
            else:
                spec.pop("paused", None)

        self._edit(DEPLOYMENT, op.name, change)

    def _apply_Rollback(self, op: ops.Rollback) -> None:
        """`kubectl rollout undo`: copy an old RS's template (minus the hash label) into the spec.

        ref: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go (DeploymentRollbacker)
        """
        d = self.cluster.store.get(DEPLOYMENT, op.name)
        if d is None or d["spec"].get("paused"):
            return  # kubectl refuses to roll back a paused deployment
        target = rollback_target(self._owned_replicasets(d), op.to_revision)
        if target is None:
            return
        template = clone(target["spec"]["template"])
        template["metadata"]["labels"].pop(HASH_LABEL, None)
        if template != d["spec"]["template"]:
            self._edit(DEPLOYMENT, op.name, lambda spec: spec.update(template=template))

    def _owned_replicasets(self, d: Obj) -> list[Obj]:
        uid = d["metadata"]["uid"]
        return [rs for rs in self.cluster.store.list(REPLICASET) if controller_uid(rs) == uid]

    def _apply_DeleteWorkload(self, op: ops.DeleteWorkload) -> None:
        if self.cluster.store.get(op.kind, op.name) is not None:
            self.cluster.store.delete(op.kind, op.name)

    # ------------------------------------------------------------ world operations

    def _apply_PodAction(self, op: ops.PodAction) -> None:
        pod = self._pick_pod(op)
        if pod is None:
            return
        if op.action == ops.POD_DELETE:
            self.cluster.store.delete(POD, pod["metadata"]["name"])
            return
        kubelet = self.cluster.kubelets.get(pod["spec"].get("nodeName", ""))
        if kubelet is None:
            return  # unscheduled, or its node is gone: no kubelet to act
        actions = {
            ops.POD_FAIL: kubelet.fail,
            ops.POD_UNREADY: kubelet.make_unready,
            ops.POD_READY: kubelet.make_ready,
            ops.POD_CRASH: kubelet.crash,
        }
        actions[op.action](pod)

    def _apply_CreateBarePod(self, op: ops.CreateBarePod) -> None:
        try:
            self.cluster.store.create(POD, ko.bare_pod_manifest(op.name, op.template))
        except AlreadyExists as exc:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {exc}") from None

    def _apply_RelabelPod(self, op: ops.RelabelPod) -> None:
        if op.kind == JOB:
            self._relabel_job_pod(op)
            return
        pod = self._pick_pod(op)
        if pod is None:
            return
        relabelled = clone(pod)
        relabelled["metadata"]["labels"] = dict(op.labels)  # admission validates them (validate_pod)
        self.cluster.store.update(POD, relabelled)

    def _pick_pod(self, op: ops.PodAction | ops.RelabelPod) -> Obj | None:
        store = self.cluster.store
        if op.kind == REPLICASET:
            rs = store.get(REPLICASET, op.name)
            owners = {rs["metadata"]["uid"]} if rs else set()
        else:
            d = store.get(DEPLOYMENT, op.name)
            owners = {rs["metadata"]["uid"] for rs in self._owned_replicasets(d)} if d else set()
        pods = [p for p in store.list(POD) if controller_uid(p) in owners and is_pod_active(p)]
        if not pods:
            return None
        pods.sort(key=lambda p: pod_order(ko.pod_view(p)))
        return pods[op.index % len(pods)]

    def _apply_NodeJoin(self, op: ops.NodeJoin) -> None:
        if self.cluster.store.get(NODE, op.name) is None:
            self.cluster.add_node(op.name, op.labels)

    def _apply_NodeLeave(self, op: ops.NodeLeave) -> None:
        self.cluster.remove_node(op.name)

    def _apply_Advance(self, op: ops.Advance) -> None:
        self.cluster.advance(op.seconds)


def rollback_target(rss: list[Obj], to_revision: int) -> Obj | None:
    """The RS with `to_revision`, or for 0 the one with the second-highest revision.

    ref: staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go (deploymentRevision)
    """

    def revision(rs: Obj) -> int:
        raw = (rs["metadata"].get("annotations") or {}).get("deployment.kubernetes.io/revision", "")
        return int(raw) if raw.isdigit() else -1

    ranked = sorted((rs for rs in rss if revision(rs) >= 0), key=revision, reverse=True)
    if to_revision > 0:
        return next((rs for rs in ranked if revision(rs) == to_revision), None)
    return ranked[1] if len(ranked) > 1 else None


def simulator_factory(ctx: RunContext, **options: object) -> SimulatorAdapter:
    """Build a simulator for one run; options: nodes, node_capacity, faults, mutations,
    finish_instant."""
    return SimulatorAdapter(ctx, **options)  # type: ignore[arg-type]

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
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import attrs

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters import kube_objects_apps as koa
from kubeprops.adapters import kube_objects_batch as kb
from kubeprops.adapters.protocol import NODE_OPERATIONS, POD_FAULTS, Observer, RunContext, SettleResult
from kubeprops.scenario import apps_extra, batch, ops
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.view import POD_TEMPLATE_HASH, REVISION, ClusterView, pod_order

from . import pod_status as ps
from . import settle as st
from .adapter_apps import AppsOperations
from .adapter_batch import BatchOperations
from .client import Api, Conflict, NotFound, Obj, load_api_client
from .kubelet import RUN_LABEL, VirtualKubelet
from .manifests import Placement

POLL = 0.1
OBSERVE_TIMEOUT = 30.0  # seconds apply() waits for the controller to observe a write
QUIET = 1.0  # seconds without any change before a settled-looking namespace counts as settled
MAX_SETTLE = 150.0  # real seconds settle() waits at most, whatever the property's budget
CLOSE_TIMEOUT = 120.0
INSTANT_TIMEOUT = 30.0  # seconds a DaemonSet / Job / node operation waits for the immediate reactions
INSTANT_QUIET = 0.3  # ... and for how long nothing may change after them
WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "DaemonSet", "ControllerRevision", "Job", "Pod")
OWNER_KINDS = ("Deployment", "ReplicaSet", "DaemonSet", "Job")  # orphaned, then deleted, on close
# Operations after which, as on the simulator, the adapter waits for what the controllers do at once.
FINISH_INSTANT = (apps_extra.AppsOperation, batch.BatchOperation)


def run_name(ctx: RunContext) -> str:
    """A DNS-1123 label unique per run and worker: kp-<worker>-<run id>-<random>."""
    raw = re.sub(r"[^a-z0-9-]+", "-", f"{ctx.worker}-{ctx.run_id}".lower()).strip("-")
    return f"kp-{raw[:40].strip('-')}-{uuid.uuid4().hex[:6]}"


class KubernetesAdapter(AppsOperations, BatchOperations):
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
        self.kubelet = VirtualKubelet(self.api, self.namespace, self.run)
        self._closed = False
        try:
            meta = {"name": self.namespace, "labels": {RUN_LABEL: self.run}}
            self.api.create("Namespace", "", {"apiVersion": "v1", "kind": "Namespace", "metadata": meta})
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
        deadline = time.monotonic() + seconds
        last = None
        while time.monotonic() < deadline:
            snapshot = self._snapshot()
            if observer is not None and st.fingerprint(snapshot) != last:
                last = st.fingerprint(snapshot)
                observer(self._view(snapshot))
            time.sleep(min(POLL * 2, max(0.0, deadline - time.monotonic())))

    def settle(self, timeout: float, observer: Observer | None = None) -> SettleResult:
        start = time.monotonic()
        budget = min(timeout, self.max_settle)
        last, quiet_since, reason = None, start, ""
        while True:
            now = time.monotonic()
            snapshot = self._snapshot()
            fp = st.fingerprint(snapshot)
            if fp != last:
                last, quiet_since = fp, now
                if observer is not None:
                    observer(self._view(snapshot))
            reason = st.unsettled_reason(snapshot, set(self.kubelet.nodes), time.time(), self._kubelet_waits)
            if not reason and now - quiet_since >= QUIET:
                return SettleResult(True, now - start)
            if now - start >= budget:
                why = reason or "objects still changing"
                return SettleResult(False, now - start, f"not settled after {budget:g}s of real time: {why}")
            time.sleep(POLL)

    def observe(self) -> ClusterView:
        return self._view(self._snapshot())

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
            try:
                while self._leftovers() and time.monotonic() < deadline:
                    time.sleep(0.2)
            finally:
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

    def _leftovers(self) -> bool:
        if self.api.list("Node", selector=f"{RUN_LABEL}={self.run}"):
            return True
        if self.wait_for_namespace:
            return self.api.get("Namespace", "", self.namespace) is not None
        return any(self.api.list(kind, self.namespace) for kind in WORKLOAD_KINDS)

    # ------------------------------------------------------------ reading

    def _snapshot(self) -> dict[str, list[Obj]]:
        return {kind: self.api.list(kind, self.namespace) for kind in WORKLOAD_KINDS}

    def _view(self, snapshot: dict[str, list[Obj]]) -> ClusterView:
        p = self.placement
        nodes = self.api.list("Node", selector=f"{RUN_LABEL}={self.run}")
        now, epoch = time.time() - self.t0, self.epoch
        base = ko.cluster_view(
            now,
            deployments=[p.strip_workload(o) for o in snapshot["Deployment"]],
            replicasets=[p.strip_workload(o) for o in snapshot["ReplicaSet"]],
            pods=[p.strip_pod(o) for o in snapshot["Pod"]],
            epoch=epoch,
        )
        pods = [p.strip_pod(o) for o in by_name(snapshot["Pod"])]
        job_pods = (kb.job_pod_view(o, epoch=epoch) for o in pods)
        return attrs.evolve(
            base,
            # with taints and the Ready condition's exact status, as the simulator reports them
            nodes=tuple(koa.node_view(p.strip_node(o), epoch=epoch) for o in by_name(nodes)),
            daemonsets=tuple(
                koa.daemonset_view(p.strip_workload(o), epoch=epoch) for o in by_name(snapshot["DaemonSet"])
            ),
            controller_revisions=tuple(
                koa.controller_revision_view(p.strip_revision(o))
                for o in by_name(snapshot["ControllerRevision"])
            ),
            jobs=tuple(kb.job_view(p.strip_workload(o), epoch=epoch) for o in by_name(snapshot["Job"])),
            job_pods=tuple(v for v in job_pods if v is not None),
        )

    def _kubelet_waits(self, pod: Obj) -> bool:
        return self.kubelet.waiting(pod, time.time())

    def _kubelet_due(self, pod: Obj) -> bool:
        return self.kubelet.mine(pod) and bool(ps.due_action(pod, time.time(), *self.kubelet.facts(pod)))

    def _finish_instant(self) -> None:
        """Wait until the controllers and our kubelet did what they do at once after an operation (what
        is left waits for a timer), as the simulator runs to idle at the instant; bounded, since a
        real cluster may also just be slow (the next settle then says so)."""
        start = time.monotonic()
        last, quiet_since = None, start
        while time.monotonic() - start < INSTANT_TIMEOUT:
            now = time.monotonic()
            snapshot = self._snapshot()
            fp = st.fingerprint(snapshot)
            if fp != last:
                last, quiet_since = fp, now
            nodes = set(self.kubelet.nodes)
            busy = st.unsettled_reason(snapshot, nodes, time.time(), self._kubelet_due, timers=False)
            if not busy and now - quiet_since >= INSTANT_QUIET:
                return
            time.sleep(POLL / 2)

    # ------------------------------------------------------------ writing

    def _create(self, kind: str, manifest: Obj) -> None:
        try:
            self.api.create(kind, self.namespace, self.placement.inject(manifest))
        except Conflict as err:
            raise InvalidSpec("metadata.name", f"AlreadyExists: {err}") from None
        self._await_observed(kind, manifest["metadata"]["name"])

    def _edit(self, kind: str, name: str, change: Callable[[Obj], None]) -> None:
        """Read, change the spec, replace; a conflict (the controller wrote status meanwhile) retries."""
        for _ in range(20):
            current = self.api.get(kind, self.namespace, name)
            if current is None:
                return
            change(current["spec"])
            try:
                self.api.update(kind, self.namespace, current)
            except Conflict:
                continue
            self._await_observed(kind, name)
            return
        raise RuntimeError(f"{kind} {name}: 20 conflicting writes in a row")

    def _await_observed(self, kind: str, name: str) -> None:
        deadline = time.monotonic() + OBSERVE_TIMEOUT
        while time.monotonic() < deadline:
            obj = self.api.get(kind, self.namespace, name)
            if obj is None or (obj.get("status") or {}).get("observedGeneration", 0) >= obj["metadata"].get(
                "generation", 0
            ):
                return
            time.sleep(POLL / 2)

    # ------------------------------------------------------------ user operations

    def _apply_CreateDeployment(self, op: ops.CreateDeployment) -> None:
        self._create("Deployment", ko.deployment_manifest(op.name, op.spec))

    def _apply_CreateReplicaSet(self, op: ops.CreateReplicaSet) -> None:
        self._create("ReplicaSet", ko.replicaset_manifest(op.name, op.spec))

    def _apply_Scale(self, op: ops.Scale) -> None:
        self._edit(op.kind, op.name, lambda spec: spec.update(replicas=op.replicas))

    def _apply_UpdateTemplate(self, op: ops.UpdateTemplate) -> None:
        template = self.placement.inject_template(ko.pod_template_manifest(op.template))
        self._edit(op.kind, op.name, lambda spec: spec.update(template=template))

    def _apply_SetStrategy(self, op: ops.SetStrategy) -> None:
        strategy = ko.strategy_manifest(op.strategy)
        self._edit("Deployment", op.name, lambda spec: spec.update(strategy=strategy))

    def _apply_SetPaused(self, op: ops.SetPaused) -> None:
        def change(spec: Obj) -> None:
            if op.paused:
                spec["paused"] = True
            else:
                spec.pop("paused", None)

        self._edit("Deployment", op.name, change)

    def _apply_Rollback(self, op: ops.Rollback) -> None:
        """`kubectl rollout undo` (staging/src/k8s.io/kubectl/pkg/polymorphichelpers/rollback.go)."""
        d = self.api.get("Deployment", self.namespace, op.name)
        if d is None or d["spec"].get("paused"):
            return  # kubectl refuses to roll back a paused deployment
        owned = [
            rs
            for rs in self.api.list("ReplicaSet", self.namespace)
            if st.controller_uid(rs) == d["metadata"]["uid"]
        ]
        target = rollback_target(owned, op.to_revision)
        if target is None:
            return
        template = target["spec"]["template"]
        template["metadata"]["labels"].pop(POD_TEMPLATE_HASH, None)
        if template != d["spec"]["template"]:
            self._edit("Deployment", op.name, lambda spec: spec.update(template=template))

    def _apply_DeleteWorkload(self, op: ops.DeleteWorkload) -> None:
        self.api.delete(op.kind, self.namespace, op.name, propagationPolicy="Background")

    # ------------------------------------------------------------ world operations

    def _apply_PodAction(self, op: ops.PodAction) -> None:
        pod = self._pick_pod(op)
        if pod is None:
            return
        name = pod["metadata"]["name"]
        if op.action == ops.POD_DELETE:
            self.api.delete("Pod", self.namespace, name, preconditions={"uid": pod["metadata"]["uid"]})
        else:
            self.kubelet.write_pod(name, op.action)

    def _pick_pod(self, op: ops.PodAction) -> Obj | None:
        snapshot = self._snapshot()
        workload = next((o for o in snapshot[op.kind] if o["metadata"]["name"] == op.name), None)
        if workload is None:
            return None
        owners = {workload["metadata"]["uid"]}
        if op.kind == "Deployment":
            owners = {
                rs["metadata"]["uid"] for rs in snapshot["ReplicaSet"] if st.controller_uid(rs) in owners
            }
        pods = [p for p in snapshot["Pod"] if st.controller_uid(p) in owners and st.active(p)]
        if not pods:
            return None
        pods.sort(key=lambda p: pod_order(ko.pod_view(self.placement.strip_pod(p), epoch=self.epoch)))
        return pods[op.index % len(pods)]

    def _apply_NodeJoin(self, op: ops.NodeJoin) -> None:
        name = self.placement.node_name(op.name)
        if name not in self.kubelet.nodes:
            self.kubelet.add_node(name, op.labels)

    def _apply_NodeLeave(self, op: ops.NodeLeave) -> None:
        name = self.placement.node_name(op.name)
        if name in self.kubelet.nodes:
            self.kubelet.remove_node(name)

    def _apply_Advance(self, op: ops.Advance) -> None:
        self.advance(op.seconds)


def by_name(objs: list[Obj]) -> list[Obj]:
    return sorted(objs, key=lambda o: o["metadata"]["name"])


def rollback_target(rss: list[Obj], to_revision: int) -> Obj | None:
    """The RS with `to_revision`, or for 0 the one with the second-highest revision (kubectl's choice)."""

    def revision(rs: Obj) -> int:
        raw = (rs["metadata"].get("annotations") or {}).get(REVISION, "")
        return int(raw) if raw.isdigit() else -1

    ranked = sorted((rs for rs in rss if revision(rs) >= 0), key=revision, reverse=True)
    if to_revision > 0:
        return next((rs for rs in ranked if revision(rs) == to_revision), None)
    return ranked[1] if len(ranked) > 1 else None


def kubernetes_factory(ctx: RunContext, **options: object) -> KubernetesAdapter:
    """Build an adapter for one run; options: kubeconfig, context, nodes, node_operations, max_settle,
    wait_for_namespace."""
    return KubernetesAdapter(ctx, **options)  # type: ignore[arg-type]

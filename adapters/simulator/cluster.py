"""The simulated control plane: store, informers, controllers, scheduler, kubelets, GC, clock.

`step()` runs one actor that has work. With `seed == 0` the order is a fixed priority, bottom-up so
that every worker sees the settled result of those below it: pending watch events first (caches
are always fresh), then the ReplicaSet controller, the Deployment controller, the scheduler, the
kubelets by node name, the garbage collectors. With another seed a
`random.Random(seed)` picks among the ready actors, one event or one key at a time, so caches lag
and syncs interleave; a given seed always produces the same run.
"""

from __future__ import annotations

import copy
import heapq
from collections.abc import Callable, Mapping
from typing import Protocol

from kubeprops.adapters.kube_objects import node_manifest

from .client import Client
from .clock import Clock, SeededRandom, Timer
from .controllers.cronjob import CronJobController
from .controllers.daemonset import DaemonSetController
from .controllers.deployment import DeploymentController
from .controllers.job import JobController
from .controllers.replicaset import ReplicaSetController
from .controllers.statefulset import StatefulSetController
from .controllers.ttl import TTLAfterFinishedController
from .faults import FaultPlan
from .gc import GarbageCollector, PodGarbageCollector
from .informer import Informer
from .kubelet import Kubelet
from .livelock import REPEATS, LoopDetector
from .node_lifecycle import EVICT, NodeLifecycle
from .objects import (
    CONTROLLER_REVISION,
    CRONJOB,
    DAEMONSET,
    DEPLOYMENT,
    JOB,
    NODE,
    POD,
    PVC,
    REPLICASET,
    STATEFULSET,
    Obj,
)
from .pod_index import ActivePods
from .scheduler import Scheduler
from .store import Store, WatchEvent
from .tracing import SyncTracer

DEFAULT_NODES = 3
DEFAULT_MAX_STEPS = 200_000
WATCH_FOR_LOOPS_AFTER = 1_000  # steps at one instant; most instants take fewer
QUIET, CHANGE, TIMEOUT = "quiet", "change", "timeout"
LOOKAHEAD_SECONDS = 86_400.0  # how far past a settle deadline a fork looks for a change


class Actor(Protocol):
    name: str

    @property
    def pending(self) -> bool: ...

    def run_one(self) -> None: ...


class Livelock(RuntimeError):
    """The cluster kept working at one instant for more steps than allowed."""


class _Delivery:
    """An informer as an actor: one event per step (all pending events when `batch`)."""

    def __init__(self, informer: Informer, batch: bool) -> None:
        self.informer = informer
        self.name = f"informer/{informer.name}"
        self.batch = batch

    @property
    def pending(self) -> bool:
        return self.informer.pending

    def run_one(self) -> None:
        if self.batch:
            self.informer.deliver_all()
        else:
            self.informer.deliver_one()


class _Kubelets:
    """Every kubelet as one actor (seed 0): the first by node name with work runs one step. A heap of the
    nodes that were given work spares a scan of every kubelet per step (thousands of nodes)."""

    name = "kubelets"

    def __init__(self, kubelets: dict[str, Kubelet]) -> None:
        self.kubelets = kubelets
        self._heap: list[str] = []
        self._queued: set[str] = set()

    def notify(self, node: str) -> None:
        if node not in self._queued:
            self._queued.add(node)
            heapq.heappush(self._heap, node)

    def _top(self) -> Kubelet | None:
        while self._heap:
            kubelet = self.kubelets.get(self._heap[0])
            if kubelet is not None and kubelet.pending:
                return kubelet
            self._queued.discard(heapq.heappop(self._heap))
        return None

    @property
    def pending(self) -> bool:
        return self._top() is not None

    def run_one(self) -> None:
        kubelet = self._top()
        assert kubelet is not None
        kubelet.run_one()


class Cluster:
    def __init__(
        self,
        seed: int = 0,
        *,
        nodes: int = DEFAULT_NODES,
        node_capacity: int = 110,
        faults: Mapping[str, float] | None = None,
    ) -> None:
        self.seed = seed
        self.clock = Clock()
        self.store = Store(self.clock, SeededRandom(f"names-{seed}"))
        self.faults = FaultPlan(faults, seed)
        self._rng = SeededRandom(seed) if seed else None
        self.node_capacity = node_capacity
        self.client = Client(self.store, self.faults)
        self.deployment_informer = Informer("deployment", (DEPLOYMENT, REPLICASET, POD))
        self.replicaset_informer = Informer("replicaset", (REPLICASET, POD))
        for informer in (self.deployment_informer, self.replicaset_informer):
            self.store.watch(informer.on_watch)
        self.deployments = DeploymentController(self.client, self.deployment_informer, self.clock)
        self.replicasets = ReplicaSetController(self.client, self.replicaset_informer, self.clock)
        self.job_informer = Informer("job", (JOB, POD))
        self.store.watch(self.job_informer.on_watch)
        self.jobs = JobController(self.client, self.job_informer, self.clock)
        self.ttl_after_finished = TTLAfterFinishedController(self.client, self.job_informer, self.clock)
        self.cronjob_informer = Informer("cronjob", (CRONJOB, JOB))
        self.store.watch(self.cronjob_informer.on_watch)
        self.cronjobs = CronJobController(self.client, self.cronjob_informer, self.clock)
        self.daemonset_informer = Informer("daemonset", (DAEMONSET, CONTROLLER_REVISION, POD, NODE))
        self.store.watch(self.daemonset_informer.on_watch)
        self.daemonsets = DaemonSetController(self.client, self.daemonset_informer, self.clock)
        self.statefulset_informer = Informer("statefulset", (STATEFULSET, CONTROLLER_REVISION, POD, PVC))
        self.store.watch(self.statefulset_informer.on_watch)
        self.statefulsets = StatefulSetController(self.client, self.statefulset_informer, self.clock)
        self.node_lifecycle = NodeLifecycle(self.store, self.clock)
        self.scheduler = Scheduler(self.store)
        self.kubelets: dict[str, Kubelet] = {}
        self._kubelet_board = _Kubelets(self.kubelets)
        self._actors: list[Actor] | None = None
        self.store.watch(self._route_to_kubelet)
        self.gc = GarbageCollector(self.store)
        self.pod_gc = PodGarbageCollector(self.store, self.clock)
        self.active_pods = ActivePods(self.store)  # for the adapter's pod lookups, not the controllers
        self.steps = 0
        self._loops = LoopDetector(self.store)
        self.on_change: Callable[[], None] | None = None
        self._notified_version = 0
        for i in range(nodes):
            self.add_node(f"node-{i}")
        self.run_until_idle()
        self._notified_version = self.store.resource_version

    # ------------------------------------------------------------ nodes

    def add_node(
        self,
        name: str,
        labels: Mapping[str, str] | tuple[tuple[str, str], ...] = (),
        manifest: Obj | None = None,
    ) -> Obj:
        """Register a node; `manifest` (a whole Node, e.g. with taints) replaces the plain one."""
        items = labels.items() if isinstance(labels, Mapping) else labels
        self.kubelets[name] = kubelet = Kubelet(name, self.store, self.clock)
        kubelet.on_work = self._kubelet_board.notify
        self._actors = None
        return self.store.create(NODE, manifest or node_manifest(name, tuple(items), self.node_capacity))

    def remove_node(self, name: str) -> None:
        kubelet = self.kubelets.pop(name, None)
        if kubelet is not None:
            kubelet.alive = False
            self._actors = None
        if self.store.get(NODE, name) is not None:
            self.store.delete(NODE, name)

    def _route_to_kubelet(self, event: WatchEvent) -> None:
        if event.kind == POD:
            kubelet = self.kubelets.get(event.obj["spec"].get("nodeName", ""))
            if kubelet is not None:
                kubelet.on_pod(event)

    # ------------------------------------------------------------ scheduling of actors

    def actors(self) -> list[Actor]:
        """Every actor, in the seed-0 priority order."""
        if self._actors is None:
            batch = self._rng is None
            self._actors = [
                _Delivery(self.deployment_informer, batch),
                _Delivery(self.replicaset_informer, batch),
                self.replicasets,
                self.deployments,
                _Delivery(self.job_informer, batch),
                self.jobs,
                self.ttl_after_finished,
                _Delivery(self.cronjob_informer, batch),
                self.cronjobs,
                _Delivery(self.statefulset_informer, batch),
                self.statefulsets,
                self.node_lifecycle,
                self.scheduler,
                # seed 0: the first kubelet by name with work; otherwise each is an actor of its own
                *((self._kubelet_board,) if batch else (self.kubelets[n] for n in sorted(self.kubelets))),
                # after the scheduler and kubelets: one DaemonSet sync sees a whole wave of bindings and
                # starts (a sync walks every node, so one sync per pod event would be quadratic in nodes)
                _Delivery(self.daemonset_informer, batch),
                self.daemonsets,
                self.gc,
                self.pod_gc,
            ]
        return self._actors

    def _next_actor(self) -> Actor | None:
        actors = self.actors()
        if self._rng is not None:
            ready = [actor for actor in actors if actor.pending]
            return self._rng.choice(ready) if ready else None
        return next((actor for actor in actors if actor.pending), None)

    def step(self) -> bool:
        """Run one actor; False when nobody has work at this instant."""
        actor = self._next_actor()
        if actor is None:
            return False
        actor.run_one()
        self.steps += 1
        self._notify()
        return True

    def _notify(self) -> None:
        if self.store.resource_version != self._notified_version:
            self._notified_version = self.store.resource_version
            if self.on_change is not None:
                self.on_change()

    def run_until_idle(self, max_steps: int = DEFAULT_MAX_STEPS) -> int:
        for count in range(min(max_steps, WATCH_FOR_LOOPS_AFTER)):
            if not self.step():
                return count
        # a long instant: from here on a recurring store content is a loop (see livelock.py)
        self._loops.attach()
        try:
            for count in range(WATCH_FOR_LOOPS_AFTER, max_steps):
                if not self.step():
                    return count
                if self._loops.looping:
                    raise Livelock(
                        f"the store's content recurred {REPEATS} times after {count} steps at "
                        f"t={self.clock.now}s"
                    )
        finally:
            self._loops.detach()
        raise Livelock(f"still busy after {max_steps} steps at t={self.clock.now}s")

    def idle(self) -> bool:
        return self._next_actor() is None

    # ------------------------------------------------------------ time

    def _dispatch(self, timer: Timer) -> None:
        kind = timer[0]
        if kind == "enqueue":
            controller = self.deployments if timer[1] == self.deployments.name else self.replicasets
            batch = {c.name: c for c in (self.jobs, self.ttl_after_finished, self.cronjobs)}
            controller = batch.get(timer[1], controller)
            controller = self.daemonsets if timer[1] == self.daemonsets.name else controller
            controller = self.statefulsets if timer[1] == self.statefulsets.name else controller
            controller.queue.fire(timer[2])
        elif kind == "kubelet":
            kubelet = self.kubelets.get(timer[1])
            if kubelet is not None:
                kubelet.queue(timer[2], timer[3], timer[4])
        elif kind == "pod-gc":
            self.pod_gc.node_expired(timer[1])
        elif kind == EVICT:
            self.node_lifecycle.evict_due(timer[1], timer[2])

    def _fire_next_instant(self, limit: float) -> bool:
        when = self.clock.next_timer()
        if when is None or when > limit:
            return False
        self.clock.jump_to(when)
        self.clock.fire_due(self._dispatch)
        return True

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass: fire timers in time order, running to idle at every instant."""
        target = self.clock.now + seconds
        self.run_until_idle()
        while self._fire_next_instant(target):
            self.run_until_idle()
        self.clock.jump_to(target)

    def settle(self, timeout: float) -> tuple[bool, float]:
        """Run until nothing would change any more, or until `timeout` seconds have passed.

        Pending timers do not prevent settling when firing them changes nothing (a progress
        re-check of a Deployment that has completed meanwhile): a deep copy of the cluster looks
        ahead, past the deadline if need be; the real cluster only advances to the instant of the
        next real change. Returns (settled, seconds waited).
        """
        start = self.clock.now
        deadline = start + timeout
        self.run_until_idle()
        while (next_timer := self.clock.next_timer()) is not None:
            if next_timer <= deadline and any(map(self._certainly_changes, self.clock.due_next())):
                self.advance(next_timer - self.clock.now)
                continue
            verdict, when = self.fork().next_change(deadline + LOOKAHEAD_SECONDS)
            if verdict in (QUIET, TIMEOUT):
                # TIMEOUT: timers keep firing (a rate-limited progress re-check of a Deployment that
                # completed once and then lost a pod requeues forever upstream) but no object changes
                # before the horizon: as settled as a real cluster ever looks from outside.
                break
            if when > deadline:
                self.advance(deadline - self.clock.now)
                return False, self.clock.now - start
            self.advance(when - self.clock.now)
        return True, self.clock.now - start

    def _certainly_changes(self, timer: Timer) -> bool:
        """A kubelet or pod-GC timer whose pod or node is still there: no need to look ahead."""
        if timer[0] == "kubelet":
            pod = self.store.get(POD, timer[3])
            return pod is not None and pod["metadata"]["uid"] == timer[4] and timer[1] in self.kubelets
        if timer[0] == EVICT:
            return self.node_lifecycle.eviction_scheduled(timer[2])
        if timer[0] == "pod-gc":  # ... and only while pods are still bound to the gone node
            gone = self.store.get(NODE, timer[1]) is None
            return gone and any(p["spec"].get("nodeName") == timer[1] for p in self.store.list(POD))
        return False

    def fork(self) -> Cluster:
        """An independent copy (observers and sync tracing are not copied: a look-ahead is not part of
        the run); stored objects are shared, being copy-on-write (see Store.__deepcopy__)."""
        observer, self.on_change = self.on_change, None
        tracer = self.trace_syncs(None)
        try:
            return copy.deepcopy(self)
        finally:
            self.on_change = observer
            self.trace_syncs(tracer)

    def trace_syncs(self, tracer: SyncTracer | None) -> SyncTracer | None:
        """Install `tracer` on the traced controllers (None: stop tracing); returns the one it replaces."""
        previous = self.replicasets.tracer
        for controller in (
            self.replicasets,
            self.deployments,
            self.daemonsets,
            self.jobs,
            self.statefulsets,
            self.cronjobs,
        ):
            controller.tracer = tracer
        return previous

    def new_tracer(self) -> SyncTracer:
        return SyncTracer(self.client, self.clock)

    def next_change(self, deadline: float) -> tuple[str, float]:
        """Fire timers until the store changes (CHANGE, at that instant), the timers run out
        (QUIET) or the next timer lies beyond `deadline` (TIMEOUT). Consumes this cluster."""
        version = self.store.resource_version
        while True:
            if self.clock.next_timer() is None:
                return QUIET, self.clock.now
            if not self._fire_next_instant(deadline):
                return TIMEOUT, self.clock.now
            self.run_until_idle()
            if self.store.resource_version != version:
                return CHANGE, self.clock.now

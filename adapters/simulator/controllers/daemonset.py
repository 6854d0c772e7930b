"""The DaemonSet controller (kube-controller-manager `daemonset`, upstream v1.35).

Modelled: controller revisions (`daemonset_history`), one pod per eligible node created with a node
affinity pinning it to that node (the scheduler binds it), failed pods deleted with per-node exponential
back-off (1 s doubling to 15 min), excess pods pruned (the oldest kept; with surge one old and one new),
pods removed where they may not continue, RollingUpdate (`daemonset_update`) and OnDelete, expectations,
slow-start batches under the 250 burst, status as upstream counts it, the minReadySeconds re-syncs (status,
and a pod turning Ready).
Not modelled: orphan adoption and release (the simulator creates no orphans), hash collisions, the
deprecated templateGeneration, events. Nodes and pods are walked in name order (upstream walks a Go map).
ref: pkg/controller/daemon/daemon_controller.go (syncDaemonSet, manage, podsShouldBeOnNode, syncNodes,
updateDaemonSetStatus, storeDaemonSetStatus)
"""

from __future__ import annotations

import attrs

from ..client import Client
from ..clock import Clock
from ..informer import Informer
from ..objects import (
    CONTROLLER_REVISION,
    DAEMONSET,
    NODE,
    POD,
    Obj,
    clone,
    controller_ref,
    new_controller_ref,
)
from ..store import DELETED, ApiError, Conflict, NotFound
from ..tracing import SyncTracer
from . import common, daemonset_history, daemonset_update
from . import daemonset_util as util
from .workqueue import EXPECTATIONS_TIMEOUT, WorkQueue

BURST_REPLICAS = 250
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 900.0


@attrs.define
class _Expected:
    adds: int
    deletes: int
    at: float


@attrs.define
class _Backoff:
    delay: float
    updated: float


class DaemonSetController:
    name = "daemonset"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self.expected: dict[str, _Expected] = {}
        self.backoff: dict[str, _Backoff] = {}
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        informer.add_handler(DAEMONSET, lambda t, o, n: self.queue.add(n["metadata"]["name"]))
        informer.add_handler(CONTROLLER_REVISION, self._on_owned)
        informer.add_handler(POD, self._on_pod)
        informer.add_handler(NODE, lambda t, o, n: self._enqueue_all())

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        traced = self.tracer and self.tracer.begin(
            DAEMONSET, key, self.informer, self.satisfied(key), self._backoff_entries()
        )
        try:
            sync_daemonset(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            self.queue.forget(key)
            completed = True
        if self.tracer and traced:
            self.tracer.end(traced, completed)

    def _backoff_entries(self) -> tuple[tuple[str, float, float], ...]:
        return tuple(sorted((k, e.delay, e.updated) for k, e in self.backoff.items()))

    # ------------------------------------------------------------ events and expectations

    def _enqueue_all(self) -> None:
        for ds in self.informer.list(DAEMONSET):
            self.queue.add(ds["metadata"]["name"])

    def _owner(self, obj: Obj) -> str | None:
        ref = controller_ref(obj)
        if ref is None or ref["kind"] != DAEMONSET:
            return None
        ds = self.informer.get(DAEMONSET, ref["name"])
        return ref["name"] if ds is not None and ds["metadata"]["uid"] == ref["uid"] else None

    def _on_owned(self, type_: str, old: Obj | None, new: Obj) -> None:
        if (owner := self._owner(new)) is not None:
            self.queue.add(owner)

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        owner = self._owner(new)
        if owner is None:
            return
        exp = self.expected.get(owner)
        if exp is not None and old is None and type_ != DELETED:
            exp.adds -= 1
        if exp is not None and (
            type_ == DELETED
            or (
                new["metadata"].get("deletionTimestamp")
                and not (old and old["metadata"].get("deletionTimestamp"))
            )
        ):
            exp.deletes -= 1
        self.queue.add(owner)
        self._resync_when_available(owner, old, new)

    def _resync_when_available(self, owner: str, old: Obj | None, new: Obj) -> None:
        """A pod turned Ready under minReadySeconds: sync again once it is Available (plus a second of
        skew), else a surge whose new pod goes Available waits for the informer resync (the status
        re-sync does not fire while each node's oldest, old pod keeps numberReady == numberAvailable)."""
        # ref daemon_controller.go (updatePod: changedToReady && MinReadySeconds > 0 -> enqueueDaemonSetAfter)
        ds = self.informer.get(DAEMONSET, owner)
        mrs = ds["spec"].get("minReadySeconds", 0) if ds is not None else 0
        deleting = bool(new["metadata"].get("deletionTimestamp"))  # handled as a deletion upstream
        turned_ready = old is not None and not common.is_pod_ready(old) and common.is_pod_ready(new)
        if turned_ready and not deleting and mrs > 0:
            self.queue.add_after(owner, mrs + 1)

    def satisfied(self, key: str) -> bool:
        exp = self.expected.get(key)
        if exp is None or (exp.adds <= 0 and exp.deletes <= 0):
            return True
        return self.clock.now - exp.at > EXPECTATIONS_TIMEOUT

    # ------------------------------------------------------------ failed-pod back-off

    def in_backoff(self, key: str) -> bool:
        entry = self.backoff.get(key)
        if entry is None or self._expired(entry):
            return False
        return self.clock.now - entry.updated < entry.delay

    def _expired(self, entry: _Backoff) -> bool:
        return self.clock.now - entry.updated > 2 * BACKOFF_MAX

    def backoff_next(self, key: str) -> None:
        entry = self.backoff.get(key)
        if entry is None or self._expired(entry):
            self.backoff[key] = _Backoff(BACKOFF_INITIAL, self.clock.now)
        else:
            self.backoff[key] = _Backoff(min(entry.delay * 2, BACKOFF_MAX), self.clock.now)


# ---------------------------------------------------------------- the sync


def sync_daemonset(ctrl: DaemonSetController, key: str) -> None:
    ds = ctrl.informer.get(DAEMONSET, key)
    if ds is None:
        ctrl.expected.pop(key, None)
        return
    if ds["metadata"].get("deletionTimestamp"):
        return
    nodes = ctrl.informer.list(NODE)
    cur, old = daemonset_history.construct_history(ctrl, ds)
    hash_ = (cur["metadata"].get("labels") or {}).get(util.HASH_LABEL, "")
    if not ctrl.satisfied(key):
        update_status(ctrl, ds, nodes, hash_, observed=False)
        return
    manage(ctrl, ds, nodes, hash_)
    if ctrl.satisfied(key) and (ds["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate":
        deletes, creates = daemonset_update.rolling_update(ctrl, ds, nodes, hash_, nodes_to_pods(ctrl, ds))
        sync_nodes(ctrl, ds, deletes, creates, hash_)
    daemonset_history.cleanup_history(ctrl, ds, old, owned_pods(ctrl, ds))
    update_status(ctrl, ds, nodes, hash_, observed=True)


def owned_pods(ctrl: DaemonSetController, ds: Obj) -> list[Obj]:
    uid = ds["metadata"]["uid"]
    return [
        p for p in ctrl.informer.list(POD) if (ref := controller_ref(p)) is not None and ref["uid"] == uid
    ]


def nodes_to_pods(
    ctrl: DaemonSetController, ds: Obj, include_deleted_terminal: bool = False
) -> dict[str, list[Obj]]:
    by_node: dict[str, list[Obj]] = {}
    for pod in owned_pods(ctrl, ds):
        terminal = common.pod_phase(pod) in common.TERMINAL
        if not include_deleted_terminal and terminal and pod["metadata"].get("deletionTimestamp"):
            continue  # the kubelet or pod GC finishes it; nothing left for the controller to do
        node = util.target_node(pod)
        if node is not None:
            by_node.setdefault(node, []).append(pod)
    return by_node


def manage(ctrl: DaemonSetController, ds: Obj, nodes: list[Obj], hash_: str) -> None:
    by_node = nodes_to_pods(ctrl, ds)
    create: list[str] = []
    delete: list[str] = []
    for node in nodes:
        c, d = pods_should_be_on_node(ctrl, node, by_node, ds, hash_)
        create += c
        delete += d
    live = {n["metadata"]["name"] for n in nodes}
    for node_name, pods in sorted(by_node.items()):
        if node_name not in live:  # getUnscheduledPodsWithoutNode
            delete += [p["metadata"]["name"] for p in pods if not p["spec"].get("nodeName")]
    sync_nodes(ctrl, ds, delete, create, hash_)


def pods_should_be_on_node(
    ctrl: DaemonSetController, node: Obj, by_node: dict[str, list[Obj]], ds: Obj, hash_: str
) -> tuple[list[str], list[str]]:
    """(nodes needing a pod, pods to delete) for one node."""
    name = node["metadata"]["name"]
    run, keep = util.should_run(node, ds)
    pods = by_node.get(name)
    if run and pods is None:
        return [name], []
    if not keep:
        return [], [p["metadata"]["name"] for p in pods or () if not p["metadata"].get("deletionTimestamp")]
    delete, running = [], []
    for pod in pods or ():
        if pod["metadata"].get("deletionTimestamp"):
            continue
        phase = common.pod_phase(pod)
        if phase == "Failed":
            # failedPodsBackoffKey: a newly observed generation starts afresh
            generation = (ds.get("status") or {}).get("observedGeneration", 0)
            backoff_key = f"{ds['metadata']['uid']}/{generation}/{name}"
            if ctrl.in_backoff(backoff_key):
                ctrl.queue.add_after(ds["metadata"]["name"], ctrl.backoff[backoff_key].delay)
                continue
            ctrl.backoff_next(backoff_key)
            delete.append(pod["metadata"]["name"])
        elif phase == "Succeeded":
            delete.append(pod["metadata"]["name"])
        else:
            running.append(pod)
    running.sort(key=util.creation_order)
    if not util.allows_surge(ds):
        return [], delete + [p["metadata"]["name"] for p in running[1:]]
    if len(running) <= 1:
        return ([name] if not running and run else []), delete
    return [], delete + surge_prune(ds, running, hash_, ctrl.clock.now)


def surge_prune(ds: Obj, running: list[Obj], hash_: str, now: float) -> list[str]:
    """With surge: keep the oldest new and the oldest old pod, the old one only while it is Ready and the
    new one not yet available."""
    newest: Obj | None = None
    oldest: Obj | None = None
    delete = []
    for pod in running:
        if util.is_updated(pod, hash_) and newest is None:
            newest = pod
        elif not util.is_updated(pod, hash_) and oldest is None:
            oldest = pod
        else:
            delete.append(pod["metadata"]["name"])
    if newest is not None and oldest is not None:
        mrs = ds["spec"].get("minReadySeconds", 0)
        if not common.is_pod_ready(oldest) or common.is_pod_available(newest, mrs, now):
            delete.append(oldest["metadata"]["name"])
    return delete


def sync_nodes(ctrl: DaemonSetController, ds: Obj, delete: list[str], create: list[str], hash_: str) -> None:
    key = ds["metadata"]["name"]
    create, delete = create[:BURST_REPLICAS], delete[:BURST_REPLICAS]
    ctrl.expected[key] = _Expected(len(create), len(delete), ctrl.clock.now)
    error: ApiError | None = None
    batch, pos = min(len(create), 1), 0
    while pos < len(create) and error is None:
        for node in create[pos : pos + batch]:
            try:
                _create_pod(ctrl, ds, hash_, node)
            except ApiError as err:
                ctrl.expected[key].adds -= 1
                error = error or err
        pos += batch
        batch = min(2 * batch, len(create) - pos)
    if error is not None:  # the rest of the batches were skipped: no longer expected
        ctrl.expected[key].adds -= max(0, len(create) - pos)
    for name in delete:
        try:
            ctrl.client.delete(POD, name)
        except ApiError as err:
            ctrl.expected[key].deletes -= 1
            if not isinstance(err, NotFound):
                error = error or err
    if error is not None:
        raise error


def _create_pod(ctrl: DaemonSetController, ds: Obj, hash_: str, node: str) -> None:
    template = util.pod_template_for(ds, hash_, node)
    pod = {
        "apiVersion": "v1",
        "kind": POD,
        "metadata": {
            **template["metadata"],
            "generateName": f"{ds['metadata']['name']}-",
            "ownerReferences": [new_controller_ref(ds, DAEMONSET)],
        },
        "spec": template["spec"],
    }
    ctrl.client.create(POD, pod)


# ---------------------------------------------------------------- status


def status_counts(ctrl: DaemonSetController, ds: Obj, nodes: list[Obj], hash_: str) -> dict[str, int]:
    by_node = nodes_to_pods(ctrl, ds)
    desired = current = misscheduled = ready = updated = available = 0
    mrs = ds["spec"].get("minReadySeconds", 0)
    for node in nodes:
        run, _ = util.should_run(node, ds)
        pods = sorted(by_node.get(node["metadata"]["name"], []), key=util.creation_order)
        if not run:
            misscheduled += 1 if pods else 0
            continue
        desired += 1
        if not pods:
            continue
        current += 1
        pod = pods[0]
        if common.is_pod_ready(pod):
            ready += 1
            available += 1 if common.is_pod_available(pod, mrs, ctrl.clock.now) else 0
        updated += 1 if util.is_updated(pod, hash_) else 0
    return {
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": misscheduled,
        "numberReady": ready,
        "updatedNumberScheduled": updated,
        "numberAvailable": available,
        "numberUnavailable": desired - available,
    }


def update_status(
    ctrl: DaemonSetController, ds: Obj, nodes: list[Obj], hash_: str, *, observed: bool
) -> None:
    counts = status_counts(ctrl, ds, nodes, hash_)
    status = ds.get("status") or {}
    generation = ds["metadata"]["generation"]
    unchanged = all(status.get(k, 0) == v for k, v in counts.items())
    if not (unchanged and status.get("observedGeneration", 0) >= generation):
        _store_status(ctrl, ds, counts, generation if observed else None)
    mrs = ds["spec"].get("minReadySeconds", 0)
    if mrs > 0 and counts["numberReady"] != counts["numberAvailable"]:
        ctrl.queue.add_after(ds["metadata"]["name"], mrs)


def _store_status(ctrl: DaemonSetController, ds: Obj, counts: dict[str, int], generation: int | None) -> None:
    target = ds
    for attempt in range(2):  # StatusUpdateRetries = 1
        status = {**clone(target.get("status") or {}), **counts}
        if generation is not None:
            status["observedGeneration"] = generation
        try:
            ctrl.client.update_status(DAEMONSET, {**target, "status": status})
            return
        except Conflict:
            fresh = ctrl.client.get(DAEMONSET, ds["metadata"]["name"])
            if attempt == 1 or fresh is None:
                raise
            target = fresh

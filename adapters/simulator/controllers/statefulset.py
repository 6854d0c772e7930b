"""The StatefulSet controller (kube-controller-manager `statefulset`, upstream v1.35).

Modelled: revisions (`statefulset_history`), the update pass (`statefulset_control`: OrderedReady and
Parallel, ordinals.start, partition (maxUnavailable: its gate is off), OnDelete, failed-pod replacement,
scale-down from the highest ordinal), claims per volumeClaimTemplate with retention-policy owner
references (the garbage collector deletes a claim whose owner is gone), status (completeRollingUpdate,
written only when it changed), the minReadySeconds re-syncs (only while a pod is maturing; see
`common.next_availability_check`). Pods are claimed by controller reference and `<set>-<n>` name.
Not modelled: adoption / release of orphans (the simulator creates none), hash collisions, events,
UpdateStatefulPod identity repairs (pods are never edited by anyone else here).
ref: pkg/controller/statefulset/stateful_set.go (addPod, updatePod, deletePod, sync, syncStatefulSet,
getPodsForStatefulSet, isMemberOf), pkg/controller/statefulset/stateful_set_control.go (UpdateStatefulSet,
performUpdate, updateStatefulSetStatus), pkg/controller/statefulset/stateful_set_status_updater.go
(UpdateStatefulSetStatus), pkg/controller/statefulset/stateful_set_utils.go (completeRollingUpdate,
inconsistentStatus)
"""

from __future__ import annotations

from ..client import Client
from ..clock import Clock
from ..informer import Informer
from ..objects import POD, PVC, STATEFULSET, Obj, controller_ref
from ..store import ApiError, Conflict
from ..tracing import SyncTracer
from . import common
from . import statefulset_control as control
from . import statefulset_history as history
from . import statefulset_pods as sp
from .workqueue import WorkQueue

COUNTS = ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas")


class StatefulSetController:
    name = "statefulset"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        # ref stateful_set.go (NewStatefulSetController): handlers for pods and sets only; revisions and
        # claims are read from their listers, their events wake no sync
        informer.add_handler(STATEFULSET, lambda t, o, n: self.queue.add(n["metadata"]["name"]))
        informer.add_handler(POD, self._on_pod)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        traced = self.tracer and self.tracer.begin(STATEFULSET, key, self.informer)
        try:
            sync_statefulset(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            self.queue.forget(key)
            completed = True
        if self.tracer and traced:
            self.tracer.end(traced, completed)

    def _owner(self, obj: Obj) -> Obj | None:
        # ref stateful_set.go (resolveControllerRef)
        ref = controller_ref(obj)
        if ref is None or ref["kind"] != STATEFULSET:
            return None
        sts = self.informer.get(STATEFULSET, ref["name"])
        return sts if sts is not None and sts["metadata"]["uid"] == ref["uid"] else None

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        # ref stateful_set.go@v1.35.4 (addPod, updatePod, deletePod): a pod turning Ready re-syncs
        # minReadySeconds later, when it has become Available (no extra second, unlike the DaemonSet's)
        sts = self._owner(new)
        if sts is None:
            return
        key = sts["metadata"]["name"]
        self.queue.add(key)
        mrs = sts["spec"].get("minReadySeconds", 0)
        turned_ready = old is not None and not common.is_pod_ready(old) and common.is_pod_ready(new)
        if turned_ready and mrs > 0:
            self.queue.add_after(key, mrs)


def claimed_pods(ctrl: StatefulSetController, sts: Obj) -> list[Obj]:
    # ref stateful_set.go (getPodsForStatefulSet, isMemberOf): controlled by this set and named after it
    uid, name = sts["metadata"]["uid"], sts["metadata"]["name"]
    return [
        p
        for p in ctrl.informer.list(POD)
        if sp.owned_by(p, uid) and sp.parent_and_ordinal(p["metadata"]["name"])[0] == name
    ]


def sync_statefulset(ctrl: StatefulSetController, key: str) -> None:
    sts = ctrl.informer.get(STATEFULSET, key)
    if sts is None:
        return
    pods = claimed_pods(ctrl, sts)
    revisions = history.list_revisions(ctrl.informer, sts)
    revs = history.statefulset_revisions(ctrl.client, sts, revisions)
    slots, condemned = control.split(sts, pods)
    claims = {c["metadata"]["name"]: c for c in ctrl.informer.list(PVC)}
    p = control.Pass(ctrl, sts, revs, claims, slots, condemned, ctrl.clock.now)
    try:
        if sts["metadata"].get("deletionTimestamp"):
            counts = control.count_status(p)  # a set being deleted only updates its status
        else:
            counts = control.update_statefulset(p)
        write_status(ctrl, sts, revs, counts)
    finally:
        # ref stateful_set_control.go (UpdateStatefulSet): history is truncated on success and on error
        history.truncate_history(ctrl.client, sts, pods, revisions, revs)
    mrs = sts["spec"].get("minReadySeconds", 0)
    # ref stateful_set.go@v1.35.4 (syncStatefulSet): requeued for the moment the next pod becomes Available
    # (FindMinNextPodAvailabilityCheck); a set whose pods never turn Ready is left quiet
    wait = common.next_availability_check(pods, mrs, ctrl.clock.now)
    if counts["availableReplicas"] != sts["spec"]["replicas"] and wait is not None:
        ctrl.queue.add_after(key, wait)


def complete_rolling_update(sts: Obj, status: Obj) -> None:
    """RollingUpdate with every replica created, updated and Ready: current := update."""
    # ref stateful_set_utils.go (completeRollingUpdate)
    replicas = sts["spec"]["replicas"]
    rolling = (sts["spec"].get("updateStrategy") or {}).get("type") == "RollingUpdate"
    if rolling and status["updatedReplicas"] == status["readyReplicas"] == status["replicas"] == replicas:
        status["currentReplicas"] = status["updatedReplicas"]
        status["currentRevision"] = status["updateRevision"]


def write_status(
    ctrl: StatefulSetController, sts: Obj, revs: history.Revisions, counts: dict[str, int]
) -> None:
    status = {
        **counts,
        "observedGeneration": sts["metadata"]["generation"],
        "currentRevision": revs.current["metadata"]["name"],
        "updateRevision": revs.update["metadata"]["name"],
        "collisionCount": 0,
    }
    complete_rolling_update(sts, status)
    old = sts.get("status") or {}
    # ref stateful_set_utils.go (inconsistentStatus): collisionCount is not compared
    fields = (*COUNTS, "currentRevision", "updateRevision")
    newer = status["observedGeneration"] > old.get("observedGeneration", 0)
    if not newer and all(status[k] == old.get(k, 0 if k in COUNTS else "") for k in fields):
        return
    target = sts
    for attempt in range(2):  # ref stateful_set_status_updater.go: RetryOnConflict with a fresh read
        try:
            ctrl.client.update_status(STATEFULSET, {**target, "status": status})
            return
        except Conflict:
            fresh = ctrl.client.get(STATEFULSET, sts["metadata"]["name"])
            if attempt == 1 or fresh is None:
                raise
            target = fresh

"""The ReplicaSet controller (kube-controller-manager `replicaset`, upstream v1.35).

Modelled: claim (adopt/release) of pods, expectations (§0.3), slow-start creation capped by the
500 burst (§0.4), deletion ranking (comparator B with deletion cost, co-location rank, log2 age
buckets and UID tie-break, §0.5), status incl. terminatingReplicas (§1.4), the minReadySeconds
re-syncs (§0.7), ReplicaFailure on failed calls.
Not modelled: the periodic informer resync, events, metrics, pod finalizers.
ref: pkg/controller/replicaset/replica_set.go, replica_set_utils.go
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from kubeprops.adapters.kube_objects import format_time

from ..client import Client
from ..clock import Clock
from ..informer import Informer
from ..objects import (
    POD,
    REPLICASET,
    Obj,
    annotations_of,
    clone,
    controller_ref,
    is_deleting,
    labels_of,
    new_controller_ref,
    selector_matches,
    selector_of,
)
from ..store import ADDED, DELETED, ApiError, NotFound
from ..tracing import SyncTracer
from . import common
from .claim import claim
from .workqueue import Expectations, WorkQueue

BURST_REPLICAS = 500
SLOW_START_INITIAL_BATCH = 1
STATUS_UPDATE_RETRIES = 1
DELETION_COST = "controller.kubernetes.io/pod-deletion-cost"
PHASE_ORDINAL = {"Pending": 0, "Unknown": 1, "Running": 2}


class ReplicaSetController:
    name = "replicaset"

    def __init__(self, client: Client, informer: Informer, clock: Clock) -> None:
        self.client = client
        self.informer = informer
        self.clock = clock
        self.queue = WorkQueue(clock, self.name)
        self.expectations = Expectations(clock)
        self.tracer: SyncTracer | None = None  # set while a property checks PER-SYNC rules
        informer.add_handler(REPLICASET, self._on_replicaset)
        informer.add_handler(POD, self._on_pod)

    @property
    def pending(self) -> bool:
        return len(self.queue) > 0

    def run_one(self) -> None:
        key = self.queue.pop()
        traced = self.tracer and self.tracer.begin(
            REPLICASET, key, self.informer, self.expectations.satisfied(key)
        )
        try:
            sync_replicaset(self, key)
        except ApiError:
            self.queue.add_rate_limited(key)
            completed = False
        else:
            self.queue.forget(key)
            completed = True
        if self.tracer and traced:
            self.tracer.end(traced, completed)

    # ------------------------------------------------------------ event handlers

    def _on_replicaset(self, type_: str, old: Obj | None, new: Obj) -> None:
        if type_ == DELETED:
            self.expectations.delete(new["metadata"]["name"])
        self.queue.add(new["metadata"]["name"])

    def _owner_of(self, pod: Obj) -> Obj | None:
        # ref: replica_set.go (resolveControllerRef)
        ref = controller_ref(pod)
        if ref is None or ref["kind"] != REPLICASET:
            return None
        rs = self.informer.get(REPLICASET, ref["name"])
        return rs if rs is not None and rs["metadata"]["uid"] == ref["uid"] else None

    def _matching(self, pod: Obj) -> list[Obj]:
        # ref: replica_set.go (getPodReplicaSets): orphans wake every RS whose selector matches
        pod_labels = labels_of(pod)
        return [
            rs
            for rs in self.informer.list(REPLICASET)
            if (sel := selector_of(rs)) and selector_matches(sel, pod_labels)
        ]

    def _on_pod(self, type_: str, old: Obj | None, new: Obj) -> None:
        if type_ == DELETED or (type_ == ADDED and is_deleting(new)):
            self._pod_deleted(new)
        elif type_ == ADDED:
            self._pod_added(new)
        elif old is not None:
            self._pod_updated(old, new)

    def _pod_added(self, pod: Obj) -> None:
        if controller_ref(pod) is not None:
            rs = self._owner_of(pod)
            if rs is not None:
                self.expectations.creation_observed(rs["metadata"]["name"])
                self.queue.add(rs["metadata"]["name"])
            return
        for rs in self._matching(pod):
            self.queue.add(rs["metadata"]["name"])

    def _pod_updated(self, old: Obj, new: Obj) -> None:
        # ref: replica_set.go (updatePod)
        if old["metadata"]["resourceVersion"] == new["metadata"]["resourceVersion"]:
            return
        label_changed = labels_of(old) != labels_of(new)
        if is_deleting(new):
            self._pod_deleted(new)
            if label_changed:
                self._pod_deleted(old)
            return
        old_ref, new_ref = controller_ref(old), controller_ref(new)
        ref_changed = old_ref != new_ref
        if ref_changed and old_ref is not None and (old_rs := self._owner_of(old)) is not None:
            self.queue.add(old_rs["metadata"]["name"])
        if new_ref is not None:
            rs = self._owner_of(new)
            if rs is None:
                return
            key = rs["metadata"]["name"]
            self.queue.add(key)
            mrs = rs["spec"].get("minReadySeconds", 0)
            if mrs > 0 and not common.is_pod_ready(old) and common.is_pod_ready(new):
                self.queue.add_after(key, mrs)  # v1.35.4: no extra second (the DaemonSet keeps one)
            return
        if label_changed or ref_changed:
            for rs in self._matching(new):
                self.queue.add(rs["metadata"]["name"])

    def _pod_deleted(self, pod: Obj) -> None:
        rs = self._owner_of(pod)
        if rs is not None:
            self.expectations.deletion_observed(rs["metadata"]["name"], pod["metadata"]["name"])
            self.queue.add(rs["metadata"]["name"])


# ---------------------------------------------------------------- sync


def sync_replicaset(ctl: ReplicaSetController, key: str) -> None:
    # ref: replica_set.go (syncReplicaSet)
    rs = ctl.informer.get(REPLICASET, key)
    if rs is None:
        ctl.expectations.delete(key)
        return
    needs_sync = ctl.expectations.satisfied(key)
    selector = selector_of(rs) or {}
    all_pods = ctl.informer.list(POD)
    active = [p for p in all_pods if common.is_pod_active(p)]
    pods = claim(ctl.client, rs, REPLICASET, POD, selector, active)
    terminating = [p for p in all_pods if common.is_pod_terminating(p) and _claimed_by(rs, selector, p)]
    manage_error: ApiError | None = None
    if needs_sync and not is_deleting(rs):
        try:
            manage_replicas(ctl, pods, rs)
        except ApiError as exc:
            manage_error = exc
    status = calculate_status(rs, pods, terminating, manage_error, ctl.clock.now)
    updated = update_replicaset_status(ctl.client, rs, status)
    requeue_for_min_ready(ctl, key, updated, pods, manage_error)
    if manage_error is not None:
        raise manage_error


def _claimed_by(rs: Obj, selector: dict[str, str], pod: Obj) -> bool:
    # ref: controller_utils.go (FilterClaimedPods)
    ref = controller_ref(pod)
    return (
        ref is not None and ref["uid"] == rs["metadata"]["uid"] and selector_matches(selector, labels_of(pod))
    )


def requeue_for_min_ready(
    ctl: ReplicaSetController, key: str, rs: Obj, pods: list[Obj], error: ApiError | None
) -> None:
    """Last line of defence: while Ready pods are not yet Available, re-sync when the next one becomes
    Available (minReadySeconds when none has a Ready time)."""
    # ref replica_set.go@v1.35.4 (syncReplicaSet: nextSyncDuration, FindMinNextPodAvailabilityCheck)
    mrs = rs["spec"].get("minReadySeconds", 0)
    status = rs.get("status") or {}
    if error is None and mrs > 0 and status.get("readyReplicas", 0) != status.get("availableReplicas", 0):
        next_check = common.next_availability_check(pods, mrs, ctl.clock.now)
        ctl.queue.add_after(key, mrs if next_check is None else next_check)


# ---------------------------------------------------------------- manage replicas


def manage_replicas(ctl: ReplicaSetController, pods: list[Obj], rs: Obj) -> None:
    # ref: replica_set.go (manageReplicas)
    diff = len(pods) - rs["spec"]["replicas"]
    key = rs["metadata"]["name"]
    if diff < 0:
        count = min(-diff, BURST_REPLICAS)
        ctl.expectations.expect_creations(key, count)
        successes, error = slow_start_batch(
            count, SLOW_START_INITIAL_BATCH, lambda: create_pod(ctl.client, rs)
        )
        for _ in range(count - successes):  # skipped or failed: the informer will never see them
            ctl.expectations.creation_observed(key)
        if error is not None:
            raise error
    elif diff > 0:
        count = min(diff, BURST_REPLICAS)
        related = indirectly_related_pods(ctl.informer, rs)
        victims = pods_to_delete(pods, related, count, ctl.clock.now)
        ctl.expectations.expect_deletions(key, [p["metadata"]["name"] for p in victims])
        delete_pods(ctl, key, victims)


def slow_start_batch(count: int, initial: int, call: Callable[[], object]) -> tuple[int, ApiError | None]:
    """Batches of 1, 2, 4, ...; stop after the first batch with an error.

    ref: replica_set.go (slowStartBatch)
    """
    remaining, successes, batch = count, 0, min(count, initial)
    while batch > 0:
        errors: list[ApiError] = []
        for _ in range(batch):  # the calls of one batch all run (concurrently upstream)
            try:
                call()
            except ApiError as exc:
                errors.append(exc)
        successes += batch - len(errors)
        if errors:
            return successes, errors[0]
        remaining -= batch
        batch = min(2 * batch, remaining)
    return successes, None


def pod_from_template(rs: Obj) -> Obj:
    # ref: pkg/controller/controller_utils.go (GetPodFromTemplate)
    template = rs["spec"]["template"]
    meta = template.get("metadata") or {}
    return {
        "apiVersion": "v1",
        "kind": POD,
        "metadata": {
            "generateName": f"{rs['metadata']['name']}-",
            "labels": clone(meta.get("labels") or {}),
            "annotations": clone(meta.get("annotations") or {}),
            "ownerReferences": [new_controller_ref(rs, REPLICASET)],
        },
        "spec": clone(template.get("spec") or {}),
    }


def create_pod(client: Client, rs: Obj) -> Obj:
    return client.create(POD, pod_from_template(rs))


def delete_pods(ctl: ReplicaSetController, key: str, victims: list[Obj]) -> None:
    error: ApiError | None = None
    for pod in victims:
        try:
            ctl.client.delete(POD, pod["metadata"]["name"], uid=pod["metadata"]["uid"])
        except ApiError as exc:
            ctl.expectations.deletion_observed(key, pod["metadata"]["name"])
            if not isinstance(exc, NotFound):
                error = error or exc
    if error is not None:
        raise error


def indirectly_related_pods(informer: Informer, rs: Obj) -> list[Obj]:
    """Pods of every ReplicaSet controlled by the same owner (the Deployment's other RSs).

    ref: replica_set.go (getIndirectlyRelatedPods, getReplicaSetsWithSameController)
    """
    ref = controller_ref(rs)
    if ref is None:
        return []
    siblings = [r for r in informer.list(REPLICASET) if (c := controller_ref(r)) and c["uid"] == ref["uid"]]
    seen: set[str] = set()
    related: list[Obj] = []
    for sibling in siblings:
        selector = selector_of(sibling) or {}
        for pod in informer.list(POD):
            if pod["metadata"]["uid"] not in seen and selector_matches(selector, labels_of(pod)):
                seen.add(pod["metadata"]["uid"])
                related.append(pod)
    return related


def pods_to_delete(pods: list[Obj], related: list[Obj], count: int, now: float) -> list[Obj]:
    # ref: replica_set.go (getPodsToDelete): no sorting when every pod goes
    if count < len(pods):
        pods = rank_pods_for_deletion(pods, related, now)
    return pods[:count]


# ---------------------------------------------------------------- deletion ranking (comparator B)


def rank_pods_for_deletion(pods: list[Obj], related: list[Obj], now: float) -> list[Obj]:
    """Most deletable first. ref: controller_utils.go (ActivePodsWithRanks.Less),
    replica_set.go (getPodsRankedByRelatedPodsOnSameNode)"""
    on_node: dict[str, int] = {}
    for pod in related:
        if common.is_pod_active(pod):
            node = pod["spec"].get("nodeName", "")
            on_node[node] = on_node.get(node, 0) + 1
    ranked = [(pod, on_node.get(pod["spec"].get("nodeName", ""), 0)) for pod in pods]

    def compare(a: tuple[Obj, int], b: tuple[Obj, int]) -> int:
        return -1 if deletion_less(a, b, now) else 1 if deletion_less(b, a, now) else 0

    return [pod for pod, _ in sorted(ranked, key=functools.cmp_to_key(compare))]


def deletion_less(a: tuple[Obj, int], b: tuple[Obj, int], now: float) -> bool:
    for step in (compare_assignment, compare_phase, compare_readiness, compare_deletion_cost):
        verdict = step(a[0], b[0])
        if verdict is not None:
            return verdict
    if a[1] != b[1]:
        return a[1] > b[1]  # doubled-up pods go first
    for timed in (compare_ready_time, compare_restarts, compare_creation):
        verdict = timed(a[0], b[0], now)
        if verdict is not None:
            return verdict
    return False


def compare_assignment(a: Obj, b: Obj) -> bool | None:
    na, nb = a["spec"].get("nodeName", ""), b["spec"].get("nodeName", "")
    if na != nb and (not na or not nb):
        return not na
    return None


def compare_phase(a: Obj, b: Obj) -> bool | None:
    pa = PHASE_ORDINAL.get(common.pod_phase(a), -1)
    pb = PHASE_ORDINAL.get(common.pod_phase(b), -1)
    return pa < pb if pa != pb else None


def compare_readiness(a: Obj, b: Obj) -> bool | None:
    ra, rb = common.is_pod_ready(a), common.is_pod_ready(b)
    return (not ra) if ra != rb else None


def deletion_cost(pod: Obj) -> int:
    raw = annotations_of(pod).get(DELETION_COST, "0")
    try:
        value = int(raw)
    except ValueError:
        return 0
    return value if -(2**31) <= value < 2**31 else 0


def compare_deletion_cost(a: Obj, b: Obj) -> bool | None:
    ca, cb = deletion_cost(a), deletion_cost(b)
    return ca < cb if ca != cb else None


def log_bucket(since: float, now: float) -> int:
    """floor(log2(age in ns)), -1 for a non-positive age. ref: controller_utils.go (logarithmicRankDiff)"""
    age = round((now - since) * 1_000_000_000)
    return age.bit_length() - 1 if age > 0 else -1


def _by_age(ta: float | None, tb: float | None, a: Obj, b: Obj, now: float) -> bool:
    """Newer first through log buckets, UID on equal buckets; zero times count as newest."""
    if ta is None or tb is None:
        return ta is None  # afterOrZero
    diff = log_bucket(ta, now) - log_bucket(tb, now)
    return a["metadata"]["uid"] < b["metadata"]["uid"] if diff == 0 else diff < 0


def compare_ready_time(a: Obj, b: Obj, now: float) -> bool | None:
    if not (common.is_pod_ready(a) and common.is_pod_ready(b)):
        return None
    ta, tb = common.pod_ready_time(a), common.pod_ready_time(b)
    return None if ta == tb else _by_age(ta, tb, a, b, now)


def _max_restarts(pod: Obj) -> int:
    statuses = (pod.get("status") or {}).get("containerStatuses") or ()
    return max((s.get("restartCount", 0) for s in statuses), default=0)


def compare_restarts(a: Obj, b: Obj, now: float) -> bool | None:
    ra, rb = _max_restarts(a), _max_restarts(b)
    return ra > rb if ra != rb else None


def compare_creation(a: Obj, b: Obj, now: float) -> bool | None:
    ta, tb = common.creation_time(a), common.creation_time(b)
    return None if ta == tb else _by_age(ta, tb, a, b, now)


# ---------------------------------------------------------------- status


def _condition(type_: str, reason: str, message: str, now: float) -> Obj:
    return {
        "type": type_,
        "status": "True",
        "reason": reason,
        "message": message,
        "lastTransitionTime": format_time(now),
    }


def calculate_status(
    rs: Obj, pods: list[Obj], terminating: list[Obj], error: ApiError | None, now: float
) -> Obj:
    # ref: replica_set_utils.go (calculateStatus)
    status = clone(rs.get("status") or {})
    template_labels = (rs["spec"]["template"].get("metadata") or {}).get("labels") or {}
    mrs = rs["spec"].get("minReadySeconds", 0)
    ready = [p for p in pods if common.is_pod_ready(p)]
    conditions = [c for c in status.get("conditions") or [] if c["type"] != "ReplicaFailure"]
    failure = next((c for c in status.get("conditions") or [] if c["type"] == "ReplicaFailure"), None)
    if error is not None and failure is None:
        diff = len(pods) - rs["spec"]["replicas"]
        reason = "FailedCreate" if diff < 0 else "FailedDelete" if diff > 0 else ""
        conditions.append(_condition("ReplicaFailure", reason, str(error), now))
    elif error is not None:
        conditions.append(failure)
    status["conditions"] = conditions
    if not conditions:
        status.pop("conditions")
    status.update(
        replicas=len(pods),
        fullyLabeledReplicas=sum(1 for p in pods if selector_matches(template_labels, labels_of(p))),
        readyReplicas=len(ready),
        availableReplicas=sum(1 for p in ready if common.is_pod_available(p, mrs, now)),
        terminatingReplicas=len(terminating),
    )
    return status


STATUS_FIELDS = (
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "terminatingReplicas",
    "conditions",
)


def update_replicaset_status(client: Client, rs: Obj, status: Obj) -> Obj:
    # ref: replica_set_utils.go (updateReplicaSetStatus): steady state writes nothing
    old = rs.get("status") or {}
    generation = rs["metadata"]["generation"]
    if all(old.get(f) == status.get(f) for f in STATUS_FIELDS) and generation == old.get(
        "observedGeneration"
    ):
        return rs
    status = {**status, "observedGeneration": generation}
    current = rs
    for attempt in range(STATUS_UPDATE_RETRIES + 1):
        try:
            return client.update_status(REPLICASET, {**current, "status": status})
        except ApiError:
            if attempt >= STATUS_UPDATE_RETRIES:
                raise
            current = client.get(REPLICASET, rs["metadata"]["name"])
            if current is None:
                raise
    raise AssertionError("unreachable")

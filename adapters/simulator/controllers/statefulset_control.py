"""One StatefulSet update pass (`updateStatefulSet`): replicas, condemned pods, rolling update, status counts.

In upstream's order: split the claimed pods into in-range slots (index = ordinal - start; a missing slot is a
pod to create, at the current revision below the partition) and condemned pods (descending ordinal);
process every slot (OrderedReady stops at the first that is not Running, Ready and Available, or that it just
created or deleted); fix the claim owners of condemned pods; delete condemned pods (OrderedReady: one, and
only once every replica is healthy, or it is the first unhealthy pod); then, for RollingUpdate, delete
outdated pods at index >= partition from the highest down. MaxUnavailableStatefulSet is off by default in
1.35 (beta), so the update step deletes the highest outdated pod only, and stops at an unavailable one first.
Parallel runs every slot and every condemned pod in one pass (API calls succeed here, so slow-start batches
make no difference).
ref: pkg/controller/statefulset/stateful_set_control.go (updateStatefulSet, processReplica,
processCondemned, runForAll, updateStatefulSetAfterInvariantEstablished, computeReplicaStatus, updateStatus),
pkg/controller/statefulset/stateful_set_utils.go (newVersionedStatefulSetPod, allowsBurst,
getStatefulSetMaxUnavailable), pkg/controller/statefulset/stateful_pod_control.go (CreateStatefulPod,
createMissingPersistentVolumeClaims, ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy,
DeleteStatefulPod)
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import attrs

from ..objects import POD, PVC, Obj, clone
from ..store import NotFound
from . import common
from . import statefulset_pods as sp
from .statefulset_history import Revisions, template_of

if TYPE_CHECKING:
    from .statefulset import StatefulSetController


@attrs.define
class Pass:
    """What one pass works on: the set, its revisions, the cached claims, the slots and condemned pods."""

    ctrl: StatefulSetController
    sts: Obj
    revs: Revisions
    claims: dict[str, Obj]
    slots: list[tuple[int, Obj | None]]  # (ordinal, pod or None)
    condemned: list[Obj]
    now: float

    @property
    def monotonic(self) -> bool:
        # ref stateful_set_utils.go (allowsBurst): only Parallel bursts
        return self.sts["spec"].get("podManagementPolicy") != "Parallel"

    @property
    def mrs(self) -> int:
        return self.sts["spec"].get("minReadySeconds", 0)


# ---------------------------------------------------------------- slots and status


def split(sts: Obj, pods: list[Obj]) -> tuple[list[tuple[int, Obj | None]], list[Obj]]:
    # ref stateful_set_control.go (updateStatefulSet): unparsable ordinals are ignored
    by_ordinal = {sp.ordinal(p): p for p in pods}
    slots = [(o, by_ordinal.get(o)) for o in range(sp.start(sts), sp.end(sts) + 1)]
    condemned = [p for o, p in by_ordinal.items() if o >= 0 and not sp.in_range(sts, o)]
    return slots, sorted(condemned, key=sp.ordinal, reverse=True)


def count_status(p: Pass) -> dict[str, int]:
    """Counts over the slots' pods and the condemned pods; a pod created in this pass is not counted yet."""
    # ref stateful_set_control.go (computeReplicaStatus, updateStatus)
    pods = [pod for _, pod in p.slots if pod is not None] + p.condemned
    live = [pod for pod in pods if not sp.is_terminating(pod)]
    current, update = p.revs.current["metadata"]["name"], p.revs.update["metadata"]["name"]
    return {
        "replicas": len(pods),
        "readyReplicas": sum(1 for pod in pods if sp.is_running_and_ready(pod)),
        "availableReplicas": sum(
            1
            for pod in pods
            if sp.is_running_and_ready(pod) and sp.is_running_and_available(pod, p.mrs, p.now)
        ),
        "currentReplicas": sum(1 for pod in live if sp.revision_of(pod) == current),
        "updatedReplicas": sum(1 for pod in live if sp.revision_of(pod) == update),
    }


# ---------------------------------------------------------------- claims


def create_missing_claims(p: Pass, pod_ordinal: int) -> None:
    # ref stateful_pod_control.go (createPersistentVolumeClaims): from the cache; a create that finds one
    # already there is an error and the sync is retried
    for name in sp.claim_names(p.sts, pod_ordinal):
        if name not in p.claims:
            p.claims[name] = p.ctrl.client.create(PVC, sp.new_claim(p.sts, name, pod_ordinal))


def fix_claim_owners(p: Pass, pod: Obj | None, pod_ordinal: int) -> None:
    # ref stateful_pod_control.go (ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy): missing
    # claims are left to the next creation
    name = f"{p.sts['metadata']['name']}-{pod_ordinal}"
    uid = pod["metadata"]["uid"] if pod is not None else ""
    for claim_name in sp.claim_names(p.sts, pod_ordinal):
        claim = p.claims.get(claim_name)
        if claim is None or sp.owner_up_to_date(p.sts, claim, name, uid, pod_ordinal):
            continue
        edited = clone(claim)
        edited["metadata"]["ownerReferences"] = sp.owner_refs(p.sts, claim, pod, pod_ordinal)
        p.claims[claim_name] = p.ctrl.client.update(PVC, edited)


# ---------------------------------------------------------------- pods


def virtual_revision(p: Pass, pod_ordinal: int) -> Obj:
    """The revision a missing pod is created at. Go's `a && b || c`: with no rollingUpdate block the
    pods below start + status.currentReplicas stay at the current revision."""
    # ref stateful_set_utils.go (newVersionedStatefulSetPod)
    strategy = p.sts["spec"].get("updateStrategy") or {}
    block, first = strategy.get("rollingUpdate"), sp.start(p.sts)
    current_replicas = (p.sts.get("status") or {}).get("currentReplicas", 0)
    no_block = strategy.get("type") == "RollingUpdate" and block is None
    if (no_block and pod_ordinal < first + current_replicas) or (
        block is not None and pod_ordinal < first + block.get("partition", 0)
    ):
        return p.revs.current
    return p.revs.update


def create_pod(p: Pass, pod_ordinal: int) -> None:
    # ref stateful_pod_control.go (CreateStatefulPod): claims first, then the pod, then claim owners
    revision = virtual_revision(p, pod_ordinal)
    create_missing_claims(p, pod_ordinal)
    pod = sp.new_pod(p.sts, template_of(revision), revision["metadata"]["name"], pod_ordinal)
    p.ctrl.client.create(POD, pod)
    fix_claim_owners(p, None, pod_ordinal)


def delete_pod(p: Pass, pod: Obj) -> None:
    # ref stateful_pod_control.go (DeleteStatefulPod)
    p.ctrl.client.delete(POD, pod["metadata"]["name"])


def healthy(p: Pass, pod: Obj | None) -> bool:
    return sp.is_running_and_ready(pod) and sp.is_running_and_available(pod, p.mrs, p.now)


def process_replica(p: Pass, pod_ordinal: int, pod: Obj | None) -> bool:
    """One slot; True when an OrderedReady pass must stop here."""
    # ref stateful_set_control.go (processReplica)
    if sp.is_failed_or_succeeded(pod):
        if pod is not None and not sp.is_terminating(pod):
            delete_pod(p, pod)
        return True  # the replacement comes once the old object is gone
    if pod is None:
        name = f"{p.sts['metadata']['name']}-{pod_ordinal}"
        if sp.claim_is_stale(p.sts, p.claims, name, pod_ordinal):
            return True
        create_pod(p, pod_ordinal)
        return p.monotonic
    if common.pod_phase(pod) == "Pending":
        create_missing_claims(p, pod_ordinal)
        fix_claim_owners(p, pod, pod_ordinal)
    if p.monotonic and (sp.is_terminating(pod) or not healthy(p, pod)):
        return True
    fix_claim_owners(p, pod, pod_ordinal)
    return False


def first_unavailable(p: Pass) -> Obj | None:
    # ref stateful_set_control.go (updateStatefulSet): firstUnavailablePod, slots first (a missing slot
    # counts but cannot be it), then condemned from the lowest ordinal
    for _, pod in p.slots:
        if sp.is_unavailable(pod, p.mrs, p.now):
            return pod
    return next((pod for pod in reversed(p.condemned) if sp.is_unavailable(pod, p.mrs, p.now)), None)


def process_condemned(p: Pass, pod: Obj, first: Obj | None) -> bool:
    # ref stateful_set_control.go (processCondemned)
    if sp.is_terminating(pod):
        return p.monotonic
    if p.monotonic and not healthy(p, pod) and pod is not first:
        return True
    delete_pod(p, pod)
    return True


def partition(p: Pass) -> int:
    block = (p.sts["spec"].get("updateStrategy") or {}).get("rollingUpdate")
    return block.get("partition", 0) if block is not None else 0


def rolling_update(p: Pass) -> int:
    """Deletes the outdated pod at the highest index >= partition, unless an unavailable pod at the update
    revision comes first; returns how many it deleted (0 or 1)."""
    # ref stateful_set_control.go (updateStatefulSet): the path with MaxUnavailableStatefulSet off
    update = p.revs.update["metadata"]["name"]
    for index in range(len(p.slots) - 1, partition(p) - 1, -1):
        pod_ordinal, pod = p.slots[index]
        # a slot created in this pass (Parallel) is still the unsaved pod upstream: its revision is the one
        # it was created at, and deleting it by name deletes the pod just created
        revision = (
            sp.revision_of(pod) if pod is not None else virtual_revision(p, pod_ordinal)["metadata"]["name"]
        )
        if revision != update and not sp.is_terminating(pod):
            with contextlib.suppress(NotFound):  # ref: upstream ignores IsNotFound here
                p.ctrl.client.delete(POD, f"{p.sts['metadata']['name']}-{pod_ordinal}")
            return 1
        if sp.is_unavailable(pod, p.mrs, p.now):
            return 0
    return 0


def update_statefulset(p: Pass) -> dict[str, int]:
    """Steps 3-7 of the pass; returns the status counts to write."""
    counts = count_status(p)
    for pod_ordinal, pod in p.slots:
        if process_replica(p, pod_ordinal, pod) and p.monotonic:
            return counts
    for pod in p.condemned:
        fix_claim_owners(p, pod, sp.ordinal(pod))
    first = first_unavailable(p)
    for pod in p.condemned:
        if process_condemned(p, pod, first) and p.monotonic:
            return counts
    if (p.sts["spec"].get("updateStrategy") or {}).get("type") == "OnDelete":
        return counts
    deleted = rolling_update(p)
    return {**counts, "currentReplicas": counts["currentReplicas"] - deleted}

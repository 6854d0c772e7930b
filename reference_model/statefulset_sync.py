"""One StatefulSet sync (`updateStatefulSet`) on a snapshot: which pods and claims to create, which pods to
delete and why, the revisions and the status it writes (fact sheet 3.5-3.8).

Release: upstream v1.35.4 by default; the single-pod update path, since MaxUnavailableStatefulSet is off by
default in every supported release; its path is taken when the release turns the gate on (see
`apps_common.max_unavailable_statefulset`).

The sync, in upstream's order:
1. revisions; status counted from every claimed pod; pods split into in-range `replicas` (index = ordinal -
   start) and `condemned` (descending ordinal); missing slots become virtual pods at the current revision
   when the index is below the partition (with no rollingUpdate block: below status.currentReplicas), else
   at the update revision;
2. a set being deleted: status only;
3. replicas in ascending index: a Failed/Succeeded pod is deleted and the pass stops (the replacement comes
   on a later sync, once the old object is gone); a missing pod is created (not while a claim is stale:
   OrderedReady stops there, and `stale_claim` names it) with its missing claims and the owners of its
   cached claims fixed, and OrderedReady stops; a Pending pod gets its missing claims and owner fixes;
   OrderedReady stops at a terminating, not Running+Ready or not Available pod; claim owners are fixed to
   the retention policy;
4. claim owners of condemned pods fixed;
5. condemned, highest ordinal first: OrderedReady waits while the target terminates and deletes it only when
   Running+Ready+Available or it is the first unavailable pod (one per sync); Parallel deletes every
   non-terminating one;
6. OnDelete stops here;
7. RollingUpdate with the gate: `unavailable` counts unavailable replicas of every index (below the
   partition too, and the virtual ones); nothing when `unavailable > maxUnavailable`, else up to
   `maxUnavailable - unavailable` pods at index >= partition, highest first, not at the update revision and
   not terminating, are deleted (healthy or not). Without the gate: the highest such pod is deleted, and
   an unavailable pod at the update revision met first stops the scan.
8. the status write applies completeRollingUpdate.

Model boundaries: API calls always succeed (so Parallel's slow-start batches only matter for errors and
are not modelled); a pod being created has no phase, so it counts as unavailable and not in status.

refs kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_control.go (updateStatefulSet,
processReplica, processCondemned, runForAll, updateStatefulSetAfterInvariantEstablished,
updateStatefulSetStatus), kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_utils.go
(newVersionedStatefulSetPod, getStatefulSetMaxUnavailable, completeRollingUpdate),
kubernetes/kubernetes:pkg/controller/statefulset/stateful_pod_control.go (CreateStatefulPod,
PodClaimIsStale, ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    ON_DELETE,
    ORDERED_READY,
    ROLLING_UPDATE,
    ControllerRevisionView,
    PersistentVolumeClaimView,
    StatefulSetStatus,
    StatefulSetView,
)
from kubeprops.scenario.view import PENDING, PodView

from . import statefulset as sts_util
from . import statefulset_pvc as pvc
from .apps_common import max_unavailable_statefulset, statefulset_max_unavailable
from .release import DEFAULT, Release

REASON_FAILED, REASON_SCALE_DOWN, REASON_UPDATE = "failed", "scale-down", "update"


@attrs.frozen
class PodCreate:
    ordinal: int
    name: str
    revision: str  # the revision name, the pod's controller-revision-hash label


@attrs.frozen
class PodDelete:
    name: str
    reason: str  # failed | scale-down | update


@attrs.frozen
class ClaimWrite:
    """Create claim `name` (if `create`) or set its owners to `owners` ("StatefulSet" / "Pod" kinds)."""

    name: str
    pod: str
    owners: frozenset[str]
    create: bool = False


@attrs.frozen
class StatefulSetDecision:
    revisions: sts_util.Revisions
    truncated: tuple[str, ...]
    creates: tuple[PodCreate, ...]
    deletes: tuple[PodDelete, ...]
    claims: tuple[ClaimWrite, ...]
    status: StatefulSetStatus
    blocked_on: str = ""  # OrderedReady: the pod this sync waited for ("" when none)
    stale_claim: str = ""  # the first pod not created because a claim still names an earlier pod

    @property
    def acted(self) -> bool:
        return bool(self.creates or self.deletes or self.claims or self.revisions.written or self.truncated)


@attrs.frozen
class _Slot:
    """One in-range index: the observed pod, or a virtual one to create (`pod` None)."""

    index: int
    ordinal: int
    name: str
    pod: PodView | None
    revision: str  # the observed pod's revision, or the one a virtual pod would get


@attrs.frozen
class _Ctx:
    sts: StatefulSetView
    revs: sts_util.Revisions
    claims: dict[str, PersistentVolumeClaimView]
    now: float

    @property
    def monotonic(self) -> bool:
        # ref stateful_set_utils.go (allowsBurst): only Parallel bursts
        return self.sts.spec.pod_management_policy == ORDERED_READY


@attrs.frozen
class _Acc:
    """What the sync has decided so far."""

    creates: tuple[PodCreate, ...] = ()
    deletes: tuple[PodDelete, ...] = ()
    claims: tuple[ClaimWrite, ...] = ()
    blocked_on: str = ""
    stale_claim: str = ""

    def add(self, **kw: tuple[object, ...] | str) -> _Acc:
        changes = {k: (getattr(self, k) + v if isinstance(v, tuple) else v) for k, v in kw.items()}
        return attrs.evolve(self, **changes)


# ---------------------------------------------------------------- slots


def virtual_revision(sts: StatefulSetView, revs: sts_util.Revisions, ordinal: int) -> str:
    """The revision a missing pod of `ordinal` is created at."""
    # ref stateful_set_utils.go (newVersionedStatefulSetPod): note Go's && / || precedence
    strategy, start = sts.spec.update_strategy, sts_util.start_ordinal(sts.spec)
    block = strategy.rolling_update
    below_current = (
        strategy.type == ROLLING_UPDATE and block is None and ordinal < start + sts.status.current_replicas
    )
    below_partition = block is not None and ordinal < start + block.partition
    return revs.current.name if below_current or below_partition else revs.update.name


def split_pods(
    sts: StatefulSetView, pods: Sequence[PodView], revs: sts_util.Revisions
) -> tuple[list[_Slot], list[PodView]]:
    """In-range slots by index (virtual where missing) and condemned pods, highest ordinal first."""
    # ref stateful_set_control.go (updateStatefulSet): pods with unparsable ordinals are ignored
    spec, start = sts.spec, sts_util.start_ordinal(sts.spec)
    by_ordinal = {sts_util.ordinal_of(p): p for p in pods}
    slots = []
    for index in range(spec.replicas):
        ordinal = start + index
        pod = by_ordinal.get(ordinal)
        revision = sts_util.pod_revision(pod) if pod else virtual_revision(sts, revs, ordinal)
        slots.append(_Slot(index, ordinal, sts_util.pod_name(sts.name, ordinal), pod, revision))
    condemned = [p for o, p in by_ordinal.items() if o >= 0 and not sts_util.in_range(o, spec)]
    return slots, sorted(condemned, key=sts_util.ordinal_of, reverse=True)


def _unavailable(ctx: _Ctx, pod: PodView | None) -> bool:
    return sts_util.is_unavailable(pod, ctx.sts.spec.min_ready_seconds, ctx.now)


# ---------------------------------------------------------------- claims


def _claim_writes(
    ctx: _Ctx, name: str, ordinal: int, pod_uid: str, condemned: bool
) -> tuple[ClaimWrite, ...]:
    """Owner fixes for the existing claims of one pod (missing claims are left to creation)."""
    # ref stateful_pod_control.go (ClaimsMatchRetentionPolicy, UpdatePodClaimForRetentionPolicy)
    want = pvc.desired_owners(ctx.sts.spec.persistent_volume_claim_retention_policy, condemned)
    writes = []
    for claim in pvc.claim_names(ctx.sts.spec, ctx.sts.name, ordinal):
        existing = ctx.claims.get(claim)
        if existing is None or pvc.has_stale_owner(existing, ctx.sts.name, ctx.sts.uid, name, pod_uid):
            continue
        if pvc.owner_kinds(existing, ctx.sts.uid, pod_uid) != want:
            writes.append(ClaimWrite(claim, name, want))
    return tuple(writes)


def _created_pod_claim_writes(ctx: _Ctx, name: str, ordinal: int) -> tuple[ClaimWrite, ...]:
    """Owner fixes right after a pod is created, for claims already in the cache (the ones just created are
    not, and carry their owners anyway). The new pod has no uid yet, so a claim naming any pod of this name
    has a stale reference and is left to the garbage collector."""
    # ref stateful_pod_control.go (CreateStatefulPod -> UpdatePodClaimForRetentionPolicy),
    # stateful_set_utils.go (isClaimOwnerUpToDate: hasStaleOwnerRef(claim, pod) is "up to date")
    stale = {
        c
        for c, claim in ctx.claims.items()
        if any(o.kind == pvc.POD and o.name == name for o in claim.owners)
    }
    return tuple(w for w in _claim_writes(ctx, name, ordinal, "", condemned=False) if w.name not in stale)


def _missing_claims(ctx: _Ctx, name: str, ordinal: int) -> tuple[ClaimWrite, ...]:
    # ref stateful_pod_control.go (createPersistentVolumeClaims): owners set before the create call
    want = pvc.desired_owners(ctx.sts.spec.persistent_volume_claim_retention_policy, condemned=False)
    return tuple(
        ClaimWrite(c, name, want - {pvc.POD}, create=True)
        for c in pvc.claim_names(ctx.sts.spec, ctx.sts.name, ordinal)
        if c not in ctx.claims
    )


# ---------------------------------------------------------------- steps 3-5


def _process_replica(ctx: _Ctx, slot: _Slot, acc: _Acc) -> tuple[_Acc, bool]:
    """One processReplica; returns (decisions, stop) where stop matters only for OrderedReady."""
    # ref stateful_set_control.go (processReplica)
    pod = slot.pod
    if sts_util.is_failed_or_succeeded(pod):
        if pod is not None and not pod.deleting:
            acc = acc.add(deletes=(PodDelete(slot.name, REASON_FAILED),))
        return acc, True
    if pod is None:
        if pvc.pod_claims_stale(ctx.sts.spec, ctx.sts.name, slot.ordinal, ctx.claims, slot.name):
            # no requeue either: see statefulset_pvc.StaleClaimWait
            return acc.add(blocked_on=slot.name, stale_claim=acc.stale_claim or slot.name), True
        create = PodCreate(slot.ordinal, slot.name, slot.revision)
        claims = _missing_claims(ctx, slot.name, slot.ordinal)
        claims += _created_pod_claim_writes(ctx, slot.name, slot.ordinal)
        return acc.add(creates=(create,), claims=claims), ctx.monotonic
    owners_fixed = pod.phase == PENDING
    if owners_fixed:
        # ref stateful_pod_control.go (createMissingPersistentVolumeClaims): creates the missing claims and
        # fixes the owners of the others (UpdatePodClaimForRetentionPolicy), even when the pass then waits
        owners = _claim_writes(ctx, slot.name, slot.ordinal, pod.uid, condemned=False)
        acc = acc.add(claims=_missing_claims(ctx, slot.name, slot.ordinal) + owners)
    if ctx.monotonic and (
        sts_util.is_terminating(pod)
        or not sts_util.is_running_and_ready(pod)
        or not sts_util.is_running_and_available(pod, ctx.sts.spec.min_ready_seconds, ctx.now)
    ):
        return acc.add(blocked_on=slot.name), True
    if owners_fixed:
        return acc, False
    return acc.add(claims=_claim_writes(ctx, slot.name, slot.ordinal, pod.uid, condemned=False)), False


def _first_unavailable(ctx: _Ctx, slots: Sequence[_Slot], condemned: Sequence[PodView]) -> str:
    """The lowest-index unavailable replica, else the lowest-ordinal unavailable condemned pod."""
    # ref stateful_set_control.go (updateStatefulSet): firstUnavailablePod
    for slot in slots:
        if _unavailable(ctx, slot.pod):
            return slot.name
    return next((p.name for p in reversed(condemned) if _unavailable(ctx, p)), "")


def _process_condemned(ctx: _Ctx, pod: PodView, first_unavailable: str, acc: _Acc) -> tuple[_Acc, bool]:
    # ref stateful_set_control.go (processCondemned)
    if sts_util.is_terminating(pod):
        return (acc.add(blocked_on=pod.name), True) if ctx.monotonic else (acc, False)
    healthy = sts_util.is_running_and_ready(pod) and sts_util.is_running_and_available(
        pod, ctx.sts.spec.min_ready_seconds, ctx.now
    )
    if ctx.monotonic and not healthy and pod.name != first_unavailable:
        return acc.add(blocked_on=pod.name), True
    return acc.add(deletes=(PodDelete(pod.name, REASON_SCALE_DOWN),)), True


# ---------------------------------------------------------------- step 7


def update_deletions(ctx: _Ctx, slots: Sequence[_Slot], gate: bool) -> tuple[tuple[PodDelete, ...], str]:
    """Rolling-update deletions of one sync, and the pod the scan waited on ("" if none)."""
    # ref stateful_set_control.go (updateStatefulSetAfterInvariantEstablished, updateStatefulSet)
    block = ctx.sts.spec.update_strategy.rolling_update
    update_min = block.partition if block is not None else 0
    update = ctx.revs.update.name

    def outdated(slot: _Slot) -> bool:
        return slot.revision != update and not sts_util.is_terminating(slot.pod)

    targets = [s for s in reversed(slots) if s.index >= update_min]
    if not gate:
        for slot in targets:
            if outdated(slot):
                return (PodDelete(slot.name, REASON_UPDATE),), ""
            if _unavailable(ctx, slot.pod):
                return (), slot.name
        return (), ""
    limit = statefulset_max_unavailable(block.max_unavailable, ctx.sts.spec.replicas) if block else 1
    unavailable = sum(1 for s in slots if _unavailable(ctx, s.pod))
    if unavailable > limit:
        return (), ""
    chosen = [s for s in targets if outdated(s)][: limit - unavailable]
    return tuple(PodDelete(s.name, REASON_UPDATE) for s in chosen), ""


# ---------------------------------------------------------------- the sync


def _status(ctx: _Ctx, slots: Sequence[_Slot], condemned: Sequence[PodView]) -> StatefulSetStatus:
    pods = [s.pod for s in slots] + list(condemned)
    return sts_util.count_status(ctx.sts, pods, ctx.revs.current.name, ctx.revs.update.name, ctx.now)


def _decide(ctx: _Ctx, slots: list[_Slot], condemned: list[PodView], release: Release) -> tuple[_Acc, int]:
    """Steps 3-7; returns the decisions and how many update deletions lower currentReplicas."""
    acc = _Acc()
    for slot in slots:
        acc, stop = _process_replica(ctx, slot, acc)
        if stop and ctx.monotonic:
            return acc, 0
    for pod in condemned:
        ordinal = sts_util.ordinal_of(pod)
        acc = acc.add(claims=_claim_writes(ctx, pod.name, ordinal, pod.uid, condemned=True))
    first = _first_unavailable(ctx, slots, condemned)
    for pod in condemned:
        acc, stop = _process_condemned(ctx, pod, first, acc)
        if stop and ctx.monotonic:
            return acc, 0
    if ctx.sts.spec.update_strategy.type == ON_DELETE:
        return acc, 0
    deletes, waiting = update_deletions(ctx, slots, max_unavailable_statefulset(release))
    return acc.add(deletes=deletes, blocked_on=waiting or acc.blocked_on), len(deletes)


def sync(
    sts: StatefulSetView,
    revisions: Sequence[ControllerRevisionView],
    pods: Sequence[PodView],
    claims: Sequence[PersistentVolumeClaimView],
    now: float,
    *,
    release: Release = DEFAULT,
) -> StatefulSetDecision:
    """One `UpdateStatefulSet` on a snapshot: `pods` and `claims` are everything in the namespace."""
    # ref stateful_set_control.go (UpdateStatefulSet, performUpdate, updateStatefulSet)
    owned = sts_util.claim_pods(sts, pods)
    revs = sts_util.statefulset_revisions(sts, revisions)
    ctx = _Ctx(sts, revs, {c.name: c for c in claims}, now)
    slots, condemned = split_pods(sts, owned, revs)
    truncated = sts_util.truncated_history(sts, revisions, owned, revs.current.name, revs.update.name)
    if sts.deleting:
        status = sts_util.count_status(sts, owned, revs.current.name, revs.update.name, now)
        status = sts_util.complete_rolling_update(sts.spec, status)
        return StatefulSetDecision(revs, truncated, (), (), (), status)
    acc, update_deletes = _decide(ctx, slots, condemned, release)
    status = _status(ctx, slots, condemned)
    status = attrs.evolve(status, current_replicas=status.current_replicas - update_deletes)
    status = sts_util.complete_rolling_update(sts.spec, status)
    return StatefulSetDecision(
        revs, truncated, acc.creates, acc.deletes, acc.claims, status, acc.blocked_on, acc.stale_claim
    )

"""The StatefulSet controller: identity, pod health, revisions and status, as pure functions on views.

Release: upstream v1.35.4 by default (fact sheet 3). The per-sync decision is in `statefulset_sync`.

Modelled here: pod names `<set>-<ordinal>` and ordinal parsing; ordinals `start .. start+replicas-1`;
which pods a set claims; the STS health predicates (created, Running+Ready, available, terminating,
unavailable); ControllerRevisions (update revision = the template's, an equal older revision is re-numbered on
rollback, current revision from status); history truncation; status counting and `completeRollingUpdate`.

Not modelled: hash collisions (collisionCount never moves), the revision's raw patch (a revision stores the
template itself and equality is template equality, i.e. StatefulSetSemanticRevisionComparison on).

refs kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_utils.go (getParentNameAndOrdinal,
getStartOrdinal, getEndOrdinal, podInOrdinalRange, getPodName, isRunningAndReady, isRunningAndAvailable,
isCreated, isTerminating, isUnavailable, nextRevision, completeRollingUpdate),
kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_control.go (getStatefulSetRevisions,
truncateHistory, computeReplicaStatus, updateStatus),
kubernetes/kubernetes:pkg/controller/statefulset/stateful_set.go (getPodsForStatefulSet),
kubernetes/kubernetes:pkg/controller/history/controller_history.go (SortControllerRevisions,
FindEqualRevisions).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    ROLLING_UPDATE,
    STATEFULSET,
    ControllerRevisionView,
    StatefulSetSpec,
    StatefulSetStatus,
    StatefulSetView,
)
from kubeprops.scenario.spec import Labels
from kubeprops.scenario.view import FAILED, RUNNING, SUCCEEDED, OwnerRef, PodView

from . import pods as podutil
from .apps_common import revision_hash

_ORDINAL = re.compile(r"^(.*)-([0-9]+)$")
INT32_MAX = 2**31 - 1


# ---------------------------------------------------------------- identity


def pod_name(set_name: str, ordinal: int) -> str:
    # ref stateful_set_utils.go (getPodName)
    return f"{set_name}-{ordinal}"


def parent_and_ordinal(name: str) -> tuple[str, int]:
    """("", -1) when the name does not end in `-<digits>` or the number overflows int32."""
    # ref stateful_set_utils.go (getParentNameAndOrdinal): strconv.ParseInt(.., 10, 32)
    match = _ORDINAL.match(name)
    if match is None:
        return "", -1
    ordinal = int(match.group(2))
    return match.group(1), ordinal if ordinal <= INT32_MAX else -1


def ordinal_of(pod: PodView) -> int:
    return parent_and_ordinal(pod.name)[1]


def start_ordinal(spec: StatefulSetSpec) -> int:
    # ref stateful_set_utils.go (getStartOrdinal)
    return spec.ordinals_start


def end_ordinal(spec: StatefulSetSpec) -> int:
    # ref stateful_set_utils.go (getEndOrdinal): inclusive
    return spec.ordinals_start + spec.replicas - 1


def in_range(ordinal: int, spec: StatefulSetSpec) -> bool:
    # ref stateful_set_utils.go (podInOrdinalRange)
    return start_ordinal(spec) <= ordinal <= end_ordinal(spec)


def pod_revision(pod: PodView) -> str:
    # ref stateful_set_utils.go (getPodRevision)
    return dict(pod.labels).get(CONTROLLER_REVISION_HASH, "")


def _matches(selector: Labels, pod_labels: Labels) -> bool:
    return set(selector) <= set(pod_labels)


def claim_pods(sts: StatefulSetView, pods: Iterable[PodView]) -> tuple[PodView, ...]:
    """Pods this set manages: owned (by uid) or orphaned, matching the selector, named `<set>-<n>`."""

    # ref stateful_set.go (getPodsForStatefulSet): ClaimPods filtered by isMemberOf; no adoption by a
    # deleting set
    def ours(pod: PodView) -> bool:
        if pod.owner is None:
            return not sts.deleting
        return pod.owner.kind == STATEFULSET and pod.owner.uid == sts.uid

    return tuple(
        p
        for p in pods
        if ours(p) and _matches(sts.spec.selector, p.labels) and parent_and_ordinal(p.name)[0] == sts.name
    )


# ---------------------------------------------------------------- health (fact sheet 3.3)


def is_created(pod: PodView | None) -> bool:
    # ref stateful_set_utils.go (isCreated): phase non-empty; None is a pod not created yet
    return pod is not None and pod.phase != ""


def is_running_and_ready(pod: PodView | None) -> bool:
    # ref stateful_set_utils.go (isRunningAndReady)
    return pod is not None and pod.phase == RUNNING and podutil.is_ready(pod)


def is_running_and_available(pod: PodView | None, min_ready_seconds: int, now: float) -> bool:
    # ref stateful_set_utils.go (isRunningAndAvailable): IsPodAvailable at now
    return pod is not None and is_running_and_ready(pod) and podutil.is_available(pod, min_ready_seconds, now)


def is_terminating(pod: PodView | None) -> bool:
    # ref stateful_set_utils.go (isTerminating): deletionTimestamp set, whatever the phase
    return pod is not None and pod.deleting


def is_unavailable(pod: PodView | None, min_ready_seconds: int, now: float) -> bool:
    # ref stateful_set_utils.go (isUnavailable): not running-and-available, or terminating
    return not is_running_and_available(pod, min_ready_seconds, now) or is_terminating(pod)


def is_failed_or_succeeded(pod: PodView | None) -> bool:
    # ref stateful_set_control.go (processReplica): Succeeded pods are replaced too
    return pod is not None and pod.phase in (FAILED, SUCCEEDED)


# ---------------------------------------------------------------- revisions (fact sheet 3.4)


@attrs.frozen
class Revisions:
    """The outcome of getStatefulSetRevisions: `written` is the revision this sync creates or re-numbers."""

    current: ControllerRevisionView
    update: ControllerRevisionView
    written: ControllerRevisionView | None = None


def sort_revisions(revisions: Iterable[ControllerRevisionView]) -> list[ControllerRevisionView]:
    # ref controller_history.go (SortControllerRevisions): by revision number, then name
    return sorted(revisions, key=lambda r: (r.revision, r.name))


def owned_revisions(
    sts: StatefulSetView, revisions: Iterable[ControllerRevisionView]
) -> list[ControllerRevisionView]:
    return sort_revisions(r for r in revisions if r.owner.uid == sts.uid)


def next_revision(revisions: Sequence[ControllerRevisionView]) -> int:
    # ref stateful_set_utils.go (nextRevision): 1, or one more than the highest
    return revisions[-1].revision + 1 if revisions else 1


def new_revision(sts: StatefulSetView, number: int) -> ControllerRevisionView:
    """The revision of the set's current template (name `<set>-<hash>`)."""
    # ref stateful_set_utils.go (newRevision), controller_history.go (NewControllerRevision)
    digest = revision_hash(sts.spec.template, sts.status.collision_count)
    owner = OwnerRef(STATEFULSET, sts.name, sts.uid)
    return ControllerRevisionView(f"{sts.name}-{digest}", owner, number, sts.spec.template, digest)


def statefulset_revisions(sts: StatefulSetView, revisions: Iterable[ControllerRevisionView]) -> Revisions:
    """current and update revisions; creates one, or re-numbers an equal older one (rollback)."""
    # ref stateful_set_control.go (getStatefulSetRevisions)
    ordered = owned_revisions(sts, revisions)
    candidate = new_revision(sts, next_revision(ordered))
    equal = [r for r in ordered if r.template == sts.spec.template]
    written: ControllerRevisionView | None = None
    if equal and ordered[-1] == equal[-1]:
        update = ordered[-1]
    elif equal:
        update = written = attrs.evolve(equal[-1], revision=candidate.revision)
    else:
        update = written = candidate
    current = next((r for r in ordered if r.name == sts.status.current_revision), update)
    return Revisions(current=current, update=update, written=written)


def truncated_history(
    sts: StatefulSetView,
    revisions: Iterable[ControllerRevisionView],
    pods: Iterable[PodView],
    current: str,
    update: str,
) -> tuple[str, ...]:
    """Names of the oldest non-live revisions beyond revisionHistoryLimit.

    Live: the current and update revisions and any pod's revision.
    """
    # ref stateful_set_control.go (truncateHistory)
    live = {current, update} | {pod_revision(p) for p in pods}
    history = [r.name for r in owned_revisions(sts, revisions) if r.name not in live]
    limit = sts.spec.revision_history_limit
    if limit < 0 or len(history) <= limit:
        return ()
    return tuple(history[: len(history) - limit])


# ---------------------------------------------------------------- status (fact sheet 3.7)


def count_status(
    sts: StatefulSetView, pods: Iterable[PodView | None], current: str, update: str, now: float
) -> StatefulSetStatus:
    """Status counts over `pods` (None entries are not-yet-created slots), before completeRollingUpdate."""
    # ref stateful_set_control.go (computeReplicaStatus, updateStatus)
    mrs = sts.spec.min_ready_seconds
    created = [p for p in pods if p is not None and is_created(p)]
    live = [p for p in created if not is_terminating(p)]
    return StatefulSetStatus(
        observed_generation=sts.generation,
        replicas=len(created),
        ready_replicas=sum(1 for p in created if is_running_and_ready(p)),
        available_replicas=sum(1 for p in created if is_running_and_available(p, mrs, now)),
        current_replicas=sum(1 for p in live if pod_revision(p) == current),
        updated_replicas=sum(1 for p in live if pod_revision(p) == update),
        current_revision=current,
        update_revision=update,
        collision_count=sts.status.collision_count,
    )


def complete_rolling_update(spec: StatefulSetSpec, status: StatefulSetStatus) -> StatefulSetStatus:
    """RollingUpdate with every replica updated and Ready (not Available: #136831) -> current := update."""
    # ref stateful_set_utils.go (completeRollingUpdate): also requires status.replicas == spec.replicas
    r = spec.replicas
    done = (
        spec.update_strategy.type == ROLLING_UPDATE
        and status.updated_replicas == r
        and status.ready_replicas == r
        and status.replicas == r
    )
    if not done:
        return status
    return attrs.evolve(
        status, current_replicas=status.updated_replicas, current_revision=status.update_revision
    )


def status_changed(old: StatefulSetStatus, new: StatefulSetStatus) -> bool:
    """Whether the controller writes `new`: a newer observedGeneration or any count / revision differs."""
    # ref stateful_set_utils.go (inconsistentStatus)
    return (
        new.observed_generation > old.observed_generation
        or attrs.evolve(new, observed_generation=old.observed_generation, collision_count=old.collision_count)
        != old
    )

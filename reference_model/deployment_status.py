"""Deployment status, conditions and the progress deadline: the half of the Deployment controller that only
computes what it writes to `status`.

Release: upstream v1.35.4 (`terminatingReplicas` follows `Release.terminating_replicas`).

Modelled (fact sheet 0.1, 0.7, 2.8, 2.9): fenceposts (MaxSurge / MaxUnavailable), calculateStatus with the
Available condition, the Progressing condition protocol (NewReplicaSetCreated, FoundNewReplicaSet,
ReplicaSetUpdated, NewReplicaSetAvailable, ProgressDeadlineExceeded, DeploymentPaused / DeploymentResumed),
the ReplicaFailure copy from ReplicaSets, and the progress re-check timer.

Not modelled: condition messages are fixed short strings (properties compare type, status and reason only);
the "rate-limited immediate" requeue when less than a second is left is a fixed `RATE_LIMITED_REQUEUE`
delay.

refs kubernetes/kubernetes:pkg/controller/deployment/sync.go (calculateStatus, checkPausedConditions),
kubernetes/kubernetes:pkg/controller/deployment/progress.go (syncRolloutStatus, getReplicaFailures,
requeueStuckDeployment), kubernetes/kubernetes:pkg/controller/deployment/util/deployment_util.go
(ResolveFenceposts, MaxSurge, MaxUnavailable, DeploymentComplete, DeploymentProgressing, DeploymentTimedOut,
SetDeploymentCondition, GetTerminatingReplicaCountForReplicaSets).
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from kubeprops.scenario.spec import MAX_INT32, RECREATE, DeploymentSpec, DeploymentStrategy
from kubeprops.scenario.view import Condition, DeploymentStatus, DeploymentView, ReplicaSetView

from .intstr import scaled_value
from .release import DEFAULT, Release

AVAILABLE, PROGRESSING, REPLICA_FAILURE = "Available", "Progressing", "ReplicaFailure"
TRUE, FALSE, UNKNOWN = "True", "False", "Unknown"

# ref deployment_util.go (reason constants)
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"

# requeueStuckDeployment enqueues "rate limited" when under a second is left; the workqueue's per-item
# exponential limiter starts at 5 ms and is reset after every successful sync.
RATE_LIMITED_REQUEUE = 0.005


# ---------------------------------------------------------------- fenceposts (fact sheet 0.1)


def resolve_fenceposts(strategy: DeploymentStrategy, replicas: int) -> tuple[int, int]:
    """(MaxSurge, MaxUnavailable) as the controller uses them.

    Surge rounds up, unavailable down; both zero -> unavailable 1 (ResolveFenceposts). MaxUnavailable is then
    capped at `replicas` and is 0 when `replicas` is 0 (MaxUnavailable). Recreate has neither: (0, 0).
    """
    # ref deployment_util.go (ResolveFenceposts, MaxSurge, MaxUnavailable)
    if strategy.type == RECREATE or strategy.rolling_update is None:
        return 0, 0
    ru = strategy.rolling_update
    surge = scaled_value(ru.max_surge, replicas, round_up=True)
    unavailable = scaled_value(ru.max_unavailable, replicas, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    if replicas == 0:
        return surge, 0
    return surge, min(unavailable, replicas)


def max_surge(spec: DeploymentSpec) -> int:
    return resolve_fenceposts(spec.strategy, spec.replicas)[0]


def max_unavailable(spec: DeploymentSpec) -> int:
    return resolve_fenceposts(spec.strategy, spec.replicas)[1]


def has_progress_deadline(spec: DeploymentSpec) -> bool:
    # ref deployment_util.go (HasProgressDeadline): set and not MaxInt32
    return spec.progress_deadline_seconds != MAX_INT32


def has_revision_history_limit(spec: DeploymentSpec) -> bool:
    # ref deployment_util.go (HasRevisionHistoryLimit)
    return spec.revision_history_limit != MAX_INT32


# ---------------------------------------------------------------- conditions


def new_condition(type_: str, status: str, reason: str, now: float, message: str = "") -> Condition:
    # ref deployment_util.go (NewDeploymentCondition): both times are now
    return Condition(type_, status, reason, message or reason, now, now)


def get_condition(status: DeploymentStatus, type_: str) -> Condition | None:
    return status.condition(type_)


def set_condition(status: DeploymentStatus, cond: Condition) -> DeploymentStatus:
    """SetDeploymentCondition: no-op when status and reason are unchanged; keeps lastTransitionTime when only
    the reason changes; the new condition goes to the end of the list."""
    current = status.condition(cond.type)
    if current is not None and current.status == cond.status and current.reason == cond.reason:
        return status
    if current is not None and current.status == cond.status:
        cond = attrs.evolve(cond, last_transition_time=current.last_transition_time)
    return attrs.evolve(status, conditions=(*_without(status, cond.type), cond))


def remove_condition(status: DeploymentStatus, type_: str) -> DeploymentStatus:
    return attrs.evolve(status, conditions=_without(status, type_))


def _without(status: DeploymentStatus, type_: str) -> tuple[Condition, ...]:
    return tuple(c for c in status.conditions if c.type != type_)


def paused_conditions(d: DeploymentView, status: DeploymentStatus, now: float) -> DeploymentStatus:
    """Progressing Unknown/DeploymentPaused on pause, Unknown/DeploymentResumed on resume; a timed-out
    condition is never overwritten."""
    # ref sync.go (checkPausedConditions)
    if not has_progress_deadline(d.spec):
        return status
    cond = status.condition(PROGRESSING)
    if cond is not None and cond.reason == TIMED_OUT_REASON:
        return status
    paused_exists = cond is not None and cond.reason == PAUSED_REASON
    if d.spec.paused and not paused_exists:
        return set_condition(status, new_condition(PROGRESSING, UNKNOWN, PAUSED_REASON, now))
    if not d.spec.paused and paused_exists:
        return set_condition(status, new_condition(PROGRESSING, UNKNOWN, RESUMED_REASON, now))
    return status


# ---------------------------------------------------------------- calculateStatus (fact sheet 2.8)


def terminating_replicas(rss: Sequence[ReplicaSetView], release: Release) -> int | None:
    """Σ status.terminatingReplicas; None if a synced ReplicaSet lacks it. A ReplicaSet never synced
    (observedGeneration 0, no value) does not count. [fact sheet 2.8 marks this skip as unverified]"""
    # ref deployment_util.go (GetTerminatingReplicaCountForReplicaSets)
    if not release.terminating_replicas:
        return None
    total = 0
    for rs in rss:
        value = rs.status.terminating_replicas
        if value is None and rs.status.observed_generation == 0:
            continue
        if value is None:
            return None
        total += value
    return total


def calculate_status(
    d: DeploymentView,
    status: DeploymentStatus,
    all_rss: Sequence[ReplicaSetView],
    new_rs: ReplicaSetView | None,
    now: float,
    release: Release = DEFAULT,
) -> DeploymentStatus:
    """The counts from the ReplicaSets of this sync's snapshot, the Available condition, and the conditions
    already in `status` (the in-memory status of this sync)."""
    # ref sync.go (calculateStatus)
    available = sum(rs.status.available_replicas for rs in all_rss)
    total_spec = sum(rs.replicas for rs in all_rss)
    result = DeploymentStatus(
        replicas=sum(rs.status.replicas for rs in all_rss),
        updated_replicas=new_rs.status.replicas if new_rs is not None else 0,
        ready_replicas=sum(rs.status.ready_replicas for rs in all_rss),
        available_replicas=available,
        unavailable_replicas=max(0, total_spec - available),  # spec totals, not pod counts
        terminating_replicas=terminating_replicas(all_rss, release),
        observed_generation=d.generation,
        collision_count=status.collision_count,
        conditions=status.conditions,
    )
    if available >= d.spec.replicas - max_unavailable(d.spec):
        cond = new_condition(AVAILABLE, TRUE, MIN_AVAILABLE_REASON, now)
    else:
        cond = new_condition(AVAILABLE, FALSE, MIN_UNAVAILABLE_REASON, now)
    return set_condition(result, cond)


def deployment_complete(d: DeploymentView, status: DeploymentStatus) -> bool:
    # ref deployment_util.go (DeploymentComplete)
    r = d.spec.replicas
    return (
        status.updated_replicas == r
        and status.replicas == r
        and status.available_replicas == r
        and status.observed_generation >= d.generation
    )


def deployment_progressing(old: DeploymentStatus, new: DeploymentStatus) -> bool:
    # ref deployment_util.go (DeploymentProgressing)
    old_old = old.replicas - old.updated_replicas
    new_old = new.replicas - new.updated_replicas
    return (
        new.updated_replicas > old.updated_replicas
        or new_old < old_old
        or new.ready_replicas > old.ready_replicas
        or new.available_replicas > old.available_replicas
    )


def deployment_timed_out(d: DeploymentView, status: DeploymentStatus, now: float) -> bool:
    """lastUpdateTime + progressDeadlineSeconds strictly before now (at exactly the deadline: not yet)."""
    # ref deployment_util.go (DeploymentTimedOut)
    if not has_progress_deadline(d.spec):
        return False
    cond = status.condition(PROGRESSING)
    if cond is None or cond.reason == NEW_RS_AVAILABLE_REASON:
        return False
    if cond.reason == TIMED_OUT_REASON:
        return True
    since = cond.last_update_time if cond.last_update_time is not None else 0.0
    return since + d.spec.progress_deadline_seconds < now


def _replica_failure(all_rss: Sequence[ReplicaSetView], new_rs: ReplicaSetView | None) -> Condition | None:
    # ref progress.go (getReplicaFailures): the new ReplicaSet's failure first, then any old one's
    ordered = ([new_rs] if new_rs is not None else []) + [rs for rs in all_rss if rs is not new_rs]
    for rs in ordered:
        for c in rs.status.conditions:
            if c.type == REPLICA_FAILURE and c.status == TRUE:
                return Condition(
                    REPLICA_FAILURE,
                    c.status,
                    c.reason,
                    c.message,
                    c.last_transition_time,
                    c.last_transition_time,
                )
    return None


def rollout_status(
    d: DeploymentView,
    status: DeploymentStatus,
    all_rss: Sequence[ReplicaSetView],
    new_rs: ReplicaSetView | None,
    now: float,
    release: Release = DEFAULT,
) -> DeploymentStatus:
    """syncRolloutStatus: calculateStatus plus the Progressing protocol and the ReplicaFailure copy.

    `status` is the in-memory status of this sync (conditions already touched by the pause check or by the new
    ReplicaSet lookup); progress is judged against it.
    """
    # ref progress.go (syncRolloutStatus)
    new = calculate_status(d, status, all_rss, new_rs, now, release)
    if not has_progress_deadline(d.spec):
        new = remove_condition(new, PROGRESSING)
    current = status.condition(PROGRESSING)
    complete_already = (
        new.replicas == new.updated_replicas
        and current is not None
        and current.reason == NEW_RS_AVAILABLE_REASON
    )
    if has_progress_deadline(d.spec) and not complete_already:
        new = _progressing(d, status, new, current, now)
    failure = _replica_failure(all_rss, new_rs)
    return set_condition(new, failure) if failure is not None else remove_condition(new, REPLICA_FAILURE)


def _progressing(
    d: DeploymentView, old: DeploymentStatus, new: DeploymentStatus, current: Condition | None, now: float
) -> DeploymentStatus:
    if deployment_complete(d, new):
        return set_condition(new, new_condition(PROGRESSING, TRUE, NEW_RS_AVAILABLE_REASON, now))
    if deployment_progressing(old, new):
        # Progress refreshes lastUpdateTime even with an unchanged reason; lastTransitionTime kept if True.
        cond = new_condition(PROGRESSING, TRUE, RS_UPDATED_REASON, now)
        if current is not None and current.status == TRUE:
            cond = attrs.evolve(cond, last_transition_time=current.last_transition_time)
        return set_condition(remove_condition(new, PROGRESSING), cond)
    if deployment_timed_out(d, new, now):
        return set_condition(new, new_condition(PROGRESSING, FALSE, TIMED_OUT_REASON, now))
    return new


def requeue_stuck(
    d: DeploymentView, status: DeploymentStatus, new: DeploymentStatus, now: float
) -> float | None:
    """Seconds until the progress re-check: lastUpdateTime + deadline - now, plus 1 s of padding (#39785);
    `RATE_LIMITED_REQUEUE` when under a second is left; None when complete, timed out or not tracked."""
    # ref progress.go (requeueStuckDeployment)
    current = status.condition(PROGRESSING)
    if not has_progress_deadline(d.spec) or current is None:
        return None
    if deployment_complete(d, new) or current.reason == TIMED_OUT_REASON:
        return None
    since = current.last_update_time if current.last_update_time is not None else 0.0
    after = since + d.spec.progress_deadline_seconds - now
    if after < 1.0:
        return RATE_LIMITED_REQUEUE
    return after + 1.0

"""Progressing outcomes that upstream's status-write races add to the model's fair-order outcome.

The world runs one interleaving: every write succeeds against a fresh read. Upstream controllers read
from informer caches, and one write's fate changes the Deployment's Progressing condition for good:

Creating the new ReplicaSet writes Progressing=NewReplicaSetCreated on the Deployment the sync read. When
that read was stale the write conflicts and the sync is retried; the retry finds the new ReplicaSet and
leaves an existing condition alone (getNewReplicaSet sets one only when there is none). Under Recreate the
old ReplicaSets are already at 0, so status.replicas == status.updatedReplicas, and a condition still
reading NewReplicaSetAvailable makes syncRolloutStatus treat the rollout as complete: the condition never
moves again, not even to ProgressDeadlineExceeded, until checkPausedConditions rewrites it or another new
ReplicaSet is created. Under RollingUpdate the old pods keep replicas != updatedReplicas, so the next sync
records progress and the outcomes meet again. (Found by the simulator with seed 678.)

Conditions steer no scaling decision, so a racing target differs from the model only in that condition.
Each alternative is therefore just a Progressing condition, carried forward by running the model's own
sync on the Deployment with that condition in place of the model's, until it equals the model's.

A second race leaves the same condition behind the other way. Under Recreate with Progressing reading
NewReplicaSetAvailable, the sync that scales the old ReplicaSets to 0 writes status.replicas from their
status, still full; their pods are then marked for deletion one watch event at a time, and the ReplicaSet
controller writes status.replicas from its informer between them. A sync that reads the old ReplicaSets
part way down finds fewer old replicas than the status it wrote (DeploymentProgressing) and records
ReplicaSetUpdated; from then on the rollout is judged again and, if the new pods never turn available,
times out. The fair order sees the old pods go at once and keeps NewReplicaSetAvailable. (Found by the
simulator with seed 214159.)

refs kubernetes/kubernetes:pkg/controller/deployment/sync.go (getNewReplicaSet, syncRolloutStatus,
checkPausedConditions), pkg/controller/deployment/recreate.go (rolloutRecreate),
pkg/controller/deployment/util/deployment_util.go (DeploymentProgressing)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import attrs

from kubeprops.scenario.spec import RECREATE
from kubeprops.scenario.view import Condition, DeploymentView

from .deployment import DeploymentDecision
from .deployment_status import NEW_RS_AVAILABLE_REASON, PROGRESSING, RS_UPDATED_REASON, TRUE, new_condition

Resync = Callable[[DeploymentView], DeploymentDecision]
Recheck = Callable[[DeploymentDecision], "float | None"]


def with_progressing(d: DeploymentView, cond: Condition) -> DeploymentView:
    """`d` with its Progressing condition replaced by `cond`."""
    others = tuple(c for c in d.status.conditions if c.type != PROGRESSING)
    return attrs.evolve(d, status=attrs.evolve(d.status, conditions=(*others, cond)))


def _stays_complete(d: DeploymentView, decision: DeploymentDecision) -> Condition | None:
    """The condition a conflicting NewReplicaSetCreated write leaves behind, when it lasts."""
    cond = d.status.condition(PROGRESSING)
    creates = decision.create is not None and d.spec.strategy.type == RECREATE
    return cond if creates and cond is not None and cond.reason == NEW_RS_AVAILABLE_REASON else None


def _seen_part_way_down(
    d: DeploymentView, decision: DeploymentDecision, old_replicas: Mapping[str, int], now: float
) -> Condition | None:
    """ReplicaSetUpdated, where a later sync may read the old ReplicaSets this one empties part way down."""
    cond = d.status.condition(PROGRESSING)
    if d.spec.strategy.type != RECREATE or cond is None or cond.reason != NEW_RS_AVAILABLE_REASON:
        return None
    going = sum(old_replicas.get(name, 0) for name, replicas in decision.scale if replicas == 0)
    if going < 2:  # one pod leaves no count between all and none
        return None
    updated = new_condition(PROGRESSING, TRUE, RS_UPDATED_REASON, now)
    return attrs.evolve(updated, last_transition_time=cond.last_transition_time)  # True stays True


def step(
    d: DeploymentView,
    decision: DeploymentDecision,
    alternatives: Iterable[Condition],
    resync: Resync,
    recheck: Recheck,
    *,
    old_replicas: Mapping[str, int] | None = None,
    now: float = 0.0,
) -> tuple[frozenset[Condition], tuple[float, ...]]:
    """Alternatives after one sync of `d` (whose fair outcome is `decision`), and their re-check delays
    (`recheck` of each alternative's outcome: the world's rule for which re-checks it keeps).
    `old_replicas` is status.replicas of each ReplicaSet as the sync read it, `now` the sync's time."""
    found: set[Condition] = {_seen_part_way_down(d, decision, old_replicas or {}, now)}
    requeues: list[float] = []
    for branch, outcome in [(d, decision)] + [(with_progressing(d, c), None) for c in alternatives]:
        outcome = outcome or resync(branch)
        kept = _stays_complete(branch, outcome)
        if kept is not None:
            found.add(kept)
        if branch is not d:
            found.add(outcome.status.condition(PROGRESSING))  # type: ignore[arg-type]
            after = recheck(outcome)
            if after is not None:
                requeues.append(after)
    # an alternative that reads like the model's condition has met it (times aside: they differ by the
    # retry's delay upstream too)
    model = _triple(decision.status.condition(PROGRESSING))
    return frozenset(c for c in found if c is not None and _triple(c) != model), tuple(requeues)


def _triple(c: Condition | None) -> tuple[str, str, str] | None:
    return None if c is None else (c.type, c.status, c.reason)

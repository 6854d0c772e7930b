"""Deployment helpers the controller's steps share: the pod-template-hash stand-in, new/old ReplicaSet lookup,
revision and replica annotations, new ReplicaSet sizing and the proportional-scaling arithmetic.

Release: upstream v1.35.4. Pure functions on views; see `deployment` for the controller itself and for why
`template_hash` is not bit-exact with upstream's ComputeHash.

refs kubernetes/kubernetes:pkg/controller/deployment/util/deployment_util.go (EqualIgnoreHash,
FindNewReplicaSet, FindOldReplicaSets, SetNewReplicaSetAnnotations, SetReplicasAnnotations, NewRSNewReplicas,
GetProportion, getReplicaSetFraction, FindActiveOrLatest, IsSaturated, MaxRevision),
kubernetes/kubernetes:pkg/controller/controller_utils.go (ComputeHash, ReplicaSetsByCreationTimestamp,
FilterActiveReplicaSets), kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go
(SafeEncodeString), kubernetes/kubernetes:pkg/controller/deployment/sync.go (maxRevHistoryLengthInChars).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import attrs

from kubeprops.scenario.ops import DEPLOYMENT
from kubeprops.scenario.spec import RECREATE, Labels, PodTemplate, labels
from kubeprops.scenario.view import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    REVISION_HISTORY,
    DeploymentView,
    ReplicaSetView,
)

from . import deployment_status as ds
from .intstr import scaled_value

MAX_REV_HISTORY_LENGTH_IN_CHARS = 2000  # ref sync.go (maxRevHistoryLengthInChars)


# ---------------------------------------------------------------- hashes and lookups


_SAFE_DIGITS = str.maketrans("0123456789", "456789bcdf")  # ref rand.go (SafeEncodeString)


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for byte in data:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def without_hash(template: PodTemplate) -> PodTemplate:
    return attrs.evolve(template, labels=tuple(kv for kv in template.labels if kv[0] != POD_TEMPLATE_HASH))


def template_hash(template: PodTemplate, collision_count: int = 0) -> str:
    """Deterministic stand-in for ComputeHash (not bit-exact with upstream; see the module docstring)."""
    t = without_hash(template)
    text = repr((t.labels, t.image, t.behavior.ready_after, t.node_selector))
    data = text.encode() + (collision_count.to_bytes(4, "little") if collision_count else b"")
    return str(_fnv32a(data)).translate(_SAFE_DIGITS)


def equal_ignore_hash(a: PodTemplate, b: PodTemplate) -> bool:
    # ref deployment_util.go (EqualIgnoreHash)
    return without_hash(a) == without_hash(b)


def by_creation(rs: ReplicaSetView) -> tuple[float, str]:
    # ref controller_utils.go (ReplicaSetsByCreationTimestamp): creation time, then name
    return (rs.created, rs.name)


def owned(d: DeploymentView, rss: Iterable[ReplicaSetView]) -> tuple[ReplicaSetView, ...]:
    """The ReplicaSets whose controller is `d` (ListReplicaSets filters on the ControllerRef)."""
    return tuple(
        rs
        for rs in rss
        if rs.owner is not None
        and rs.owner.kind == DEPLOYMENT
        and rs.owner.name == d.name
        and (not d.uid or not rs.owner.uid or rs.owner.uid == d.uid)
    )


def find_new_replicaset(d: DeploymentView, rss: Sequence[ReplicaSetView]) -> ReplicaSetView | None:
    """The oldest ReplicaSet whose template equals the Deployment's ignoring the hash label (#40415)."""
    # ref deployment_util.go (FindNewReplicaSet)
    return next(
        (rs for rs in sorted(rss, key=by_creation) if equal_ignore_hash(rs.template, d.spec.template)), None
    )


def find_old_replicasets(d: DeploymentView, rss: Sequence[ReplicaSetView]) -> tuple[ReplicaSetView, ...]:
    """All ReplicaSets but the new one, oldest first (zero-sized ones included)."""
    # ref deployment_util.go (FindOldReplicaSets): the second ("all old") list
    new = find_new_replicaset(d, rss)
    return tuple(rs for rs in sorted(rss, key=by_creation) if new is None or rs.name != new.name)


def active(rss: Iterable[ReplicaSetView | None]) -> list[ReplicaSetView]:
    # ref controller_utils.go (FilterActiveReplicaSets): spec.replicas > 0
    return [rs for rs in rss if rs is not None and rs.replicas > 0]


def int_annotation(rs: ReplicaSetView, key: str) -> int | None:
    raw = rs.annotation(key)
    return int(raw) if raw is not None and raw.lstrip("-").isdigit() else None


# ---------------------------------------------------------------- annotations and sizes


def with_annotations(annotations: Labels, **updates: str) -> Labels:
    merged = dict(annotations)
    merged.update(updates)
    return labels(merged)


def set_revision(annotations: Labels, revision: int) -> Labels:
    # ref deployment_util.go (SetDeploymentRevision)
    return with_annotations(annotations, **{REVISION: str(revision)})


def revision_history(annotations: dict[str, str], old_revision: str) -> str | None:
    """revision-history with `old_revision` appended, trimmed from the front to 2000 characters."""
    current = annotations.get(REVISION_HISTORY, "")
    if not current:
        return old_revision
    old = current.split(",")
    total, start = len(current) + len(old_revision) + 1, 0
    while total > MAX_REV_HISTORY_LENGTH_IN_CHARS and start < len(old):
        total -= len(old[start]) + 1
        start += 1
    return ",".join([*old[start:], old_revision]) if total <= MAX_REV_HISTORY_LENGTH_IN_CHARS else None


def new_rs_annotations(rs: ReplicaSetView, new_revision: int) -> tuple[Labels, bool]:
    """SetNewReplicaSetAnnotations for an existing new ReplicaSet: raise its revision to `new_revision` when
    lower, recording the previous one in revision-history (a rollback)."""
    # ref deployment_util.go (SetNewReplicaSetAnnotations)
    annotations = dict(rs.annotations)
    old = annotations.get(REVISION)
    if old is not None and not old.isdigit():
        return rs.annotations, False
    if int(old or 0) >= new_revision:
        return rs.annotations, False
    annotations[REVISION] = str(new_revision)
    if old is not None:
        history = revision_history(annotations, old)
        if history is not None:
            annotations[REVISION_HISTORY] = history
    return labels(annotations), True


def replicas_annotations(d: DeploymentView) -> Labels:
    """desired-replicas and max-replicas as every scale writes them."""
    # ref deployment_util.go (SetReplicasAnnotations)
    r = d.spec.replicas
    return labels({DESIRED_REPLICAS: str(r), MAX_REPLICAS: str(r + ds.max_surge(d.spec))})


def new_rs_new_replicas(d: DeploymentView, all_rss: Sequence[ReplicaSetView], new_rs: ReplicaSetView) -> int:
    """The new ReplicaSet's next size: up to R + maxSurge pods in total, never past R."""
    # ref deployment_util.go (NewRSNewReplicas)
    r = d.spec.replicas
    if d.spec.strategy.type == RECREATE or d.spec.strategy.rolling_update is None:
        return r
    max_total = r + scaled_value(d.spec.strategy.rolling_update.max_surge, r, round_up=True)
    current = sum(rs.replicas for rs in all_rss)
    if current >= max_total:
        return new_rs.replicas
    return new_rs.replicas + min(max_total - current, r - new_rs.replicas)


# ---------------------------------------------------------------- proportional scaling (fact sheet 2.6)


def round_half_away(num: int, den: int) -> int:
    # ref k8s.io/utils/integer (RoundToInt32): math.Round, half away from zero; here num, den >= 0
    return (2 * num + den) // (2 * den)


def replicaset_fraction(rs: ReplicaSetView, d: DeploymentView) -> int:
    # ref deployment_util.go (getReplicaSetFraction)
    r = d.spec.replicas
    if r == 0:
        return -rs.replicas
    before = int_annotation(rs, MAX_REPLICAS)
    if not before:
        before = d.status.replicas  # annotation missing: fall back to the Deployment's current size
        if before == 0:
            return 0
    return round_half_away(rs.replicas * (r + ds.max_surge(d.spec)), before) - rs.replicas


def get_proportion(rs: ReplicaSetView, d: DeploymentView, to_add: int, added: int) -> int:
    # ref deployment_util.go (GetProportion)
    if rs.replicas == 0 or to_add == 0 or to_add == added:
        return 0
    fraction, allowed = replicaset_fraction(rs, d), to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def find_active_or_latest(
    new: ReplicaSetView | None, olds: Sequence[ReplicaSetView]
) -> ReplicaSetView | None:
    """The only active ReplicaSet; if none is active the new one, else the newest old one; None if several."""
    # ref deployment_util.go (FindActiveOrLatest)
    if new is None and not olds:
        return None
    newest_first = sorted(olds, key=by_creation, reverse=True)
    running = active([*newest_first, new])
    if not running:
        return new if new is not None else newest_first[0]
    return running[0] if len(running) == 1 else None


def is_saturated(d: DeploymentView, rs: ReplicaSetView | None) -> bool:
    # ref deployment_util.go (IsSaturated)
    if rs is None:
        return False
    r = d.spec.replicas
    desired = int_annotation(rs, DESIRED_REPLICAS)
    return rs.replicas == r and desired == r and rs.status.available_replicas == r

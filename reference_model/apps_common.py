"""Pieces the StatefulSet and DaemonSet models share: revision hashes, the maxUnavailable gate, the
int-or-percent fenceposts of both controllers, and "any k of these" outcomes.

refs kubernetes/kubernetes:pkg/controller/history/controller_history.go (HashControllerRevision,
NewControllerRevision), kubernetes/kubernetes:pkg/controller/controller_utils.go (ComputeHash),
kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/util/rand/rand.go (SafeEncodeString),
kubernetes/kubernetes:pkg/features/kube_features.go (MaxUnavailableStatefulSet: alpha 1.24, beta 1.35, off
by default in both),
kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_utils.go (getStatefulSetMaxUnavailable),
kubernetes/kubernetes:pkg/controller/daemon/util/daemonset_util.go (UnavailableCount, SurgeCount),
kubernetes/kubernetes:pkg/controller/daemon/update.go (updatedDesiredNodeCounts).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from kubeprops.scenario.spec import IntOrPercent

from .intstr import scaled_value
from .release import Release

_SAFE_DIGITS = str.maketrans("0123456789", "456789bcdf")  # ref rand.go (SafeEncodeString) on decimals
_FNV_OFFSET, _FNV_PRIME = 0x811C9DC5, 0x01000193


def _fnv32a(data: bytes) -> int:
    value = _FNV_OFFSET
    for byte in data:
        value = ((value ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return value


def revision_hash(template: object, collision_count: int = 0) -> str:
    """An opaque, deterministic stand-in for upstream's hash: FNV-32a of the template's repr and the
    collision count, rendered as decimal digits mapped through SafeEncodeString (only `456789bcdf`).

    Upstream hashes a Go-specific dump, so values never match a real cluster's; only equality matters.
    """
    # ref controller_utils.go (ComputeHash), controller_history.go (HashControllerRevision)
    digest = _fnv32a(f"{template!r}/{collision_count}".encode())
    return str(digest).translate(_SAFE_DIGITS)


def max_unavailable_statefulset(release: Release) -> bool:
    """Gate MaxUnavailableStatefulSet: off by default in every supported release (beta but off in 1.35)."""
    # ref pkg/features/kube_features.go: {1.24 Alpha, Default false}, {1.35 Beta, Default false}
    return release.max_unavailable_statefulset


def statefulset_max_unavailable(max_unavailable: IntOrPercent | None, replicas: int) -> int:
    """Rounds a percent of spec.replicas down, never below 1; an absent value means 1."""
    # ref stateful_set_utils.go (getStatefulSetMaxUnavailable)
    value = scaled_value(max_unavailable or IntOrPercent(1), replicas, round_up=False)
    return max(value, 1)


def daemonset_fenceposts(
    max_surge: IntOrPercent, max_unavailable: IntOrPercent, desired: int
) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) of a DaemonSet: both percents of desiredNumberScheduled rounded up; if
    both are 0 and some node wants a pod, maxUnavailable becomes 1."""
    # ref daemonset_util.go (UnavailableCount, SurgeCount), update.go (updatedDesiredNodeCounts)
    surge = scaled_value(max_surge, desired, round_up=True)
    unavailable = scaled_value(max_unavailable, desired, round_up=True)
    if desired > 0 and surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


@attrs.frozen
class AnyOf:
    """Every set upstream could choose: all of `certain` plus any `pick` members of `pool`.

    Used where upstream walks a Go map (random order) and stops after a budget.
    """

    certain: frozenset[str] = frozenset()
    pool: frozenset[str] = frozenset()
    pick: int = 0

    def allows(self, chosen: Iterable[str]) -> bool:
        chosen = frozenset(chosen)
        rest = chosen - self.certain
        return self.certain <= chosen and rest <= self.pool and len(rest) == self.pick

    def first(self) -> frozenset[str]:
        """One allowed outcome: the `pick` smallest names of the pool."""
        return self.certain | frozenset(sorted(self.pool)[: self.pick])

    def last(self) -> frozenset[str]:
        """Another allowed outcome: the `pick` largest names of the pool."""
        return self.certain | frozenset(sorted(self.pool)[len(self.pool) - self.pick :])

    @property
    def count(self) -> int:
        return len(self.certain) + self.pick


def any_of(certain: Iterable[str], pool: Iterable[str], budget: int) -> AnyOf:
    """`certain` plus `budget` of `pool` (all of it when the budget covers it)."""
    pool_set = frozenset(pool)
    budget = max(0, budget)
    if budget >= len(pool_set):
        return AnyOf(frozenset(certain) | pool_set)
    return AnyOf(frozenset(certain), pool_set, budget)

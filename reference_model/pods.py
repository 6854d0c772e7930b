"""Pod predicates and the ReplicaSet's "which pod to delete first" comparator.

Predicates: ref kubernetes/kubernetes:pkg/api/v1/pod/util.go (IsPodReady, IsPodAvailable),
kubernetes/kubernetes:pkg/controller/controller_utils.go (IsPodActive, IsPodTerminating).

Deletion order (fact sheet 0.5, comparator B): ref kubernetes/kubernetes:pkg/controller/controller_utils.go
(ActivePodsWithRanks.Less, logarithmicRankDiff, afterOrZero), kubernetes/kubernetes:pkg/controller/replicaset/
replica_set.go (getPodsToDelete, getPodsRankedByRelatedPodsOnSameNode, getIndirectlyRelatedPods).

Times. Views carry float seconds; the comparator and the availability rule work on integer nanoseconds,
`round(seconds * 1e9)`, so "strictly after" and the log2 buckets are exact. A time of None is Go's zero time
(e.g. a Ready pod without a Ready lastTransitionTime). Upstream takes floor(log2(age)) in float64; we use
the exact integer `age.bit_length() - 1`, which agrees for every age below about 2**46 ns (19 hours) and can
differ only by rounding at the very edge of a bucket above that.

Ties. Upstream sorts with an unstable sort, and with log buckets the comparator is not even a strict weak
order when timestamps are equal (equal times skip the UID tie-break, so "equal" is not transitive). We
therefore do not produce one order but *tiers*: groups of pods upstream may order any way among themselves,
with every pod of an earlier tier strictly before every pod of a later one. When the comparator is a strict
weak order the tiers are exactly its equivalence classes; otherwise the inconsistent pods are merged into
one tier (the strongly connected components of "may come before"), which is the finest grouping any
comparison sort, Go's pdqsort included, must respect.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Sequence

import attrs

from kubeprops.scenario.view import DELETION_COST, PENDING, RUNNING, UNKNOWN, PodView

from .release import DEFAULT, Release

NS_PER_SECOND = 1_000_000_000
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

_PHASE_ORDINAL = {PENDING: 0, UNKNOWN: 1, RUNNING: 2}  # any other phase counts as 0 (Go map default)
_COST = re.compile(r"^(-?)(\d+)$")


def to_ns(seconds: float | None) -> int | None:
    """View seconds to integer nanoseconds (None stays None: Go's zero time)."""
    return None if seconds is None else round(seconds * NS_PER_SECOND)


# ---------------------------------------------------------------- predicates (fact sheet 0.2)


def is_ready(pod: PodView) -> bool:
    # ref pkg/api/v1/pod/util.go (IsPodReady): condition Ready=True
    return pod.ready


def is_available(pod: PodView, min_ready_seconds: int, now: float) -> bool:
    """Ready, and either minReadySeconds is 0 or Ready since at least minReadySeconds."""
    # ref pkg/api/v1/pod/util.go@v1.35.4 (IsPodAvailable): lastTransitionTime + minReadySeconds <= now
    # (`Compare(now) <= 0`; releases before compared with Before, strictly after)
    if not pod.ready:
        return False
    if min_ready_seconds == 0:
        return True
    since = to_ns(pod.ready_since)
    return since is not None and since + min_ready_seconds * NS_PER_SECOND <= round(now * NS_PER_SECOND)


def is_active(pod: PodView) -> bool:
    # ref pkg/controller/controller_utils.go (IsPodActive): not Succeeded/Failed, no deletionTimestamp
    return pod.active


def is_terminating(pod: PodView) -> bool:
    # ref pkg/controller/controller_utils.go (IsPodTerminating): deletionTimestamp set, phase not terminal
    return pod.terminating


def deletion_cost(pod: PodView) -> int:
    """The pod-deletion-cost annotation as upstream reads it; 0 when absent or malformed."""
    # ref pkg/apis/core/helper (GetDeletionCostFromPodAnnotations): no "+", no leading zeros, int32
    raw = dict(pod.annotations).get(DELETION_COST)
    match = _COST.match(raw) if raw is not None else None
    if match is None or (match.group(1) == "" and len(match.group(2)) > 1 and match.group(2)[0] == "0"):
        return 0
    value = int(match.group(0))
    return value if INT32_MIN <= value <= INT32_MAX else 0


# ---------------------------------------------------------------- comparator B (fact sheet 0.5)


@attrs.frozen
class _Facts:
    """What the comparator reads from one pod, precomputed."""

    name: str
    uid: str
    prefix: tuple[int, ...]  # steps 1-5: a strict lexicographic key
    ready: bool
    ready_ns: int | None
    restarts: int
    created_ns: int | None


def node_ranks(related_pods: Iterable[PodView]) -> dict[str, int]:
    """Active related pods per node name ("" for unassigned ones)."""
    # ref replica_set.go (getPodsRankedByRelatedPodsOnSameNode): only active related pods count
    counts: dict[str, int] = {}
    for pod in related_pods:
        if pod.active:
            counts[pod.node] = counts.get(pod.node, 0) + 1
    return counts


def _facts(pod: PodView, ranks: dict[str, int], release: Release) -> _Facts:
    cost = deletion_cost(pod) if release.pod_deletion_cost else 0
    prefix = (
        1 if pod.node else 0,  # 1. unassigned first
        _PHASE_ORDINAL.get(pod.phase, 0),  # 2. Pending < Unknown < Running
        1 if pod.ready else 0,  # 3. not Ready first
        cost,  # 4. lower deletion cost first
        -ranks.get(pod.node, 0),  # 5. more co-located related pods first
    )
    created = to_ns(pod.created)
    return _Facts(pod.name, pod.uid, prefix, pod.ready, to_ns(pod.ready_since), pod.restarts, created)


def _bucket(t_ns: int, now_ns: int) -> int:
    # ref controller_utils.go (logarithmicRankDiff): floor(log2(now - t)), -1 when not in the past
    age = now_ns - t_ns
    return age.bit_length() - 1 if age > 0 else -1


def _after_or_zero(t1: int | None, t2: int | None) -> bool:
    # ref controller_utils.go (afterOrZero): the zero time counts as the latest
    if t1 is None or t2 is None:
        return t1 is None
    return t1 > t2


def _time_less(a: _Facts, b: _Facts, ta: int | None, tb: int | None, now_ns: int, log: bool) -> bool:
    """Steps 6 and 8 once the two times differ: newer first, in log buckets with a UID tie-break."""
    if not log or ta is None or tb is None:
        return _after_or_zero(ta, tb)
    diff = _bucket(ta, now_ns) - _bucket(tb, now_ns)
    return a.uid < b.uid if diff == 0 else diff < 0


def _tail_less(a: _Facts, b: _Facts, now_ns: int, log: bool) -> bool:
    """Steps 6-8 of ActivePodsWithRanks.Less, for two pods equal in steps 1-5."""
    if a.ready and b.ready and a.ready_ns != b.ready_ns:  # 6. more recently Ready first
        return _time_less(a, b, a.ready_ns, b.ready_ns, now_ns, log)
    if a.restarts != b.restarts:  # 7. more restarts first
        return a.restarts > b.restarts
    if a.created_ns != b.created_ns:  # 8. newer first
        return _time_less(a, b, a.created_ns, b.created_ns, now_ns, log)
    return False


def _newest_first(t: int | None) -> tuple[int, int]:
    return (0, 0) if t is None else (1, -t)


def _group_key(f: _Facts, now_ns: int, log: bool) -> tuple[object, ...]:
    """A key coarser than (or equal to) the comparator: pods with different keys are strictly ordered."""
    if not log:  # without log buckets the whole comparator is a lexicographic key
        ready = _newest_first(f.ready_ns) if f.ready else (0, 0)
        return (*f.prefix, *ready, -f.restarts, *_newest_first(f.created_ns))
    if f.ready:  # step 6 decides by bucket whenever both times are set and differ; zero times go first
        return (*f.prefix, *_log_key(f.ready_ns, now_ns))
    return (*f.prefix, -f.restarts, *_log_key(f.created_ns, now_ns))


def _log_key(t: int | None, now_ns: int) -> tuple[int, int]:
    return (0, 0) if t is None else (1, _bucket(t, now_ns))


def _scc_tiers(items: list[_Facts], less: Callable[[_Facts, _Facts], bool]) -> list[list[_Facts]]:
    """Finest contiguous split of a comparator-sorted list with every cross pair strictly ordered."""
    seq = sorted(items, key=functools.cmp_to_key(lambda a, b: -1 if less(a, b) else (1 if less(b, a) else 0)))
    tiers: list[list[_Facts]] = []
    reach, start = -1, 0
    for i, a in enumerate(seq):
        # the furthest later pod that `a` does not strictly precede must stay in a's tier
        far = max((j for j in range(i + 1, len(seq)) if not less(a, seq[j])), default=i)
        reach = max(reach, far)
        if reach == i:
            tiers.append(seq[start : i + 1])
            start = i + 1
    return tiers


def _split_on(
    group: list[_Facts],
    time_of: Callable[[_Facts], int | None],
    rest: Callable[[list[_Facts]], list[list[_Facts]]],
    less: Callable[[_Facts, _Facts], bool],
) -> list[list[_Facts]]:
    """Split pods that share a log bucket for `time_of`: distinct times -> the UID decides (a total order);
    equal times -> the comparator moves on (`rest`); a mix -> the general, quadratic tiering."""
    times = {time_of(f) for f in group}
    if len(times) == len(group):
        return [[f] for f in sorted(group, key=lambda f: f.uid)]
    if len(times) == 1:
        return rest(group)
    return _scc_tiers(group, less)


def _split_group(group: list[_Facts], now_ns: int, log: bool) -> list[list[_Facts]]:
    if len(group) == 1 or not log:
        return [group]
    less = functools.partial(_tail_less, now_ns=now_ns, log=log)

    def by_created(g: list[_Facts]) -> list[list[_Facts]]:
        return _split_on(g, lambda f: f.created_ns, lambda same: [same], less)

    def after_ready(g: list[_Facts]) -> list[list[_Facts]]:
        # equal Ready times: step 7 (restarts) and the bucket of step 8 are strict keys again
        subgroups = _groupby(
            sorted(g, key=lambda f: (-f.restarts, *_log_key(f.created_ns, now_ns))),
            lambda f: (-f.restarts, *_log_key(f.created_ns, now_ns)),
        )
        return [tier for _, sub in subgroups for tier in by_created(sub)]

    if group[0].ready:
        return _split_on(group, lambda f: f.ready_ns, after_ready, less)
    return by_created(group)


def deletion_tiers(
    pods: Sequence[PodView], related_pods: Iterable[PodView], now: float, release: Release = DEFAULT
) -> tuple[frozenset[str], ...]:
    """`pods` grouped into tiers of pods upstream may delete in any order, most deletable tier first.

    `related_pods` are the pods the co-location rank counts: upstream, every pod matching the selector of
    any ReplicaSet with the same controller owner, this one's included (see `replicaset.related_pods_of`);
    empty for a ReplicaSet without an owner, which makes every rank 0.
    """
    ranks = node_ranks(related_pods)
    now_ns, log = round(now * NS_PER_SECOND), release.logarithmic_scale_down
    facts = sorted((_facts(p, ranks, release) for p in pods), key=lambda f: _group_key(f, now_ns, log))
    tiers: list[frozenset[str]] = []
    for _, group in _groupby(facts, lambda f: _group_key(f, now_ns, log)):
        tiers.extend(frozenset(f.name for f in tier) for tier in _split_group(group, now_ns, log))
    return tuple(tiers)


def _groupby(items: list[_Facts], key: Callable[[_Facts], object]) -> list[tuple[object, list[_Facts]]]:
    groups: list[tuple[object, list[_Facts]]] = []
    for item in items:
        k = key(item)
        if groups and groups[-1][0] == k:
            groups[-1][1].append(item)
        else:
            groups.append((k, [item]))
    return groups


# ---------------------------------------------------------------- allowed outcomes of one scale-down


@attrs.frozen
class AllowedDeletions:
    """Every set of pod names upstream could delete: all of `certain` plus any `pick` names of `pool`."""

    certain: frozenset[str]
    pool: frozenset[str]
    pick: int

    def allows(self, chosen: Iterable[str]) -> bool:
        chosen = frozenset(chosen)
        rest = chosen - self.certain
        return self.certain <= chosen and rest <= self.pool and len(rest) == self.pick

    @property
    def count(self) -> int:
        return len(self.certain) + self.pick


NO_DELETIONS = AllowedDeletions(frozenset(), frozenset(), 0)


def allowed_from_tiers(tiers: Sequence[frozenset[str]], count: int) -> AllowedDeletions:
    """Take whole tiers in order; any `pick` pods of the first tier that does not fit whole."""
    certain: frozenset[str] = frozenset()
    for tier in tiers:
        left = count - len(certain)
        if left < len(tier):
            return AllowedDeletions(certain, tier if left > 0 else frozenset(), max(left, 0))
        certain |= tier
    return AllowedDeletions(certain, frozenset(), 0)


def allowed_deletions(
    pods: Sequence[PodView],
    related_pods: Iterable[PodView],
    count: int,
    now: float,
    release: Release = DEFAULT,
) -> AllowedDeletions:
    """The outcomes of deleting `count` of `pods`; every pod, unsorted, when count >= len(pods)."""
    # ref replica_set.go (getPodsToDelete): sorting only happens when diff < len(pods)
    if count >= len(pods):
        return AllowedDeletions(frozenset(p.name for p in pods), frozenset(), 0)
    return allowed_from_tiers(deletion_tiers(pods, related_pods, now, release), max(count, 0))


def is_allowed_deletion(
    chosen: Iterable[str],
    pods: Sequence[PodView],
    related_pods: Iterable[PodView],
    count: int,
    now: float,
    release: Release = DEFAULT,
) -> bool:
    """Whether upstream could have chosen exactly the pods named in `chosen`."""
    return allowed_deletions(pods, related_pods, count, now, release).allows(chosen)

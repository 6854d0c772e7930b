"""Pod predicates and the ReplicaSet deletion comparator (fact sheet 0.2, 0.5)."""

import itertools

import pytest
from factories import make_pod
from hypothesis import given
from hypothesis import strategies as st

from kubeprops.reference_model.pods import (
    allowed_deletions,
    deletion_cost,
    deletion_tiers,
    is_active,
    is_allowed_deletion,
    is_available,
    is_ready,
    is_terminating,
)
from kubeprops.reference_model.release import V1_35, Release
from kubeprops.scenario.view import FAILED, PENDING, RUNNING, SUCCEEDED, UNKNOWN

NOW = 100.0
NO_LOG = Release("v1.30-like", terminating_replicas=False, logarithmic_scale_down=False)
NO_COST = Release("no-cost", terminating_replicas=True, pod_deletion_cost=False)


def tiers(*pods, related=(), release=V1_35, now=NOW):
    return [set(t) for t in deletion_tiers(pods, related, now, release)]


# ---------------------------------------------------------------- predicates


def test_ready_is_the_ready_condition():
    assert is_ready(make_pod(ready=True))
    assert not is_ready(make_pod(ready=False))


@pytest.mark.parametrize(
    ("now", "available"),
    [(10.0, True), (9.999999999, False), (10.5, True), (9.0, False)],
)
def test_available_from_exactly_min_ready_seconds(now, available):
    # worked example (IsPodAvailable@v1.35.4, `<= now`): MRS=10, Ready since 0 -> available from exactly +10 s
    assert is_available(make_pod(ready_since=0.0), 10, now) is available


def test_available_edge_cases():
    assert is_available(make_pod(ready_since=None), 0, 5.0)  # MRS 0: Ready is enough
    assert not is_available(make_pod(ready_since=None), 1, 1e9)  # zero lastTransitionTime never qualifies
    assert not is_available(make_pod(ready=False), 0, 5.0)


@pytest.mark.parametrize(
    ("phase", "deleting", "active", "terminating"),
    [
        (RUNNING, False, True, False),
        (PENDING, False, True, False),
        (RUNNING, True, False, True),
        (PENDING, True, False, True),
        (SUCCEEDED, False, False, False),
        (FAILED, True, False, False),
    ],
)
def test_active_and_terminating(phase, deleting, active, terminating):
    pod = make_pod(phase=phase, deleting=deleting, ready=False)
    assert is_active(pod) is active
    assert is_terminating(pod) is terminating


@pytest.mark.parametrize(
    ("raw", "cost"),
    [
        ("5", 5),
        ("-5", -5),
        ("0", 0),
        ("-007", -7),
        ("+5", 0),
        ("007", 0),
        ("abc", 0),
        ("", 0),
        (str(2**31), 0),
        (str(-(2**31)), -(2**31)),
    ],
)
def test_deletion_cost_is_read_like_upstream(raw, cost):
    assert deletion_cost(make_pod(cost=raw)) == cost


def test_deletion_cost_defaults_to_zero():
    assert deletion_cost(make_pod()) == 0


# ---------------------------------------------------------------- comparator B, step by step


def test_documented_order_unassigned_pending_notready_cost_rank():
    pods = [
        make_pod("unassigned", node="", phase=PENDING, ready=False),
        make_pod("pending", phase=PENDING, ready=False),
        make_pod("unknown", phase=UNKNOWN, ready=False),
        make_pod("not-ready", ready=False),
        make_pod("cheap", cost=-1),
        make_pod("doubled", node="node-2"),
        make_pod("plain", node="node-3"),
        make_pod("dear", node="node-4", cost=10),
    ]
    related = [*pods, make_pod("sibling", node="node-2")]
    assert tiers(*pods, related=related) == [
        {"unassigned"},
        {"pending"},
        {"unknown"},
        {"not-ready"},
        {"cheap"},
        {"doubled"},
        {"plain"},
        {"dear"},
    ]


def test_rank_counts_only_active_related_pods():
    a, b = make_pod("a", node="n1"), make_pod("b", node="n2")
    dead = [make_pod(f"x{i}", node="n1", phase=FAILED, ready=False) for i in range(3)]
    assert tiers(a, b, related=[a, b, *dead]) == [{"a", "b"}]
    assert tiers(a, b, related=[a, b, make_pod("c", node="n2")]) == [{"b"}, {"a"}]


def test_more_recently_ready_first_by_log_bucket():
    recent = make_pod("recent", ready_since=NOW - 3, created=0.0)
    older = make_pod("older", ready_since=NOW - 5, created=50.0)
    assert tiers(older, recent) == [{"recent"}, {"older"}]


def test_zero_ready_time_counts_as_latest():
    assert tiers(make_pod("a", ready_since=NOW - 1), make_pod("z", ready_since=None)) == [{"z"}, {"a"}]


def test_more_restarts_first_when_ready_times_equal():
    assert tiers(make_pod("calm", restarts=0), make_pod("crashy", restarts=4)) == [{"crashy"}, {"calm"}]


def test_ready_time_beats_restarts():
    fresh = make_pod("fresh", ready_since=NOW - 1, restarts=0)
    stale = make_pod("stale", ready_since=NOW - 60, restarts=9)
    assert tiers(stale, fresh) == [{"fresh"}, {"stale"}]


def test_log_buckets_3s_vs_5s_differ():
    # worked example: 3 s -> floor(log2(3e9)) = 31, 5 s -> 32: the 3 s pod goes first
    a = make_pod("aged3", ready=False, created=NOW - 3, uid="uid-z")
    b = make_pod("aged5", ready=False, created=NOW - 5, uid="uid-a")
    assert tiers(a, b) == [{"aged3"}, {"aged5"}]


def test_log_buckets_5s_vs_7s_tie_broken_by_uid():
    # worked example: 5 s and 7 s share bucket 32 -> the smaller UID goes first, whatever the age
    a = make_pod("aged5", ready=False, created=NOW - 5, uid="uid-b")
    b = make_pod("aged7", ready=False, created=NOW - 7, uid="uid-a")
    assert tiers(a, b) == [{"aged7"}, {"aged5"}]


def test_without_log_scale_down_newest_first():
    a = make_pod("aged5", ready=False, created=NOW - 5, uid="uid-b")
    b = make_pod("aged7", ready=False, created=NOW - 7, uid="uid-a")
    assert tiers(a, b, release=NO_LOG) == [{"aged5"}, {"aged7"}]


def test_pod_deletion_cost_switch():
    a, b = make_pod("a", cost=5), make_pod("b", cost=-5)
    assert tiers(a, b) == [{"b"}, {"a"}]
    assert tiers(a, b, release=NO_COST) == [{"a", "b"}]


def test_identical_pods_form_one_tier():
    pods = [make_pod(f"p{i}") for i in range(5)]
    assert tiers(*pods) == [{f"p{i}" for i in range(5)}]


def test_inconsistent_comparator_merges_into_one_tier():
    # equal creation times skip the UID tie-break, different ones in the same bucket use it:
    # a ~ c (equal times), a < b < c by UID -> no strict weak order; upstream may emit any order
    a = make_pod("a", ready=False, created=NOW - 5, uid="uid-1")
    b = make_pod("b", ready=False, created=NOW - 6, uid="uid-2")
    c = make_pod("c", ready=False, created=NOW - 5, uid="uid-3")
    d = make_pod("d", ready=False, created=NOW - 1, uid="uid-9")  # younger bucket: strictly first
    assert tiers(a, b, c, d) == [{"d"}, {"a", "b", "c"}]


def test_tiers_do_not_depend_on_input_order():
    pods = [
        make_pod("a", ready=False, created=NOW - 5, uid="uid-1"),
        make_pod("b", ready=False, created=NOW - 6, uid="uid-2"),
        make_pod("c", ready=False, created=NOW - 5, uid="uid-3"),
        make_pod("e", ready=False, created=NOW - 6, uid="uid-0"),
        make_pod("f", created=NOW - 40, ready_since=NOW - 7),
        make_pod("g", created=NOW - 40, ready_since=NOW - 7, restarts=1),
    ]
    expected = tiers(*pods)
    for perm in itertools.permutations(pods):
        assert tiers(*perm) == expected


# ---------------------------------------------------------------- allowed outcomes


def test_whole_tiers_then_any_subset_of_the_partial_tier():
    pods = [make_pod("nr", ready=False), make_pod("r1"), make_pod("r2"), make_pod("r3")]
    allowed = allowed_deletions(pods, (), 2, NOW)
    assert allowed.certain == {"nr"} and allowed.pool == {"r1", "r2", "r3"} and allowed.pick == 1
    assert is_allowed_deletion({"nr", "r2"}, pods, (), 2, NOW)
    assert not is_allowed_deletion({"r1", "r2"}, pods, (), 2, NOW)  # a Ready pod while a not-Ready stays
    assert not is_allowed_deletion({"nr"}, pods, (), 2, NOW)  # wrong count


def test_deleting_everything_needs_no_sorting():
    pods = [make_pod("a", ready=False), make_pod("b")]
    for count in (2, 5):
        allowed = allowed_deletions(pods, (), count, NOW)
        assert allowed.certain == {"a", "b"} and allowed.pick == 0
        assert allowed.allows(["b", "a"])


def test_deleting_nothing():
    pods = [make_pod("a")]
    assert allowed_deletions(pods, (), 0, NOW).allows(set())
    assert not allowed_deletions(pods, (), 0, NOW).allows({"a"})


def test_exact_tier_boundary_leaves_no_choice():
    pods = [make_pod("nr1", ready=False), make_pod("nr2", ready=False), make_pod("r")]
    allowed = allowed_deletions(pods, (), 2, NOW)
    assert allowed.certain == {"nr1", "nr2"} and allowed.pick == 0 and allowed.pool == frozenset()


# ---------------------------------------------------------------- tiers against a literal transcription of Less


def upstream_less(a, b, now, ranks):
    """ActivePodsWithRanks.Less (1.35, both gates on) transcribed literally, on PodViews."""
    order = {PENDING: 0, UNKNOWN: 1, RUNNING: 2}
    if a.node != b.node and (not a.node or not b.node):
        return not a.node
    if order.get(a.phase, 0) != order.get(b.phase, 0):
        return order.get(a.phase, 0) < order.get(b.phase, 0)
    if a.ready != b.ready:
        return not a.ready
    if deletion_cost(a) != deletion_cost(b):
        return deletion_cost(a) < deletion_cost(b)
    if ranks.get(a.node, 0) != ranks.get(b.node, 0):
        return ranks.get(a.node, 0) > ranks.get(b.node, 0)

    def log_less(ta, tb):
        if ta is None or tb is None:
            return ta is None
        ra, rb = ((round(now * 1e9) - round(t * 1e9)).bit_length() - 1 for t in (ta, tb))
        return a.uid < b.uid if ra == rb else ra < rb

    if a.ready and b.ready and a.ready_since != b.ready_since:
        return log_less(a.ready_since, b.ready_since)
    if a.restarts != b.restarts:
        return a.restarts > b.restarts
    if a.created != b.created:
        return log_less(a.created, b.created)
    return False


pod_specs = st.lists(
    st.tuples(
        st.sampled_from(["", "n1", "n2"]),
        st.booleans(),
        st.sampled_from([0, 1]),
        st.sampled_from([1.0, 3.0, 5.0, 7.0, 40.0]),
        st.sampled_from([2.0, 5.0, 6.0, 7.0, 90.0]),
        st.sampled_from([None, "0", "3"]),
    ),
    min_size=1,
    max_size=9,
)


@given(pod_specs)
def test_tiers_agree_with_upstream_less(specs):
    pods = [
        make_pod(
            f"p{i}",
            uid=f"uid-{(i * 7) % 10}",
            node=node,
            ready=ready,
            restarts=restarts,
            ready_since=NOW - ready_age,
            created=NOW - created_age,
            cost=cost,
        )
        for i, (node, ready, restarts, ready_age, created_age, cost) in enumerate(specs)
    ]
    by_name = {p.name: p for p in pods}
    ranks = {}
    for p in pods:
        ranks[p.node] = ranks.get(p.node, 0) + 1
    result = deletion_tiers(pods, pods, NOW, V1_35)
    assert sorted(n for t in result for n in t) == sorted(by_name)
    for i, earlier in enumerate(result):
        for later in result[i + 1 :]:  # every cross-tier pair strictly ordered
            assert all(upstream_less(by_name[a], by_name[b], NOW, ranks) for a in earlier for b in later)
        # minimal: a tier is strongly connected under "may come before" (not upstream_less(b, a))
        for start in earlier:
            reached, frontier = {start}, [start]
            while frontier:
                a = frontier.pop()
                for b in earlier - reached:
                    if not upstream_less(by_name[b], by_name[a], NOW, ranks):
                        reached.add(b)
                        frontier.append(b)
            assert reached == earlier

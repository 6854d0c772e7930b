"""The ReplicaSet controller model (fact sheet 0.3-0.5, 0.7, 1)."""

import attrs
import pytest
from factories import make_deployment, make_pod, make_rs, owner_ref
from hypothesis import given
from hypothesis import strategies as st

from kubeprops.reference_model.release import V1_35, for_version
from kubeprops.reference_model.replicaset import (
    BURST_REPLICAS,
    adoptions,
    availability_requeue,
    calculate_status,
    claim_pods,
    ready_transition_requeue,
    related_pods_of,
    releases,
    slow_start_batches,
    sync,
)
from kubeprops.scenario.view import FAILED, PENDING, SUCCEEDED

NOW = 100.0


def owned(rs, n, prefix="p", **kw):
    return [make_pod(f"{prefix}{i}", owner=rs, **kw) for i in range(n)]


# ---------------------------------------------------------------- slow start


@pytest.mark.parametrize(
    ("n", "batches"),
    [
        (0, ()),
        (1, (1,)),
        (3, (1, 2)),
        (7, (1, 2, 4)),
        (8, (1, 2, 4, 1)),
        (500, (1, 2, 4, 8, 16, 32, 64, 128, 245)),
    ],
)
def test_slow_start_batches(n, batches):
    assert slow_start_batches(n) == batches
    assert sum(batches) == n


@pytest.mark.parametrize("n", [1, 2, 5, 64, 100, 499, 500])
def test_number_of_batches_is_one_plus_floor_log2(n):
    assert len(slow_start_batches(n)) == 1 + n.bit_length() - 1


def test_scale_from_0_to_1000_creates_500_in_slow_start():
    rs = make_rs(replicas=1000)
    decision = sync(rs, [], NOW)
    assert decision.create == BURST_REPLICAS == 500
    assert decision.batches == (1, 2, 4, 8, 16, 32, 64, 128, 245)
    assert decision.delete_count == 0 and decision.deletion_tiers == ()


# ---------------------------------------------------------------- manage phase


def test_scale_up_creates_the_difference():
    rs = make_rs(replicas=5)
    decision = sync(rs, owned(rs, 3), NOW)
    assert (decision.create, decision.delete_count, decision.batches) == (2, 0, (1, 1))


def test_terminating_pods_are_not_counted_so_replacements_start_at_once():
    rs = make_rs(replicas=3)
    pods = [*owned(rs, 2), make_pod("going", owner=rs, deleting=True)]
    decision = sync(rs, pods, NOW)
    assert decision.create == 1
    assert decision.status.replicas == 2 and decision.status.terminating_replicas == 1


def test_failed_and_succeeded_pods_are_replaced():
    rs = make_rs(replicas=2)
    pods = [
        make_pod("a", owner=rs),
        make_pod("f", owner=rs, phase=FAILED, ready=False),
        make_pod("s", owner=rs, phase=SUCCEEDED, ready=False),
    ]
    assert sync(rs, pods, NOW).create == 1


def test_scale_down_deletes_the_difference_most_deletable_first():
    rs = make_rs(replicas=2)
    pods = [*owned(rs, 3), make_pod("pending", owner=rs, phase=PENDING, ready=False)]
    decision = sync(rs, pods, NOW)
    assert decision.create == 0 and decision.delete_count == 2
    assert decision.deletion_tiers[0] == {"pending"}
    assert decision.allows_deletion({"pending", "p1"})
    assert not decision.allows_deletion({"p0", "p1"})


def test_scale_to_zero_deletes_everyone_unsorted():
    rs = make_rs(replicas=0)
    pods = [*owned(rs, 2), make_pod("pending", owner=rs, phase=PENDING, ready=False)]
    decision = sync(rs, pods, NOW)
    assert decision.delete_count == 3
    assert decision.deletion_tiers == (frozenset({"p0", "p1", "pending"}),)
    assert decision.allows_deletion({"p0", "p1", "pending"})


def test_deletions_are_capped_at_500():
    rs = make_rs(replicas=0)
    decision = sync(rs, owned(rs, 700), NOW)
    assert decision.delete_count == 500
    assert decision.deletions.pick == 500 and len(decision.deletions.pool) == 700


def test_unsatisfied_expectations_skip_the_manage_phase_but_not_the_status():
    rs = make_rs(replicas=5)
    decision = sync(rs, owned(rs, 3), NOW, expectations_satisfied=False)
    assert (decision.create, decision.delete_count) == (0, 0)
    assert decision.status.replicas == 3


def test_a_deleting_replicaset_manages_nothing_and_adopts_nothing():
    rs = make_rs(replicas=5, deleting=True)
    decision = sync(rs, [*owned(rs, 2), make_pod("orphan")], NOW)
    assert (decision.create, decision.delete_count) == (0, 0)
    assert decision.status.replicas == 2


def test_colocated_pods_go_first_only_for_replicasets_with_an_owner():
    d = make_deployment()
    rs = make_rs(owner=d, pod_template_hash="abc", replicas=1)
    old = make_rs(owner=d, pod_template_hash="old", replicas=1)
    mine = [
        make_pod("a", owner=rs, node="n1", labels=dict(rs.selector)),
        make_pod("b", owner=rs, node="n2", labels=dict(rs.selector)),
    ]
    theirs = [make_pod("x", owner=old, node="n2", labels=dict(old.selector))]
    related = related_pods_of(rs, [rs, old], [*mine, *theirs])
    assert {p.name for p in related} == {"a", "b", "x"}
    assert sync(rs, mine, NOW, related_pods=related).deletion_tiers == ({"b"}, {"a"})
    orphan_rs = make_rs(replicas=1, selector=dict(rs.selector), template_labels=dict(rs.selector))
    mine = [attrs_owner(p, orphan_rs) for p in mine]
    assert sync(orphan_rs, mine, NOW, related_pods=related).deletion_tiers == ({"a", "b"},)


def attrs_owner(pod, rs):
    return attrs.evolve(pod, owner=owner_ref(rs))


def test_related_pods_are_empty_without_an_owner():
    rs = make_rs()
    assert related_pods_of(rs, [rs], owned(rs, 2)) == ()


# ---------------------------------------------------------------- claiming


def test_claim_keeps_owned_matching_and_adopts_matching_orphans():
    rs = make_rs()
    other = make_rs("other")
    pods = [
        make_pod("mine", owner=rs),
        make_pod("orphan"),
        make_pod("theirs", owner=other),
        make_pod("stray", owner=rs, labels={"app": "db"}),
        make_pod("foreign-orphan", labels={"app": "db"}),
        make_pod("dead-orphan", phase=FAILED, ready=False),
        make_pod("deleting-orphan", deleting=True),
    ]
    assert {p.name for p in claim_pods(rs, pods)} == {"mine", "orphan"}
    assert [p.name for p in adoptions(rs, pods)] == ["orphan"]
    assert [p.name for p in releases(rs, pods)] == ["stray"]


def test_a_deleting_replicaset_neither_adopts_nor_releases():
    rs = make_rs(deleting=True)
    pods = [make_pod("orphan"), make_pod("stray", owner=rs, labels={"app": "db"})]
    assert adoptions(rs, pods) == () and releases(rs, pods) == ()
    assert claim_pods(rs, pods) == ()


# ---------------------------------------------------------------- status


def test_status_counts():
    rs = make_rs(
        replicas=4,
        generation=7,
        min_ready_seconds=10,
        template_labels={"app": "web", "tier": "fe"},
        selector={"app": "web"},
    )
    full = {"app": "web", "tier": "fe"}
    pods = [
        make_pod("avail", owner=rs, labels=full, ready_since=NOW - 11),
        make_pod("just-ready", owner=rs, labels=full, ready_since=NOW - 9.5),  # not yet 10 s: not available
        make_pod("not-ready", owner=rs, labels=full, ready=False),
        make_pod("partial", owner=rs, labels={"app": "web"}, ready_since=NOW - 50),
        make_pod("going", owner=rs, labels=full, deleting=True),
        make_pod("going-elsewhere", labels=full, deleting=True),  # not ours: not counted
    ]
    status = sync(rs, pods, NOW).status
    assert status.replicas == 4
    assert status.fully_labeled_replicas == 3
    assert status.ready_replicas == 3
    assert status.available_replicas == 2
    assert status.terminating_replicas == 1
    assert status.observed_generation == 7
    assert status.conditions == ()


def test_terminating_replicas_is_nil_before_1_35():
    rs = make_rs()
    pods = [make_pod("going", owner=rs, deleting=True)]
    assert calculate_status(rs, (), pods, NOW, for_version("v1.34.2")).terminating_replicas is None
    assert calculate_status(rs, (), pods, NOW, V1_35).terminating_replicas == 1


def test_min_ready_seconds_worked_example():
    # MRS=30, 3 pods Ready at t=0: readyReplicas 3 at once, availableReplicas 0 until t=30 (IsPodAvailable
    # @v1.35.4: lastTransitionTime + minReadySeconds <= now)
    rs = make_rs(replicas=3, min_ready_seconds=30)
    pods = owned(rs, 3, ready_since=0.0)
    early = sync(rs, pods, 0.0)
    assert (early.status.ready_replicas, early.status.available_replicas) == (3, 0)
    assert early.requeue_after == 30.0
    assert sync(rs, pods, 29.5).status.available_replicas == 0
    at_30 = sync(rs, pods, 30.0)
    assert at_30.status.available_replicas == 3 and at_30.requeue_after is None


def test_requeue_for_the_next_pod_to_become_available():
    # syncReplicaSet@v1.35.4: ready != available -> FindMinNextPodAvailabilityCheck, whatever spec.replicas
    rs = make_rs(replicas=3, min_ready_seconds=5)
    pods = [*owned(rs, 1, ready_since=NOW - 3), make_pod("x", owner=rs, ready_since=NOW - 1)]
    assert sync(rs, [*pods, make_pod("y", owner=rs, ready=False)], NOW).requeue_after == 2.0
    assert sync(rs, [make_pod("y", owner=rs, ready=False)], NOW).requeue_after is None  # none Ready
    no_mrs = make_rs(replicas=3)
    claimed = owned(no_mrs, 3)
    assert availability_requeue(no_mrs, claimed, sync(no_mrs, claimed, NOW).status, NOW) is None


def test_ready_transition_requeue_is_min_ready_seconds():
    # updatePod@v1.35.4 adds no second (the DaemonSet controller's still does)
    assert ready_transition_requeue(make_rs(min_ready_seconds=30)) == 30.0
    assert ready_transition_requeue(make_rs(min_ready_seconds=0)) is None


# ---------------------------------------------------------------- PER-SYNC 10.1: one direction, right amount


@given(
    replicas=st.integers(0, 1200),
    active=st.integers(0, 700),
    terminating=st.integers(0, 3),
    satisfied=st.booleans(),
)
def test_one_sync_creates_or_deletes_never_both(replicas, active, terminating, satisfied):
    rs = make_rs(replicas=replicas)
    pods = owned(rs, active) + owned(rs, terminating, prefix="t", deleting=True)
    d = sync(rs, pods, NOW, expectations_satisfied=satisfied)
    assert d.create == 0 or d.delete_count == 0
    expected_create = min(BURST_REPLICAS, max(0, replicas - active)) if satisfied else 0
    expected_delete = min(BURST_REPLICAS, max(0, active - replicas)) if satisfied else 0
    assert (d.create, d.delete_count) == (expected_create, expected_delete)
    assert sum(d.batches) == d.create
    assert d.deletions.count == d.delete_count

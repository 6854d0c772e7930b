"""The DaemonSet model (fact sheet 4): fenceposts, per-node management, rolling update, status, back-off."""

import attrs
import pytest

from kubeprops.reference_model import daemonset as ds_util
from kubeprops.reference_model.apps_common import AnyOf, daemonset_fenceposts
from kubeprops.reference_model.apps_validation import validate_daemonset, validate_daemonset_update
from kubeprops.reference_model.daemonset_sync import PHASE_MANAGE, PHASE_ROLLING_UPDATE, sync
from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    DAEMONSET,
    NO_EXECUTE,
    NO_SCHEDULE,
    ON_DELETE,
    AppsNodeView,
    AppsPodTemplate,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    DaemonSetUpdateStrategy,
    DaemonSetView,
    Taint,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import IntOrPercent
from kubeprops.scenario.view import FAILED, PENDING, RUNNING, SUCCEEDED, OwnerRef, PodView

APP = {"app": "agent"}
V1 = AppsPodTemplate(labels=APP, image="agent:v1")
V2 = AppsPodTemplate(labels=APP, image="agent:v2")
NOW = 1000.0


def make_ds(template=V1, max_unavailable=1, max_surge=0, strategy=None, **kw):
    strategy = strategy or DaemonSetUpdateStrategy(
        rolling_update=DaemonSetRollingUpdate(max_unavailable, max_surge)
    )
    return DaemonSetView(
        "agent", "uid-agent", 1, DaemonSetSpec(template=template, update_strategy=strategy, **kw)
    )


def nodes(n, **kw):
    return tuple(AppsNodeView(f"n{i}", **kw) for i in range(n))


def hash_of(ds, template):
    return ds_util.daemonset_revisions(
        attrs.evolve(ds, spec=attrs.evolve(ds.spec, template=template)), ()
    ).current.hash


def revision(ds, template, number):
    cur = ds_util.daemonset_revisions(
        attrs.evolve(ds, spec=attrs.evolve(ds.spec, template=template)), ()
    ).current
    return attrs.evolve(cur, revision=number)


def dpod(
    ds, node, hash_, name=None, *, phase=RUNNING, ready=True, ready_since=0.0, deleting=False, created=0.0
):
    labels = tuple(sorted({**APP, CONTROLLER_REVISION_HASH: hash_}.items()))
    return PodView(name or f"agent-{node}", f"uid-{name or node}", OwnerRef(DAEMONSET, ds.name, ds.uid), labels,
                   "img", node, phase, ready, ready_since if ready else None, deleting, created)  # fmt: skip


def rolled_out(n, *, template=V1, **kw):
    ds = make_ds(template=template, **kw)
    h = hash_of(ds, template)
    return ds, (revision(ds, template, 1),), [dpod(ds, f"n{i}", h) for i in range(n)], h


def moved_to_v2(n, **kw):
    ds, revs, pods, old = rolled_out(n, **kw)
    return attrs.evolve(ds, spec=attrs.evolve(ds.spec, template=V2)), revs, pods, old


# ---------------------------------------------------------------- fenceposts and validation


@pytest.mark.parametrize(
    ("surge", "unavailable", "desired", "expected"),
    [
        (IntOrPercent(0), IntOrPercent(25, True), 10, (0, 3)),  # 2.5 rounds up
        (IntOrPercent(0), IntOrPercent(10, True), 7, (0, 1)),  # 0.7 rounds up
        (IntOrPercent(10, True), IntOrPercent(0), 7, (1, 0)),  # surge rounds up too
        (IntOrPercent(0), IntOrPercent(0, True), 3, (0, 1)),  # both zero -> unavailable 1
        (IntOrPercent(0), IntOrPercent(0), 0, (0, 0)),  # ...but not with no node to run on
        (IntOrPercent(3), IntOrPercent(0), 2, (3, 0)),  # ints are not capped
    ],
)
def test_fenceposts_round_up(surge, unavailable, desired, expected):
    assert daemonset_fenceposts(surge, unavailable, desired) == expected


def test_defaults_and_validation():
    spec = DaemonSetSpec(template=V1)
    assert spec.update_strategy.rolling_update == DaemonSetRollingUpdate(IntOrPercent(1), IntOrPercent(0))
    validate_daemonset("agent", spec)
    surge_with_default = DaemonSetSpec(template=V1, update_strategy=DaemonSetUpdateStrategy(
        rolling_update=DaemonSetRollingUpdate(max_surge=1)))  # fmt: skip
    with pytest.raises(InvalidSpec) as err:
        validate_daemonset("agent", surge_with_default)
    assert err.value.field == "spec.updateStrategy.rollingUpdate.maxSurge"
    both_zero = DaemonSetSpec(template=V1, update_strategy=DaemonSetUpdateStrategy(
        rolling_update=DaemonSetRollingUpdate(0, 0)))  # fmt: skip
    with pytest.raises(InvalidSpec) as err:
        validate_daemonset("agent", both_zero)
    assert err.value.field == "spec.updateStrategy.rollingUpdate.maxUnavailable"
    with pytest.raises(InvalidSpec, match="immutable"):
        validate_daemonset_update("agent", spec, attrs.evolve(spec, selector={"app": "agent", "x": "y"},
                                                               template=AppsPodTemplate(labels={**APP, "x": "y"})))  # fmt: skip


# ---------------------------------------------------------------- manage


def test_creates_on_every_eligible_node_including_cordoned():
    ds = make_ds()
    fleet = (
        *nodes(2),
        AppsNodeView("cordoned", unschedulable=True),
        AppsNodeView("tainted", taints=(Taint("x", NO_SCHEDULE),)),
    )
    d = sync(ds, (), fleet, (), NOW)
    assert d.phase == PHASE_MANAGE and d.creates == AnyOf(frozenset({"n0", "n1", "cordoned"}))
    assert d.status.desired_number_scheduled == 3


def test_no_schedule_taint_keeps_pod_no_execute_taint_removes_it():
    ds, revs, pods, _ = rolled_out(2)
    fleet = (
        AppsNodeView("n0", taints=(Taint("x", NO_SCHEDULE),)),
        AppsNodeView("n1", taints=(Taint("x", NO_EXECUTE),)),
    )
    d = sync(ds, revs, fleet, pods, NOW)
    assert d.deletes == AnyOf(frozenset({"agent-n1"})) and d.creates.count == 0
    assert (d.status.number_misscheduled, d.status.desired_number_scheduled) == (2, 0)


def test_surplus_pods_keep_the_oldest_scheduled_one():
    ds, revs, pods, h = rolled_out(1)
    newer = dpod(ds, "n0", h, "agent-b", created=5.0)
    unscheduled = attrs.evolve(dpod(ds, "n0", h, "agent-c", created=-5.0), node="")
    d = sync(ds, revs, nodes(1), [*pods, newer, unscheduled], NOW, targets={"agent-c": "n0"})
    assert d.deletes == AnyOf(frozenset({"agent-b", "agent-c"}))


def test_only_pod_terminating_blocks_creation():
    ds, revs, pods, _ = rolled_out(1)
    d = sync(ds, revs, nodes(1), [attrs.evolve(pods[0], deleting=True)], NOW)
    assert d.creates.count == 0 and d.deletes.count == 0


def test_failed_pods_are_deleted_under_backoff_succeeded_at_once():
    ds, revs, pods, _ = rolled_out(2)
    failed = attrs.evolve(pods[0], phase=FAILED, ready=False)
    done = attrs.evolve(pods[1], phase=SUCCEEDED, ready=False)
    d = sync(ds, revs, nodes(2), [failed, done], NOW)
    assert d.deletes == AnyOf(frozenset({"agent-n0", "agent-n1"}))
    key = ds_util.backoff_key(ds, "n0")
    assert d.backoff == ((key, ds_util.Backoff(1.0, NOW)),)
    again = sync(ds, revs, nodes(2), [failed], NOW + 0.5, backoff=dict(d.backoff))
    assert again.deletes.count == 0 and again.requeue_after == 1.0
    later = sync(ds, revs, nodes(2), [failed], NOW + 1.5, backoff=dict(d.backoff))
    assert later.deletes == AnyOf(frozenset({"agent-n0"})) and later.backoff[0][1].delay == 2.0


def test_backoff_doubles_to_fifteen_minutes_and_resets():
    entry = None
    for _ in range(12):
        entry = ds_util.backoff_next(entry, 0.0)
    assert entry.delay == 900.0
    assert ds_util.backoff_next(entry, 1801.0).delay == 1.0  # idle for more than 2 x max


def test_failed_deleting_pod_is_ignored_so_a_replacement_is_created():
    ds, revs, pods, _ = rolled_out(1)
    gone = attrs.evolve(pods[0], phase=FAILED, ready=False, deleting=True)
    assert sync(ds, revs, nodes(1), [gone], NOW).creates == AnyOf(frozenset({"n0"}))


def test_creations_capped_at_burst_replicas():
    d = sync(make_ds(), (), nodes(300), (), NOW)
    assert d.creates.count == 250 and len(d.creates.pool) == 300


def test_unscheduled_pod_for_vanished_node_is_deleted():
    ds, revs, pods, h = rolled_out(1)
    orphan = attrs.evolve(dpod(ds, "gone", h, "agent-x"), node="")
    d = sync(ds, revs, nodes(1), [*pods, orphan], NOW, targets={"agent-x": "gone"})
    assert d.deletes == AnyOf(frozenset({"agent-x"}))


# ---------------------------------------------------------------- rolling update


def test_rollout_deletes_within_round_up_budget_any_nodes():
    ds, revs, pods, _ = moved_to_v2(10, max_unavailable="25%")
    d = sync(ds, revs, nodes(10), pods, NOW)
    assert d.phase == PHASE_ROLLING_UPDATE
    assert d.deletes.certain == frozenset() and d.deletes.pick == 3 and len(d.deletes.pool) == 10
    assert d.deletes.allows({"agent-n0", "agent-n5", "agent-n9"}) and not d.deletes.allows({"agent-n0"})


def test_unavailable_old_pod_replaced_without_consuming_budget():
    ds, revs, pods, _ = moved_to_v2(10, max_unavailable="25%")
    pods[4] = attrs.evolve(pods[4], ready=False, ready_since=None)  # crash-looping old pod
    d = sync(ds, revs, nodes(10), pods, NOW)
    assert d.deletes.certain == {"agent-n4"} and d.deletes.pick == 2  # 3 - 1 unavailable


def test_new_unavailable_pods_use_up_the_budget():
    ds, revs, pods, _ = moved_to_v2(4, max_unavailable=1)
    new_hash = ds_util.daemonset_revisions(ds, revs).current.hash
    pods[0] = dpod(ds, "n0", new_hash, "agent-new", ready=False)
    d = sync(ds, revs, nodes(4), pods, NOW)
    assert d.deletes.count == 0 and d.phase == ""


def test_rollout_waits_while_manage_acts():
    ds, revs, pods, _ = moved_to_v2(3)
    d = sync(ds, revs, nodes(4), pods, NOW)  # n3 has no pod: manage creates, no rolling update this sync
    assert d.phase == PHASE_MANAGE and d.creates == AnyOf(frozenset({"n3"})) and d.deletes.count == 0


def test_misscheduled_old_pod_is_a_rollout_candidate():
    ds, revs, pods, _ = moved_to_v2(2, max_unavailable=2)
    fleet = (AppsNodeView("n0"), AppsNodeView("n1", taints=(Taint("x", NO_SCHEDULE),)))
    d = sync(ds, revs, fleet, pods, NOW)
    assert d.deletes == AnyOf(frozenset({"agent-n0", "agent-n1"}))


def test_surge_creates_new_pods_beside_old_ones_then_deletes_old():
    ds, revs, pods, _ = moved_to_v2(4, max_unavailable=0, max_surge="50%")
    d = sync(ds, revs, nodes(4), pods, NOW)
    assert d.creates.pick == 2 and len(d.creates.pool) == 4 and d.deletes.count == 0
    new_hash = d.hash
    beside = dpod(ds, "n0", new_hash, "agent-new0", created=5.0)
    d = sync(ds, revs, nodes(4), [*pods, beside], NOW)  # new pod Available: the old one goes (manage)
    assert d.phase == PHASE_MANAGE and d.deletes == AnyOf(frozenset({"agent-n0"}))


def test_surge_budget_counts_unavailable_new_pods():
    ds, revs, pods, _ = moved_to_v2(4, max_unavailable=0, max_surge=1)
    new_hash = ds_util.daemonset_revisions(ds, revs).current.hash
    waiting = dpod(ds, "n0", new_hash, "agent-new0", ready=False, created=5.0)
    d = sync(ds, revs, nodes(4), [*pods, waiting], NOW)
    assert d.creates.count == 0 and d.unavailable_seen == 1


def test_on_delete_does_not_roll():
    ds, revs, pods, _ = moved_to_v2(3, strategy=DaemonSetUpdateStrategy(ON_DELETE))
    d = sync(ds, revs, nodes(3), pods, NOW)
    assert d.deletes.count == 0 and d.creates.count == 0
    assert d.status.updated_number_scheduled == 0


# ---------------------------------------------------------------- status


def test_status_counts_nodes_using_the_first_pod():
    ds, revs, pods, h = rolled_out(4, min_ready_seconds=10)
    pods[0] = attrs.evolve(pods[0], ready_since=NOW - 5)  # ready, not yet available
    pods[1] = attrs.evolve(pods[1], ready=False, ready_since=None, phase=PENDING)
    pods[2] = attrs.evolve(pods[2], deleting=True)  # terminating pods still count as scheduled
    extra = dpod(ds, "n3", "oldhash", "agent-zz", created=10.0)  # newer second pod: not the first
    fleet = (*nodes(4), AppsNodeView("n4"), AppsNodeView("tainted", taints=(Taint("x", NO_SCHEDULE),)))
    misplaced = dpod(ds, "tainted", h, "agent-t")
    d = sync(ds, revs, fleet, [*pods, extra, misplaced], NOW, expectations_satisfied=False)
    s = d.status
    assert (s.desired_number_scheduled, s.current_number_scheduled, s.number_misscheduled) == (5, 4, 1)
    assert (s.number_ready, s.number_available, s.updated_number_scheduled) == (3, 2, 4)
    assert s.number_unavailable == 3 and s.observed_generation == 0  # not raised without expectations
    assert d.requeue_after == 10.0  # ready != available


def test_revisions_renumber_on_rollback():
    ds, revs, _, _ = rolled_out(1)
    v2 = revision(ds, V2, 2)
    back = ds_util.daemonset_revisions(ds, (*revs, v2))
    assert back.current.name == revs[0].name and back.current.revision == 3 and back.written is not None


def test_surge_removes_old_pod_on_ineligible_node_only_once_enough_are_available():
    ds, revs, pods, _ = moved_to_v2(4, max_unavailable=0, max_surge=1)
    new_hash = ds_util.daemonset_revisions(ds, revs).current.hash
    fleet = (AppsNodeView("n0", taints=(Taint("x", NO_SCHEDULE),)), *nodes(4)[1:])
    updated = [pods[0]] + [dpod(ds, f"n{i}", new_hash, f"agent-new{i}") for i in range(1, 4)]
    d = sync(ds, revs, fleet, updated, NOW)  # 4 available (old on n0 + 3 new) > 3 desired
    assert d.deletes == AnyOf(frozenset({"agent-n0"}))
    updated[1] = attrs.evolve(updated[1], ready=False, ready_since=None)
    assert sync(ds, revs, fleet, updated, NOW).deletes.count == 0  # 3 available: keep it


def test_surge_rolling_update_gives_up_when_an_old_pod_sits_on_a_vanished_node():
    ds, revs, pods, _ = moved_to_v2(3, max_unavailable=0, max_surge=1)
    pods[2] = attrs.evolve(pods[2], ready=False, ready_since=None)  # only this branch looks the node up
    d = sync(ds, revs, nodes(2), pods, NOW)  # n2 left the node list, its pod is still bound there
    assert d.creates.count == 0 and d.deletes.count == 0 and d.phase == ""

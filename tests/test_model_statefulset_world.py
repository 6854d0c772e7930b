"""The QUIESCENT executor for StatefulSets: settled ordinals, revisions, claims, and stalls."""

import attrs
import pytest

from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model import statefulset_sync
from kubeprops.reference_model.apps_quiescent import converged, run, settled_outcomes, statefulset_outcome
from kubeprops.reference_model.release import DEFAULT, for_version
from kubeprops.scenario.apps_extra import (
    DELETE,
    PARALLEL,
    RETAIN,
    STATEFULSET,
    AdvanceTime,
    AppsPodTemplate,
    CreateStatefulSet,
    DeleteAppsWorkload,
    PersistentVolumeClaimRetentionPolicy,
    ScaleStatefulSet,
    SetOrdinalsStart,
    SetPartition,
    SetPodManagementPolicy,
    StatefulPodAction,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetUpdateStrategy,
    UpdateAppsTemplate,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import POD_DELETE, POD_READY, POD_UNREADY
from kubeprops.scenario.spec import PodBehavior

APP = {"app": "db"}
V1 = AppsPodTemplate(labels=APP, image="db:v1", behavior=PodBehavior(3))
V2 = AppsPodTemplate(labels=APP, image="db:v2", behavior=PodBehavior(3))
BROKEN = AppsPodTemplate(labels=APP, image="db:broken", behavior=PodBehavior(None))


def create(replicas=3, **kw):
    return CreateStatefulSet("web", StatefulSetSpec(template=kw.pop("template", V1), replicas=replicas, **kw))


def steps(*ops_):
    """Each operation followed by two minutes of time, so the cluster settles in between."""
    return [x for op in ops_ for x in (op, AdvanceTime(120))]


def outcome(state, release=DEFAULT):
    return statefulset_outcome(state, state.statefulsets[0], release)


def test_ordered_ready_creates_pods_in_order_one_ready_at_a_time():
    state = ops.apply(world.initial_state(), create(3))
    seen = []
    for _ in range(12):
        seen.append(tuple(sorted(p.name for p in state.pods)))
        state = ops.apply(state, ops.AdvanceTime(1))
    assert seen[0] == ("web-0",)
    assert ("web-0", "web-1") in seen and seen[-1] == ("web-0", "web-1", "web-2")
    firsts = next(names for names in seen if "web-1" in names)
    assert "web-2" not in firsts


def test_settled_scale_up_and_ordered_scale_down():
    state = run(steps(create(3, volume_claim_templates=("data",)), ScaleStatefulSet("web", 1)))
    o = outcome(state)
    assert o.pods == {(0, 1)} and o.converged and o.claims == {"data-web-0", "data-web-1", "data-web-2"}
    assert o.counts == (1, 1, 1, 1, 1)


def test_rolling_update_with_partition_and_start_ordinal():
    ru = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(partition=2))
    state = run(
        steps(create(4, ordinals_start=5, update_strategy=ru), UpdateAppsTemplate(STATEFULSET, "web", V2))
    )
    o = outcome(state)
    assert o.pods == {(5, 1), (6, 1), (7, 2), (8, 2)}
    assert (o.current_revision, o.update_revision) == (1, 2) and o.converged
    assert o.counts == (4, 4, 2, 2, 4)
    state = ops.apply(state, SetPartition("web", 0))
    state, _ = world.settle(state)
    o = outcome(state)
    assert o.pods == {(5, 2), (6, 2), (7, 2), (8, 2)} and o.current_revision == 2


def test_deleted_pod_below_partition_returns_at_the_old_revision():
    ru = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(partition=2))
    state = run(steps(create(3, update_strategy=ru), UpdateAppsTemplate(STATEFULSET, "web", V2),
                 StatefulPodAction("web", 0, POD_DELETE)))  # fmt: skip
    assert outcome(state).pods == {(0, 1), (1, 1), (2, 2)}


def test_broken_new_revision_stalls_ordered_ready_and_revert_does_not_help():
    state = run(steps(create(3), UpdateAppsTemplate(STATEFULSET, "web", BROKEN)))
    o = outcome(state)
    assert not o.converged and o.stalled_on == "web-2"
    assert o.pods == {(0, 1), (1, 1), (2, 2)} and o.ready == {0, 1}  # web-2 stuck at the broken revision
    state = ops.apply(state, UpdateAppsTemplate(STATEFULSET, "web", V1))  # revert: revision 1 becomes 3
    state, _ = world.settle(state)
    o = outcome(state)
    assert not o.converged and o.stalled_on == "web-2" and o.pods == {(0, 3), (1, 3), (2, 2)}
    state = ops.apply(state, StatefulPodAction("web", 2, POD_DELETE))  # the manual fix
    state, _ = world.settle(state)
    o = outcome(state)
    assert o.converged and o.pods == {(0, 3), (1, 3), (2, 3)}  # revision 1 renumbered to 3 (rollback)


def test_issue_137409_parallel_broken_first_revision_stalls_only_with_the_gate_on():
    scenario = [
        create(1, template=BROKEN, pod_management_policy=PARALLEL),
        UpdateAppsTemplate(STATEFULSET, "web", V1),
    ]
    # MaxUnavailableStatefulSet: beta but off by default in 1.35 (kube_features.go); a cluster may turn it on
    gate_on = attrs.evolve(DEFAULT, max_unavailable_statefulset=True)
    stalled = outcome(run(scenario, release=gate_on))
    assert not stalled.converged and stalled.pods == {(0, 1)}
    for release in (DEFAULT, for_version("v1.34.3")):
        fixed = run(scenario, release=release)
        assert outcome(fixed).converged and outcome(fixed).pods == {(0, 2)}


def test_unready_pod_blocks_ordered_scale_up():
    state = run(steps(create(2), StatefulPodAction("web", 1, POD_UNREADY), ScaleStatefulSet("web", 4)))
    o = outcome(state)
    assert o.pods == {(0, 1), (1, 1)} and o.stalled_on == "web-1"


@pytest.mark.parametrize(
    ("when_deleted", "when_scaled", "after_scale_down", "after_delete"),
    [
        ("Retain", "Retain", {0, 1, 2}, {0, 1, 2}),
        ("Retain", DELETE, {0}, {0}),
        (DELETE, "Retain", {0, 1, 2}, set()),
        (DELETE, DELETE, {0}, set()),
    ],
)
def test_claim_retention_matrix(when_deleted, when_scaled, after_scale_down, after_delete):
    policy = PersistentVolumeClaimRetentionPolicy(when_deleted, when_scaled)
    setup = [
        create(3, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy),
        AdvanceTime(60),
    ]
    state = run(steps(*setup, ScaleStatefulSet("web", 1)))
    assert {c.name for c in state.claims} == {f"data-web-{i}" for i in after_scale_down}
    state = run(steps(*setup, ScaleStatefulSet("web", 1), DeleteAppsWorkload(STATEFULSET, "web")))
    assert {c.name for c in state.claims} == {f"data-web-{i}" for i in after_delete}


def test_claims_survive_pod_replacement():
    policy = PersistentVolumeClaimRetentionPolicy(DELETE, DELETE)
    setup = [
        create(2, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy),
        AdvanceTime(60),
    ]
    before = {c.name: c.uid for c in run(setup).claims}
    after = {c.name: c.uid for c in run(steps(*setup, StatefulPodAction("web", 1, POD_DELETE))).claims}
    assert before == after and len(after) == 2


def test_scale_back_up_reuses_retained_claims():
    setup = [create(3, volume_claim_templates=("data",)), AdvanceTime(60)]
    first = {c.name: c.uid for c in run(steps(*setup, ScaleStatefulSet("web", 1))).claims}
    again = run(steps(*setup, ScaleStatefulSet("web", 1), ScaleStatefulSet("web", 3)))
    assert {c.name: c.uid for c in again.claims} == first and converged(again, again.statefulsets[0])


def test_immutable_field_edit_is_rejected():
    state = ops.apply(world.initial_state(), create(1))
    with pytest.raises(InvalidSpec):
        ops.apply(state, SetPodManagementPolicy("web", PARALLEL))


def test_settled_outcomes_is_one_outcome_for_a_deterministic_scenario():
    outcomes = settled_outcomes(steps(create(2), UpdateAppsTemplate(STATEFULSET, "web", V2)))
    assert len(outcomes) == 1
    (only,) = outcomes
    assert only.statefulsets[0].pods == {(0, 2), (1, 2)}


def test_ready_action_heals_a_pod_that_would_never_turn_ready():
    state = run(steps(create(2, template=BROKEN)))
    assert outcome(state).stalled_on == "web-0" and outcome(state).pods == {(0, 1)}
    state = run(steps(create(2, template=BROKEN), StatefulPodAction("web", 0, POD_READY)))
    assert outcome(state).pods == {(0, 1), (1, 1)} and outcome(state).stalled_on == "web-1"


def test_a_status_with_a_negative_count_is_not_written():
    # Parallel, one replica stuck at a broken revision that is not the current one: the
    # update deletion drops currentReplicas from 0 to -1; the API server rejects that status
    # (validation.go ValidateStatefulSetStatus), so the model must not store it.
    two = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(0, 2))
    state = world.initial_state(3)
    for op in steps(create(1, pod_management_policy=PARALLEL, update_strategy=two)):
        state = ops.apply(state, op)
    for op in steps(UpdateAppsTemplate(STATEFULSET, "web", BROKEN)):
        state = ops.apply(state, op)
    state = ops._user_op(state, UpdateAppsTemplate(STATEFULSET, "web", V2), DEFAULT)  # no controller ran yet
    sts = state.statefulsets[0]
    decision = statefulset_sync.sync(sts, state.revisions, state.pods, state.claims, state.now)
    assert decision.status.current_replicas == -1  # what upstream computes...
    after = world._sync_statefulset(state, sts, DEFAULT)
    assert after.statefulsets[0].status.current_replicas >= 0  # ...and fails to write
    assert [d.name for d in decision.deletes] == ["web-0"]  # the deletion itself does happen
    assert any(p.deleting for p in after.pods)


# ---------------------------------------------------------------- the claim race (statefulset_pvc.StaleClaimWait)

FAST = AppsPodTemplate(labels=APP, image="db:v1", behavior=PodBehavior(0))


def ordinals_back_and_forth(when_scaled=DELETE):
    """ordinals.start 1 condemns web-0 and gives its claim to the pod; back to 0 while web-0 terminates."""
    policy = PersistentVolumeClaimRetentionPolicy(RETAIN, when_scaled)
    spec = dict(
        template=FAST, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy
    )
    return [create(1, **spec), SetOrdinalsStart("web", 1), SetOrdinalsStart("web", 0)]


def test_a_sync_that_meets_a_stale_claim_waits_for_an_event():
    # web-0's deletion completes; the sync it wakes still sees data-web-0 naming the gone pod (the garbage
    # collector comes second) and stops, unrequeued; the claim's deletion wakes nothing: web-1 stays
    state = run(ordinals_back_and_forth())
    o = outcome(state)
    assert o.pods == {(1, 1)} and o.claims == {"data-web-1"} and o.counts == (1, 1, 1, 1, 1)
    assert not o.converged and o.stalled_on == "web-0"
    state, settled = world.settle(ops.apply(state, AdvanceTime(3600)))
    assert settled and outcome(state).pods == {(1, 1)}
    # an event for one of its pods wakes it: web-0 comes on a new claim, then the condemned web-1 goes
    for action in (POD_UNREADY, POD_READY):
        state = ops.apply(state, StatefulPodAction("web", 1, action))
    state, _ = world.settle(state)
    o = outcome(state)
    assert o.converged and o.pods == {(0, 1)} and o.claims == {"data-web-0"}


def test_the_garbage_collector_first_lets_the_pod_come():
    o = outcome(run(ordinals_back_and_forth(), gc_after_sync=False))
    assert o.converged and o.pods == {(0, 1)} and o.claims == {"data-web-0"}


def test_both_orders_of_the_claim_race_are_allowed_outcomes():
    outcomes = settled_outcomes(ordinals_back_and_forth())
    assert {o.statefulsets[0].pods for o in outcomes} == {frozenset({(1, 1)}), frozenset({(0, 1)})}


def test_a_retained_claim_is_never_stale():
    # whenScaled Retain: the claim keeps no pod reference, so the pod comes back on it in either order
    for gc_after_sync in (True, False):
        o = outcome(run(ordinals_back_and_forth(RETAIN), gc_after_sync=gc_after_sync))
        assert o.converged and o.pods == {(0, 1)} and o.claims == {"data-web-0", "data-web-1"}

"""The quiescent oracle: scenarios run on the virtual cluster, settled and summarised."""

from __future__ import annotations

import attrs
import pytest

from kubeprops.reference_model import DidNotSettle, settled_state, world, world_operations
from kubeprops.reference_model.quiescent import diff, render_key, summarize, template_key
from kubeprops.scenario import (
    DEPLOYMENT,
    REPLICASET,
    Advance,
    CreateDeployment,
    CreateReplicaSet,
    DeleteWorkload,
    DeploymentSpec,
    DeploymentStrategy,
    InvalidSpec,
    NodeJoin,
    NodeLeave,
    PodAction,
    PodBehavior,
    PodTemplate,
    ReplicaSetSpec,
    Rollback,
    Scale,
    SetPaused,
    UpdateTemplate,
)
from kubeprops.scenario.spec import RECREATE


def template(image: str = "app:v1", ready_after: int | None = 0, **selector: str) -> PodTemplate:
    return PodTemplate(
        labels={"app": "web"}, image=image, behavior=PodBehavior(ready_after), node_selector=selector
    )


def create(
    replicas: int = 4, image: str = "app:v1", ready_after: int | None = 0, **spec: object
) -> CreateDeployment:
    return CreateDeployment(
        "web", DeploymentSpec(template=template(image, ready_after), replicas=replicas, **spec)
    )


def update(image: str, ready_after: int | None = 0) -> UpdateTemplate:
    return UpdateTemplate(DEPLOYMENT, "web", template(image, ready_after))


def run(*ops: object, nodes: int = 3) -> world.WorldState:
    state = world.initial_state(nodes)
    for op in ops:
        state = world_operations.apply(state, op)
    state, settled = world.settle(state)
    assert settled
    return state


def rs_sizes(state: world.WorldState) -> dict[str, tuple[int, int, int]]:
    """image -> (spec.replicas, status.availableReplicas, revision) of the Deployment's ReplicaSets."""
    return {
        rs.template.image: (rs.replicas, rs.status.available_replicas, rs.revision)
        for rs in state.replicasets
    }


def test_initial_state_has_three_labelled_nodes():
    state = world.initial_state()
    assert [n.name for n in state.nodes] == ["node-0", "node-1", "node-2"]
    assert ("kubernetes.io/hostname", "node-1") in state.nodes[1].labels


def test_create_settles_to_one_replicaset_all_available():
    state = run(create(replicas=4, ready_after=5))
    (d,) = summarize(world.view(state)).deployments
    assert d.landed and d.observed and d.revision == 1 and d.status == (4, 4, 4, 4, 0)
    assert d.progressing == ("Progressing", "True", "NewReplicaSetAvailable")
    assert d.available == ("Available", "True", "MinimumReplicasAvailable")
    (rs,) = d.replicasets
    assert (rs.replicas, rs.status_replicas, rs.ready, rs.available, rs.revision) == (4, 4, 4, 4, 1)
    assert d.old_retained == 0


def test_pods_spread_over_nodes_and_turn_ready_after_the_delay():
    state = world_operations.apply(world.initial_state(), create(replicas=4, ready_after=5))
    assert sorted(p.node for p in state.pods) == ["node-0", "node-0", "node-1", "node-2"]
    assert all(p.phase == "Running" and not p.ready for p in state.pods)
    state = world_operations.apply(state, Advance(5))
    assert all(p.ready and p.ready_since == 5.0 for p in state.pods)


def test_template_update_settles_to_new_replicaset_and_old_at_zero():
    state = run(create(replicas=4, ready_after=2), update("app:v2", 2))
    assert rs_sizes(state) == {"app:v1": (0, 0, 1), "app:v2": (4, 4, 2)}
    (d,) = summarize(world.view(state)).deployments
    assert d.landed and d.revision == 2 and d.old_retained == 1 and d.status == (4, 4, 4, 4, 0)


def test_rollout_never_exceeds_surge_or_drops_below_min_available():
    state = world_operations.apply(world.initial_state(), create(replicas=4, ready_after=3))
    state = world_operations.apply(world_operations.apply(state, Advance(3)), update("app:v2", 3))
    while (at := world.next_event(state)) is not None and at < 100:
        state = world.advance(state, at - state.now)
        active = [p for p in state.pods if p.active]
        assert len(active) <= 5  # R + maxSurge
        assert sum(1 for p in active if p.ready) >= 3  # R - maxUnavailable
    assert rs_sizes(state)["app:v2"] == (4, 4, 2)


def test_never_ready_template_stalls_with_progress_deadline_exceeded():
    state = run(create(replicas=4), Advance(1), update("app:v2", None))
    assert rs_sizes(state) == {"app:v1": (3, 3, 1), "app:v2": (2, 0, 2)}
    (d,) = summarize(world.view(state)).deployments
    assert not d.landed and d.progressing == ("Progressing", "False", "ProgressDeadlineExceeded")
    assert d.status is None and d.replicasets is None  # timing-dependent numbers are not compared
    assert d.new_template == template_key(template("app:v2", None))
    cond = state.deployments[0].status.condition("Progressing")
    assert (
        cond.last_transition_time > 1 + 600
    )  # last progress at t=1 (the update): strictly after the deadline


def test_history_limit_at_quiescence():
    ops = [create(replicas=2, revision_history_limit=2)]
    ops += [update(f"app:v{n}") for n in range(2, 7)]
    state = run(*ops)
    assert sorted((rs.revision, rs.replicas) for rs in state.replicasets) == [(4, 0), (5, 0), (6, 2)]
    assert summarize(world.view(state)).deployments[0].old_retained == 2


def test_rollback_reuses_the_old_replicaset_with_a_new_revision():
    state = run(create(replicas=3), update("app:v2"), Rollback("web"))
    assert rs_sizes(state) == {"app:v1": (3, 3, 3), "app:v2": (0, 0, 2)}
    v1 = next(rs for rs in state.replicasets if rs.template.image == "app:v1")
    assert v1.annotation("deployment.kubernetes.io/revision-history") == "1"
    assert state.deployments[0].revision == 3


def test_rollback_to_a_missing_revision_is_a_no_op():
    before = run(create(replicas=2), update("app:v2"))
    assert world_operations.apply(before, Rollback("web", to_revision=7)) == before


def test_paused_deployment_creates_no_replicaset_until_resumed():
    state = run(create(replicas=3), SetPaused("web", True), update("app:v2"), Scale(DEPLOYMENT, "web", 5))
    assert rs_sizes(state) == {"app:v1": (5, 5, 1)}
    d = summarize(world.view(state)).deployments[0]
    assert d.progressing == ("Progressing", "Unknown", "DeploymentPaused") and not d.landed
    state = run(create(replicas=3), SetPaused("web", True), update("app:v2"), SetPaused("web", False))
    assert rs_sizes(state) == {"app:v1": (0, 0, 1), "app:v2": (3, 3, 2)}


def test_recreate_waits_for_old_pods_to_terminate():
    recreate = DeploymentStrategy(type=RECREATE)
    state = world_operations.apply(world.initial_state(), create(replicas=3, strategy=recreate))
    state = world_operations.apply(state, update("app:v2"))
    assert {rs.template.image for rs in state.replicasets} == {"app:v1"}  # old pods still terminating
    assert all(p.deleting for p in state.pods)
    state = world_operations.apply(state, Advance(1))
    assert rs_sizes(state) == {"app:v1": (0, 0, 1), "app:v2": (3, 3, 2)}


def test_scale_up_and_down_settles():
    state = run(create(replicas=2), Scale(DEPLOYMENT, "web", 6), Scale(DEPLOYMENT, "web", 3))
    assert rs_sizes(state) == {"app:v1": (3, 3, 1)}
    assert sum(1 for p in state.pods if p.active) == 3


def test_invalid_operation_raises_and_leaves_state_unchanged():
    state = run(create(replicas=2))
    with pytest.raises(InvalidSpec) as err:
        world_operations.apply(state, Scale(DEPLOYMENT, "web", -1))
    assert err.value.field == "spec.replicas"


def test_pod_failure_is_replaced_and_the_failed_pod_stays():
    state = run(create(replicas=3))
    state = run_from(state, PodAction(DEPLOYMENT, "web", 0, "fail"))
    assert sum(1 for p in state.pods if p.active and p.ready) == 3
    assert sum(1 for p in state.pods if p.phase == "Failed") == 1


def test_pod_unready_keeps_the_deployment_short():
    state = run_from(run(create(replicas=3)), PodAction(DEPLOYMENT, "web", 1, "unready"))
    d = summarize(world.view(state)).deployments[0]
    assert d.status == (3, 3, 2, 2, 1)
    assert d.progressing == ("Progressing", "True", "NewReplicaSetAvailable")  # complete once, not re-judged


def test_node_leave_replaces_its_pods():
    state = run(create(replicas=3))
    state = run_from(state, NodeLeave("node-0"))
    assert all(p.node in ("node-1", "node-2") for p in state.pods)
    assert sum(1 for p in state.pods if p.active and p.ready) == 3


def test_unschedulable_pods_wait_for_a_matching_node():
    op = CreateDeployment("web", DeploymentSpec(template=template(zone="a"), replicas=2))
    state = world_operations.apply(world.initial_state(), op)
    assert all(p.phase == "Pending" and not p.node for p in state.pods)
    state = run_from(state, NodeJoin("node-9", labels={"zone": "a"}))
    assert all(p.node == "node-9" and p.ready for p in state.pods)


def test_delete_workload_cascades():
    state = run(create(replicas=3), DeleteWorkload(DEPLOYMENT, "web"))
    assert state.deployments == () and state.replicasets == () and state.pods == ()


def test_bare_replicaset_summary():
    op = CreateReplicaSet("cache", ReplicaSetSpec(template=template(ready_after=None), replicas=2))
    state = run(op)
    (rs,) = summarize(world.view(state)).replicasets
    assert (rs.replicas, rs.status, rs.pods_ready, rs.pods_not_ready, rs.pods_failed) == (
        2,
        (2, 0, 0),
        0,
        2,
        0,
    )
    state = run_from(state, PodAction(REPLICASET, "cache", 0, "fail"))
    assert summarize(world.view(state)).replicasets[0].pods_failed == 1


def test_min_ready_seconds_makes_pods_available_later():
    state = world_operations.apply(world.initial_state(), create(replicas=2, min_ready_seconds=10))
    state = world_operations.apply(state, Advance(9.5))
    assert state.replicasets[0].status.available_replicas == 0
    state = world_operations.apply(state, Advance(0.5))  # re-sync at Ready + minReadySeconds (v1.35.4)
    assert state.replicasets[0].status.available_replicas == 2


def test_settle_reports_work_past_the_horizon():
    state = world_operations.apply(world.initial_state(), create(replicas=1, ready_after=5000))
    assert world.settle(state, horizon=100)[1] is False
    with pytest.raises(DidNotSettle):
        settled_state([create(replicas=1, ready_after=5000)], horizon=100)


def test_settled_state_is_deterministic_and_skips_rejected_ops():
    ops = [create(replicas=3), Scale(DEPLOYMENT, "web", -2), update("app:v2", 1), Advance(1)]
    assert settled_state(ops) == settled_state(ops)
    assert settled_state(ops).deployments[0].replicas == 3


def test_diff_reads_like_a_report():
    expected = settled_state([create(replicas=4)])
    observed = settled_state([create(replicas=3)])
    lines = diff(expected, observed)
    assert "Deployment/web: spec.replicas expected 4, observed 3" in lines
    assert "Deployment/web: status.availableReplicas expected 4, observed 3" in lines
    key = render_key(template_key(template()))
    assert f"Deployment/web: ReplicaSet[{key}].spec.replicas expected 4, observed 3" in lines
    assert diff(expected, expected) == []
    assert diff(expected, attrs.evolve(expected, deployments=())) == [
        "Deployment/web: expected to exist, observed absent"
    ]


def run_from(state: world.WorldState, *ops: object) -> world.WorldState:
    for op in ops:
        state = world_operations.apply(state, op)
    state, settled = world.settle(state)
    assert settled
    return state


def test_deployment_revision_follows_the_new_replicaset_after_history_cleanup():
    # Found by the settles-to-model property against the simulator: with revisionHistoryLimit 0 the old
    # ReplicaSet (revision 1) is cleaned up, so max(old)+1 is 1 again; upstream copies the existing new
    # ReplicaSet's own revision (2) onto the Deployment (sync.go getNewReplicaSet).
    ops = [
        create(
            6,
            ready_after=10,
            strategy=DeploymentStrategy(RECREATE),
            revision_history_limit=0,
            progress_deadline_seconds=30,
        ),
        UpdateTemplate(DEPLOYMENT, "web", template(ready_after=1)),
    ]
    state = world.initial_state()
    for op in ops:
        state = world_operations.apply(state, op)
    state, settled = world.settle(state)
    assert settled
    (deployment,) = world.view(state).deployments
    (rs,) = world.view(state).replicasets
    assert (deployment.revision, rs.revision) == (2, 2)


PROGRESSING_TIMED_OUT = ("Progressing", "False", "ProgressDeadlineExceeded")
PROGRESSING_COMPLETE = ("Progressing", "True", "NewReplicaSetAvailable")


def test_recreate_from_complete_allows_the_stale_complete_outcome():
    # The NewReplicaSetCreated write may conflict; the retry keeps NewReplicaSetAvailable, and with the old
    # ReplicaSets at 0 syncRolloutStatus calls the rollout complete for ever (sync.go, syncRolloutStatus).
    recreate = DeploymentStrategy(type=RECREATE)
    state = run(create(replicas=2, strategy=recreate, progress_deadline_seconds=30), update("app:v2", None))
    assert [(c.status, c.reason) for c in state.alternatives_of("web")] == [
        ("True", "NewReplicaSetAvailable")
    ]
    (d,) = world.expected_summary(state).deployments
    assert d.progressing == PROGRESSING_TIMED_OUT and d.progressing_also == (PROGRESSING_COMPLETE,)
    observed = attrs.evolve(d, progressing=PROGRESSING_COMPLETE, progressing_also=())
    assert (
        diff(
            world.expected_summary(state),
            attrs.evolve(world.expected_summary(state), deployments=(observed,)),
        )
        == []
    )
    other = attrs.evolve(d, progressing=("Progressing", "True", "ReplicaSetUpdated"), progressing_also=())
    (line,) = diff(
        world.expected_summary(state), attrs.evolve(world.expected_summary(state), deployments=(other,))
    )
    assert "expected False/ProgressDeadlineExceeded or True/NewReplicaSetAvailable" in line


def test_rolling_update_and_completed_rollouts_have_one_progressing_outcome():
    state = run(create(replicas=2, progress_deadline_seconds=30), update("app:v2", None))
    assert state.alternatives == ()
    recreate = DeploymentStrategy(type=RECREATE)
    state = run(create(replicas=2, strategy=recreate), update("app:v2", None), update("app:v3", 0))
    assert state.alternatives == ()  # v3 completed: both outcomes met again
    assert world.expected_summary(state).deployments[0].progressing_also == ()


def test_the_alternative_follows_the_model_rules_through_pause_and_resume():
    # checkPausedConditions leaves a timed-out condition alone but rewrites the stale-complete one: the
    # branches differ while paused; after resuming, the racing branch times out too and the two meet.
    recreate = DeploymentStrategy(type=RECREATE)
    state = run(create(replicas=2, strategy=recreate, progress_deadline_seconds=30), update("app:v2", None))
    state, _ = world.settle(world_operations.apply(state, SetPaused("web", True)))
    (d,) = world.expected_summary(state).deployments
    assert d.progressing == PROGRESSING_TIMED_OUT
    assert d.progressing_also == (("Progressing", "Unknown", "DeploymentPaused"),)
    state, settled = world.settle(world_operations.apply(state, SetPaused("web", False)))
    assert settled and state.alternatives == ()


def test_recreate_scale_down_read_part_way_allows_the_timed_out_outcome():
    # Rolling back to an existing ReplicaSet creates none, so NewReplicaSetAvailable stays in the fair
    # order (the old pods go at once). A sync that reads the old ReplicaSet part way down records
    # ReplicaSetUpdated instead (DeploymentProgressing: fewer old replicas), and pods that never turn
    # available then time out (found by the simulator, seed 214159).
    def rolled_back(replicas: int) -> world.WorldState:
        recreate = DeploymentStrategy(type=RECREATE)
        state = run(create(replicas, strategy=recreate, progress_deadline_seconds=30))
        state = run_from(state, update("app:v2", None), Advance(1), update("app:v3", 0))
        return run_from(state, Rollback("web", 0))

    (d,) = world.expected_summary(rolled_back(9)).deployments
    assert d.progressing == PROGRESSING_COMPLETE and d.progressing_also == (PROGRESSING_TIMED_OUT,)
    # one old pod leaves no count between all and none: no such race
    assert world.expected_summary(rolled_back(1)).deployments[0].progressing_also == ()

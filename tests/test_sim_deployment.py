"""The simulated Deployment controller against the fact sheet (§2) on concrete scenarios."""

import pytest
from sim_builders import RECREATE, deployment, rolling, simulator, sizes, summary, template

from kubeprops.adapters import kube_objects as ko
from kubeprops.adapters.simulator.controllers.deployment import sync, util
from kubeprops.scenario import (
    CreateDeployment,
    PodTemplate,
    ReplicaSetSpec,
    Rollback,
    Scale,
    SetPaused,
    UpdateTemplate,
)


def d_obj(replicas, surge="25%", unavailable="25%", strategy="RollingUpdate"):
    spec = {"replicas": replicas, "strategy": {"type": strategy}}
    if strategy == "RollingUpdate":
        spec["strategy"]["rollingUpdate"] = {"maxSurge": surge, "maxUnavailable": unavailable}
    return {"metadata": {"name": "d", "generation": 1}, "spec": spec}


@pytest.mark.parametrize(
    ("replicas", "surge", "unavailable", "expected"),
    [
        (10, "25%", "25%", (3, 2)),
        (7, "25%", "10%", (2, 0)),
        (2, "0%", "1%", (0, 1)),  # both 0: unavailable forced to 1
        (2, "1%", "25%", (1, 0)),
        (3, "200%", 0, (6, 0)),
        (0, "25%", "25%", (0, 0)),
        (3, 0, 5, (0, 3)),  # capped at replicas
    ],
)
def test_surge_and_unavailable_rounding(replicas, surge, unavailable, expected):
    d = d_obj(replicas, surge, unavailable)
    assert (util.max_surge(d), util.max_unavailable(d)) == expected


def test_recreate_has_no_surge_or_unavailable():
    d = d_obj(5, strategy="Recreate")
    assert (util.max_surge(d), util.max_unavailable(d)) == (0, 0)


def test_hash_uses_safe_digits_and_depends_on_collision_count():
    tmpl = ko.pod_template_manifest(template())
    first, second = util.compute_hash(tmpl, None), util.compute_hash(tmpl, 1)
    assert first != second and set(first + second) <= set("456789bcdf")
    assert str(1234567890).translate(util.SAFE_DIGITS) == "56789bcdf4"


def test_round_half_away_from_zero():
    assert [sync.round_half_away(n, 2) for n in (1, 3, -1, -3)] == [1, 2, -1, -2]
    assert sync.round_half_away(8 * 18, 13) == 11 and sync.round_half_away(5 * 18, 13) == 7


def test_create_settles_with_one_replicaset():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(4)))
    assert sim.settle(60).settled
    view = sim.observe()
    d = view.deployment("web")
    (rs,) = view.replicasets_of("web")
    pod_hash = dict(rs.template.labels)["pod-template-hash"]
    assert rs.name == f"web-{pod_hash}" and dict(rs.selector)["pod-template-hash"] == pod_hash
    assert (rs.replicas, rs.status.available_replicas, rs.revision) == (4, 4, 1)
    assert rs.annotation("deployment.kubernetes.io/max-replicas") == "5"
    assert (d.status.replicas, d.status.updated_replicas, d.status.available_replicas) == (4, 4, 4)
    assert d.revision == 1 and d.status.observed_generation == d.generation
    conditions = {c.type: (c.status, c.reason) for c in d.status.conditions}
    assert conditions == {
        "Available": ("True", "MinimumReplicasAvailable"),
        "Progressing": ("True", "NewReplicaSetAvailable"),
    }
    assert all(dict(p.labels)["pod-template-hash"] == pod_hash for p in view.pods)


def test_rolling_update_respects_surge_and_unavailable_at_every_state():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(10, strategy=rolling(3, 2))))
    sim.settle(60)
    seen = []

    def check(view):
        total = sum(rs.replicas for rs in view.replicasets_of("web"))
        available = sum(1 for p in view.pods if p.active and p.ready)
        seen.append((total, available))
        assert total <= 13, view
        assert available >= 8, view

    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2", ready_after=2)))
    assert sim.settle(300, check).settled
    assert max(t for t, _ in seen) == 13 and len(seen) > 10
    view = sim.observe()
    assert sizes(view) == {"app:v1": 0, "app:v2": 10}
    assert view.deployment("web").status.updated_replicas == 10


def stalled_rollout(seed=0):
    """R=10, surge 3, unavailable 2; the new pods never become ready: old 8 / new 5 (§2.5)."""
    sim = simulator(seed)
    sim.apply(CreateDeployment("web", deployment(10, strategy=rolling(3, 2))))
    sim.settle(60)
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2", ready_after=None)))
    sim.settle(700)
    return sim


def test_stalled_rollout_and_progress_deadline():
    sim = stalled_rollout()
    view = sim.observe()
    assert sizes(view) == {"app:v1": 8, "app:v2": 5}
    progressing = view.deployment("web").status.condition("Progressing")
    assert (progressing.status, progressing.reason) == ("False", "ProgressDeadlineExceeded")
    assert progressing.last_transition_time == pytest.approx(601.0)


def test_deadline_is_not_exceeded_early():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2, progress_deadline_seconds=30)))
    sim.settle(60)
    start = sim.observe().now
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2", ready_after=None)))
    sim.advance(30)
    assert sim.observe().deployment("web").status.condition("Progressing").status == "True"
    sim.advance(1.5)
    cond = sim.observe().deployment("web").status.condition("Progressing")
    assert cond.reason == "ProgressDeadlineExceeded" and cond.last_transition_time - start == pytest.approx(
        31.0
    )


def test_proportional_scaling_worked_example():
    sim = stalled_rollout()
    sim.apply(Scale("Deployment", "web", 15))
    assert sizes(sim.observe()) == {"app:v1": 11, "app:v2": 7}
    sim.apply(Scale("Deployment", "web", 10))
    assert sizes(sim.observe()) == {"app:v1": 8, "app:v2": 5}
    rs = sim.observe().replicasets_of("web")[0]
    assert rs.annotation("deployment.kubernetes.io/desired-replicas") == "10"


def test_paused_deployment_creates_no_replicaset_but_scales():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(4)))
    sim.settle(60)
    sim.apply(SetPaused("web", True))
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2")))
    sim.apply(Scale("Deployment", "web", 6))
    sim.settle(60)
    view = sim.observe()
    assert sizes(view) == {"app:v1": 6}
    assert view.deployment("web").status.condition("Progressing").reason == "DeploymentPaused"
    sim.apply(SetPaused("web", False))
    sim.settle(60)
    assert sizes(sim.observe()) == {"app:v1": 0, "app:v2": 6}


def test_recreate_never_overlaps_old_and_new_pods():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(3, strategy=RECREATE)))
    sim.settle(60)

    def check(view):
        images = {p.image for p in view.pods if p.phase not in ("Succeeded", "Failed")}
        assert len(images) <= 1, view

    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2")))
    assert sim.settle(60, check).settled
    view = sim.observe()
    assert sizes(view) == {"app:v1": 0, "app:v2": 3} and {p.image for p in view.pods} == {"app:v2"}
    assert view.deployment("web").status.condition("Available").status == "True"


def test_revision_history_limit():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2, revision_history_limit=2)))
    sim.settle(60)
    for version in range(2, 7):
        sim.apply(UpdateTemplate("Deployment", "web", template(f"app:v{version}")))
        sim.settle(60)
    view = sim.observe()
    revisions = sorted(rs.revision for rs in view.replicasets_of("web"))
    assert revisions == [4, 5, 6]
    assert view.deployment("web").revision == 6


def test_rollback_reuses_the_old_replicaset():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2)))
    sim.settle(60)
    first = sim.observe().replicasets_of("web")[0].name
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2")))
    sim.settle(60)
    sim.apply(Rollback("web"))
    sim.settle(60)
    view = sim.observe()
    old = view.replicaset(first)
    assert old.replicas == 2 and old.revision == 3
    assert old.annotation("deployment.kubernetes.io/revision-history") == "1"
    assert len(view.replicasets_of("web")) == 2 and view.deployment("web").revision == 3
    assert {p.image for p in view.pods} == {"app:v1"}


def test_rollback_to_missing_revision_is_a_no_op():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2)))
    sim.settle(60)
    before = sim.observe()
    sim.apply(Rollback("web", to_revision=7))
    assert sim.observe() == before


def test_hash_collision_bumps_collision_count():
    sim = simulator()
    spec = deployment(2)
    tmpl = ko.pod_template_manifest(spec.template)
    taken = f"web-{util.compute_hash(tmpl, None)}"
    squatter = ReplicaSetSpec(template=PodTemplate(labels={"other": "x"}, image="other:1"))
    sim.cluster.store.create("ReplicaSet", ko.replicaset_manifest(taken, squatter))
    sim.apply(CreateDeployment("web", spec))
    sim.settle(60)
    view = sim.observe()
    d = view.deployment("web")
    assert d.status.collision_count == 1
    (rs,) = view.replicasets_of("web")
    assert rs.name == f"web-{util.compute_hash(tmpl, 1)}" and rs.status.available_replicas == 2


def test_determinism_and_interleavings():
    def run(seed):
        sim = stalled_rollout(seed)
        sim.apply(Scale("Deployment", "web", 15))
        sim.apply(UpdateTemplate("Deployment", "web", template("app:v3")))
        assert sim.settle(900).settled
        return sim.observe()

    assert run(0) == run(0)
    assert run(5) == run(5)
    assert {summary(run(seed)) for seed in (0, 1, 2, 3, 4, 5)} == {summary(run(0))}

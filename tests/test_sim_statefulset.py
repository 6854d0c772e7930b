"""The simulator's StatefulSet controller: worked examples, and agreement with the apps reference model on
small scenarios."""

from __future__ import annotations

import pytest

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties.apps_machine import apps_view
from kubeprops.properties.statefulset import summarize_statefulsets
from kubeprops.reference_model import apps_operations, apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import POD_DELETE, POD_FAIL, POD_READY, POD_UNREADY
from kubeprops.scenario.spec import IntOrPercent, PodBehavior

DB = {"app": "db"}


def template(image: str = "app:v1", ready_after: int | None = 0) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels=DB, image=image, behavior=PodBehavior(ready_after))


def rolling(partition: int = 0, max_unavailable: int | str = 1) -> a.StatefulSetUpdateStrategy:
    block = a.StatefulSetRollingUpdate(partition, IntOrPercent.parse(max_unavailable))
    return a.StatefulSetUpdateStrategy(rolling_update=block)


def create(replicas: int = 3, tmpl: a.AppsPodTemplate | None = None, **spec: object) -> a.CreateStatefulSet:
    return a.CreateStatefulSet(
        "db", a.StatefulSetSpec(template=tmpl or template(), replicas=replicas, **spec)
    )


@pytest.fixture
def sim():
    adapter = simulator_factory(RunContext(seed=0))
    yield adapter
    adapter.close()


def run(sim, *ops: object, settle: bool = True):
    for op in ops:
        sim.apply(op)
    if settle:
        assert sim.settle(3600).settled
    return sim.observe()


def pods(view) -> dict[str, str]:
    """name -> image of the live StatefulSet pods."""
    return {
        p.name: p.image for p in view.pods if p.owner and p.owner.kind == "StatefulSet" and not p.deleting
    }


# ---------------------------------------------------------------- ordering


def test_ordered_ready_creates_one_pod_at_a_time(sim):
    view = run(sim, create(3, template(ready_after=2)), settle=False)
    assert sorted(pods(view)) == ["db-0"]
    sim.advance(2)
    assert sorted(pods(sim.observe())) == ["db-0", "db-1"]
    assert sorted(pods(run(sim))) == ["db-0", "db-1", "db-2"]


def test_parallel_creates_every_pod_at_once(sim):
    view = run(sim, create(3, template(ready_after=2), pod_management_policy=a.PARALLEL), settle=False)
    assert sorted(pods(view)) == ["db-0", "db-1", "db-2"]


def test_ordered_ready_stalls_behind_a_pod_that_never_turns_ready(sim):
    view = run(sim, create(3, template(ready_after=None)))
    assert sorted(pods(view)) == ["db-0"]
    assert view.statefulsets[0].status.replicas == 1 and view.statefulsets[0].status.ready_replicas == 0


def test_ordinals_start_names_the_pods(sim):
    view = run(sim, create(3, ordinals_start=2))
    assert sorted(pods(view)) == ["db-2", "db-3", "db-4"]
    labels = {p.name: dict(p.labels) for p in view.pods}
    assert labels["db-3"]["apps.kubernetes.io/pod-index"] == "3"
    assert labels["db-3"]["statefulset.kubernetes.io/pod-name"] == "db-3"


def test_scale_down_removes_the_highest_ordinal_first(sim):
    run(sim, create(3))
    sim.apply(a.ScaleStatefulSet("db", 1))
    view = sim.observe()
    assert [p.name for p in view.pods if p.deleting] == ["db-2"]  # db-1 waits for db-2 to go
    assert sorted(pods(run(sim))) == ["db-0"]


# ---------------------------------------------------------------- updates


def test_rolling_update_starts_at_the_highest_ordinal(sim):
    run(sim, create(3))
    sim.apply(a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2", ready_after=5)))
    assert [p.name for p in sim.observe().pods if p.deleting] == ["db-2"]
    sim.advance(1)  # the grace period: db-2 comes back at the update revision, db-1 waits for it
    assert pods(sim.observe()) == {"db-0": "app:v1", "db-1": "app:v1", "db-2": "app:v2"}
    view = run(sim)
    assert set(pods(view).values()) == {"app:v2"}
    s = view.statefulsets[0].status
    assert s.current_revision == s.update_revision and s.current_replicas == s.updated_replicas == 3


def test_partition_keeps_the_lower_ordinals_at_the_current_revision(sim):
    view = run(
        sim,
        create(3, update_strategy=rolling(partition=2)),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2")),
    )
    assert pods(view) == {"db-0": "app:v1", "db-1": "app:v1", "db-2": "app:v2"}
    s = view.statefulsets[0].status
    assert (s.current_replicas, s.updated_replicas) == (2, 1) and s.current_revision != s.update_revision
    # a deleted pod below the partition comes back at the current revision
    view = run(sim, a.StatefulPodAction("db", 0, POD_DELETE))
    assert pods(view)["db-0"] == "app:v1"


def test_max_unavailable_is_dropped_and_pods_update_one_at_a_time(sim):
    # MaxUnavailableStatefulSet is beta but off by default in 1.35: the API server drops the field
    view = run(sim, create(4, update_strategy=rolling(max_unavailable=2)))
    assert view.statefulsets[0].spec.update_strategy.rolling_update.max_unavailable is None
    sim.apply(a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2", ready_after=5)))
    assert sorted(p.name for p in sim.observe().pods if p.deleting) == ["db-3"]


def test_on_delete_updates_only_deleted_pods(sim):
    strategy = a.StatefulSetUpdateStrategy(a.ON_DELETE)
    run(
        sim,
        create(2, update_strategy=strategy),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2")),
    )
    assert pods(sim.observe()) == {"db-0": "app:v1", "db-1": "app:v1"}
    view = run(sim, a.StatefulPodAction("db", 1, POD_DELETE))
    assert pods(view) == {"db-0": "app:v1", "db-1": "app:v2"}


def test_rollback_renumbers_the_earlier_revision(sim):
    view = run(
        sim,
        create(1),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2")),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v1")),
    )
    numbers = {r.template.image: r.revision for r in view.controller_revisions}
    assert numbers == {"app:v2": 2, "app:v1": 3}


def test_history_is_truncated_to_the_limit(sim):
    ops = [a.UpdateAppsTemplate(a.STATEFULSET, "db", template(f"app:v{i}")) for i in range(2, 5)]
    view = run(sim, create(1, revision_history_limit=1), *ops)
    assert sorted(r.revision for r in view.controller_revisions) == [3, 4]


def test_a_failed_pod_is_replaced(sim):
    run(sim, create(2))
    uid = next(p.uid for p in sim.observe().pods if p.name == "db-1")
    view = run(sim, a.StatefulPodAction("db", 1, POD_FAIL))
    replacement = next(p for p in view.pods if p.name == "db-1")
    assert replacement.uid != uid and replacement.phase == "Running"


def test_min_ready_seconds_delays_availability(sim):
    run(sim, create(1, min_ready_seconds=3), settle=False)
    assert sim.observe().statefulsets[0].status.available_replicas == 0
    view = run(sim)
    assert view.statefulsets[0].status.available_replicas == 1


# ---------------------------------------------------------------- claims


def claims(view) -> dict[str, tuple[str, ...]]:
    return {c.name: tuple(o.kind for o in c.owners) for c in view.claims}


def test_claims_survive_pod_replacement(sim):
    view = run(sim, create(2, volume_claim_templates=("data",)))
    before = {c.name: c.uid for c in view.claims}
    assert sorted(before) == ["data-db-0", "data-db-1"]
    view = run(sim, a.StatefulPodAction("db", 1, POD_DELETE))
    assert {c.name: c.uid for c in view.claims} == before


@pytest.mark.parametrize(
    ("when_deleted", "when_scaled", "owners", "after_scale_down"),
    [
        (a.RETAIN, a.RETAIN, (), ["data-db-0", "data-db-1"]),
        (a.DELETE, a.RETAIN, ("StatefulSet",), ["data-db-0", "data-db-1"]),
        (a.RETAIN, a.DELETE, (), ["data-db-0"]),
        (a.DELETE, a.DELETE, ("StatefulSet",), ["data-db-0"]),
    ],
)
def test_retention_policy(sim, when_deleted, when_scaled, owners, after_scale_down):
    policy = a.PersistentVolumeClaimRetentionPolicy(when_deleted, when_scaled)
    view = run(
        sim, create(2, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy)
    )
    assert claims(view) == {"data-db-0": owners, "data-db-1": owners}
    view = run(sim, a.ScaleStatefulSet("db", 1))
    assert sorted(claims(view)) == after_scale_down
    view = run(sim, a.DeleteAppsWorkload(a.STATEFULSET, "db"))
    assert sorted(claims(view)) == ([] if when_deleted == a.DELETE else after_scale_down)


def scaled_delete() -> a.PersistentVolumeClaimRetentionPolicy:
    return a.PersistentVolumeClaimRetentionPolicy(a.RETAIN, a.DELETE)


def test_a_stale_claim_stalls_the_set_until_an_event_for_it(sim):
    # ordinals.start 1 condemns db-0 (its claim now owned by the pod); back to 0 while db-0 terminates: the
    # sync after db-0 is gone finds data-db-0 still naming it (the garbage collector runs after the
    # controller here) and stops without a requeue; the claim's deletion wakes nothing, db-1 stays for good
    view = run(
        sim,
        create(1, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=scaled_delete()),
    )
    view = run(sim, a.SetOrdinalsStart("db", 1), a.SetOrdinalsStart("db", 0))
    assert pods(view) == {"db-1": "app:v1"} and sorted(claims(view)) == ["data-db-1"]
    assert sim.settle(3600).settled and pods(sim.observe()) == {"db-1": "app:v1"}
    # any event for the set wakes it: db-0 is created (a new claim), then the condemned db-1 goes
    view = run(sim, a.StatefulPodAction("db", 1, POD_UNREADY), a.StatefulPodAction("db", 1, POD_READY))
    assert pods(view) == {"db-0": "app:v1"} and sorted(claims(view)) == ["data-db-0"]


# ---------------------------------------------------------------- admission


def test_admission_rejects_with_the_models_field(sim):
    bad = rolling(partition=-1)
    with pytest.raises(InvalidSpec) as err:
        sim.apply(create(1, update_strategy=bad))
    assert err.value.field == "spec.updateStrategy.rollingUpdate.partition"
    run(sim, create(1, update_strategy=rolling(max_unavailable=0)))  # dropped before validation (gate off)
    with pytest.raises(InvalidSpec) as err:
        sim.apply(a.SetPodManagementPolicy("db", a.PARALLEL))
    assert err.value.field == "spec"


def test_no_rolling_update_block_stays_absent(sim):
    view = run(sim, create(1, update_strategy=a.StatefulSetUpdateStrategy(a.ROLLING_UPDATE, None)))
    assert view.statefulsets[0].spec.update_strategy.rolling_update is None


# ---------------------------------------------------------------- agreement with the model


SCENARIOS = {
    "partition-and-scale": [
        create(3, update_strategy=rolling(partition=1), volume_claim_templates=("data",)),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2")),
        a.ScaleStatefulSet("db", 5),
        a.SetPartition("db", 0),
    ],
    "parallel-stalled-update": [
        create(4, pod_management_policy=a.PARALLEL, update_strategy=rolling(max_unavailable="50%")),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2", ready_after=None)),
    ],
    "ordinals-moved": [create(2, volume_claim_templates=("data",)), a.SetOrdinalsStart("db", 3)],
    "stale-claim-stall": [
        create(1, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=scaled_delete()),
        a.SetOrdinalsStart("db", 1),
        a.SetOrdinalsStart("db", 0),
    ],
    "no-block-rollout": [
        create(3, update_strategy=a.StatefulSetUpdateStrategy(a.ROLLING_UPDATE, None)),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2", ready_after=3)),
        a.ScaleStatefulSet("db", 4),
    ],
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_settled_state_matches_the_model(sim, name):
    model = apps_world.initial_state(3)
    for op in SCENARIOS[name]:
        model = apps_operations.apply(model, op)
        sim.apply(op)
    model, settled = apps_world.settle(model, horizon=3600)
    assert settled and sim.settle(3600).settled
    assert summarize_statefulsets(apps_view(sim.observe())) == summarize_statefulsets(apps_world.view(model))


def test_a_negative_current_replicas_is_never_stored(sim):
    # The update deletion of a pod at neither revision drops currentReplicas below 0; the API server's status
    # validation rejects that write and the controller retries (ref validation.go ValidateStatefulSetStatus).
    seen: list[int] = []
    two = a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(0, IntOrPercent(2)))
    run(sim, create(1, pod_management_policy=a.PARALLEL, update_strategy=two))
    run(sim, a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v2", ready_after=None)))
    sim.cluster.on_change = lambda: seen.extend(s.status.current_replicas for s in sim.observe().statefulsets)
    view = run(sim, a.UpdateAppsTemplate(a.STATEFULSET, "db", template("app:v3", ready_after=None)))
    assert seen and min(seen) >= 0
    assert pods(view) == {"db-0": "app:v3"}

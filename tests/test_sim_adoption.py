"""The simulator's claim (adoption and release of pods) against the model on the same operations, over
several interleavings; and its claim logic on the points upstream specifies (controller_ref_manager.go)."""

import pytest
from sim_builders import replicaset, simulator, template, traced_syncs

from kubeprops.adapters.simulator import mutations
from kubeprops.adapters.simulator.controllers import claim as claim_module
from kubeprops.adapters.simulator.objects import POD, REPLICASET
from kubeprops.reference_model import world, world_operations
from kubeprops.reference_model.invariants import check_always, check_transition
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.quiescent import diff, summarize
from kubeprops.scenario import (
    REPLICASET as RS_KIND,
)
from kubeprops.scenario import (
    Advance,
    CreateBarePod,
    CreateReplicaSet,
    DeleteWorkload,
    InvalidSpec,
    PodTemplate,
    RelabelPod,
    Scale,
)

SETTLE = "settle"
SCENARIOS = {
    "adopt into a full replicaset": [
        CreateReplicaSet("web", replicaset(2)),
        SETTLE,
        Advance(60),
        CreateBarePod("lone", template()),
        SETTLE,
    ],
    "adopt into a short replicaset": [
        CreateReplicaSet("web", replicaset(0)),
        SETTLE,
        CreateBarePod("lone", template()),
        SETTLE,
        Scale(RS_KIND, "web", 2),
        SETTLE,
    ],
    "release, replace, then delete the replicaset": [
        CreateReplicaSet("web", replicaset(3)),
        SETTLE,
        RelabelPod(RS_KIND, "web", 1, {"app": "moved"}),
        SETTLE,
        RelabelPod(RS_KIND, "web", 0, {"app": "web", "tier": "canary"}),
        SETTLE,
        DeleteWorkload(RS_KIND, "web"),
        SETTLE,
    ],
    "an orphan that never matches": [
        CreateBarePod("db", PodTemplate(labels={"app": "db"})),
        CreateReplicaSet("web", replicaset(1)),
        SETTLE,
    ],
}


@pytest.mark.parametrize("seed", [0, 1, 7, 42])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_simulator_settles_as_the_model(name, seed):
    sim = simulator(seed)
    model = world.initial_state(3)
    previous = sim.observe()
    try:
        for step in SCENARIOS[name]:
            if step == SETTLE:
                assert sim.settle(3600).settled
                model, settled = world.settle(model)
                assert settled
                observed = sim.observe()
                assert diff(world.expected_summary(model), summarize(observed)) == []
                assert check_always(observed) == []
                assert check_transition(previous, observed) == []
                previous = observed
                continue
            sim.apply(step)
            model = world_operations.apply(model, step)
    finally:
        sim.close()


def owners(view):
    return sorted((p.labels, p.owner.name if p.owner else None) for p in view.pods if p.active)


def test_adoption_and_release_write_the_ownerreference_as_upstream():
    sim = simulator()
    sim.apply(CreateReplicaSet("web", replicaset(1)))
    sim.apply(CreateBarePod("lone", PodTemplate(labels={"app": "other"})))
    assert sim.settle(3600).settled
    sim.apply(Scale(RS_KIND, "web", 2))
    sim.apply(RelabelPod(RS_KIND, "web", 0, {"app": "moved"}))
    assert sim.settle(3600).settled
    # adopt: an orphan whose labels now match (the ReplicaSet is one short after the release)
    store = sim.cluster.store
    lone = dict(store.get(POD, "lone"))
    lone["metadata"] = {**lone["metadata"], "labels": {"app": "web"}}
    store.update(POD, lone)
    sim.cluster.run_until_idle()
    rs = store.get(REPLICASET, "web")
    (ref,) = store.get(POD, "lone")["metadata"]["ownerReferences"]
    assert ref["uid"] == rs["metadata"]["uid"] and ref["kind"] == "ReplicaSet"
    assert ref["controller"] is True and ref["blockOwnerDeletion"] is True
    moved = [p for p in store.list(POD) if p["metadata"]["labels"] == {"app": "moved"}]
    assert len(moved) == 1 and not moved[0]["metadata"].get("ownerReferences")
    assert owners(sim.observe()).count(((("app", "web"),), "web")) == 2


def test_a_pod_owned_by_another_replicaset_is_never_taken():
    sim = simulator()
    sim.apply(CreateReplicaSet("a", replicaset(2)))
    assert sim.settle(3600).settled
    sim.apply(CreateReplicaSet("b", replicaset(1)))  # the same selector
    assert sim.settle(3600).settled
    assert sorted(p.owner.name for p in sim.observe().pods if p.active) == ["a", "a", "b"]


def test_a_deleting_owner_neither_adopts_nor_releases():
    sim = simulator()
    sim.apply(CreateReplicaSet("web", replicaset(1)))
    sim.apply(CreateBarePod("lone", PodTemplate(labels={"app": "other"})))
    store, client = sim.cluster.store, sim.cluster.client
    rs = dict(store.get(REPLICASET, "web"))
    rs["metadata"] = {**rs["metadata"], "deletionTimestamp": "2026-01-01T00:00:00Z"}
    owned = next(p for p in store.list(POD) if p["metadata"]["name"] != "lone")
    mismatched = {**owned, "metadata": {**owned["metadata"], "labels": {"app": "moved"}}}
    orphan = {**store.get(POD, "lone")}
    orphan["metadata"] = {**orphan["metadata"], "labels": {"app": "web"}}
    claimed = claim_module.claim(client, rs, REPLICASET, POD, {"app": "web"}, [mismatched, orphan])
    assert claimed == []
    assert store.get(POD, "lone")["metadata"].get("ownerReferences") is None
    assert store.get(POD, owned["metadata"]["name"])["metadata"]["ownerReferences"]


def test_bare_pod_writes_are_validated_as_the_model_does():
    sim = simulator()
    for op in (
        CreateBarePod("Bad_Name", template()),
        CreateBarePod("lone", PodTemplate(labels={"app": "-bad-"})),
    ):
        with pytest.raises(InvalidSpec) as sim_err:
            sim.apply(op)
        with pytest.raises(InvalidSpec) as model_err:
            world_operations.apply(world.initial_state(3), op)
        assert sim_err.value.field == model_err.value.field
    sim.apply(CreateBarePod("lone", template()))
    with pytest.raises(InvalidSpec) as err:
        sim.apply(CreateBarePod("lone", template()))
    assert err.value.field == "metadata.name"
    sim.apply(CreateReplicaSet("web", replicaset(1)))
    with pytest.raises(InvalidSpec) as err:
        sim.apply(RelabelPod(RS_KIND, "web", 0, {"app": "-bad-"}))
    assert err.value.field == "metadata.labels"


def claim_scenario():
    return (
        CreateReplicaSet("web", replicaset(2)),
        CreateBarePod("db", PodTemplate(labels={"app": "db"})),
        RelabelPod(RS_KIND, "web", 0, {"app": "moved"}),
        CreateBarePod("lone", template()),
    )


def claim_violations(records):
    return [v for r in records for v in check_sync(r) if "replicaset-claim" in v.rule]


def test_per_sync_judges_the_claim_writes():
    records = traced_syncs("ReplicaSet", *claim_scenario())
    assert any(w.kind == "Pod" and w.verb == "update" for r in records for w in r.writes)
    assert [v for r in records for v in check_sync(r)] == []


def test_per_sync_catches_a_replicaset_that_keeps_a_mismatched_pod(monkeypatch):
    mutations.install(["replicaset-no-release"], monkeypatch.setattr)
    found = claim_violations(traced_syncs("ReplicaSet", *claim_scenario()))
    assert found and "releases" in found[0].message

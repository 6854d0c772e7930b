"""Worked examples of pod adoption and release in the model's world (conformance "Replica Set, adopt
matching pods and release non matching pods"; ref controller_ref_manager.go ClaimObject, replica_set.go
claimPods / getPodsToDelete)."""

from __future__ import annotations

import attrs
import pytest

from kubeprops.reference_model import replicaset, world, world_operations
from kubeprops.reference_model.invariants import check_transition
from kubeprops.reference_model.quiescent import OrphanPodsSummary, summarize
from kubeprops.scenario import (
    REPLICASET,
    Advance,
    CreateBarePod,
    CreateReplicaSet,
    DeleteWorkload,
    InvalidSpec,
    PodBehavior,
    PodTemplate,
    RelabelPod,
    ReplicaSetSpec,
)

WEB = {"app": "web"}


def template(ready_after: int | None = 0, image: str = "app:v1", **labels: str) -> PodTemplate:
    return PodTemplate(labels=labels or WEB, image=image, behavior=PodBehavior(ready_after))


def apply(state: world.WorldState, *ops: object) -> world.WorldState:
    for op in ops:
        state = world_operations.apply(state, op)
    return state


def settled(state: world.WorldState) -> world.WorldState:
    state, done = world.settle(state)
    assert done
    return state


def pods(state: world.WorldState) -> dict[str, tuple[str | None, bool]]:
    """Pod name -> (owner name, deleting)."""
    return {p.name: (p.owner.name if p.owner else None, p.deleting) for p in state.pods}


def web(replicas: int = 2, ready_after: int | None = 0, name: str = "web") -> CreateReplicaSet:
    return CreateReplicaSet(name, ReplicaSetSpec(template=template(ready_after), replicas=replicas))


def test_a_matching_orphan_is_adopted_and_the_newest_pod_goes_when_that_makes_one_too_many():
    state = settled(apply(world.initial_state(), web(2), Advance(100)))
    state = apply(state, CreateBarePod("lone", template()))
    # adopted (ownerReference written), then the manage phase deletes one of 3: the adopted pod turned
    # Ready last and is the newest, so it ranks first (controller_utils.go ActivePodsWithRanks.Less)
    assert pods(state)["lone"] == ("web", True)
    assert sum(not deleting for owner, deleting in pods(state).values() if owner == "web") == 2
    summary = summarize(world.view(settled(state)))
    assert summary.replicasets[0].pods_ready == 2
    assert summary.orphans == ()


def test_an_adopted_ready_pod_is_kept_and_a_not_ready_one_of_the_replicaset_goes():
    state = settled(apply(world.initial_state(), web(2, ready_after=None), Advance(100)))
    state = apply(state, CreateBarePod("lone", template(0)))
    assert pods(state)["lone"] == ("web", False)  # Ready ranks after not Ready: it stays
    gone = [n for n, (owner, deleting) in pods(state).items() if deleting]
    assert len(gone) == 1 and gone[0].startswith("web-")


def test_an_orphan_that_does_not_match_stays_an_orphan_and_keeps_running():
    state = settled(apply(world.initial_state(), web(2), CreateBarePod("db", template(0, app="db"))))
    assert pods(state)["db"] == (None, False)
    assert summarize(world.view(state)).orphans == (OrphanPodsSummary((("app", "db"),), "app:v1", 1, 0, 0),)


def test_a_relabelled_pod_is_released_replaced_and_keeps_running_as_an_orphan():
    before = settled(apply(world.initial_state(), web(3)))
    after = apply(before, RelabelPod(REPLICASET, "web", 0, {"app": "moved"}))
    released = [p for p in after.pods if p.labels == (("app", "moved"),)]
    assert len(released) == 1 and released[0].owner is None and released[0].ready
    assert sum(owner == "web" for owner, _ in pods(after).values()) == 3  # a replacement was created
    assert check_transition(world.view(before), world.view(after)) == []
    summary = summarize(world.view(settled(after)))
    assert summary.replicasets[0].pods_ready == 3
    assert summary.orphans == (OrphanPodsSummary((("app", "moved"),), "app:v1", 1, 0, 0),)
    # deleting the ReplicaSet takes its pods only: the released one stays
    gone = settled(apply(settled(after), DeleteWorkload(REPLICASET, "web")))
    assert pods(gone) == {released[0].name: (None, False)}


def test_a_relabelled_pod_that_still_matches_stays_owned():
    state = settled(apply(world.initial_state(), web(2)))
    state = apply(state, RelabelPod(REPLICASET, "web", 1, {"app": "web", "tier": "canary"}))
    assert sorted(owner for owner, _ in pods(state).values()) == ["web", "web"]


def test_a_pod_owned_by_another_replicaset_is_never_taken():
    # two ReplicaSets with the same selector: each keeps its own pods, neither adopts the other's
    state = settled(apply(world.initial_state(), web(2, name="a")))
    state = settled(apply(state, web(1, name="b")))
    owners = sorted(owner for owner, _ in pods(state).values())
    assert owners == ["a", "a", "b"]
    rs_a = world.view(state).replicaset("a")
    assert replicaset.adoptions(rs_a, state.pods) == ()


def test_a_deleting_replicaset_adopts_no_orphan():
    state = settled(apply(world.initial_state(), web(0), CreateBarePod("lone", template(0, app="other"))))
    orphan = attrs.evolve(next(p for p in state.pods if p.name == "lone"), labels=(("app", "web"),))
    rs = world.view(state).replicaset("web")
    assert replicaset.adoptions(rs, [orphan]) == (orphan,)
    assert replicaset.adoptions(attrs.evolve(rs, deleting=True), [orphan]) == ()


@pytest.mark.parametrize(
    ("op", "field"),
    [
        (CreateBarePod("Bad_Name", template()), "metadata.name"),
        (CreateBarePod("lone", template(app="-bad-")), "metadata.labels"),
        (RelabelPod(REPLICASET, "web", 0, {"app": "-bad-"}), "metadata.labels"),
    ],
)
def test_invalid_pod_writes_are_rejected_naming_the_field(op, field):
    state = settled(apply(world.initial_state(), web(1)))
    with pytest.raises(InvalidSpec) as err:
        world_operations.apply(state, op)
    assert err.value.field == field


def test_a_bare_pod_name_in_use_is_rejected():
    state = apply(world.initial_state(), CreateBarePod("lone", template(app="x")))
    with pytest.raises(InvalidSpec, match="already exists") as err:
        world_operations.apply(state, CreateBarePod("lone", template(app="y")))
    assert err.value.field == "metadata.name"


def test_relabelling_without_a_pod_writes_nothing():
    state = settled(apply(world.initial_state(), web(0)))
    assert world_operations.apply(state, RelabelPod(REPLICASET, "web", 0, {"app": "-bad-"})) == state

"""PER-SYNC checks of StatefulSet syncs: worked examples (one recorded sync in, the model's decision out),
wrong records flagged, and the simulator's own trace judged."""

import attrs
import pytest
from mutants import MUTANTS
from sim_builders import traced_syncs

from kubeprops.reference_model import apps_invariants as inv
from kubeprops.reference_model import statefulset as sts_util
from kubeprops.reference_model import statefulset_sync
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.per_sync_statefulset import (
    STS_CLAIMS,
    STS_CREATE,
    STS_DELETE,
    STS_HISTORY,
    STS_STATUS,
)
from kubeprops.reference_model.release import DEFAULT
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.ops import POD_UNREADY
from kubeprops.scenario.spec import IntOrPercent, PodBehavior
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import PENDING, RUNNING, ClusterView, OwnerRef, PodView

APP = {"app": "db"}
V1 = a.AppsPodTemplate(labels=APP, image="db:v1", behavior=PodBehavior(0))
V2 = a.AppsPodTemplate(labels=APP, image="db:v2", behavior=PodBehavior(0))
UID = "uid-web"
SET = OwnerRef(a.STATEFULSET, "web", UID)
NOW = 100.0


def rules(record: SyncRecord) -> set[str]:
    return {v.rule for v in check_sync(record)}


# ---------------------------------------------------------------- hand-built snapshots


def statefulset(replicas: int, template: a.AppsPodTemplate = V1, **spec_kw) -> a.StatefulSetView:
    spec = a.StatefulSetSpec(template=template, replicas=replicas, **spec_kw)
    return a.StatefulSetView("web", UID, 1, spec)


def revision(template: a.AppsPodTemplate, number: int) -> a.ControllerRevisionView:
    return a.ControllerRevisionView(f"web-rev{number}", SET, number, template, f"rev{number}")


def pod(ordinal: int, rev: a.ControllerRevisionView, *, ready: bool = True, phase: str = RUNNING) -> PodView:
    labels = tuple(sorted({**APP, a.CONTROLLER_REVISION_HASH: rev.name}.items()))
    return PodView(
        f"web-{ordinal}", f"u{ordinal}", SET, labels, rev.template.image, "node-0", phase, ready,
        0.0 if ready else None, False, 0.0,
    )  # fmt: skip


def record(sts, revisions, pods, writes=(), claims=(), now=NOW) -> SyncRecord:
    """A sync of `sts` that read `revisions`, `pods` and `claims`; its status is set as of the last sync."""
    rev = revisions[0].name
    status = a.StatefulSetStatus(
        observed_generation=1, replicas=len(pods), ready_replicas=sum(p.ready for p in pods),
        current_replicas=len(pods), updated_replicas=len(pods), available_replicas=sum(p.ready for p in pods),
        current_revision=rev, update_revision=rev,
    )  # fmt: skip
    snap = ClusterView(
        now=now,
        statefulsets=(attrs.evolve(sts, status=status),),
        controller_revisions=tuple(revisions),
        pods=tuple(pods),
        claims=tuple(claims),
    )
    return SyncRecord(a.STATEFULSET, "web", snap, tuple(writes), True)


def created(ordinal: int, rev: a.ControllerRevisionView) -> Write:
    new = attrs.evolve(pod(ordinal, rev, ready=False, phase=PENDING), uid=f"new{ordinal}")
    return Write(CREATE, "Pod", new.name, new)


def status_write(rec: SyncRecord, **counts) -> Write:
    sts = rec.snapshot.statefulsets[0]
    return Write(
        UPDATE_STATUS, a.STATEFULSET, "web", attrs.evolve(sts, status=attrs.evolve(sts.status, **counts))
    )


def decide(rec: SyncRecord) -> statefulset_sync.StatefulSetDecision:
    return statefulset_sync.sync(*_inputs(rec))


# ---------------------------------------------------------------- worked examples


def test_ordered_ready_creates_only_the_next_index():
    r1 = revision(V1, 1)
    rec = record(statefulset(3), [r1], [pod(0, r1)])
    decision = decide(rec)
    assert decision.creates == (statefulset_sync.PodCreate(1, "web-1", "web-rev1"),)
    assert decision.deletes == () and decision.claims == ()
    right = attrs.evolve(rec, writes=(created(1, r1),))  # counts unchanged: the new pod is not counted yet
    assert check_sync(right) == []
    both = attrs.evolve(rec, writes=(created(1, r1), created(2, r1)))
    assert rules(both) == {STS_CREATE.id, inv.STS_ORDERED_CREATION.id}
    assert rules(rec) == {STS_CREATE.id}  # creating nothing is wrong too


def test_ordered_ready_waits_on_an_unready_pod_but_parallel_bursts():
    r1 = revision(V1, 1)
    waiting = record(statefulset(3), [r1], [pod(0, r1, ready=False)])
    assert decide(waiting).creates == () and decide(waiting).blocked_on == "web-0"
    assert check_sync(waiting) == []
    early = attrs.evolve(waiting, writes=(created(1, r1),))
    assert rules(early) == {STS_CREATE.id, inv.STS_ORDERED_CREATION.id}
    burst = record(statefulset(3, pod_management_policy=a.PARALLEL), [r1], [pod(0, r1, ready=False)])
    assert [c.name for c in decide(burst).creates] == ["web-1", "web-2"]
    assert check_sync(attrs.evolve(burst, writes=(created(2, r1), created(1, r1)))) == []
    assert rules(attrs.evolve(burst, writes=(created(1, r1),))) == {STS_CREATE.id}


def test_scale_down_deletes_the_highest_ordinal_first():
    r1 = revision(V1, 1)
    rec = record(statefulset(2), [r1], [pod(o, r1) for o in range(4)])
    assert decide(rec).deletes == (statefulset_sync.PodDelete("web-3", statefulset_sync.REASON_SCALE_DOWN),)
    assert check_sync(attrs.evolve(rec, writes=(Write(DELETE, "Pod", "web-3"),))) == []
    lowest = attrs.evolve(rec, writes=(Write(DELETE, "Pod", "web-2"),))
    assert rules(lowest) == {STS_DELETE.id, inv.STS_ORDERED_SCALE_DOWN.id}


def test_rolling_update_creates_the_revision_and_deletes_the_highest_outdated_pod():
    r1 = revision(V1, 1)
    rec = record(statefulset(3, V2), [r1], [pod(o, r1) for o in range(3)])
    decision = decide(rec)
    assert decision.revisions.written is not None and decision.revisions.written.template == V2
    assert [d.name for d in decision.deletes] == ["web-2"]
    # the target's revision carries its own hash: matched by template and number
    r2 = a.ControllerRevisionView("web-target-hash", SET, 2, V2, "target-hash")
    revision_write = Write(CREATE, "ControllerRevision", r2.name, r2)
    status = status_write(rec, current_replicas=2, updated_replicas=0, update_revision=r2.name)
    right = (revision_write, Write(DELETE, "Pod", "web-2"), status)
    assert check_sync(attrs.evolve(rec, writes=right)) == []
    wrong_pod = (revision_write, Write(DELETE, "Pod", "web-0"), status)
    assert rules(attrs.evolve(rec, writes=wrong_pod)) == {STS_DELETE.id}
    assert STS_HISTORY.id in rules(attrs.evolve(rec, writes=right[1:]))
    stale_count = status_write(rec, current_replicas=3, updated_replicas=0, update_revision=r2.name)
    assert rules(attrs.evolve(rec, writes=(*right[:2], stale_count))) == {STS_STATUS.id}


def test_max_unavailable_counts_only_with_its_gate():
    # MaxUnavailableStatefulSet is off in v1.35.4: one update deletion per sync whatever maxUnavailable says
    r1 = revision(V1, 1)
    r2 = revision(V2, 2)
    strategy = a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(0, IntOrPercent(2)))
    rec = record(statefulset(3, V2, update_strategy=strategy), [r1, r2], [pod(o, r1) for o in range(3)])
    one = (Write(DELETE, "Pod", "web-2"), status_write(rec, current_replicas=2, updated_replicas=0,
                                                       update_revision=r2.name))  # fmt: skip
    two = (Write(DELETE, "Pod", "web-1"), *one)
    assert check_sync(attrs.evolve(rec, writes=one)) == []
    assert rules(attrs.evolve(rec, writes=two)) == {STS_DELETE.id, inv.STS_UPDATE_BUDGET.id}
    gate = attrs.evolve(DEFAULT, max_unavailable_statefulset=True)
    assert [d.name for d in statefulset_sync.sync(*_inputs(rec), release=gate).deletes] == ["web-2", "web-1"]
    two_counted = (
        *two[:2],
        status_write(rec, current_replicas=1, updated_replicas=0, update_revision=r2.name),
    )
    assert check_sync(attrs.evolve(rec, writes=two_counted), release=gate) == []
    too_few = {v.rule for v in check_sync(attrs.evolve(rec, writes=one), release=gate)}
    assert too_few == {STS_DELETE.id, STS_STATUS.id}  # currentReplicas drops once per update deletion


def _inputs(rec: SyncRecord) -> tuple:
    snap = rec.snapshot
    return snap.statefulsets[0], snap.controller_revisions, snap.pods, snap.claims, snap.now


def test_partition_and_on_delete_keep_the_old_pods():
    r1 = revision(V1, 1)
    r2 = revision(V2, 2)
    pods = [pod(o, r1) for o in range(3)]
    strategy = a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(partition=3))
    for spec in (
        {"update_strategy": strategy},
        {"update_strategy": a.StatefulSetUpdateStrategy(a.ON_DELETE)},
    ):
        rec = record(statefulset(3, V2, **spec), [r1, r2], pods)
        assert decide(rec).deletes == ()
        status = status_write(rec, updated_replicas=0, update_revision=r2.name)
        assert check_sync(attrs.evolve(rec, writes=(status,))) == []
        deleted = attrs.evolve(rec, writes=(Write(DELETE, "Pod", "web-2"), status))
        assert STS_DELETE.id in rules(deleted)


def test_scaled_down_claim_is_handed_to_its_pod_under_when_scaled_delete():
    r1 = revision(V1, 1)
    policy = a.PersistentVolumeClaimRetentionPolicy(when_deleted=a.RETAIN, when_scaled=a.DELETE)
    sts = statefulset(2, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy)
    claims = [a.PersistentVolumeClaimView(f"data-web-{o}", f"c{o}") for o in range(3)]
    rec = record(sts, [r1], [pod(o, r1) for o in range(3)], claims=claims)
    decision = decide(rec)
    assert decision.claims == (statefulset_sync.ClaimWrite("data-web-2", "web-2", frozenset({"Pod"})),)
    handed = attrs.evolve(claims[2], owners=(OwnerRef("Pod", "web-2", "u2"),))
    right = (Write(UPDATE, "PersistentVolumeClaim", handed.name, handed), Write(DELETE, "Pod", "web-2"))
    assert check_sync(attrs.evolve(rec, writes=right)) == []
    assert rules(attrs.evolve(rec, writes=right[1:])) == {STS_CLAIMS.id}
    to_the_set = attrs.evolve(claims[2], owners=(SET,))
    wrong = (Write(UPDATE, "PersistentVolumeClaim", to_the_set.name, to_the_set), right[1])
    assert rules(attrs.evolve(rec, writes=wrong)) == {STS_CLAIMS.id}


def test_a_created_pod_gets_its_missing_claim_and_its_existing_claim_fixed():
    # ref stateful_pod_control.go (CreateStatefulPod: createPersistentVolumeClaims, then
    # UpdatePodClaimForRetentionPolicy on the claims the cache holds)
    r1 = revision(V1, 1)
    policy = a.PersistentVolumeClaimRetentionPolicy(when_deleted=a.DELETE, when_scaled=a.RETAIN)
    sts = statefulset(3, volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy)
    claims = [
        a.PersistentVolumeClaimView("data-web-0", "c0", (SET,)),
        a.PersistentVolumeClaimView("data-web-1", "c1"),
    ]
    rec = record(sts, [r1], [pod(0, r1)], claims=claims)
    assert decide(rec).claims == (
        statefulset_sync.ClaimWrite("data-web-1", "web-1", frozenset({a.STATEFULSET})),
    )
    fixed = attrs.evolve(claims[1], owners=(SET,))
    right = (created(1, r1), Write(UPDATE, "PersistentVolumeClaim", fixed.name, fixed))
    assert check_sync(attrs.evolve(rec, writes=right)) == []
    assert rules(attrs.evolve(rec, writes=right[:1])) == {STS_CLAIMS.id}
    fresh = record(sts, [r1], [pod(0, r1), pod(1, r1)], claims=[*claims[:1], fixed])
    new_claim = a.PersistentVolumeClaimView("data-web-2", "c2", (SET,))
    create_claim = Write(CREATE, "PersistentVolumeClaim", new_claim.name, new_claim)
    assert check_sync(attrs.evolve(fresh, writes=(create_claim, created(2, r1)))) == []
    assert rules(attrs.evolve(fresh, writes=(created(2, r1),))) == {STS_CLAIMS.id}


def test_a_sync_exactly_min_ready_seconds_after_ready_may_read_the_pod_either_way():
    r1 = revision(V1, 1)
    sts = statefulset(1, min_ready_seconds=3)
    ready = attrs.evolve(pod(0, r1), ready_since=NOW - 3)
    rec = record(sts, [r1], [ready])
    rec = attrs.evolve(
        rec, snapshot=attrs.evolve(rec.snapshot, statefulsets=(attrs.evolve(sts, status=attrs.evolve(
            rec.snapshot.statefulsets[0].status, available_replicas=0)),))
    )  # fmt: skip
    assert decide(rec).status.available_replicas == 1  # at exactly +3 s: Available (IsPodAvailable@v1.35.4)
    assert check_sync(rec) == []  # 0 kept: the reading a hair earlier
    assert check_sync(attrs.evolve(rec, writes=(status_write(rec, available_replicas=1),))) == []
    later = attrs.evolve(rec, snapshot=attrs.evolve(rec.snapshot, now=NOW + 0.5))
    assert rules(attrs.evolve(later, writes=())) == {STS_STATUS.id}  # Available by now: 0 kept is wrong


# ---------------------------------------------------------------- the simulator's own trace


def traced(*ops: object, seed: int = 0) -> list[SyncRecord]:
    return traced_syncs(a.STATEFULSET, *ops, seed=seed)


def create(replicas: int, **spec_kw) -> a.CreateStatefulSet:
    return a.CreateStatefulSet("db", a.StatefulSetSpec(template=V1, replicas=replicas, **spec_kw))


@pytest.mark.parametrize("policy", [a.ORDERED_READY, a.PARALLEL])
def test_every_recorded_sync_of_a_rollout_with_claims_passes(policy):
    retention = a.PersistentVolumeClaimRetentionPolicy(a.DELETE, a.DELETE)
    records = traced(
        create(3, pod_management_policy=policy, volume_claim_templates=("data",),
               persistent_volume_claim_retention_policy=retention, revision_history_limit=0),
        a.UpdateAppsTemplate(a.STATEFULSET, "db", V2),
        a.ScaleStatefulSet("db", 1),
    )  # fmt: skip
    completed = [r for r in records if r.completed]
    assert len(completed) >= 10
    assert [v for r in completed for v in check_sync(r)] == []
    kinds = {(w.verb, w.kind) for r in completed for w in r.writes}
    assert {(CREATE, "Pod"), (DELETE, "Pod"), (CREATE, "PersistentVolumeClaim"), (UPDATE, "PersistentVolumeClaim"),
            (CREATE, "ControllerRevision"), (DELETE, "ControllerRevision"), (UPDATE_STATUS, a.STATEFULSET)} <= kinds  # fmt: skip
    first = next(r for r in completed if any(w.kind == "Pod" for w in r.writes))
    assert {c.name for c in first.snapshot.claims} == set() and first.snapshot.statefulsets[0].name == "db"


def test_dropping_a_recorded_write_is_flagged():
    records = traced(create(2), a.UpdateAppsTemplate(a.STATEFULSET, "db", V2))
    for r in records:
        for w in r.writes:
            if w.error or not r.completed:
                continue
            fewer = attrs.evolve(r, writes=tuple(x for x in r.writes if x is not w))
            assert check_sync(fewer), f"dropping {w.verb} {w.kind} {w.name} went unnoticed"


def test_scale_down_from_the_lowest_ordinal_is_caught_in_the_sync_that_does_it(monkeypatch):
    MUTANTS["sts-scale-down-lowest-first"](monkeypatch)
    records = traced(create(4), a.ScaleStatefulSet("db", 2))
    found = {v.rule for r in records for v in check_sync(r)}
    assert {STS_DELETE.id, inv.STS_ORDERED_SCALE_DOWN.id} <= found


def test_creating_past_an_unready_pod_is_caught_in_the_sync_that_does_it(monkeypatch):
    MUTANTS["sts-creates-before-ready"](monkeypatch)
    unready = a.AppsPodTemplate(labels=APP, image="db:v1", behavior=PodBehavior(None))
    records = traced(a.CreateStatefulSet("db", a.StatefulSetSpec(template=unready, replicas=3)))
    found = {v.rule for r in records for v in check_sync(r)}
    assert {STS_CREATE.id, inv.STS_ORDERED_CREATION.id} <= found
    assert sts_util.pod_name("db", 2) in {w.name for r in records for w in r.writes}


def test_an_unready_pod_stalls_the_scale_down_in_every_recorded_sync():
    records = traced(create(3), a.StatefulPodAction("db", 1, POD_UNREADY), a.ScaleStatefulSet("db", 1))
    assert [v for r in records for v in check_sync(r)] == []

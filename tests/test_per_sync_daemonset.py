"""PER-SYNC checks of DaemonSet syncs: the simulator's trace, and the model judging each recorded sync."""

import attrs
import pytest
from mutants import MUTANTS
from sim_builders import traced_syncs

from kubeprops.reference_model.per_sync import check_sync
from kubeprops.reference_model.per_sync_daemonset import DS_CREATE, DS_DELETE, DS_HISTORY, DS_STATUS
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.spec import IntOrPercent, PodBehavior
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE_STATUS, SyncRecord, Write


def template(image: str) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels={"app": "agent"}, image=image, behavior=PodBehavior(0))


def rolling(max_unavailable: int, max_surge: int = 0) -> a.DaemonSetUpdateStrategy:
    return a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(max_unavailable, max_surge))


def traced(*ops: object, seed: int = 0) -> list[SyncRecord]:
    return traced_syncs(a.DAEMONSET, *ops, seed=seed)


def create(strategy: a.DaemonSetUpdateStrategy, history: int = 10) -> a.CreateDaemonSet:
    spec = a.DaemonSetSpec(
        template=template("app:v1"), update_strategy=strategy, revision_history_limit=history
    )
    return a.CreateDaemonSet("agent", spec)


def rules(record: SyncRecord) -> set[str]:
    return {v.rule for v in check_sync(record)}


def writing(records: list[SyncRecord], verb: str, kind: str) -> SyncRecord:
    return next(
        r for r in records if r.completed and any(w.verb == verb and w.kind == kind for w in r.writes)
    )


@pytest.fixture(scope="module")
def rollout() -> list[SyncRecord]:
    # 3 nodes, maxUnavailable 1: each rolling-update sync may pick any one Available old pod
    update = a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2"))
    return traced(create(rolling(1), history=0), update)


def test_every_recorded_sync_of_a_rollout_passes(rollout):
    assert len([r for r in rollout if r.completed]) >= 6
    assert all(check_sync(r) == [] for r in rollout)
    first = writing(rollout, CREATE, "Pod")
    assert sorted(w.target for w in first.writes if w.kind == "Pod") == ["node-0", "node-1", "node-2"]
    assert {n.name for n in first.snapshot.nodes} == {"node-0", "node-1", "node-2"}


def test_creating_on_too_few_or_the_same_node_twice_is_a_violation(rollout):
    record = writing(rollout, CREATE, "Pod")
    pods = [w for w in record.writes if w.kind == "Pod"]
    fewer = tuple(w for w in record.writes if w is not pods[0])
    assert DS_CREATE.id in rules(attrs.evolve(record, writes=fewer))
    twice = tuple(attrs.evolve(w, target=pods[1].target) if w is pods[0] else w for w in record.writes)
    assert DS_CREATE.id in rules(attrs.evolve(record, writes=twice))


def test_rolling_update_may_delete_any_one_available_old_pod_but_not_two(rollout):
    record = next(
        r
        for r in rollout
        if r.completed and r.snapshot.daemonsets[0].generation == 2 and _deleted(r) and len(_old(r)) == 3
    )
    others = tuple(w for w in record.writes if not (w.verb == DELETE and w.kind == "Pod"))
    for pod in _old(record):  # upstream walks a Go map: each of the three is an allowed outcome
        one = (*others, Write(DELETE, "Pod", pod))
        assert check_sync(attrs.evolve(record, writes=one)) == []
    two = (*others, *(Write(DELETE, "Pod", p) for p in _old(record)[:2]))
    assert DS_DELETE.id in rules(attrs.evolve(record, writes=two))


def _deleted(record: SyncRecord) -> list[str]:
    return [w.name for w in record.writes if w.verb == DELETE and w.kind == "Pod"]


def _old(record: SyncRecord) -> list[str]:
    return sorted(p.name for p in record.snapshot.pods if dict(p.labels).get("app") and not p.deleting)


def test_revision_writes_and_cleanup_are_judged(rollout):
    created = writing(rollout, CREATE, "ControllerRevision")
    dropped = tuple(w for w in created.writes if w.kind != "ControllerRevision")
    assert DS_HISTORY.id in rules(attrs.evolve(created, writes=dropped))
    # revisionHistoryLimit 0: the v1 revision goes once no pod carries its hash
    cleaned = writing(rollout, DELETE, "ControllerRevision")
    kept = tuple(w for w in cleaned.writes if not (w.verb == DELETE and w.kind == "ControllerRevision"))
    assert DS_HISTORY.id in rules(attrs.evolve(cleaned, writes=kept))


def test_a_status_the_snapshot_does_not_support_is_a_violation(rollout):
    record = writing(rollout, UPDATE_STATUS, a.DAEMONSET)
    wrong = tuple(
        attrs.evolve(w, obj=attrs.evolve(w.obj, status=attrs.evolve(w.obj.status, number_ready=7)))
        if w.verb == UPDATE_STATUS
        else w
        for w in record.writes
    )
    assert rules(attrs.evolve(record, writes=wrong)) == {DS_STATUS.id}


def test_surge_may_pick_any_node_within_max_surge():
    update = a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2"))
    records = traced(create(rolling(0, 1)), update)
    assert all(check_sync(r) == [] for r in records)
    record = next(
        r
        for r in records
        if r.completed and r.snapshot.daemonsets[0].generation == 2 and any(w.kind == "Pod" for w in r.writes)
    )
    others = tuple(w for w in record.writes if w.kind != "Pod")
    created = next(w for w in record.writes if w.verb == CREATE and w.kind == "Pod")
    for node in ("node-0", "node-1", "node-2"):
        assert check_sync(attrs.evolve(record, writes=(*others, attrs.evolve(created, target=node)))) == []
    both = (*others, attrs.evolve(created, target="node-0"), attrs.evolve(created, target="node-1"))
    assert DS_CREATE.id in rules(attrs.evolve(record, writes=both))


def test_status_retry_after_a_conflict_may_keep_the_observed_generation_it_read_afresh():
    # seed 1: the second sync runs before its cache holds the first sync's status write (observedGeneration
    # 1); with expectations unsatisfied it does not raise observedGeneration, conflicts, re-reads, and its
    # retry writes observedGeneration 1, as upstream's storeDaemonSetStatus does
    records = traced(create(a.DaemonSetUpdateStrategy(a.ON_DELETE)), seed=1)
    record = next(
        r for r in records if not r.expectations_satisfied and any(w.error == "Conflict" for w in r.writes)
    )
    assert record.snapshot.daemonsets[0].status.observed_generation == 0
    assert check_sync(record) == []
    no_conflict = tuple(w for w in record.writes if not w.error)
    assert rules(attrs.evolve(record, writes=no_conflict)) == {DS_STATUS.id}


def test_failed_pods_are_replaced_under_the_recorded_back_off():
    # the second failure on a node within the back-off window waits: the record carries the entry
    fail = a.DaemonPodAction("agent", "node-1", "fail")
    records = traced(create(rolling(1)), fail, fail)
    assert all(check_sync(r) == [] for r in records)
    deleting = [r for r in records if r.completed and _deleted(r)]
    assert len(deleting) == 2
    assert any(key.endswith("/node-1") for key, _, _ in deleting[1].backoff)
    # deleting the failed pod while its node is still backing off is not what upstream does
    backing_off = next(r for r in records if r.backoff and not _deleted(r) and _failed_on(r, "node-1"))
    early = (*backing_off.writes, Write(DELETE, "Pod", _failed_on(backing_off, "node-1")))
    assert DS_DELETE.id in rules(attrs.evolve(backing_off, writes=early))


def _failed_on(record: SyncRecord, node: str) -> str:
    return next((p.name for p in record.snapshot.pods if p.node == node and p.phase == "Failed"), "")


def test_max_unavailable_rounded_down_is_caught_in_the_first_rollout_sync(monkeypatch):
    # 50% of 3 nodes rounds up to 2 (ref daemonset_util.go UnavailableCount): deleting one is too few
    MUTANTS["ds-unavailable-rounded-down"](monkeypatch)
    half = a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(IntOrPercent(50, True), 0))
    update = a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("app:v2"))
    records = traced(create(half), update)
    rollout = next(r for r in records if r.completed and _deleted(r))
    assert len(_deleted(rollout)) == 1
    assert DS_DELETE.id in rules(rollout)

"""PER-SYNC checks: the simulator's sync trace, and the model judging each recorded sync."""

import attrs
from sim_builders import deployment, rolling, simulator, template

from kubeprops.reference_model.per_sync import D_CLEANUP, D_SCALE, RS_MANAGE, RS_STATUS, check_sync
from kubeprops.scenario import DEPLOYMENT, CreateDeployment, Scale, UpdateTemplate
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, SyncRecord, Write


def traced(*ops, seed=0):
    sim = simulator(seed)
    sim.start_sync_trace()
    for op in ops:
        sim.apply(op)
        assert sim.settle(600).settled
    return sim, sim.take_sync_trace()


def first(records, controller, verb, kind):
    return next(
        r
        for r in records
        if r.controller == controller and any(w.verb == verb and w.kind == kind for w in r.writes)
    )


def test_trace_records_snapshot_writes_and_completion():
    sim, records = traced(CreateDeployment("web", deployment(3)))
    create_rs = first(records, "Deployment", CREATE, "ReplicaSet")
    assert create_rs.snapshot.deployments[0].name == "web" and create_rs.snapshot.replicasets == ()
    # upstream's first sync conflicts on its second status write (getNewReplicaSet drops the updated object)
    assert not create_rs.completed
    create_pods = first(records, "ReplicaSet", CREATE, "Pod")
    assert create_pods.completed and sum(w.kind == "Pod" for w in create_pods.writes) == 3
    assert sim.take_sync_trace() == ()  # taken once
    assert all(check_sync(r) == [] for r in records)


def test_forked_lookahead_is_not_traced():
    sim, _ = traced(CreateDeployment("web", deployment(2)))
    sim.cluster.fork().run_until_idle()
    assert sim.take_sync_trace() == ()


def test_replicaset_creating_one_pod_too_few_is_a_violation():
    _, records = traced(CreateDeployment("web", deployment(3)))
    record = first(records, "ReplicaSet", CREATE, "Pod")
    dropped = list(record.writes)
    dropped.remove(next(w for w in dropped if w.kind == "Pod"))
    (violation,) = check_sync(attrs.evolve(record, writes=tuple(dropped)))
    assert violation.rule == RS_MANAGE.id and "created 2 pods, the model creates 3" in violation.message


def test_replicaset_deleting_a_ready_pod_before_a_not_ready_one_is_a_violation():
    sim, _ = traced(CreateDeployment("web", deployment(3)))
    rs = sim.observe().replicasets[0]
    record = SyncRecord(
        "ReplicaSet",
        rs.name,
        attrs.evolve(
            sim.observe(),
            replicasets=(attrs.evolve(rs, replicas=2),),
            pods=tuple(
                attrs.evolve(p, ready=(i > 0), ready_since=0.0 if i > 0 else None)
                for i, p in enumerate(sim.observe().pods)
            ),
        ),
        writes=(Write(DELETE, "Pod", sim.observe().pods[1].name),),
        completed=True,
    )
    rules = {v.rule for v in check_sync(record)}
    assert RS_MANAGE.id in rules  # the not-ready pod ranks first; the ready one may not go
    allowed = attrs.evolve(record, writes=(Write(DELETE, "Pod", sim.observe().pods[0].name),))
    assert RS_MANAGE.id not in {v.rule for v in check_sync(allowed)}
    assert RS_STATUS.id in {v.rule for v in check_sync(allowed)}  # it kept a status the model would change


def test_sync_cut_short_is_not_judged():
    _, records = traced(CreateDeployment("web", deployment(3)))
    record = first(records, "ReplicaSet", CREATE, "Pod")
    assert check_sync(attrs.evolve(record, writes=(), completed=False)) == []


def test_deployment_scale_and_cleanup_writes_are_judged():
    ops = (
        CreateDeployment("web", deployment(4, strategy=rolling(1, 0), revision_history_limit=0)),
        UpdateTemplate(DEPLOYMENT, "web", template("app:v2")),
        Scale(DEPLOYMENT, "web", 6),
    )
    _, records = traced(*ops)
    judged = [r for r in records if r.controller == "Deployment" and r.completed]
    assert judged and all(check_sync(r) == [] for r in judged)
    scaled = next(r for r in judged if any(w.verb == UPDATE and w.kind == "ReplicaSet" for w in r.writes))
    bigger = tuple(
        attrs.evolve(w, obj=attrs.evolve(w.obj, replicas=w.obj.replicas + 1))
        if w.verb == UPDATE and w.kind == "ReplicaSet"
        else w
        for w in scaled.writes
    )
    assert D_SCALE.id in {v.rule for v in check_sync(attrs.evolve(scaled, writes=bigger))}
    cleaned = next(r for r in judged if any(w.verb == DELETE and w.kind == "ReplicaSet" for w in r.writes))
    kept = tuple(w for w in cleaned.writes if w.verb != DELETE)
    assert D_CLEANUP.id in {v.rule for v in check_sync(attrs.evolve(cleaned, writes=kept))}
    # a delete that found the ReplicaSet already gone (stale cache) still counts as the decision
    gone = tuple(attrs.evolve(w, error="NotFound") if w.verb == DELETE else w for w in cleaned.writes)
    assert D_CLEANUP.id not in {v.rule for v in check_sync(attrs.evolve(cleaned, writes=gone))}

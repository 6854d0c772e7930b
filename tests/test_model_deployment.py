"""Worked examples for the Deployment controller model (fact sheet section 2), sync by sync."""

from __future__ import annotations

import attrs
import pytest
from factories import make_deployment, make_pod, make_rs, rs_status

from kubeprops.reference_model import deployment as dc
from kubeprops.reference_model import deployment_status as ds
from kubeprops.scenario.spec import RECREATE, DeploymentStrategy, IntOrPercent, RollingUpdate
from kubeprops.scenario.view import (
    DESIRED_REPLICAS,
    MAX_REPLICAS,
    POD_TEMPLATE_HASH,
    REVISION,
    REVISION_HISTORY,
    Condition,
    DeploymentStatus,
    DeploymentView,
    ReplicaSetView,
)


def rolling(surge: int | str, unavailable: int | str) -> DeploymentStrategy:
    return DeploymentStrategy(
        rolling_update=RollingUpdate(IntOrPercent.parse(surge), IntOrPercent.parse(unavailable))
    )


def owned_rs(
    d: DeploymentView,
    name: str,
    image: str,
    replicas: int,
    *,
    revision: int,
    available: int | None = None,
    created: float = 0.0,
    max_replicas: int | None = None,
    desired: int | None = None,
) -> ReplicaSetView:
    """A ReplicaSet of `d` whose pods are all created and Ready (`available` of them available)."""
    surge, _ = ds.resolve_fenceposts(d.spec.strategy, d.spec.replicas)
    notes = {
        DESIRED_REPLICAS: str(d.spec.replicas if desired is None else desired),
        MAX_REPLICAS: str(d.spec.replicas + surge if max_replicas is None else max_replicas),
    }
    ready = replicas if available is None else available
    return make_rs(
        name,
        owner=d,
        replicas=replicas,
        image=image,
        pod_template_hash=name.rsplit("-", 1)[-1],
        revision=revision,
        annotations=notes,
        status=rs_status(replicas, ready, ready),
        created=created,
    )


def apply(
    d: DeploymentView, rss: list[ReplicaSetView], decision: dc.DeploymentDecision
) -> list[ReplicaSetView]:
    """The ReplicaSets after a decision, every pod instantly Ready and available (status caught up)."""
    out = {rs.name: rs for rs in rss}
    for name, notes in decision.annotate:
        out[name] = attrs.evolve(out[name], annotations=notes)
    if decision.create is not None:
        out[decision.create.name] = attrs.evolve(decision.create, uid=f"uid-{decision.create.name}")
    for name, size in decision.scale:
        notes = {**dict(out[name].annotations), **dict(decision.replicas_annotations)}
        out[name] = attrs.evolve(out[name], replicas=size, annotations=tuple(sorted(notes.items())))
    for name in decision.delete:
        del out[name]
    return [attrs.evolve(rs, status=rs_status(rs.replicas)) for rs in out.values()]


def sizes(rss: list[ReplicaSetView], d: DeploymentView) -> tuple[int, int]:
    """(old, new) spec.replicas."""
    new = dc.find_new_replicaset(d, rss)
    old = sum(rs.replicas for rs in rss if new is None or rs.name != new.name)
    return old, (new.replicas if new is not None else 0)


def run(d: DeploymentView, rss: list[ReplicaSetView], syncs: int) -> list[tuple[str, tuple[int, int]]]:
    """Sync `syncs` times, each sync's status written back; the phases and (old, new) sizes after each."""
    trace = []
    for i in range(syncs):
        decision = dc.sync(d, rss, (), now=float(i))
        rss = apply(d, rss, decision)
        d = attrs.evolve(d, status=decision.status, annotations=decision.deployment_annotations)
        trace.append((decision.phase, sizes(rss, d)))
    return trace


# ---------------------------------------------------------------- fenceposts (fact sheet 0.1)


@pytest.mark.parametrize(
    ("surge", "unavailable", "replicas", "expected"),
    [
        ("25%", "25%", 10, (3, 2)),
        ("25%", "25%", 4, (1, 1)),
        ("10%", "10%", 7, (1, 0)),
        ("0%", "1%", 2, (0, 1)),  # both round to 0 -> unavailable 1
        ("1%", "25%", 2, (1, 0)),
        (0, 5, 3, (0, 3)),  # capped at replicas
        ("25%", "25%", 0, (0, 0)),  # both 0 -> 1, then 0 because replicas == 0
        ("200%", "0%", 3, (6, 0)),
    ],
)
def test_resolve_fenceposts(surge, unavailable, replicas, expected):
    assert dc.resolve_fenceposts(rolling(surge, unavailable), replicas) == expected


def test_recreate_has_no_fenceposts():
    assert dc.resolve_fenceposts(DeploymentStrategy(type=RECREATE), 5) == (0, 0)


# ---------------------------------------------------------------- hash and lookups


def test_template_hash_is_deterministic_and_safe_encoded():
    d = make_deployment()
    h = dc.template_hash(d.spec.template, 0)
    assert h == dc.template_hash(d.spec.template, 0)
    assert set(h) <= set("456789bcdf") and 1 <= len(h) <= 10
    assert dc.template_hash(d.spec.template, 1) != h
    assert dc.template_hash(attrs.evolve(d.spec.template, image="app:v2"), 0) != h


def test_new_replicaset_is_the_oldest_equal_template_ignoring_the_hash():
    d = make_deployment(image="app:v2")
    old = owned_rs(d, "web-1", "app:v1", 3, revision=1)
    twin_new = owned_rs(d, "web-2", "app:v2", 0, revision=2, created=5.0)
    twin_old = owned_rs(d, "web-3", "app:v2", 0, revision=3, created=1.0)
    assert dc.find_new_replicaset(d, [old, twin_new, twin_old]).name == "web-3"
    assert [rs.name for rs in dc.find_old_replicasets(d, [old, twin_new, twin_old])] == ["web-1", "web-2"]


# ---------------------------------------------------------------- RollingUpdate (fact sheet 2.5)


def test_new_replicaset_creation():
    d = complete(make_deployment(image="app:v2", replicas=4, generation=1))
    d = attrs.evolve(d, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 4, revision=1)
    decision = dc.sync(d, [old], (), now=10.0)
    new = decision.create
    h = dc.template_hash(d.spec.template, 0)
    assert new.name == f"web-{h}" and new.replicas == 1 and new.created == 10.0
    assert (POD_TEMPLATE_HASH, h) in new.selector and (POD_TEMPLATE_HASH, h) in new.template.labels
    assert dict(new.annotations) == {REVISION: "2", DESIRED_REPLICAS: "4", MAX_REPLICAS: "5"}
    assert dict(decision.deployment_annotations)[REVISION] == "2"
    assert decision.status.condition("Progressing").reason == ds.NEW_RS_REASON


def test_worked_rollout_r4_sync_by_sync():
    # R=4, 25%/25% -> S=1, U=1, minAvailable 3. Upstream's rolloutRolling creates the new ReplicaSet inside
    # getNewReplicaSet and, since that is not a "scale up", goes on to scale the old one down in the same sync.
    d = make_deployment(image="app:v2", replicas=4, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 4, revision=1)
    assert run(d, [old], 6) == [
        ("rollout-scale-down", (3, 1)),  # create new at min(5-4, 4) = 1; avail 4 > 3 -> old 4 -> 3
        ("rollout-scale-up", (3, 2)),  # total 4 < 5 -> new 1 + min(1, 3)
        ("rollout-scale-down", (1, 2)),  # avail 3 + 2 = 5 > 3 -> old -2
        ("rollout-scale-up", (1, 4)),  # total 3 -> new 2 + min(2, 2)
        ("rollout-scale-down", (0, 4)),
        ("idle", (0, 4)),
    ]


def test_worked_rollout_waits_for_availability():
    # Same start, but the new pods are not available yet: sync 2 scales up, sync 3 is blocked.
    d = make_deployment(image="app:v2", replicas=4, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 1, revision=2, available=0, created=1.0)
    first = dc.sync(d, [old, new], (), now=1.0)
    assert first.phase == "rollout-scale-up" and first.scale == (("web-new", 2),)
    new2 = attrs.evolve(new, replicas=2, status=rs_status(2, 0, 0))
    second = dc.sync(d, [old, new2], (), now=2.0)  # maxScaledDown = 5 - 3 - (2 - 0) = 0
    assert second.phase == "idle" and second.scale == ()


def test_new_pods_crash_blocks_old_scale_down():
    # Upstream comment in reconcileOldReplicaSets: R=10, S=3, U=2, old 8, new 5 never available.
    d = make_deployment(image="app:v2", replicas=10, strategy=rolling(3, 2), generation=2)
    old = owned_rs(d, "web-old", "app:v1", 8, revision=1, available=7)  # an old pod died
    new = owned_rs(d, "web-new", "app:v2", 5, revision=2, available=0, created=1.0)
    decision = dc.sync(d, [old, new], (), now=5.0)  # maxScaledDown = 13 - 8 - 5 = 0
    assert decision.scale == () and decision.create is None and decision.phase == "idle"


def test_rollback_in_the_crash_case_scales_down_the_crashing_replicaset():
    # ... "kubectl rollout undo": the old ReplicaSet is new again; maxScaledDown = 13 - 8 - 1 = 4.
    d = make_deployment(image="app:v1", replicas=10, strategy=rolling(3, 2), generation=3)
    old = owned_rs(d, "web-old", "app:v1", 8, revision=1, available=7)
    crashing = owned_rs(d, "web-new", "app:v2", 5, revision=2, available=0, created=1.0)
    decision = dc.sync(d, [old, crashing], (), now=5.0)
    assert dict(decision.annotate)["web-old"] == (
        (DESIRED_REPLICAS, "10"),
        (MAX_REPLICAS, "13"),
        (REVISION, "3"),
        (REVISION_HISTORY, "1"),
    )
    assert decision.phase == "rollout-scale-down" and decision.scale == (("web-new", 1),)


@pytest.mark.parametrize(
    ("surge", "unavailable", "first"),
    [
        (
            "0%",
            "1%",
            [
                ("rollout-scale-down", (1, 0)),
                ("rollout-scale-up", (1, 1)),
                ("rollout-scale-down", (0, 1)),
                ("rollout-scale-up", (0, 2)),
            ],
        ),
        (
            "1%",
            "25%",
            [
                ("idle", (2, 1)),
                ("rollout-scale-down", (1, 1)),
                ("rollout-scale-up", (1, 2)),
                ("rollout-scale-down", (0, 2)),
            ],
        ),
    ],
)
def test_fencepost_examples(surge, unavailable, first):
    # R=2, U=1%, S=0%: old -1, new +1, old -1, new +1. R=2, U=25%, S=1%: new +1, old -1, new +1, old -1
    # (the new ReplicaSet is created at 1 in the first sync, which then finds nothing to scale down).
    d = make_deployment(image="app:v2", replicas=2, strategy=rolling(surge, unavailable), generation=2)
    old = owned_rs(d, "web-old", "app:v1", 2, revision=1)
    assert run(d, [old], 4) == first


def test_surge_lowered_mid_rollout_only_scales_down():
    d = make_deployment(image="app:v2", replicas=4, strategy=rolling(0, 1), generation=3)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 2, revision=2, created=1.0)
    decision = dc.sync(d, [old, new], (), now=1.0)  # total 5 > R + S = 4: no scale-up
    # all 5 available, minAvailable 3: old loses 2
    assert decision.phase == "rollout-scale-down" and decision.scale == (("web-old", 1),)


# ---------------------------------------------------------------- proportional scaling (fact sheet 2.6)


def test_proportional_scaling_10_15_10():
    d10 = make_deployment(image="app:v2", replicas=10, strategy=rolling(3, 2), generation=2)
    old = owned_rs(d10, "web-old", "app:v1", 8, revision=1)
    new = owned_rs(d10, "web-new", "app:v2", 5, revision=2, available=0, created=1.0)
    d15 = attrs.evolve(d10, spec=attrs.evolve(d10.spec, replicas=15), generation=3)
    up = dc.sync(d15, [old, new], (), now=2.0)
    assert up.phase == "scaling-event"
    assert dict(up.scale) == {"web-old": 11, "web-new": 7}
    assert dict(up.replicas_annotations) == {DESIRED_REPLICAS: "15", MAX_REPLICAS: "18"}
    rss = apply(d15, [old, new], up)
    back = dc.sync(attrs.evolve(d15, spec=d10.spec, generation=4), rss, (), now=3.0)
    assert back.phase == "scaling-event" and dict(back.scale) == {"web-old": 8, "web-new": 5}


def test_proportional_ties_expose_every_allowed_outcome():
    # Two old ReplicaSets of equal size created at the same instant: upstream breaks the tie by name (hash).
    d = make_deployment(image="app:v3", replicas=5, strategy=rolling(1, 0), generation=4)
    a = owned_rs(d, "web-a", "app:v1", 2, revision=1, max_replicas=5, desired=4)
    b = owned_rs(d, "web-b", "app:v2", 2, revision=2, max_replicas=5, desired=4)
    decision = dc.sync(d, [a, b], (), now=1.0)  # allowed 6, toAdd 2, fractions round(2.4) - 2 = 0
    assert decision.allowed_scales == {(("web-a", 2), ("web-b", 4)), (("web-a", 4), ("web-b", 2))}
    assert decision.allows_scale(decision.scale)


def test_scale_to_zero_and_single_active_replicaset():
    d = make_deployment(replicas=0, generation=2)
    only = owned_rs(d, "web-1", "app:v1", 3, revision=1, desired=3)
    decision = dc.sync(d, [only], (), now=1.0)
    assert decision.phase == "scaling-event" and decision.scale == (("web-1", 0),)


# ---------------------------------------------------------------- paused, resume, rollback


def test_paused_creates_no_replicaset_and_reports_paused():
    d = make_deployment(image="app:v2", replicas=4, paused=True, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 4, revision=1)
    decision = dc.sync(d, [old], (), now=1.0)
    assert decision.phase == "paused-sync" and decision.create is None and decision.scale == ()
    cond = decision.status.condition("Progressing")
    assert (cond.status, cond.reason) == ("Unknown", ds.PAUSED_REASON)


def test_paused_scaling_is_proportional():
    d = make_deployment(image="app:v3", replicas=15, strategy=rolling(3, 2), paused=True, generation=5)
    old = owned_rs(d, "web-old", "app:v1", 8, revision=1, max_replicas=13, desired=10)
    new = owned_rs(d, "web-new", "app:v2", 5, revision=2, max_replicas=13, desired=10, created=1.0)
    assert dict(dc.sync(d, [old, new], (), now=1.0).scale) == {"web-old": 11, "web-new": 7}


def test_resume_during_a_stall_restarts_the_deadline():
    paused = Condition("Progressing", "Unknown", ds.PAUSED_REASON, "", 10.0, 10.0)
    d = make_deployment(image="app:v2", replicas=4, generation=3)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 2, revision=2, available=0, created=1.0)
    status = ds.calculate_status(d, DeploymentStatus(conditions=(paused,)), [old, new], new, 10.0)
    d = attrs.evolve(d, status=status, annotations=((REVISION, "2"),))
    decision = dc.sync(d, [old, new], (), now=50.0)
    cond = decision.status.condition("Progressing")
    assert (cond.status, cond.reason, cond.last_update_time) == ("Unknown", ds.RESUMED_REASON, 50.0)
    assert decision.requeue_after == 601.0


def test_rollback_reuses_the_replicaset_and_bumps_its_revision():
    d = make_deployment(image="app:v1", replicas=3, generation=3, revision=2)
    v1 = owned_rs(d, "web-v1", "app:v1", 0, revision=1)
    v2 = owned_rs(d, "web-v2", "app:v2", 3, revision=2, created=1.0)
    first = dc.sync(d, [v1, v2], (), now=5.0)
    assert first.create is None
    notes = dict(dict(first.annotate)["web-v1"])
    assert notes[REVISION] == "3" and notes[REVISION_HISTORY] == "1"
    assert dict(first.deployment_annotations)[REVISION] == "2"  # the ReplicaSet update returns early
    rss = apply(d, [v1, v2], first)
    second = dc.sync(attrs.evolve(d, status=first.status), rss, (), now=6.0)
    assert dict(second.deployment_annotations)[REVISION] == "3"


def test_revision_history_is_trimmed_to_2000_characters():
    d = make_deployment(image="app:v1", generation=3)
    long = ",".join(str(n) for n in range(1000, 1400))  # 1999 characters
    v1 = owned_rs(d, "web-v1", "app:v1", 0, revision=1500)
    v1 = attrs.evolve(v1, annotations=(*v1.annotations, (REVISION_HISTORY, long)))
    v2 = owned_rs(d, "web-v2", "app:v2", 3, revision=1600, created=1.0)
    history = dict(dict(dc.sync(d, [v1, v2], (), now=1.0).annotate)["web-v1"])[REVISION_HISTORY]
    assert len(history) <= 2000 and history.endswith(",1500") and not history.startswith("1000,")


# ---------------------------------------------------------------- history cleanup (fact sheet 2.10)


def complete(d: DeploymentView) -> DeploymentView:
    r = d.spec.replicas
    return attrs.evolve(d, status=DeploymentStatus(r, r, r, r, 0, 0, d.generation))


def test_history_limit_two_deletes_revisions_one_to_three():
    d = complete(make_deployment(image="app:v6", replicas=2, generation=6))
    d = attrs.evolve(d, spec=attrs.evolve(d.spec, revision_history_limit=2))
    olds = [owned_rs(d, f"web-r{n}", f"app:v{n}", 0, revision=n, created=float(n)) for n in range(1, 6)]
    new = owned_rs(d, "web-r6", "app:v6", 2, revision=6, created=6.0)
    decision = dc.sync(d, [*olds, new], (), now=10.0)
    assert decision.phase == "cleanup" and decision.delete == ("web-r1", "web-r2", "web-r3")


def test_history_cleanup_skips_busy_replicasets_but_they_use_a_slot():
    d = complete(make_deployment(image="app:v4", replicas=2, generation=4))
    d = attrs.evolve(d, spec=attrs.evolve(d.spec, revision_history_limit=1))
    busy = attrs.evolve(owned_rs(d, "web-r1", "app:v1", 0, revision=1), status=rs_status(1))
    idle = [owned_rs(d, f"web-r{n}", f"app:v{n}", 0, revision=n, created=float(n)) for n in (2, 3)]
    new = owned_rs(d, "web-r4", "app:v4", 2, revision=4, created=4.0)
    assert dc.sync(d, [busy, *idle, new], (), now=10.0).delete == ("web-r2",)


def test_cleanup_runs_only_when_the_stored_status_is_complete():
    d = make_deployment(image="app:v2", replicas=2, generation=2)
    d = attrs.evolve(d, spec=attrs.evolve(d.spec, revision_history_limit=0))
    old = owned_rs(d, "web-r1", "app:v1", 0, revision=1)
    new = owned_rs(d, "web-r2", "app:v2", 2, revision=2, created=1.0)
    assert dc.sync(d, [old, new], (), now=1.0).delete == ()
    assert dc.sync(complete(d), [old, new], (), now=1.0).delete == ("web-r1",)


# ---------------------------------------------------------------- Recreate (fact sheet 2.7)


def test_recreate_scales_old_down_then_waits_for_old_pods():
    d = make_deployment(image="app:v2", replicas=3, strategy=DeploymentStrategy(type=RECREATE), generation=2)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    down = dc.sync(d, [old], (), now=1.0)
    assert down.phase == "recreate-scale-down" and down.scale == (("web-old", 0),) and down.create is None
    drained = attrs.evolve(old, replicas=0, status=rs_status(0))
    terminating = make_pod("web-old-x", owner=drained, deleting=True)
    wait = dc.sync(d, [drained], [terminating], now=2.0)
    assert wait.phase == "recreate-wait" and wait.create is None
    failed = make_pod("web-old-y", owner=drained, phase="Failed", ready=False)
    up = dc.sync(d, [drained], [failed], now=3.0)
    assert up.phase == "recreate-scale-up" and up.create.replicas == 3


def test_recreate_waits_while_old_status_reports_replicas():
    d = make_deployment(image="app:v2", replicas=3, strategy=DeploymentStrategy(type=RECREATE), generation=2)
    old = attrs.evolve(owned_rs(d, "web-old", "app:v1", 0, revision=1), status=rs_status(1))
    assert dc.sync(d, [old], (), now=1.0).phase == "recreate-wait"


# ---------------------------------------------------------------- progress deadline (fact sheet 2.9)


def stuck(now: float) -> dc.DeploymentDecision:
    d = make_deployment(image="app:v2", replicas=4, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 2, revision=2, available=0, created=1.0)
    progressing = Condition("Progressing", "True", ds.RS_UPDATED_REASON, "", 100.0, 50.0)
    status = ds.calculate_status(d, DeploymentStatus(conditions=(progressing,)), [old, new], new, 100.0)
    d = attrs.evolve(d, status=status, annotations=((REVISION, "2"),))
    return dc.sync(d, [old, new], (), now=now)


def test_progress_deadline_at_exactly_the_deadline_is_not_timed_out():
    decision = stuck(700.0)  # lastUpdate 100 + 600 == now: not strictly before
    assert decision.status.condition("Progressing").reason == ds.RS_UPDATED_REASON
    assert decision.requeue_after == ds.RATE_LIMITED_REQUEUE


def test_progress_deadline_after_it_times_out():
    cond = stuck(700.5).status.condition("Progressing")
    assert (cond.status, cond.reason) == ("False", ds.TIMED_OUT_REASON)
    assert cond.last_transition_time == 700.5


def test_progress_recheck_is_scheduled_one_second_after_the_deadline():
    assert stuck(650.0).requeue_after == 51.0


def test_timed_out_is_not_sticky():
    d = make_deployment(image="app:v2", replicas=4, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 2, revision=2, available=0, created=1.0)
    timed_out = Condition("Progressing", "False", ds.TIMED_OUT_REASON, "", 701.0, 701.0)
    status = ds.calculate_status(d, DeploymentStatus(conditions=(timed_out,)), [old, new], new, 701.0)
    d = attrs.evolve(d, status=status, annotations=((REVISION, "2"),))
    ready = attrs.evolve(new, status=rs_status(2, 1, 1))  # progress: one new pod available
    cond = dc.sync(d, [old, ready], (), now=800.0).status.condition("Progressing")
    assert (cond.status, cond.reason, cond.last_transition_time) == ("True", ds.RS_UPDATED_REASON, 800.0)


def test_available_condition_follows_max_unavailable():
    d = make_deployment(replicas=4, generation=1)
    rs = owned_rs(d, "web-1", "app:v1", 4, revision=1, available=3)
    assert dc.sync(d, [rs], (), now=1.0).status.condition("Available").status == "True"  # 3 >= 4 - 1
    low = owned_rs(d, "web-1", "app:v1", 4, revision=1, available=2)
    cond = dc.sync(d, [low], (), now=1.0).status.condition("Available")
    assert (cond.status, cond.reason) == ("False", ds.MIN_UNAVAILABLE_REASON)


def test_status_counts_from_replicasets():
    d = make_deployment(image="app:v2", replicas=4, generation=2)
    old = owned_rs(d, "web-old", "app:v1", 3, revision=1)
    new = owned_rs(d, "web-new", "app:v2", 2, revision=2, available=0, created=1.0)
    s = dc.sync(d, [old, new], (), now=1.0).status
    assert (s.replicas, s.updated_replicas, s.ready_replicas, s.available_replicas) == (5, 2, 3, 3)
    assert s.unavailable_replicas == 2 and s.observed_generation == 2 and s.terminating_replicas == 0

"""The StatefulSet model (fact sheet 3): identity, revisions, status, defaults and validation, per-sync rules."""

import attrs
import pytest

from kubeprops.reference_model import statefulset as sts
from kubeprops.reference_model import statefulset_pvc as pvc
from kubeprops.reference_model.apps_common import statefulset_max_unavailable
from kubeprops.reference_model.apps_validation import validate_statefulset, validate_statefulset_update
from kubeprops.reference_model.release import for_version
from kubeprops.reference_model.statefulset_sync import (
    REASON_FAILED,
    REASON_SCALE_DOWN,
    REASON_UPDATE,
    sync,
)
from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    DELETE,
    ON_DELETE,
    ORDERED_READY,
    PARALLEL,
    RETAIN,
    STATEFULSET,
    AppsPodTemplate,
    PersistentVolumeClaimRetentionPolicy,
    PersistentVolumeClaimView,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetStatus,
    StatefulSetUpdateStrategy,
    StatefulSetView,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import IntOrPercent
from kubeprops.scenario.view import FAILED, PENDING, RUNNING, OwnerRef, PodView

APP = {"app": "db"}
V1 = AppsPodTemplate(labels=APP, image="db:v1")
V2 = AppsPodTemplate(labels=APP, image="db:v2")
NOW = 1000.0
V1_34 = for_version("v1.34.0")
# MaxUnavailableStatefulSet is off by default in every supported release (beta, off, in 1.35): a cluster
# that turns it on
GATE_ON = attrs.evolve(for_version("v1.35.4"), max_unavailable_statefulset=True)


def make_set(replicas=3, template=V1, status=None, **spec_kw):
    spec = StatefulSetSpec(template=template, replicas=replicas, **spec_kw)
    return StatefulSetView("web", "uid-web", 1, spec, status or StatefulSetStatus())


def revisions_of(s, *templates):
    """Revisions 1.. for `templates` (oldest first), as the controller would have written them."""
    return tuple(attrs.evolve(sts.new_revision(attrs.evolve(s, spec=attrs.evolve(s.spec, template=t)), i + 1))
                 for i, t in enumerate(templates))  # fmt: skip


def pod(s, ordinal, revision, *, phase=RUNNING, ready=True, ready_since=0.0, deleting=False):
    labels = {**APP, CONTROLLER_REVISION_HASH: revision}
    return PodView(
        f"{s.name}-{ordinal}", f"uid-{s.name}-{ordinal}", OwnerRef(STATEFULSET, s.name, s.uid),
        tuple(sorted(labels.items())), "img", "node-0", phase, ready, ready_since if ready else None,
        deleting, 0.0,
    )  # fmt: skip


def settled_set(replicas, ordinals, *, template=V1, **spec_kw):
    """A set whose pods at `ordinals` all run revision 1 and are healthy."""
    s = make_set(replicas, template, **spec_kw)
    revs = revisions_of(s, template)
    s = attrs.evolve(s, status=StatefulSetStatus(current_revision=revs[0].name, update_revision=revs[0].name))
    return s, revs, [pod(s, o, revs[0].name) for o in ordinals]


def rolled(s, revs, pods, replace):
    return [replace.get(p.name, p) for p in pods]


# ---------------------------------------------------------------- identity


def test_names_and_ordinal_parsing():
    assert sts.pod_name("web", 3) == "web-3"
    assert sts.parent_and_ordinal("web-3") == ("web", 3)
    assert sts.parent_and_ordinal("my-app-12") == ("my-app", 12)
    assert sts.parent_and_ordinal("web") == ("", -1)
    assert sts.parent_and_ordinal("web-99999999999") == ("web", -1)  # int32 overflow
    assert pvc.claim_name("data", "web", 2) == "data-web-2"


def test_ordinal_range_follows_start():
    spec = StatefulSetSpec(template=V1, replicas=3, ordinals_start=5)
    assert (sts.start_ordinal(spec), sts.end_ordinal(spec)) == (5, 7)
    assert [o for o in range(10) if sts.in_range(o, spec)] == [5, 6, 7]


def test_claim_pods_ignores_foreign_and_misnamed_pods():
    s, _, pods = settled_set(2, [0, 1])
    foreign = attrs.evolve(pods[0], name="web-5", owner=OwnerRef(STATEFULSET, "other", "uid-other"))
    misnamed = attrs.evolve(pods[0], name="api-0", owner=None)
    orphan = attrs.evolve(pods[0], name="web-7", owner=None)
    claimed = {p.name for p in sts.claim_pods(s, [*pods, foreign, misnamed, orphan])}
    assert claimed == {"web-0", "web-1", "web-7"}


# ---------------------------------------------------------------- defaults, validation, fenceposts


def test_api_defaults():
    spec = StatefulSetSpec(template=V1)
    assert (spec.replicas, spec.pod_management_policy, spec.revision_history_limit) == (1, ORDERED_READY, 10)
    assert spec.update_strategy.rolling_update == StatefulSetRollingUpdate(0, IntOrPercent(1))
    assert StatefulSetUpdateStrategy(type=ON_DELETE).rolling_update is None
    assert spec.persistent_volume_claim_retention_policy == PersistentVolumeClaimRetentionPolicy(
        RETAIN, RETAIN
    )


@pytest.mark.parametrize(
    ("spec_kw", "field"),
    [
        ({"replicas": -1}, "spec.replicas"),
        ({"pod_management_policy": "Burst"}, "spec.podManagementPolicy"),
        ({"ordinals_start": -1}, "spec.ordinals.start"),
        ({"update_strategy": StatefulSetUpdateStrategy(ON_DELETE, StatefulSetRollingUpdate())},
         "spec.updateStrategy.rollingUpdate"),
        ({"update_strategy": StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(-1))},
         "spec.updateStrategy.rollingUpdate.partition"),
        ({"update_strategy": StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(0, 0))},
         "spec.updateStrategy.rollingUpdate.maxUnavailable"),
        ({"update_strategy": StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(0, "150%"))},
         "spec.updateStrategy.rollingUpdate.maxUnavailable"),
        ({"persistent_volume_claim_retention_policy": PersistentVolumeClaimRetentionPolicy("Keep")},
         "spec.persistentVolumeClaimRetentionPolicy.whenDeleted"),
        ({"selector": {"app": "other"}}, "spec.template.metadata.labels"),
        ({"template": attrs.evolve(V1, restart_policy="OnFailure")}, "spec.template.spec.restartPolicy"),
    ],
)  # fmt: skip
def test_validation_names_the_field(spec_kw, field):
    spec = StatefulSetSpec(**{"template": V1, **spec_kw})
    with pytest.raises(InvalidSpec) as err:
        validate_statefulset("web", spec)
    assert err.value.field == field


def test_update_may_change_only_mutable_fields():
    old = StatefulSetSpec(template=V1, replicas=3)
    validate_statefulset_update("web", old, attrs.evolve(old, replicas=5, template=V2, ordinals_start=2))
    with pytest.raises(InvalidSpec, match="Forbidden"):
        validate_statefulset_update("web", old, attrs.evolve(old, pod_management_policy=PARALLEL))
    with pytest.raises(InvalidSpec):
        validate_statefulset_update("web", old, attrs.evolve(old, volume_claim_templates=("data",)))


@pytest.mark.parametrize(
    ("value", "replicas", "expected"),
    [(IntOrPercent(25, True), 10, 2), (IntOrPercent(10, True), 7, 1), (IntOrPercent(1, True), 5, 1),
     (IntOrPercent(3), 2, 3), (None, 5, 1), (IntOrPercent(100, True), 5, 5)],
)  # fmt: skip
def test_max_unavailable_rounds_down_with_floor_of_one(value, replicas, expected):
    assert statefulset_max_unavailable(value, replicas) == expected


# ---------------------------------------------------------------- revisions and status


def test_update_revision_reuses_latest_equal_revision():
    s, revs, _ = settled_set(1, [0])
    r = sts.statefulset_revisions(s, revs)
    assert (r.update, r.written) == (revs[0], None)


def test_new_template_creates_next_revision_and_rollback_renumbers():
    s, revs, _ = settled_set(1, [0])
    moved = attrs.evolve(s, spec=attrs.evolve(s.spec, template=V2))
    r = sts.statefulset_revisions(moved, revs)
    assert r.written is r.update and r.update.revision == 2 and r.current == revs[0]
    both = (*revs, r.update)
    back = sts.statefulset_revisions(s, both)  # template reverted to V1
    assert back.update.name == revs[0].name and back.update.revision == 3


def test_status_counts_terminating_and_condemned_but_not_in_revision_counts():
    s, revs, pods = settled_set(2, [0, 1, 2])
    pods[1] = attrs.evolve(pods[1], deleting=True)
    pods[2] = attrs.evolve(pods[2], ready=False, ready_since=None)
    status = sts.count_status(s, pods, revs[0].name, revs[0].name, NOW)
    assert (status.replicas, status.ready_replicas, status.current_replicas) == (3, 2, 2)


def test_available_from_exactly_min_ready_seconds():
    s, revs, pods = settled_set(1, [0], min_ready_seconds=10)
    ready_at_990 = attrs.evolve(pods[0], ready_since=990.0)
    assert sts.count_status(s, [ready_at_990], revs[0].name, revs[0].name, NOW - 0.1).available_replicas == 0
    assert sts.count_status(s, [ready_at_990], revs[0].name, revs[0].name, NOW).available_replicas == 1


def test_rollout_completes_on_ready_not_available():
    spec = StatefulSetSpec(template=V1, replicas=2, min_ready_seconds=30)
    status = StatefulSetStatus(replicas=2, ready_replicas=2, available_replicas=0, updated_replicas=2,
                               current_replicas=0, current_revision="a", update_revision="b")  # fmt: skip
    done = sts.complete_rolling_update(spec, status)
    assert (done.current_revision, done.current_replicas) == ("b", 2)  # #136831: availability ignored
    assert sts.complete_rolling_update(spec, attrs.evolve(status, replicas=3)).current_revision == "a"
    on_delete = attrs.evolve(spec, update_strategy=StatefulSetUpdateStrategy(ON_DELETE))
    assert sts.complete_rolling_update(on_delete, status).current_revision == "a"


def test_history_truncation_keeps_live_revisions():
    s, _, _ = settled_set(1, [0], revision_history_limit=1)
    templates = [AppsPodTemplate(labels=APP, image=f"db:v{i}") for i in range(4)]
    revs = revisions_of(s, *templates)
    pods = [pod(s, 0, revs[1].name)]
    doomed = sts.truncated_history(s, revs, pods, revs[3].name, revs[3].name)
    assert doomed == (revs[0].name,)  # revs[2] kept by the limit of 1, revs[1] by the pod


# ---------------------------------------------------------------- OrderedReady creation and scale-down


def test_ordered_ready_creates_one_pod_per_sync_in_order():
    s, revs, _ = settled_set(3, [])
    d = sync(s, revs, [], [], NOW)
    assert [c.name for c in d.creates] == ["web-0"] and not d.deletes
    not_ready = [pod(s, 0, revs[0].name, ready=False)]
    d = sync(s, revs, not_ready, [], NOW)
    assert d.creates == () and d.blocked_on == "web-0"
    d = sync(s, revs, [pod(s, 0, revs[0].name)], [], NOW)
    assert [c.name for c in d.creates] == ["web-1"]


def test_ordered_ready_waits_for_min_ready_seconds():
    s, revs, _ = settled_set(2, [], min_ready_seconds=10)
    fresh = [pod(s, 0, revs[0].name, ready_since=NOW - 5)]
    assert sync(s, revs, fresh, [], NOW).creates == ()
    old = [pod(s, 0, revs[0].name, ready_since=NOW - 11)]
    assert [c.name for c in sync(s, revs, old, [], NOW).creates] == ["web-1"]


def test_parallel_creates_every_missing_pod_at_once():
    s, revs, _ = settled_set(4, [], pod_management_policy=PARALLEL)
    d = sync(s, revs, [pod(s, 1, revs[0].name, ready=False)], [], NOW)
    assert sorted(c.name for c in d.creates) == ["web-0", "web-2", "web-3"]


def test_failed_pod_is_deleted_and_replaced_on_a_later_sync():
    s, revs, pods = settled_set(2, [0, 1])
    pods[0] = attrs.evolve(pods[0], phase=FAILED, ready=False)
    d = sync(s, revs, pods, [], NOW)
    assert [(x.name, x.reason) for x in d.deletes] == [("web-0", REASON_FAILED)] and d.creates == ()
    d = sync(s, revs, [attrs.evolve(pods[0], deleting=True), pods[1]], [], NOW)
    assert d.deletes == () and d.creates == ()  # waits for the object to disappear


@pytest.mark.parametrize(
    ("unready", "expected"),
    [
        ((4,), ["web-4"]),  # fact sheet: web-4 unready -> it is the first unhealthy pod
        ((3,), ["web-4"]),  # web-3 unready, web-4 healthy -> web-4 first
        ((3, 4), []),  # both unready: first unhealthy is web-3, the scan starts at web-4 -> stall
        ((1,), []),  # a kept replica unready blocks scale-down
        ((), ["web-4"]),
    ],
)
def test_ordered_scale_down_worked_examples(unready, expected):
    s, revs, pods = settled_set(3, range(5))
    pods = [attrs.evolve(p, ready=False, ready_since=None) if i in unready else p for i, p in enumerate(pods)]
    d = sync(s, revs, pods, [], NOW)
    assert [x.name for x in d.deletes] == expected
    assert all(x.reason == REASON_SCALE_DOWN for x in d.deletes)


def test_ordered_scale_down_waits_for_a_terminating_condemned_pod():
    s, revs, pods = settled_set(3, range(5))
    pods[4] = attrs.evolve(pods[4], deleting=True)
    d = sync(s, revs, pods, [], NOW)
    assert d.deletes == () and d.blocked_on == "web-4"


def test_parallel_scale_down_deletes_all_condemned_at_once():
    s, revs, pods = settled_set(2, range(5), pod_management_policy=PARALLEL)
    pods[3] = attrs.evolve(pods[3], ready=False, ready_since=None)
    d = sync(s, revs, pods, [], NOW)
    assert sorted(x.name for x in d.deletes) == ["web-2", "web-3", "web-4"]


# ---------------------------------------------------------------- rolling update


def updated_set(replicas, partition=0, max_unavailable=1, start=0, **kw):
    """A settled set at V1 whose template moved to V2."""
    ru = StatefulSetRollingUpdate(partition, max_unavailable)
    s, revs, pods = settled_set(replicas, range(start, start + replicas), ordinals_start=start,
                                update_strategy=StatefulSetUpdateStrategy(rolling_update=ru), **kw)  # fmt: skip
    moved = attrs.evolve(s, spec=attrs.evolve(s.spec, template=V2))
    r = sts.statefulset_revisions(moved, revs)
    return moved, (*revs, r.update), pods


def test_rolling_update_deletes_highest_ordinal_first_one_at_a_time():
    s, revs, pods = updated_set(3)
    d = sync(s, revs, pods, [], NOW)
    assert [(x.name, x.reason) for x in d.deletes] == [("web-2", REASON_UPDATE)]
    assert d.status.current_replicas == 2  # decremented for the deletion
    pods[2] = pod(s, 2, revs[1].name, ready=False)  # recreated at the new revision, not Ready yet
    assert sync(s, revs, pods, [], NOW).deletes == ()


def test_partition_is_relative_to_start_ordinal():
    s, revs, pods = updated_set(4, partition=2, max_unavailable=4, start=5)
    d = sync(s, revs, pods, [], NOW, release=GATE_ON)
    assert sorted(x.name for x in d.deletes) == ["web-7", "web-8"]  # ordinals 5 and 6 protected
    assert [x.name for x in sync(s, revs, pods, [], NOW).deletes] == ["web-8"]  # gate off: one at a time
    updated = [p if p.name != "web-8" else pod(s, 8, revs[1].name) for p in pods]
    assert [x.name for x in sync(s, revs, updated, [], NOW).deletes] == ["web-7"]
    done = [p if p.name != "web-7" else pod(s, 7, revs[1].name) for p in updated]
    assert sync(s, revs, done, [], NOW).deletes == ()


def test_missing_pod_below_partition_comes_back_at_current_revision():
    s, revs, pods = updated_set(4, partition=2, start=5)
    d = sync(s, revs, [p for p in pods if p.name != "web-5"], [], NOW)
    assert [(c.name, c.revision) for c in d.creates] == [("web-5", revs[0].name)]
    d = sync(s, revs, [p for p in pods if p.name != "web-8"], [], NOW)
    assert [(c.name, c.revision) for c in d.creates] == [("web-8", revs[1].name)]


def test_no_rolling_update_block_recreates_below_status_current_replicas_at_current():
    # Go precedence quirk in newVersionedStatefulSetPod
    s, revs, pods = updated_set(3)
    s = attrs.evolve(s, spec=attrs.evolve(s.spec, update_strategy=StatefulSetUpdateStrategy(rolling_update=None)),
                     status=attrs.evolve(s.status, current_replicas=2))  # fmt: skip
    d = sync(s, revs, [pods[1], pods[2]], [], NOW)
    assert [(c.name, c.revision) for c in d.creates] == [("web-0", revs[0].name)]


def test_max_unavailable_deletes_several_in_one_sync_with_the_gate_only():
    s, revs, pods = updated_set(5, max_unavailable=2)
    assert [x.name for x in sync(s, revs, pods, [], NOW, release=GATE_ON).deletes] == ["web-4", "web-3"]
    assert [x.name for x in sync(s, revs, pods, [], NOW).deletes] == ["web-4"]


def test_max_unavailable_counts_unavailable_pods_below_partition():
    s, revs, pods = updated_set(5, partition=3, max_unavailable=2, pod_management_policy=PARALLEL)
    pods[0] = attrs.evolve(pods[0], ready=False, ready_since=None)
    gated = sync(s, revs, pods, [], NOW, release=GATE_ON)
    assert [x.name for x in gated.deletes] == ["web-4"]  # budget 2 - 1
    assert [x.name for x in sync(s, revs, pods, [], NOW, release=V1_34).deletes] == ["web-4"]
    pods[1] = attrs.evolve(pods[1], ready=False, ready_since=None)
    assert sync(s, revs, pods, [], NOW, release=GATE_ON).deletes == ()  # 2 unavailable, budget used up
    assert [x.name for x in sync(s, revs, pods, [], NOW, release=V1_34).deletes] == ["web-4"]  # no gate
    assert [x.name for x in sync(s, revs, pods, [], NOW).deletes] == ["web-4"]  # 1.35: no gate either


def test_issue_137409_unavailable_old_pod_is_never_replaced_with_the_gate():
    s, revs, pods = updated_set(1, pod_management_policy=PARALLEL)
    pods[0] = attrs.evolve(pods[0], ready=False, ready_since=None)
    assert sync(s, revs, pods, [], NOW, release=GATE_ON).deletes == ()
    assert [x.name for x in sync(s, revs, pods, [], NOW, release=V1_34).deletes] == ["web-0"]
    assert [x.name for x in sync(s, revs, pods, [], NOW).deletes] == ["web-0"]  # off by default in 1.35


def test_stuck_rollout_ordered_ready_blocks_on_broken_new_pod():
    s, revs, pods = updated_set(3)
    pods[2] = pod(s, 2, revs[1].name, ready=False)  # the new revision never turns Ready
    d = sync(s, revs, pods, [], NOW)
    assert d.deletes == () and d.creates == () and d.blocked_on == "web-2"
    # reverting the template does not help (#67250): the broken pod still blocks step 3
    back = attrs.evolve(s, spec=attrs.evolve(s.spec, template=V1))
    assert sync(back, revs, pods, [], NOW).deletes == ()


def test_on_delete_never_deletes_for_revision_reasons():
    s, revs, pods = updated_set(3)
    s = attrs.evolve(s, spec=attrs.evolve(s.spec, update_strategy=StatefulSetUpdateStrategy(ON_DELETE)))
    assert sync(s, revs, pods, [], NOW).deletes == ()
    d = sync(s, revs, pods[:2], [], NOW)
    assert [(c.name, c.revision) for c in d.creates] == [("web-2", revs[1].name)]


def test_deleting_set_only_reports_status():
    s, revs, pods = updated_set(3)
    d = sync(attrs.evolve(s, deleting=True), revs, pods[:1], [], NOW)
    assert (d.creates, d.deletes, d.status.replicas) == ((), (), 1)


# ---------------------------------------------------------------- claims and retention


@pytest.mark.parametrize(
    ("when_deleted", "when_scaled", "in_range", "condemned"),
    [
        (RETAIN, RETAIN, set(), set()),
        (DELETE, RETAIN, {STATEFULSET}, {STATEFULSET}),
        (RETAIN, DELETE, set(), {pvc.POD}),
        (DELETE, DELETE, {STATEFULSET}, {pvc.POD}),
    ],
)
def test_retention_policy_matrix(when_deleted, when_scaled, in_range, condemned):
    policy = PersistentVolumeClaimRetentionPolicy(when_deleted, when_scaled)
    assert pvc.desired_owners(policy, condemned=False) == in_range
    assert pvc.desired_owners(policy, condemned=True) == condemned


def test_claims_are_created_with_the_pod_and_owners_fixed_on_scale_down():
    policy = PersistentVolumeClaimRetentionPolicy(DELETE, DELETE)
    s, revs, _ = settled_set(
        1, [], volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy
    )
    d = sync(s, revs, [], [], NOW)
    assert [(c.name, c.owners, c.create) for c in d.claims] == [("data-web-0", {STATEFULSET}, True)]
    pods = [pod(s, 0, revs[0].name), pod(s, 1, revs[0].name)]
    claims = [
        PersistentVolumeClaimView(f"data-web-{i}", f"c{i}", (OwnerRef(STATEFULSET, "web", s.uid),))
        for i in (0, 1)
    ]
    d = sync(s, revs, pods, claims, NOW)
    assert [(c.name, c.owners) for c in d.claims] == [("data-web-1", {pvc.POD})]
    assert [x.name for x in d.deletes] == ["web-1"]


def test_stale_claim_blocks_pod_creation():
    policy = PersistentVolumeClaimRetentionPolicy(RETAIN, DELETE)
    s, revs, _ = settled_set(
        1, [], volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy
    )
    stale = PersistentVolumeClaimView("data-web-0", "c0", (OwnerRef("Pod", "web-0", "uid-old"),))
    d = sync(s, revs, [], [stale], NOW)
    assert d.creates == () and d.blocked_on == "web-0" and d.stale_claim == "web-0"
    retain = attrs.evolve(
        s,
        spec=attrs.evolve(
            s.spec, persistent_volume_claim_retention_policy=PersistentVolumeClaimRetentionPolicy()
        ),
    )
    assert [c.name for c in sync(retain, revs, [], [stale], NOW).creates] == ["web-0"]


def test_parallel_creates_the_other_pods_past_a_stale_claim():
    policy = PersistentVolumeClaimRetentionPolicy(RETAIN, DELETE)
    s, revs, _ = settled_set(
        3, [], volume_claim_templates=("data",), persistent_volume_claim_retention_policy=policy,
        pod_management_policy=PARALLEL,
    )  # fmt: skip
    stale = [
        PersistentVolumeClaimView(f"data-web-{i}", f"c{i}", (OwnerRef("Pod", f"web-{i}", "uid-old"),))
        for i in (0, 2)
    ]
    d = sync(s, revs, [], stale, NOW)
    assert [c.name for c in d.creates] == ["web-1"] and d.stale_claim == "web-0"


# ---------------------------------------------------------------- the wait after a stale claim


def waiting_set(min_ready_seconds=0):
    """web-0 missing behind a stale claim, web-1 (condemned) Ready since t=998."""
    s, revs, _ = settled_set(0, [], min_ready_seconds=min_ready_seconds)
    return s, [pod(s, 1, revs[0].name, ready_since=998.0)]


def test_a_set_waits_after_a_stale_claim_until_an_event_for_it():
    s, pods = waiting_set()
    wait = pvc.stale_claim_wait(s, pods, "web-0", NOW)
    assert wait.pod == "web-0" and wait.wake_at is None
    # nothing happened to the set or its pods: the claim's deletion alone wakes nothing, however long
    assert pvc.still_waiting(wait, s, list(reversed(pods)), NOW + 86_400)
    # an event: one of its pods changed (probe), went, or came; the set's spec or status was written
    unready = attrs.evolve(pods[0], ready=False, ready_since=None)
    assert not pvc.still_waiting(wait, s, [unready], NOW)
    assert not pvc.still_waiting(wait, s, [], NOW)
    assert not pvc.still_waiting(wait, attrs.evolve(s, generation=2), pods, NOW)
    written = attrs.evolve(s, status=attrs.evolve(s.status, replicas=1))
    assert not pvc.still_waiting(wait, written, pods, NOW)
    # a set of the same name created anew is another set
    assert not pvc.still_waiting(wait, attrs.evolve(s, uid="uid-new"), pods, NOW)


def test_a_waiting_set_syncs_again_when_a_maturing_pod_becomes_available():
    # minReadySeconds 5, web-1 Ready since 998: Ready but not Available at 1000, so the stopped sync
    # requeued the set for 1003 (syncStatefulSet: readyReplicas != availableReplicas)
    s, pods = waiting_set(min_ready_seconds=5)
    wait = pvc.stale_claim_wait(s, pods, "web-0", NOW)
    assert wait.wake_at == 1003.0
    assert pvc.still_waiting(wait, s, pods, 1002.9)
    assert not pvc.still_waiting(wait, s, pods, 1003.0)
    # already Available when the sync stopped: no requeue planned
    assert pvc.stale_claim_wait(s, pods, "web-0", 1003.0).wake_at is None


def test_pending_pod_gets_missing_claims():
    s, revs, _ = settled_set(1, [], volume_claim_templates=("data", "logs"))
    pending = [pod(s, 0, revs[0].name, phase=PENDING, ready=False)]
    d = sync(s, revs, pending, [PersistentVolumeClaimView("data-web-0", "c0")], NOW)
    assert [(c.name, c.create) for c in d.claims] == [("logs-web-0", True)]

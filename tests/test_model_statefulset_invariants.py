"""StatefulSet and DaemonSet invariants (fact sheet 10.3, 10.4): the model obeys them, realistic bugs break them."""

import attrs
import pytest

from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model import statefulset as sts
from kubeprops.reference_model.apps_invariants import (
    RULES,
    STS_CLAIM_NAMES,
    STS_ON_DELETE,
    STS_ORDERED_CREATION,
    STS_ORDERED_SCALE_DOWN,
    STS_PARTITION_RECREATE,
    STS_ROLLOUT_COMPLETION,
    STS_STATUS,
    STS_UNIQUE_ORDINALS,
    STS_UPDATE_BUDGET,
    StatefulSetActions,
    StatefulSetSnapshot,
    check_always,
    check_statefulset_sync,
    check_transition,
)
from kubeprops.reference_model.release import for_version
from kubeprops.reference_model.statefulset_sync import sync
from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    ON_DELETE,
    STATEFULSET,
    AdvanceTime,
    AppsClusterView,
    AppsPodTemplate,
    CreateStatefulSet,
    PersistentVolumeClaimView,
    ScaleStatefulSet,
    StatefulPodAction,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetStatus,
    StatefulSetUpdateStrategy,
    StatefulSetView,
    UpdateAppsTemplate,
)
from kubeprops.scenario.ops import POD_FAIL, POD_UNREADY
from kubeprops.scenario.spec import PodBehavior
from kubeprops.scenario.view import RUNNING, OwnerRef, PodView

APP = {"app": "db"}
V1 = AppsPodTemplate(labels=APP, image="db:v1", behavior=PodBehavior(2))
V2 = AppsPodTemplate(labels=APP, image="db:v2", behavior=PodBehavior(2))
NOW = 500.0


def ids(violations):
    return {v.rule for v in violations}


def test_rule_ids_are_unique():
    assert len({r.id for r in RULES}) == len(RULES)


def test_every_view_of_a_model_run_satisfies_the_always_rules():
    state = ops.apply(world.initial_state(), CreateStatefulSet("web", StatefulSetSpec(
        template=V1, replicas=3, volume_claim_templates=("data",),
        update_strategy=StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(1, 2)))))  # fmt: skip
    script = [AdvanceTime(1)] * 10 + [UpdateAppsTemplate(STATEFULSET, "web", V2), StatefulPodAction("web", 0, POD_FAIL),
              ScaleStatefulSet("web", 5)] + [AdvanceTime(1)] * 15 + [StatefulPodAction("web", 2, POD_UNREADY),
              ScaleStatefulSet("web", 2)] + [AdvanceTime(1)] * 10  # fmt: skip
    before = world.view(state)
    for op in script:
        state = ops.apply(state, op)
        after = world.view(state)
        assert check_always(after) == [] and check_transition(before, after) == []
        before = after


# ---------------------------------------------------------------- ALWAYS, crafted violations


def base_view():
    spec = StatefulSetSpec(template=V1, replicas=2, volume_claim_templates=("data",))
    s = StatefulSetView("web", "uid-web", 1, spec, StatefulSetStatus(replicas=2, ready_replicas=2))
    owner = OwnerRef(STATEFULSET, "web", "uid-web")
    pods = tuple(
        PodView(f"web-{i}", f"u{i}", owner, (("app", "db"),), "img", "n", RUNNING, True, 0.0, False, 0.0)
        for i in range(2)
    )
    return AppsClusterView(now=NOW, statefulsets=(s,), pods=pods)


def test_always_rules_catch_bad_names_duplicates_and_status():
    view = base_view()
    assert check_always(view) == []
    bad_name = attrs.evolve(view, pods=(*view.pods, attrs.evolve(view.pods[0], name="web-a", uid="x")))
    assert STS_UNIQUE_ORDINALS.id in ids(check_always(bad_name))
    dup = attrs.evolve(view, pods=(*view.pods, attrs.evolve(view.pods[0], name="web-01", uid="y")))
    assert STS_UNIQUE_ORDINALS.id in ids(check_always(dup))  # "01" and "0" are the same ordinal
    s = view.statefulsets[0]
    bad = attrs.evolve(s, status=StatefulSetStatus(replicas=1, ready_replicas=1, available_replicas=2))
    assert STS_STATUS.id in ids(check_always(attrs.evolve(view, statefulsets=(bad,))))
    claim = PersistentVolumeClaimView("data-web", "c", (OwnerRef(STATEFULSET, "web", "uid-web"),))
    assert STS_CLAIM_NAMES.id in ids(check_always(attrs.evolve(view, claims=(claim,))))


# ---------------------------------------------------------------- PER-SYNC


def snapshot(replicas, ordinals, *, unready=(), template=V1, revisions_of=(V1,), **spec_kw):
    spec = StatefulSetSpec(template=template, replicas=replicas, **spec_kw)
    s = StatefulSetView("web", "uid-web", 1, spec)
    revs = tuple(sts.new_revision(attrs.evolve(s, spec=attrs.evolve(spec, template=t)), i + 1)
                 for i, t in enumerate(revisions_of))  # fmt: skip
    s = attrs.evolve(s, status=StatefulSetStatus(current_revision=revs[0].name, update_revision=revs[0].name))
    owner = OwnerRef(STATEFULSET, "web", "uid-web")
    labels = tuple(sorted({**APP, CONTROLLER_REVISION_HASH: revs[0].name}.items()))
    pods = tuple(
        PodView(f"web-{o}", f"u{o}", owner, labels, "img", "n", RUNNING, o not in unready,
                None if o in unready else 0.0, False, 0.0)
        for o in ordinals
    )  # fmt: skip
    return StatefulSetSnapshot(s, revs, pods, NOW)


def model_actions(snap, release=None):
    kw = {"release": release} if release else {}
    d = sync(snap.sts, snap.revisions, snap.pods, (), snap.now, **kw)
    return StatefulSetActions(
        tuple((c.name, c.revision) for c in d.creates), tuple(x.name for x in d.deletes), d.status
    )


@pytest.mark.parametrize(
    "snap",
    [
        snapshot(3, []),
        snapshot(3, [0, 1]),
        snapshot(3, [0, 1], unready=(1,)),
        snapshot(2, [0, 1, 2, 3], unready=(3,)),
        snapshot(2, [0, 1, 2, 3], unready=(2, 3)),
        snapshot(3, [0, 1, 2], template=V2, revisions_of=(V1, V2)),
        snapshot(5, range(5), template=V2, revisions_of=(V1, V2), update_strategy=StatefulSetUpdateStrategy(
            rolling_update=StatefulSetRollingUpdate(2, 2))),
    ],
)  # fmt: skip
def test_model_decisions_obey_the_per_sync_rules(snap):
    assert check_statefulset_sync(snap, model_actions(snap)) == []
    assert (
        check_statefulset_sync(
            snap, model_actions(snap, for_version("v1.34.0")), release=for_version("v1.34.0")
        )
        == []
    )


def test_bug_creates_next_ordinal_before_previous_is_ready():
    snap = snapshot(3, [0, 1], unready=(1,))
    acts = StatefulSetActions(created=(("web-2", snap.revisions[0].name),))
    assert STS_ORDERED_CREATION.id in ids(check_statefulset_sync(snap, acts))


def test_bug_two_creations_in_one_ordered_sync():
    snap = snapshot(3, [])
    rev = snap.revisions[0].name
    acts = StatefulSetActions(created=(("web-0", rev), ("web-1", rev)))
    assert STS_ORDERED_CREATION.id in ids(check_statefulset_sync(snap, acts))


def test_bug_scale_down_lowest_first():
    snap = snapshot(2, range(4))
    assert STS_ORDERED_SCALE_DOWN.id in ids(
        check_statefulset_sync(snap, StatefulSetActions(deleted=("web-2",)))
    )
    assert check_statefulset_sync(snap, StatefulSetActions(deleted=("web-3",))) == []


def test_bug_scale_down_while_a_replica_is_unready():
    snap = snapshot(2, range(4), unready=(0,))
    assert STS_ORDERED_SCALE_DOWN.id in ids(
        check_statefulset_sync(snap, StatefulSetActions(deleted=("web-3",)))
    )


def test_bug_partition_counted_from_zero_instead_of_start():
    ru = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(partition=2, max_unavailable=4))
    snap = snapshot(4, range(5, 9), template=V2, revisions_of=(V1, V2), ordinals_start=5, update_strategy=ru)
    bug = StatefulSetActions(deleted=("web-6", "web-7", "web-8"))  # partition 2 read as ordinal 2
    assert STS_UPDATE_BUDGET.id in ids(check_statefulset_sync(snap, bug))
    assert check_statefulset_sync(snap, model_actions(snap)) == []


def test_bug_recreates_below_partition_at_update_revision():
    ru = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(partition=2))
    snap = snapshot(3, [1, 2], template=V2, revisions_of=(V1, V2), update_strategy=ru)
    bug = StatefulSetActions(created=(("web-0", snap.revisions[1].name),))
    assert STS_PARTITION_RECREATE.id in ids(check_statefulset_sync(snap, bug))


def test_bug_update_beyond_max_unavailable():
    ru = StatefulSetUpdateStrategy(rolling_update=StatefulSetRollingUpdate(0, 2))
    snap = snapshot(5, range(5), unready=(0,), template=V2, revisions_of=(V1, V2), update_strategy=ru)
    bug = StatefulSetActions(deleted=("web-4", "web-3"))  # 2 - 1 unavailable leaves room for one
    assert STS_UPDATE_BUDGET.id in ids(check_statefulset_sync(snap, bug))


def test_bug_on_delete_rolls_pods():
    snap = snapshot(2, range(2), template=V2, revisions_of=(V1, V2),
                    update_strategy=StatefulSetUpdateStrategy(ON_DELETE))  # fmt: skip
    assert STS_ON_DELETE.id in ids(check_statefulset_sync(snap, StatefulSetActions(deleted=("web-1",))))


def test_bug_rollout_marked_complete_too_early():
    snap = snapshot(3, range(3), template=V2, revisions_of=(V1, V2))
    early = StatefulSetStatus(replicas=3, ready_replicas=3, updated_replicas=1, current_revision=snap.revisions[1].name,
                              update_revision=snap.revisions[1].name)  # fmt: skip
    assert STS_ROLLOUT_COMPLETION.id in ids(check_statefulset_sync(snap, StatefulSetActions(status=early)))

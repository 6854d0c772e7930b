"""ALWAYS invariants on observed views (fact sheet 10.0-10.2), with the [NOT] claims as negative tests."""

import attrs
import pytest
from factories import (
    deployment_status,
    make_deployment,
    make_pod,
    make_rs,
    make_view,
    owner_ref,
    rs_status,
)

from kubeprops.reference_model.invariants import (
    ALWAYS,
    AVAILABLE_CONDITION,
    DEPLOYMENT_STATUS_ORDERING,
    LEFT_OUT,
    NO_OWNERSHIP_TRANSFER,
    OBSERVED_GENERATION_BOUND,
    OBSERVED_GENERATION_MONOTONIC,
    PAUSED_NO_NEW_RS,
    RS_HASH_UNIQUE,
    RS_NAME_HASH,
    RS_REVISION_MONOTONIC,
    RS_STATUS_ORDERING,
    RULES,
    check_always,
    check_transition,
    max_unavailable,
)
from kubeprops.scenario.spec import RECREATE, DeploymentStrategy


def healthy(replicas=3, **deployment_kw):
    d = make_deployment(
        replicas=replicas, status=deployment_status(replicas, available_condition="True"), **deployment_kw
    )
    new = make_rs(
        owner=d, pod_template_hash="5d4f8", replicas=replicas, revision=2, status=rs_status(replicas)
    )
    old = make_rs(owner=d, pod_template_hash="79bcd", replicas=0, revision=1, status=rs_status(0))
    pods = [make_pod(f"{new.name}-{i}", owner=new, labels=dict(new.selector)) for i in range(replicas)]
    return d, new, old, pods


def rules_of(violations):
    return {v.rule for v in violations}


def test_a_healthy_cluster_has_no_violations():
    d, new, old, pods = healthy()
    view = make_view(d, new, old, pods)
    assert check_always(view) == []
    assert check_transition(view, view) == []


# ---------------------------------------------------------------- registry


def test_rules_registry():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.cls == ALWAYS
        assert rule.id == f"{rule.section} ALWAYS {rule.id.split()[-1]}"
        assert rule.description and rule.views in (1, 2)
    assert RS_STATUS_ORDERING.id == "10.1 ALWAYS replicaset-status-ordering"
    assert DEPLOYMENT_STATUS_ORDERING.id == "10.2 ALWAYS deployment-status-ordering"
    assert all(reason for _, reason in LEFT_OUT)


# ---------------------------------------------------------------- 10.0 observedGeneration


def test_observed_generation_ahead_of_generation():
    d, new, old, pods = healthy()
    d = attrs.evolve(d, status=attrs.evolve(d.status, observed_generation=2))
    new = attrs.evolve(new, generation=4, status=attrs.evolve(new.status, observed_generation=5))
    found = check_always(make_view(d, new, old, pods))
    assert [(v.rule, v.obj) for v in found] == [
        (OBSERVED_GENERATION_BOUND.id, "Deployment/web"),
        (OBSERVED_GENERATION_BOUND.id, f"ReplicaSet/{new.name}"),
    ]
    assert "observedGeneration 5 > generation 4" in found[1].message


def test_observed_generation_behind_is_fine():
    d, new, old, pods = healthy()
    d = attrs.evolve(d, generation=3)
    assert check_always(make_view(d, new, old, pods)) == []


# ---------------------------------------------------------------- 10.1 ReplicaSet status


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (rs_status(2, ready=3, available=1), "replicas 2 < readyReplicas 3"),
        (rs_status(3, ready=1, available=2), "readyReplicas 1 < availableReplicas 2"),
        (rs_status(-1, ready=-1, available=-1), "availableReplicas -1 < 0"),
        (rs_status(2, fully_labeled=3), "fullyLabeledReplicas 3 outside [0, replicas 2]"),
        (rs_status(2, terminating=-1), "terminatingReplicas -1 < 0"),
    ],
)
def test_replicaset_status_ordering(status, text):
    rs = make_rs(status=status)
    found = check_always(make_view(rs))
    assert rules_of(found) == {RS_STATUS_ORDERING.id}
    assert any(text in v.message for v in found)
    assert found[0].obj == "ReplicaSet/web-rs"


def test_not_owned_pods_including_terminating_bounded_by_spec():
    # [NOT] 10.1: after a scale-down terminating pods exceed spec.replicas; nothing to report
    rs = make_rs(replicas=3, status=rs_status(3, terminating=2))
    pods = [make_pod(f"p{i}", owner=rs) for i in range(3)]
    pods += [make_pod(f"t{i}", owner=rs, deleting=True) for i in range(2)]
    assert check_always(make_view(rs, pods)) == []


def test_not_available_never_drops_on_scale_down():
    # [NOT] 10.1: a ReplicaSet has no availability budget
    before = make_view(make_rs(replicas=3, status=rs_status(3)))
    after = make_view(make_rs(replicas=1, status=rs_status(3, ready=1, available=1)))
    assert check_always(after) == [] and check_transition(before, after) == []


def test_terminating_nil_is_fine():
    assert check_always(make_view(make_rs(status=rs_status(3, terminating=None)))) == []


# ---------------------------------------------------------------- 10.2 Deployment status


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (deployment_status(3, updated=4), "updatedReplicas 4 outside [0, replicas 3]"),
        (deployment_status(3, ready=4), "replicas 3 < readyReplicas 4"),
        (deployment_status(3, ready=2, available=3), "readyReplicas 2 < availableReplicas 3"),
        (deployment_status(3, unavailable=-1), "unavailableReplicas -1 < 0"),
        (deployment_status(3, terminating=-2), "terminatingReplicas -2 < 0"),
    ],
)
def test_deployment_status_ordering(status, text):
    found = check_always(make_view(make_deployment(status=status)))
    assert rules_of(found) == {DEPLOYMENT_STATUS_ORDERING.id}
    assert any(text in v.message for v in found)


def test_unavailable_counts_spec_so_it_can_be_positive_with_no_unready_pod():
    status = deployment_status(2, unavailable=1)  # creations in flight: spec 3, status 2
    assert check_always(make_view(make_deployment(replicas=3, status=status))) == []


# ---------------------------------------------------------------- 10.2 Available condition


@pytest.mark.parametrize(
    ("available", "condition", "ok"),
    [(8, "True", True), (7, "True", False), (8, "False", False), (7, "False", True), (0, "Unknown", True)],
)
def test_available_condition_follows_the_written_numbers(available, condition, ok):
    # R=10, 25%: maxUnavailable floor(2.5) = 2 -> Available iff available >= 8
    status = deployment_status(10, available=available, available_condition=condition)
    found = check_always(make_view(make_deployment(replicas=10, status=status)))
    assert (found == []) is ok
    if not ok:
        assert rules_of(found) == {AVAILABLE_CONDITION.id}
        assert "replicas 10 - maxUnavailable 2 = 8" in found[0].message


def test_available_condition_not_checked_against_a_newer_spec():
    # the user scaled 3 -> 10 (generation 2); the status (Available=True, 3 available) is from generation 1
    status = deployment_status(3, available_condition="True", observed_generation=1)
    assert check_always(make_view(make_deployment(replicas=10, generation=2, status=status))) == []


def test_not_available_floor_holds_at_all_times():
    # [NOT] 10.2: pods fail, so available < R - U is a legal state, reported as Available=False
    status = deployment_status(10, ready=3, available=3, unavailable=7, available_condition="False")
    assert check_always(make_view(make_deployment(replicas=10, status=status))) == []


def test_not_pods_bounded_by_r_plus_surge():
    # [NOT] 10.2: terminating pods are not counted, so R + S can be exceeded in real pods
    d, new, old, pods = healthy()
    extra = [make_pod(f"t{i}", owner=old, labels=dict(old.selector), deleting=True) for i in range(10)]
    assert check_always(make_view(d, new, old, pods, extra)) == []


def test_max_unavailable():
    assert max_unavailable(make_deployment(replicas=10).spec) == 2
    assert max_unavailable(make_deployment(replicas=7, max_unavailable="10%").spec) == 0
    assert max_unavailable(make_deployment(replicas=2, max_surge="0%", max_unavailable="1%").spec) == 1
    assert max_unavailable(make_deployment(replicas=3, max_unavailable=5).spec) == 3  # capped
    assert max_unavailable(make_deployment(replicas=0).spec) == 0
    assert max_unavailable(make_deployment(strategy=DeploymentStrategy(type=RECREATE)).spec) == 0


def test_recreate_needs_every_replica_available():
    status = deployment_status(3, available=2, available_condition="True")
    d = make_deployment(strategy=DeploymentStrategy(type=RECREATE), status=status)
    assert rules_of(check_always(make_view(d))) == {AVAILABLE_CONDITION.id}


# ---------------------------------------------------------------- 10.2 names and hashes


def test_replicaset_name_must_be_deployment_dash_hash():
    d, new, old, _ = healthy()
    wrong = attrs.evolve(new, name="web-other")
    found = check_always(make_view(d, wrong, old))
    assert [(v.rule, v.obj) for v in found] == [(RS_NAME_HASH.id, "ReplicaSet/web-other")]
    assert "name is not web-5d4f8" in found[0].message


def test_hash_label_on_selector_and_template():
    d, new, old, _ = healthy()
    no_selector = attrs.evolve(new, selector=(("app", "web"),))
    found = check_always(make_view(d, no_selector, old))
    assert rules_of(found) == {RS_NAME_HASH.id} and "selector pod-template-hash=None" in found[0].message
    no_template = make_rs("web-x", owner=d, status=rs_status(3))
    assert "template labels lack pod-template-hash" in check_always(make_view(d, no_template))[0].message


def test_any_hash_alphabet_is_accepted():
    # other targets may hash differently: only the structure is checked
    d = make_deployment(status=deployment_status())
    rs = make_rs(owner=d, pod_template_hash="ZZ-not-fnv", status=rs_status())
    assert check_always(make_view(d, rs)) == []


def test_two_replicasets_never_share_a_hash():
    d, new, old, _ = healthy()
    twin = attrs.evolve(old, name="web-twin", uid="uid-twin", template=new.template, selector=new.selector)
    found = check_always(make_view(d, new, twin), foreign_replicasets={"web-twin"})
    assert found == []  # a foreign (user-created, adopted) RS is exempt
    found = check_always(make_view(d, new, twin))
    assert RS_HASH_UNIQUE.id in rules_of(found)
    assert any("share pod-template-hash=5d4f8" in v.message for v in found)


def test_adopted_user_replicaset_is_exempt_from_naming():
    d, new, _, _ = healthy()
    adopted = make_rs("my-own-rs", owner=d, status=rs_status())
    assert rules_of(check_always(make_view(d, new, adopted))) == {RS_NAME_HASH.id}
    assert check_always(make_view(d, new, adopted), foreign_replicasets={"my-own-rs"}) == []


def test_per_sync_claims_are_not_checked():
    # [PER-SYNC] 10.2: the new RS past R + S is a decision-time claim, not an ALWAYS one
    d = make_deployment(replicas=3, status=deployment_status(3, available_condition="True"))
    rs = make_rs(owner=d, pod_template_hash="abc", replicas=9, status=rs_status(3))
    assert check_always(make_view(d, rs)) == []


# ---------------------------------------------------------------- transitions


def test_observed_generation_never_decreases():
    d = healthy()[0]
    before = make_view(attrs.evolve(d, generation=3, status=attrs.evolve(d.status, observed_generation=3)))
    after = make_view(attrs.evolve(d, generation=3, status=attrs.evolve(d.status, observed_generation=2)))
    found = check_transition(before, after)
    assert [(v.rule, v.obj) for v in found] == [(OBSERVED_GENERATION_MONOTONIC.id, "Deployment/web")]
    assert "from 3 to 2" in found[0].message
    assert check_transition(after, before) == []
    recreated = make_view(attrs.evolve(after.deployments[0], uid="uid-new"))
    assert check_transition(before, recreated) == []


def test_rs_observed_generation_never_decreases():
    rs = make_rs(generation=2, status=rs_status(observed_generation=2))
    later = attrs.evolve(rs, status=rs_status(observed_generation=1))
    assert rules_of(check_transition(make_view(rs), make_view(later))) == {OBSERVED_GENERATION_MONOTONIC.id}


def paused_pair(**after_kw):
    d = make_deployment(paused=True, generation=2, status=deployment_status(observed_generation=2))
    new = make_rs(owner=d, pod_template_hash="aaa", status=rs_status())
    appeared = make_rs(owner=d, pod_template_hash="bbb", replicas=0, status=rs_status(0), created=15.0)
    d_after = attrs.evolve(d, **after_kw) if after_kw else d
    return make_view(d, new, now=10.0), make_view(d_after, new, appeared, now=20.0)


def test_no_replicaset_appears_while_paused():
    before, after = paused_pair()
    found = check_transition(before, after)
    assert [(v.rule, v.obj) for v in found] == [(PAUSED_NO_NEW_RS.id, "Deployment/web")]
    assert "web-bbb" in found[0].message


def test_paused_rule_needs_an_unchanged_observed_paused_deployment():
    before, after = paused_pair(generation=3)  # edited in between (unpause + re-pause)
    assert check_transition(before, after) == []
    before, after = paused_pair(spec=attrs.evolve(make_deployment().spec, paused=False))
    assert check_transition(before, after) == []
    before, after = paused_pair()
    stale = attrs.evolve(before.deployments[0], status=deployment_status(observed_generation=1))
    assert check_transition(attrs.evolve(before, deployments=(stale,)), after) == []
    early = attrs.evolve(after.replicasets[1], created=9.0)  # created before `before` was taken
    assert check_transition(before, attrs.evolve(after, replicasets=(after.replicasets[0], early))) == []


def test_revision_never_decreases():
    rs = make_rs(revision=3)
    found = check_transition(
        make_view(rs), make_view(attrs.evolve(rs, annotations=make_rs(revision=2).annotations))
    )
    assert [(v.rule, v.message) for v in found] == [(RS_REVISION_MONOTONIC.id, "revision went from 3 to 2")]
    assert check_transition(make_view(rs), make_view(make_rs(revision=4))) == []


def test_no_ownership_transfer_from_a_live_matching_owner():
    a, b = make_rs("a"), make_rs("b")
    pod = make_pod("p", owner=a)
    moved = attrs.evolve(pod, owner=owner_ref(b))
    found = check_transition(make_view(a, b, pod), make_view(a, b, moved))
    assert [(v.rule, v.obj) for v in found] == [(NO_OWNERSHIP_TRANSFER.id, "Pod/p")]
    # legal: the old owner is gone or being deleted, or the pod was an orphan
    assert check_transition(make_view(a, b, pod), make_view(b, moved)) == []
    dying = attrs.evolve(a, deleting=True)
    assert check_transition(make_view(a, b, pod), make_view(dying, b, moved)) == []
    orphan = make_pod("p")
    assert check_transition(make_view(a, b, orphan), make_view(a, b, moved)) == []


def test_ownership_may_move_when_the_old_selector_no_longer_matches():
    a = make_rs("a", selector={"app": "web"})
    b = make_rs("b", selector={"app": "db"}, template_labels={"app": "db"})
    pod = make_pod("p", owner=a)
    relabelled = make_pod("p", owner=b, labels={"app": "db"})
    assert check_transition(make_view(a, b, pod), make_view(a, b, relabelled)) == []

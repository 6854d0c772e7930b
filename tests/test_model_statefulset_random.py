"""Seeded random walks through the StatefulSet / DaemonSet world: every reachable state satisfies the ALWAYS
rules, and every sync decision the model makes there satisfies the PER-SYNC rules (which are computed from
the snapshot independently of the model's decision)."""

import os
import random

import pytest

from kubeprops.reference_model import apps_operations as ops
from kubeprops.reference_model import apps_world as world
from kubeprops.reference_model.apps_invariants import (
    DaemonSetActions,
    DaemonSetSnapshot,
    StatefulSetActions,
    StatefulSetSnapshot,
    check_always,
    check_daemonset_sync,
    check_statefulset_sync,
    check_transition,
)
from kubeprops.reference_model.daemonset_sync import sync as ds_sync
from kubeprops.reference_model.release import DEFAULT, for_version
from kubeprops.reference_model.statefulset_sync import sync as sts_sync
from kubeprops.scenario.apps_extra import (
    DAEMONSET,
    DELETE,
    NO_EXECUTE,
    NO_SCHEDULE,
    ON_DELETE,
    ORDERED_READY,
    PARALLEL,
    READY_FALSE,
    READY_TRUE,
    RETAIN,
    STATEFULSET,
    AdvanceTime,
    AppsPodTemplate,
    CordonNode,
    CreateDaemonSet,
    CreateStatefulSet,
    DaemonPodAction,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    DaemonSetUpdateStrategy,
    PersistentVolumeClaimRetentionPolicy,
    ScaleStatefulSet,
    SetNodeReady,
    SetNodeTaints,
    SetPartition,
    StatefulPodAction,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetUpdateStrategy,
    Taint,
    UpdateAppsTemplate,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import POD_ACTIONS
from kubeprops.scenario.spec import PodBehavior

SEEDS = int(os.environ.get("KUBEPROPS_APPS_SEEDS", "30"))  # 600 seeds x 2 releases passed once


def template(rng, app):
    ready = rng.choice([0, 1, 3, None]) if rng.random() < 0.2 else rng.choice([0, 1, 3])
    return AppsPodTemplate(
        labels={"app": app}, image=f"{app}:{rng.randint(1, 4)}", behavior=PodBehavior(ready)
    )


def statefulset(rng):
    strategy = StatefulSetUpdateStrategy(ON_DELETE) if rng.random() < 0.2 else StatefulSetUpdateStrategy(
        rolling_update=StatefulSetRollingUpdate(rng.randint(0, 2), rng.choice([1, 2, "50%"])))  # fmt: skip
    policy = PersistentVolumeClaimRetentionPolicy(rng.choice([RETAIN, DELETE]), rng.choice([RETAIN, DELETE]))
    spec = StatefulSetSpec(
        template=template(rng, "db"), replicas=rng.randint(0, 4), update_strategy=strategy,
        pod_management_policy=rng.choice([ORDERED_READY, PARALLEL]), ordinals_start=rng.choice([0, 0, 3]),
        min_ready_seconds=rng.choice([0, 0, 2]), volume_claim_templates=("data",),
        persistent_volume_claim_retention_policy=policy,
    )  # fmt: skip
    return CreateStatefulSet("web", spec)


def daemonset(rng):
    ru = rng.choice(
        [DaemonSetRollingUpdate(1, 0), DaemonSetRollingUpdate("50%", 0), DaemonSetRollingUpdate(0, 1)]
    )
    strategy = (
        DaemonSetUpdateStrategy(ON_DELETE)
        if rng.random() < 0.2
        else DaemonSetUpdateStrategy(rolling_update=ru)
    )
    return CreateDaemonSet("agent", DaemonSetSpec(template=template(rng, "agent"), update_strategy=strategy))


def random_op(rng, nodes):
    node = rng.choice(nodes)
    return rng.choice([
        lambda: AdvanceTime(rng.randint(1, 5)),
        lambda: AdvanceTime(rng.randint(1, 5)),
        lambda: ScaleStatefulSet("web", rng.randint(0, 5)),
        lambda: UpdateAppsTemplate(STATEFULSET, "web", template(rng, "db")),
        lambda: UpdateAppsTemplate(DAEMONSET, "agent", template(rng, "agent")),
        lambda: SetPartition("web", rng.randint(0, 3)),
        lambda: StatefulPodAction("web", rng.randint(0, 6), rng.choice(POD_ACTIONS)),
        lambda: DaemonPodAction("agent", node, rng.choice(POD_ACTIONS)),
        lambda: SetNodeTaints(node, rng.choice([(), (Taint("x", NO_SCHEDULE),), (Taint("y", NO_EXECUTE),)])),
        lambda: CordonNode(node, rng.random() < 0.5),
        lambda: SetNodeReady(node, rng.choice([READY_TRUE, READY_FALSE])),
    ])()  # fmt: skip


def sts_violations(state, s, release):
    d = sts_sync(s, state.revisions, state.pods, state.claims, state.now, release=release)
    acts = StatefulSetActions(
        tuple((c.name, c.revision) for c in d.creates), tuple(x.name for x in d.deletes), d.status
    )
    return check_statefulset_sync(
        StatefulSetSnapshot(s, state.revisions, state.pods, state.now), acts, release=release
    )


def ds_violations(state, ds):
    d = ds_sync(
        ds,
        state.revisions,
        state.nodes,
        state.pods,
        state.now,
        targets=state.targets(),
        backoff=dict(state.backoff),
    )
    snap = DaemonSetSnapshot(ds, state.revisions, state.nodes, state.pods, state.now, state.targets())
    found = []
    for pick in ("first", "last"):
        acts = DaemonSetActions(
            tuple(sorted(getattr(d.creates, pick)())), tuple(sorted(getattr(d.deletes, pick)()))
        )
        found += check_daemonset_sync(snap, acts)
    return found


@pytest.fixture
def audited(monkeypatch):
    """Check every sync the world runs, on the exact snapshot it reads; returns the list of syncs seen."""
    seen, real_sts, real_ds = [], world._sync_statefulset, world._sync_daemonset

    def sts_wrapper(state, s, release):
        seen.append((STATEFULSET, sts_violations(state, s, release)))
        return real_sts(state, s, release)

    def ds_wrapper(state, ds, choose):
        seen.append((DAEMONSET, ds_violations(state, ds)))
        return real_ds(state, ds, choose)

    monkeypatch.setattr(world, "_sync_statefulset", sts_wrapper)
    monkeypatch.setattr(world, "_sync_daemonset", ds_wrapper)
    return seen


@pytest.mark.parametrize("seed", range(SEEDS))
@pytest.mark.parametrize("release", [DEFAULT, for_version("v1.34.0")], ids=["1.35", "1.34"])
def test_random_walk_keeps_every_rule(seed, release, audited):
    rng = random.Random(seed)
    state = world.initial_state(3)
    nodes = [n.name for n in state.nodes]
    state = ops.apply(state, statefulset(rng), release=release)
    state = ops.apply(state, daemonset(rng), release=release)
    before = world.view(state)
    for _ in range(25):
        try:
            state = ops.apply(state, random_op(rng, nodes), release=release)
        except InvalidSpec:
            continue
        after = world.view(state)
        assert check_always(after) == [], (seed, after.now)
        assert check_transition(before, after) == []
        before = after
    assert len(audited) > 50
    assert [v for _, found in audited for v in found] == [], seed

"""How StatefulSet pods leave the API server, in the model and in the simulator alike (found at Hypothesis
seeds 4, 5 and 7 of settles-to-model with the dev profile).

1. A Failed pod is deleted at once: the API server gives a pod that is already Failed or Succeeded no grace
   period (ref pkg/registry/core/pod/strategy.go, CheckGracefulDelete). The sync after the deletion finds
   the slot empty and creates the replacement with status.currentReplicas still counting the failed pod
   (it was not terminating when counted), so with RollingUpdate and no rollingUpdate block the replacement
   of ordinal 0 is at the *current* revision (ref stateful_set_utils.go, newVersionedStatefulSetPod;
   stateful_set_control.go, computeReplicaStatus). A model that kept the failed pod terminating for a
   grace period wrote currentReplicas 0 in between and created it at the update revision.
2. Graceful deletions that complete at one instant are separate kubelet calls and separate watch events; a
   sync may run between them (ref stateful_set.go, deletePod: every pod deletion enqueues the set). Here
   db-0 and db-1 go together at t=1. One at a time, db-0 first, the sync in between recreates db-0, sees it
   Ready and rewrites the claim of the condemned db-1, still alive, to the Retain policy (no owner), so
   data-db-1 survives; together, or db-1 first, data-db-1 still names the gone db-1 and the garbage
   collector deletes it (ref stateful_set_utils.go, isClaimOwnerUpToDate: a stale owner is left alone).
"""

from __future__ import annotations

from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.properties.replay import replay
from kubeprops.reference_model import apps_operations, apps_quiescent, apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.files import load

FAILED_POD = """\
kubeprops-scenario: 1
controller: statefulset
property: settles-to-model
seed: 0
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}, behavior: {ready_after: null}}
      update_strategy: {type: OnDelete}
      revision_history_limit: 0
- SetStatefulSetUpdateStrategy:
    name: db
    strategy: {rolling_update: null}
- UpdateAppsTemplate:
    kind: StatefulSet
    name: db
    template: {labels: {app: db}}
- settle
- StatefulPodAction: {name: db, ordinal: 0, action: fail}
- settle
"""

SIMULTANEOUS_REMOVALS = """\
kubeprops-scenario: 1
controller: statefulset
property: settles-to-model
seed: 0
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}}
      update_strategy: {type: OnDelete}
      revision_history_limit: 0
      volume_claim_templates: [data]
- SetOrdinalsStart: {name: db, start: 1}
- SetOrdinalsStart: {name: db, start: 2}
- SetPVCRetentionPolicy:
    name: db
    policy: {when_scaled: Delete}
- SetOrdinalsStart: {name: db, start: 0}
- SetPVCRetentionPolicy:
    name: db
    policy: {}
- settle
"""


def operations(text: str) -> list:
    return [s for s in load(text).steps if s != "settle"]


def _pod(state: apps_world.AppsState, name: str):
    return next(p for p in state.pods if p.name == name)


def _revision_number(state: apps_world.AppsState, pod_name: str) -> int:
    outcome = apps_quiescent.outcome(state).statefulsets[0]
    ordinal = int(pod_name.rsplit("-", 1)[1])
    return dict(outcome.pods)[ordinal]


def test_the_model_removes_a_failed_pod_at_once_and_replaces_it_at_the_current_revision():
    *setup, fail = operations(FAILED_POD)
    state = apps_world.initial_state(3)
    for op in setup:
        state = apps_operations.apply(state, op)
    state, settled = apps_world.settle(state)
    assert settled
    sts = state.statefulsets[0]
    assert sts.status.current_replicas == 1 and sts.status.current_revision != sts.status.update_revision
    before = _pod(state, "db-0")
    state = apps_operations.apply(state, fail)
    after = _pod(state, "db-0")  # the same instant: no grace period, the replacement is already there
    assert state.now == 0 and after.uid != before.uid and not after.deleting
    assert _revision_number(state, "db-0") == 1  # the current revision, as status.currentReplicas said


def test_every_model_policy_and_the_simulator_settle_on_the_current_revision():
    outcomes = apps_quiescent.settled_outcomes(operations(FAILED_POD))
    assert {o.statefulsets[0].pods for o in outcomes} == {frozenset({(0, 1)})}
    result = replay(load(FAILED_POD), SimulatorAdapter)
    assert result.verdict == "pass", result.message


def _claims(removals: str, gc_after_sync: bool) -> frozenset[str]:
    state = apps_quiescent.run(
        operations(SIMULTANEOUS_REMOVALS), gc_after_sync=gc_after_sync, removals=removals
    )
    return apps_quiescent.outcome(state).statefulsets[0].claims


def test_removals_one_at_a_time_keep_the_claim_the_sync_in_between_rewrote():
    assert _claims(apps_world.TOGETHER, True) == {"data-db-2"}
    assert _claims(apps_world.ONE_BY_ONE_REVERSED, True) == {"data-db-2"}
    assert _claims(apps_world.ONE_BY_ONE, True) == {"data-db-1", "data-db-2"}
    # with the claims collected first, data-db-0 (naming the gone db-0) goes before the sync as well
    assert _claims(apps_world.ONE_BY_ONE, False) == {"data-db-0", "data-db-1", "data-db-2"}


def test_the_simulator_removes_them_one_at_a_time_and_matches_a_model_policy():
    sim = SimulatorAdapter()
    try:
        for op in operations(SIMULTANEOUS_REMOVALS):
            sim.apply(op)
        assert sim.settle(600).settled
        view = sim.observe()
        claims = {c.name for c in view.claims}
        assert claims == {"data-db-1", "data-db-2"}
    finally:
        sim.close()
    result = replay(load(SIMULTANEOUS_REMOVALS), SimulatorAdapter)
    assert result.verdict == "pass", result.message


def test_a_single_removal_is_the_same_under_every_order():
    # one deletion completing alone: the three orders only differ when several complete at one instant
    ops = [
        a.CreateStatefulSet("db", a.StatefulSetSpec(template=a.AppsPodTemplate(labels={"app": "db"}))),
        a.ScaleStatefulSet("db", 0),
    ]
    states = [apps_quiescent.run(ops, removals=r) for r in apps_world.REMOVALS]
    assert len({apps_quiescent.outcome(s) for s in states}) == 1
    assert all(s.now == 1 and not s.pods for s in states)


NODE_REMOVED = """\
kubeprops-scenario: 1
controller: statefulset
property: settles-to-model
seed: 18998903
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}}
      replicas: 0
      pod_management_policy: Parallel
      update_strategy: {rolling_update: null}
      revision_history_limit: 0
- ScaleStatefulSet: {name: db, replicas: 5}
- UpdateAppsTemplate:
    kind: StatefulSet
    name: db
    template: {labels: {app: db}, behavior: {ready_after: null}}
- settle
- RemoveNode: {name: node-0}
- settle
"""


def _revisions(removals: str) -> frozenset[tuple[int, int]]:
    state = apps_quiescent.run(operations(NODE_REMOVED), removals=removals)
    return apps_quiescent.outcome(state).statefulsets[0].pods


def test_pods_of_a_removed_node_go_one_per_round_too():
    """Found by the dev profile at simulator seed 18998903: node-0 held db-0 and db-3 (revision 1; db-4 is
    at revision 2, no rollingUpdate block). Their force deletions are two watch events; the sync meeting the
    first recreates db-0 and writes currentReplicas 3 (the new pod has no phase yet, so it is not counted),
    and the sync meeting the second creates db-3 at the update revision (ordinal 3 is not below 3).
    ref stateful_set_utils.go (newVersionedStatefulSetPod), stateful_set_control.go (computeReplicaStatus)"""
    assert (3, 1) in _revisions(apps_world.TOGETHER)
    assert (3, 1) in _revisions(apps_world.ONE_BY_ONE)  # db-0 Running and counted before db-3 goes
    assert (3, 2) in _revisions(apps_world.EACH_ROUND)
    result = replay(load(NODE_REMOVED), SimulatorAdapter)
    assert result.verdict == "pass", result.message

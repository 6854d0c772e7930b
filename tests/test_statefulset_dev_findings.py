"""StatefulSet divergences the dev profile found, as worked scenarios: where a pod runs is the scheduler's
choice, and the model follows the target's (`apps_world.follow_placement`) so that later node operations hit
the same pods on both sides; a claim naming an earlier pod of the same name is left alone."""

from __future__ import annotations

import attrs

from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.properties.replay import replay
from kubeprops.reference_model import apps_operations, apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.files import load

# Found by the dev profile (shrunk by hand): the replacements of db-3..db-5 are created while the old pods'
# removals are still coming in one at a time, so the simulator's scheduler puts db-3 and db-4 on node-0
# and db-5 on node-1 where the model's least-loaded pick spreads them over node-0..node-2. Tainting node-2
# NoExecute then evicts db-5 (made Ready by hand) in the model only, unless the model follows the target.
SCENARIO = """\
kubeprops-scenario: 1
controller: statefulset
property: settles-to-model
seed: 0
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}}
      replicas: 0
      pod_management_policy: Parallel
      update_strategy: {rolling_update: null}
      min_ready_seconds: 3
      revision_history_limit: 3
      volume_claim_templates: [data]
      persistent_volume_claim_retention_policy: {when_scaled: Delete}
- ScaleStatefulSet: {name: db, replicas: 5}
- ScaleStatefulSet: {name: db, replicas: 3}
- SetOrdinalsStart: {name: db, start: 3}
- UpdateAppsTemplate:
    kind: StatefulSet
    name: db
    template: {labels: {app: db}, image: app:v2, behavior: {ready_after: null}}
- settle
- StatefulPodAction: {name: db, ordinal: 5, action: ready}
- SetNodeTaints:
    name: node-2
    taints: [{key: maintenance, effect: NoExecute}]
"""


def test_the_model_follows_the_targets_placement_into_a_node_operation():
    result = replay(load(SCENARIO), SimulatorAdapter)
    assert result.verdict == "pass", result.message


def _one_pod_state() -> apps_world.AppsState:
    spec = a.StatefulSetSpec(template=a.AppsPodTemplate(labels={"app": "db"}, node_selector={"zone": "a"}))
    state = apps_world.initial_state(0)
    for i, zone in enumerate(("a", "a", "b")):
        state = apps_operations.apply(state, a.AddNode(f"node-{i}", {"zone": zone}, (), False))
    state = apps_operations.apply(state, a.CreateStatefulSet("db", attrs.evolve(spec, replicas=1)))
    return state


def test_a_pod_moves_only_to_a_node_it_fits():
    state = _one_pod_state()
    assert state.pods[0].node == "node-0"  # least loaded, then by name
    assert apps_world.follow_placement(state, {"db-0": "node-1"}).pods[0].node == "node-1"
    assert apps_world.follow_placement(state, {"db-0": "node-2"}).pods[0].node == "node-0"  # zone b: no fit
    assert apps_world.follow_placement(state, {"db-0": "node-9"}).pods[0].node == "node-0"  # no such node


# Found by the dev profile (per-sync-decisions, shrunk): db-3 was scaled away under whenScaled Delete, so
# data-db-3 names the old db-3 as owner; the retention policy goes back to whenScaled Retain and db-3 is
# created again. The sync that finds it Pending must leave data-db-3 alone: a claim naming an earlier pod
# of that name is "up to date" for the controller (the garbage collector's business).
# ref stateful_set_utils.go (isClaimOwnerUpToDate), stateful_pod_control.go (createMissingPersistentVolumeClaims)
STALE_OWNER = """\
kubeprops-scenario: 1
controller: statefulset
property: per-sync-decisions
seed: 0
steps:
- CreateStatefulSet:
    name: db
    spec:
      template: {labels: {app: db}}
      replicas: 3
      update_strategy: {rolling_update: {max_unavailable: 0}}
      min_ready_seconds: 3
      revision_history_limit: 0
      volume_claim_templates: [data]
- SetPVCRetentionPolicy:
    name: db
    policy: {when_deleted: Delete, when_scaled: Delete}
- settle
- SetOrdinalsStart: {name: db, start: 3}
- SetOrdinalsStart: {name: db, start: 0}
- SetOrdinalsStart: {name: db, start: 1}
- SetPVCRetentionPolicy:
    name: db
    policy: {when_deleted: Delete}
"""


def test_a_claim_naming_an_earlier_pod_is_left_alone_by_the_pending_pods_sync():
    result = replay(load(STALE_OWNER), SimulatorAdapter)
    assert result.verdict == "pass", result.message

"""Worked scenarios the dev profile found (tests/scenarios/*.yaml, shrunk counterexamples of
replicaset/settles-to-model and deployment/settles-to-model): a PodAction (and RelabelPod) index names the
same pod on every target, the model fails no unscheduled pod, ReplicaSets of one instant are not left to a
name tie, and a Recreate rollback may time out."""

from pathlib import Path

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties.conformance import MACHINES, PASS, PROPERTIES
from kubeprops.properties.machine import MachineConfig, RunStats, bind
from kubeprops.properties.replay import replay
from kubeprops.reference_model import world, world_operations
from kubeprops.scenario import PodAction, PodBehavior, PodTemplate, ReplicaSetSpec
from kubeprops.scenario.files import SETTLE, load
from kubeprops.scenario.ops import REPLICASET, CreateReplicaSet, RelabelPod, SetPaused, UpdateTemplate
from kubeprops.scenario.view import PodView, pod_order

SCENARIOS = Path(__file__).parent / "scenarios"


def scenario(name: str):
    return load((SCENARIOS / name).read_text())


def pod(name: str, node: str, created: float) -> PodView:
    return PodView(
        name=name,
        uid=name,
        owner=None,
        labels=(),
        image="app:v1",
        node=node,
        phase="Running",
        ready=True,
        ready_since=68.0,
        deleting=False,
        created=created,
    )


def test_pod_order_counts_creation_time_before_the_node():
    # Two targets hold the same pods but a scale-down tie put them on different nodes: the index must
    # still land on the pod of the same creation time (the old one may carry another template's behaviour).
    one = sorted([pod("a", "node-0", 67.0), pod("b", "node-1", 6.0)], key=pod_order)
    other = sorted([pod("c", "node-0", 6.0), pod("d", "node-1", 67.0)], key=pod_order)
    assert [p.created for p in one] == [p.created for p in other] == [6.0, 67.0]


def test_a_pod_forced_ready_then_a_delete_and_a_crash_by_index_replay_alike():
    # A `ready` action forces a pod of a never-Ready template Ready; later pods of a Ready template
    # (same image) join it. The placements differ between model and simulator (uid ties in a scale-down),
    # and `delete` #2 then took the forced pod on one side and a new one on the other: the crash of the
    # last survivor left it Ready in the model only.
    result = replay(scenario("replicaset-ready-forced-pod-then-crash.yaml"), simulator_factory)
    assert result.verdict == PASS, result.message


def test_failing_an_unscheduled_pod_changes_nothing():
    # No kubelet runs an unscheduled pod's containers, so none can exit (the simulator's and the
    # Kubernetes adapter's kubelets act only on pods bound to their nodes).
    spec = ReplicaSetSpec(
        template=PodTemplate(labels={"app": "web"}, image="app:v1", behavior=PodBehavior(0)),
        selector=(("app", "web"),),
        replicas=2,
    )
    state = world_operations.apply(world.initial_state(nodes=0), CreateReplicaSet("web", spec))
    state, _ = world.settle(state)
    assert all(p.node == "" and p.phase == "Pending" for p in state.pods)
    state = world_operations.apply(state, PodAction(REPLICASET, "web", 0, "fail"))
    assert [p.phase for p in state.pods] == ["Pending", "Pending"]


def test_a_fail_on_a_pod_no_node_holds_replays_alike():
    result = replay(scenario("replicaset-fail-unscheduled-pod.yaml"), simulator_factory)
    assert result.verdict == PASS, result.message


def test_no_pod_is_picked_where_a_uid_tie_kept_pods_of_other_images():
    # Scaling 25 -> 22 removes not-Ready pods whose creation times share a log2 bucket: upstream breaks
    # the tie by uid, so the simulator kept the old image's unready pod and the model a new one (equal
    # counts, so the settled states agree). `relabel #0` would then release different pods: the
    # machine skips index steps until the pods are alike again.
    steps = scenario("replicaset-relabel-after-uid-tie.yaml").steps
    relabel = next(i for i, s in enumerate(steps) if isinstance(s, RelabelPod))
    prop = next(p for p in PROPERTIES if p.name == "settles-to-model")
    machine = bind(MACHINES["replicaset"], MachineConfig(simulator_factory, prop.check, RunStats()))()
    machine.start(0)
    try:
        for step in steps[:relabel]:
            machine.settle_and_compare() if step == SETTLE else machine.do(step)
        assert machine.settled
        assert not machine.pods_alike()
        ops = len(machine.ops)
        machine.relabel_pod(0, {"app": "released"})
        machine.pod_action(0, "crash")
        assert len(machine.ops) == ops  # neither step was taken
    finally:
        machine.adapter.close()


def test_replicasets_of_one_instant_are_not_left_to_a_name_tie():
    # Template edits and a resume at one instant create ReplicaSets of equal creationTimestamp; upstream
    # scales down unhealthy old ones oldest first, ties by name (= template hash, which differs between
    # targets), so the simulator scaled the first ReplicaSet and the model the second, and revisions
    # parted once history cleanup deleted one. Through the machine's rules a second passes first.
    steps = scenario("deployment-same-instant-replicasets.yaml").steps
    prop = next(p for p in PROPERTIES if p.name == "settles-to-model")
    machine = bind(MACHINES["deployment"], MachineConfig(simulator_factory, prop.check, RunStats()))()
    create, *rest = steps
    machine.create(0, create.spec)
    for step in rest:
        if step == SETTLE:
            machine.settle()
        elif isinstance(step, UpdateTemplate):
            machine.update_template(step.template)
        elif isinstance(step, SetPaused):
            machine.set_paused(step.paused)
        else:
            machine.do(step)
    machine.teardown()  # settles and compares
    views = (machine.adapter.observe(), world.view(machine.model))
    created = [sorted(rs.created for rs in v.replicasets_of("web")) for v in views]
    assert all(len(set(c)) == len(c) for c in created)


def test_a_recreate_rollback_that_times_out_on_the_simulator_is_allowed():
    result = replay(scenario("deployment-recreate-rollback-read-part-way.yaml"), simulator_factory)
    assert result.verdict == PASS, result.message


def test_the_status_after_adopting_counts_the_pod_as_read():
    # A bare pod, Pending when the ReplicaSet controller read it, turns Running and Ready before the
    # adoption patch returns: upstream counts the pod it read (controller_ref_manager.go ClaimPods
    # appends the cached pod), so the status it writes has readyReplicas 0 (per-sync-decisions).
    result = replay(scenario("replicaset-adopt-status-from-snapshot.yaml"), simulator_factory)
    assert result.verdict == PASS, result.message

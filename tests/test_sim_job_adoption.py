"""Jobs, orphan pods, re-adoption: the simulator's Job claim against the batch model on the same
operations over several interleavings, and against upstream's claim (job_controller.go getPodsForJob,
controller_ref_manager.go AdoptPod / ReleasePod with the tracking finalizer)."""

import pytest
from sim_builders import simulator, traced_syncs

from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER
from kubeprops.adapters.simulator import mutations
from kubeprops.adapters.simulator.objects import POD, controller_ref
from kubeprops.reference_model import batch_world
from kubeprops.reference_model.per_sync import check_sync
from kubeprops.scenario import batch as b
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance, OrphanPod, RelabelPod
from kubeprops.scenario.spec import PodTemplate

SPEC = b.JobSpec(PodTemplate(labels={"app": "work"}), parallelism=2, completions=4)
SETTLE = "settle"
SCENARIOS = {
    "orphaned pod re-adopted, then relabelled and released (the conformance test)": [
        b.CreateJob("work", SPEC),
        SETTLE,
        OrphanPod(b.JOB, "work", 0),
        SETTLE,
        RelabelPod(b.JOB, "work", 0, {"app": "elsewhere"}),
        SETTLE,
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
        SETTLE,
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
        SETTLE,
    ],
    "orphaned pod succeeds among the Job's pods after its re-adoption": [
        b.CreateJob("work", SPEC),
        SETTLE,
        OrphanPod(b.JOB, "work", 1),
        Advance(5),
        b.PodSucceeds("work", 0),
        b.PodSucceeds("work", 0),
        SETTLE,
    ],
    "relabelled pod released, then orphaned: neither comes back": [
        b.CreateJob("work", SPEC),
        SETTLE,
        RelabelPod(b.JOB, "work", 1, {}),
        OrphanPod(b.JOB, "work", 1),
        SETTLE,
    ],
}


def _play(steps, seed: int):
    sim, model = simulator(seed), batch_world.BatchState()
    try:
        for step in steps:
            if step == SETTLE:
                assert sim.settle(3600).settled
                model, settled = batch_world.settle(model, 3600)
                assert settled
                yield sim.observe(), model
                continue
            sim.apply(step)
            model = batch_world.apply(model, step)
    finally:
        sim.close()


def _orphans(view) -> int:
    return sum(1 for p in view.pods if p.owner is None and p.phase in ("Pending", "Running"))


@pytest.mark.parametrize("seed", [0, 1, 7])
@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_simulator_claims_as_the_model(name, seed):
    for view, model in _play(SCENARIOS[name], seed):
        assert tuple(batch_world.job_outcome(j) for j in view.jobs) == batch_world.outcome(model).jobs
        assert _orphans(view) == sum(1 for _, p in model.orphans if p.active)
        assert sorted(p.finalizer for p in view.job_pods if p.active) == [True] * len(
            [p for p in view.job_pods if p.active]
        )


def test_conformance_steps_readopt_then_release():
    sim = simulator(0)
    try:
        sim.apply(b.CreateJob("work", SPEC))
        assert sim.settle(3600).settled
        first = sorted(p.name for p in sim.observe().job_pods)[0]
        sim.apply(OrphanPod(b.JOB, "work", 0))
        pod = sim.cluster.store.get(POD, first)
        assert controller_ref(pod) is None
        assert sim.settle(3600).settled
        pod = sim.cluster.store.get(POD, first)
        assert controller_ref(pod)["name"] == "work"
        assert JOB_TRACKING_FINALIZER in pod["metadata"]["finalizers"]
        sim.apply(RelabelPod(b.JOB, "work", 0, {}))
        assert sim.settle(3600).settled
        pod = sim.cluster.store.get(POD, first)
        assert controller_ref(pod) is None
        assert JOB_TRACKING_FINALIZER not in (pod["metadata"].get("finalizers") or ())
        view = sim.observe()
        assert view.jobs[0].status.active == 2 and first not in {p.name for p in view.job_pods}
    finally:
        sim.close()


def test_invalid_labels_are_rejected_naming_the_field():
    sim = simulator(0)
    try:
        sim.apply(b.CreateJob("work", SPEC))
        assert sim.settle(3600).settled
        with pytest.raises(InvalidSpec) as err:
            sim.apply(RelabelPod(b.JOB, "work", 0, {"bad key!": "x"}))
        assert err.value.field == "metadata.labels"
    finally:
        sim.close()
    state = batch_world.run([b.CreateJob("work", SPEC)])
    with pytest.raises(InvalidSpec) as err:
        batch_world.apply(state, RelabelPod(b.JOB, "work", 0, {"bad key!": "x"}))
    assert err.value.field == "metadata.labels"


def test_every_recorded_sync_of_the_conformance_steps_passes():
    records = traced_syncs(
        b.JOB,
        b.CreateJob("work", SPEC),
        OrphanPod(b.JOB, "work", 0),
        RelabelPod(b.JOB, "work", 0, {}),
        b.PodSucceeds("work", 0),
    )
    assert records and all(check_sync(r) == [] for r in records)


def test_the_no_readopt_mutant_leaves_the_orphan_running(monkeypatch):
    mutations.install(["job-no-readopt"], monkeypatch.setattr)
    view, model = list(
        _play(SCENARIOS["orphaned pod succeeds among the Job's pods after its re-adoption"], 0)
    )[-1]
    assert _orphans(view) == 1 and sum(1 for _, p in model.orphans if p.active) == 0

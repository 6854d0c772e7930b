"""Worked examples of the batch model's Job claim (the conformance test "Jobs, orphan pods,
re-adoption"), each from upstream v1.35.4: job_controller.go (syncJob, getPodsForJob, updatePod,
handleSingleOrphanPod), controller_ref_manager.go (ClaimObject, AdoptPod, ReleasePod)."""

import attrs
import pytest

from kubeprops.reference_model import batch_world as bw
from kubeprops.scenario.batch import JOB, CreateJob, JobSpec, PodSucceeds, SetParallelism
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import Advance, OrphanPod, RelabelPod
from kubeprops.scenario.spec import PodTemplate

SPEC = JobSpec(PodTemplate(labels={"app": "work"}), parallelism=2, completions=4)


def started() -> bw.BatchState:
    return bw.run([CreateJob("work", SPEC), Advance(1)])


def names(state: bw.BatchState) -> list[str]:
    return sorted(p.name for p in state.pods)


def test_orphaned_pod_loses_its_finalizer_at_once_and_is_adopted_back_with_it_after_the_batch_period():
    state = started()
    first = names(state)[0]
    orphaned = bw.apply(state, OrphanPod(JOB, "work", 0))
    # updatePod: the orphan-pod worker strips the finalizer; the Job syncs after the 1 s batch period
    assert [(p.name, p.finalizer) for _, p in orphaned.orphans] == [(first, False)]
    assert first not in names(orphaned)
    assert orphaned.jobs[0].status.active == 2  # no sync yet
    later = bw.apply(orphaned, Advance(1))
    assert later.orphans == ()
    adopted = next(p for p in later.pods if p.name == first)
    assert adopted.finalizer and adopted.active
    assert names(later) == names(state)  # adopted, so nothing replaced it
    assert later.jobs[0].status.active == 2


def test_an_adopted_pod_counts_when_it_succeeds():
    state = bw.run([CreateJob("work", SPEC), OrphanPod(JOB, "work", 0), Advance(2)])
    state = bw.run([PodSucceeds("work", 0), PodSucceeds("work", 0), Advance(2)], state)
    assert state.jobs[0].status.succeeded == 2


def test_relabelled_pod_is_released_without_its_finalizer_and_replaced():
    state = started()
    first = names(state)[0]
    relabelled = bw.apply(state, RelabelPod(JOB, "work", 0, {"app": "elsewhere"}))
    assert first in names(relabelled)  # still the Job's until its next sync
    later = bw.apply(relabelled, Advance(1))
    assert [(u, p.name, p.finalizer, p.active) for u, p in later.orphans] == [("", first, False, True)]
    assert first not in names(later) and len(later.pods) == 2
    assert later.jobs[0].status.active == 2


def test_a_released_pod_is_never_adopted_again_nor_counted_when_it_would_succeed():
    state = bw.run([CreateJob("work", SPEC), RelabelPod(JOB, "work", 0, {}), Advance(2)])
    state = bw.run([OrphanPod(JOB, "work", 0), Advance(5)], state)
    assert len(state.orphans) == 1  # the released one; the orphaned one came back
    assert {u for u, _ in state.orphans} == {""}


def test_a_released_pod_outlives_its_job():
    state = bw.run([CreateJob("work", SPEC), RelabelPod(JOB, "work", 0, {}), Advance(2)])
    for _ in range(4):
        state = bw.run([PodSucceeds("work", 0), Advance(2)], state)
    assert state.jobs[0].status.finished is not None
    assert state.jobs[0].status.succeeded == 4
    assert [p.active for _, p in state.orphans] == [True]


def test_a_finished_job_adopts_nothing():
    state = bw.run([CreateJob("work", SPEC), OrphanPod(JOB, "work", 0), Advance(1)])
    # a finished Job with an orphan that would match it: syncJob returns before getPodsForJob
    done = state
    for _ in range(4):
        done = bw.run([PodSucceeds("work", 0), Advance(2)], done)
    assert done.jobs[0].status.finished is not None
    job = done.jobs[0]
    orphan = attrs.evolve(done.pods[0], name="work-late", uid="uid-late", phase="Running", finished=None)
    with_orphan = attrs.evolve(done, orphans=((job.uid, orphan),))
    synced = bw.run([SetParallelism("work", 1)], with_orphan)  # a spec change syncs it at once
    assert [p.name for _, p in synced.orphans] == ["work-late"]


def test_a_sync_at_the_same_instant_adopts_at_once():
    state = started()
    state = bw.run([OrphanPod(JOB, "work", 0), SetParallelism("work", 3)], state)
    assert state.orphans == ()
    assert len([p for p in state.pods if p.active]) == 3


def test_nothing_happens_without_an_active_pod_and_invalid_labels_are_rejected():
    empty = bw.run([CreateJob("work", attrs.evolve(SPEC, parallelism=0))])
    assert bw.apply(empty, RelabelPod(JOB, "work", 0, {"bad key!": "x"})) == empty
    assert bw.apply(empty, OrphanPod(JOB, "work", 0)) == empty
    with pytest.raises(InvalidSpec) as err:
        bw.apply(started(), RelabelPod(JOB, "work", 0, {"bad key!": "x"}))
    assert err.value.field == "metadata.labels"

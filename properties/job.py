"""Job properties: completions and parallelism, pods succeeding and failing at chosen moments, back-off,
backoffLimit, active deadlines, suspend/resume, parallelism edits, orphaned pods re-adopted and relabelled
pods released (the conformance test "Jobs, orphan pods, re-adoption").

The machine shares `DrivenMachine`'s plumbing with `WorkloadMachine`, with the batch model: the target and
`batch_world` get the same operations; `always` checks every observed state against `check_batch_always` and
`check_batch_transition`, `settled` compares after every settle the Jobs' outcome (active pods, counters,
terminal condition and reason, completed indexes, Suspended) and the number of running pods without a
controller (released ones, or orphans not adopted back) with the model's, plus the QUIESCENT
`check_batch_settled` claims.

Which moments are comparable: pods are picked in `job_pod_order`, which both sides agree on. Operations that
make pods terminate (deleting a pod, suspend, lowering parallelism) are followed by a settle, because how
long a deleted pod stays terminating is the target's business (the model has no grace periods) and the
Failed replacement policy waits for it. With a seed other than 0 the target's caches lag and its syncs
interleave, so pod operations then start from settled states or right after time passed (as
`WorkloadMachine.pod_action` starts from settled states).
"""

from __future__ import annotations

import typing
from typing import ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.adapters.protocol import POD_FAULTS, VIRTUAL_CLOCK
from kubeprops.reference_model import batch_world
from kubeprops.reference_model.batch_invariants import (
    check_batch_always,
    check_batch_settled,
    check_batch_transition,
)
from kubeprops.scenario import batch
from kubeprops.scenario.ops import Advance, Operation, OrphanPod, RelabelPod
from kubeprops.scenario.view import ClusterView

from .job_strategies import job_specs
from .machine import (
    MODEL_UNSETTLED,
    DrivenMachine,
    PropertyViolation,
    seeds,
    target_seconds,
    violations,
)


def batch_view(view: ClusterView) -> batch.BatchView:
    return batch.BatchView(view.now, view.jobs, view.cronjobs, view.job_pods)


class BatchMachine(DrivenMachine):
    """The plumbing the Job and CronJob machines share (no rules): the model is `batch_world`, every
    observed state is checked against the batch ALWAYS invariants."""

    operations = (*typing.get_args(batch.BatchOperation), Advance)

    def __init__(self) -> None:
        super().__init__()
        self.model = batch_world.BatchState()
        self.after_advance = False

    # ------------------------------------------------------------------ plumbing

    def do(self, op: Operation) -> None:
        self.after_advance = isinstance(op, Advance)
        super().do(op)

    def apply_to_model(self, op: Operation) -> None:
        self.model = batch_world.apply(self.model, op)

    def catch_up(self) -> None:
        """On a real clock the time operations take passes for the target's timers (back-off, active
        deadlines) as well: let the model's clock follow the target's before each operation."""
        assert self.adapter is not None
        if VIRTUAL_CLOCK in self.adapter.capabilities:
            return
        lag = self.adapter.observe().now - self.model.now
        if lag > 0:
            self.model = batch_world.apply(self.model, Advance(lag))  # type: ignore[arg-type]

    def to_batch_view(self, view: ClusterView) -> batch.BatchView:
        return batch_view(view)

    def always_view(self, view: ClusterView) -> batch.BatchView:
        return self.to_batch_view(view)

    def always_violations(self, previous: object | None, current: object) -> list:
        assert isinstance(current, batch.BatchView)
        found = check_batch_always(current)
        if isinstance(previous, batch.BatchView):
            found += check_batch_transition(previous, current)
        return found


class JobMachine(BatchMachine):
    operations = (*BatchMachine.operations, OrphanPod, RelabelPod)
    kind: ClassVar[str] = batch.JOB
    name: ClassVar[str] = "work"

    def settle_model(self) -> str:
        try:
            self.model, settled = batch_world.settle(self.model, self.config.settle_timeout)
        except batch_world.DidNotSettle as exc:
            return str(exc)
        return "" if settled else MODEL_UNSETTLED

    def compare_settled(self, observed: ClusterView) -> None:
        view = batch_view(observed)
        found = check_batch_settled(view)
        if found:
            raise violations("settled state violates", found)
        expected = batch_world.outcome(self.model).jobs
        actual = tuple(batch_world.job_outcome(j) for j in view.jobs)
        if expected != actual:
            lines = [f"model:  {e}" for e in expected] + [f"target: {a}" for a in actual]
            raise PropertyViolation("settled Jobs differ from the model:\n  " + "\n  ".join(lines))
        orphans = sum(1 for _, p in self.model.orphans if p.active)
        running = sum(1 for p in observed.pods if p.owner is None and p.active)
        if orphans != running:
            raise PropertyViolation(
                f"settled: {running} running pods without a controller, the model {orphans} "
                "(a Job adopts its orphans back and releases pods whose labels stopped matching)"
            )

    def _model_job(self) -> batch.JobView | None:
        return next((j for j in self.model.jobs if j.name == self.name), None)

    def pods_comparable(self) -> bool:
        """Whether a pod operation picks the same pod on both sides (see the module docstring). After time
        has passed, the retries a lagging cache caused (milliseconds) have run, as after a settle."""
        return self.settled or self.seed == 0 or self.after_advance

    # ------------------------------------------------------------------ rules

    @initialize(seed=seeds(), spec=job_specs())
    def create(self, seed: int, spec: batch.JobSpec) -> None:
        self.start(seed)
        self.do(batch.CreateJob(self.name, spec))

    @rule()
    def settle(self) -> None:
        self.settle_and_compare()

    @rule(seconds=st.sampled_from([1, 5, 10, 20, 60, 300]))
    def advance(self, seconds: int) -> None:
        assert self.adapter is not None
        self.do(Advance(target_seconds(self.adapter, seconds)))

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(pod=st.integers(0, 4), count=st.integers(1, 2))
    def pod_succeeds(self, pod: int, count: int) -> None:
        for _ in range(count):  # `count` pods finishing at the same moment
            self.do(batch.PodSucceeds(self.name, pod))

    def success_count_to_meet(self) -> int:
        """How many more successes meet the smallest succeededCount-only successPolicy rule (0: none)."""
        job = self._model_job()
        if job is None or job.status.finished or job.status.condition(batch.SUCCESS_CRITERIA_MET):
            return 0
        counts = [
            r.succeeded_count
            for r in job.spec.success_policy or ()
            if r.succeeded_count is not None and r.succeeded_indexes is None
        ]
        return max(0, min(counts, default=0) - job.status.succeeded)

    @precondition(
        lambda self: (
            self.pods_comparable()
            and POD_FAULTS in self.adapter.capabilities
            and self.success_count_to_meet() > 0
        )
    )
    @rule()
    def meet_success_count(self) -> None:
        # The successPolicy boundary: exactly succeededCount indexes succeed, and the Job must meet its
        # criteria then, not one success later (job_controller.go matchSuccessPolicy: ">="). Random
        # successes reach the exact count and then stop rarely; this step goes there on purpose.
        for _ in range(self.success_count_to_meet()):
            self.do(batch.PodSucceeds(self.name, 0))
            self.settle_and_compare()
            if self.unknown:
                return

    def workers_running(self) -> int:
        """Active pods of an unfinished work queue (completions unset), else 0."""
        job = self._model_job()
        if job is None or job.spec.completions is not None or job.status.finished:
            return 0
        return job.status.active

    @precondition(
        lambda self: (
            self.pods_comparable() and POD_FAULTS in self.adapter.capabilities and self.workers_running() > 1
        )
    )
    @rule()
    def one_worker_finishes(self) -> None:
        # A work queue is done when one pod succeeded and no other runs any more, not at the first
        # success (job_controller.go: complete = succeeded > 0 && active == 0 for completions unset);
        # the others keep running until they exit. Random successes often finish them all at once.
        self.do(batch.PodSucceeds(self.name, 0))
        self.settle_and_compare()

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(
        pod=st.integers(0, 4),
        exit_code=st.sampled_from([1, 42]),
        condition=st.sampled_from([None, batch.DISRUPTION_TARGET]),
    )
    def pod_fails(self, pod: int, exit_code: int, condition: str | None) -> None:
        # DisruptionTarget: an eviction, the condition podFailurePolicy rules match on
        self.do(batch.PodFails(self.name, pod, exit_code, condition))

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(times=st.integers(1, 2), seconds=st.sampled_from([5, 10, 20, 40, 80]))
    def crash_loop(self, times: int, seconds: int) -> None:
        # Back-off is about the time between failures and replacements: a pod failing, its replacement
        # failing again, each after a wait around the doubling steps (10, 20, 40 s), as one generated step
        # rather than a rare interleaving of several.
        for _ in range(times):
            self.do(batch.PodFails(self.name, 0))
            self.do(Advance(target_seconds(self.adapter, seconds)))

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(pod=st.integers(0, 4))
    def delete_pod(self, pod: int) -> None:
        self.do(batch.DeleteJobPod(self.name, pod))
        self.settle_and_compare()

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(pod=st.integers(0, 4))
    def orphan_pod(self, pod: int) -> None:
        # the conformance test's first half: a pod loses its ownerReference, the Job adopts it back
        self.do(OrphanPod(batch.JOB, self.name, pod))
        self.settle_and_compare()

    @precondition(lambda self: self.pods_comparable() and POD_FAULTS in self.adapter.capabilities)
    @rule(pod=st.integers(0, 4))
    def relabel_pod(self, pod: int) -> None:
        # its second half: labels removed, the Job releases the pod (it runs on) and replaces it
        self.do(RelabelPod(batch.JOB, self.name, pod, {}))
        self.settle_and_compare()

    @precondition(lambda self: self.pods_comparable())
    @rule(suspend=st.booleans())
    def set_suspend(self, suspend: bool) -> None:
        job = self._model_job()
        if job is None or job.status.finished or job.status.condition(batch.FAILURE_TARGET):
            return  # whether a finished Job's suspend may change is not settled here (see the report)
        if job.status.condition(batch.SUCCESS_CRITERIA_MET):
            return
        self.do(batch.SetSuspend(batch.JOB, self.name, suspend))
        self.settle_and_compare()

    @precondition(lambda self: self.pods_comparable())
    @rule(parallelism=st.integers(-1, 4))
    def set_parallelism(self, parallelism: int) -> None:
        # -1: the API server must reject it (spec.parallelism) on both sides, changing nothing
        self.do(batch.SetParallelism(self.name, parallelism))
        self.settle_and_compare()

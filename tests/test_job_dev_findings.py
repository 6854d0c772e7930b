"""A Job divergence the dev profile found, as a worked scenario: a container restarted in place under
restartPolicy OnFailure turns Ready again, so its Ready condition's lastTransitionTime moves, and a
scale-down ranks that pod as the latest Ready (deleted first), as upstream's ActivePods does."""

from __future__ import annotations

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.properties.replay import replay
from kubeprops.scenario import batch
from kubeprops.scenario.files import load

# index 0's container fails at t=2 and restarts; at t=7 parallelism drops from 3 running pods to 1: upstream
# deletes the pod Ready most recently first (index 0, Ready again at 2 s), then one of indexes 1 and 2
# (Ready since 1 s). Before the fix the simulator kept index 0 Ready since 0 s and deleted the other two.
# ref pkg/controller/controller_utils.go (ActivePods.Less: 4. been ready for less time < more time),
# pkg/controller/job/job_controller.go (activePodsForRemoval)
SCENARIO = """\
kubeprops-scenario: 1
controller: job
property: settles-to-model
seed: 0
steps:
- CreateJob:
    name: work
    spec:
      template: {labels: {app: work}, image: worker:v1}
      parallelism: 1
      completions: 3
      completion_mode: Indexed
      restart_policy: OnFailure
      backoff_limit: 6
      pod_replacement_policy: TerminatingOrFailed
- settle
- SetParallelism: {name: work, parallelism: 4}
- settle
- PodFails: {job: work}
- Advance: {seconds: 5}
- SetParallelism: {name: work, parallelism: 1}
- settle
- PodSucceeds: {job: work}
- settle
"""


def test_a_restarted_container_is_ranked_by_its_new_ready_time():
    result = replay(load(SCENARIO), SimulatorAdapter)
    assert result.verdict == "pass", result.message


def test_an_on_failure_restart_moves_the_ready_transition():
    sim = SimulatorAdapter(RunContext(seed=0))
    steps = [s for s in load(SCENARIO).steps if s != "settle"][:3]  # create, parallelism 4, index 0 fails
    sim.apply(steps[0])
    sim.settle(600)
    sim.apply(steps[1])
    sim.settle(600)
    failed_at = sim.observe().now
    sim.apply(steps[2])
    sim.settle(600)
    pod = next(p for p in sim.observe().pods if dict(p.annotations).get(batch.JOB_COMPLETION_INDEX) == "0")
    assert pod.restarts == 1 and pod.ready and pod.ready_since == failed_at

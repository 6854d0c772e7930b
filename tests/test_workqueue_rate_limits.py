"""Each controller queue's back-off after an API error, as v1.35.4 builds its queue.

The Job controller uses its own ItemExponentialFailureRateLimiter(DefaultJobApiBackOff = 1 s,
MaxJobApiBackOff = 1 min) (pkg/controller/job/job_controller.go NewController); the others use
client-go's DefaultTypedControllerRateLimiter: 5 ms doubling to 1000 s per key, max'ed with one 10 qps,
burst 100 token bucket for the whole queue (util/workqueue/default_rate_limiters.go).

Worked examples: a Job whose pod creations always fail syncs at 0, 1, 3, 7, 15, 31, 63, 123 (the
back-off doubles from 1 s and stops at 60 s); a ReplicaSet in the same trouble retries after 5 ms, then
(each failure counted, also one merged into a waiting retry) 20, 40, 80 ms; 101 keys failing at one instant: the first 100 take the bucket's burst (5 ms each), the 101st
waits 0.1 s for a token.
"""

import itertools

import pytest
from sim_builders import replicaset, simulator, template

from kubeprops.adapters.simulator.clock import Clock
from kubeprops.adapters.simulator.controllers import job as sim_job
from kubeprops.adapters.simulator.controllers import replicaset as sim_rs
from kubeprops.adapters.simulator.controllers.workqueue import (
    DEFAULT_CONTROLLER_RATE_LIMITER,
    JOB_RATE_LIMITER,
    MAX_DELAY,
    WorkQueue,
)
from kubeprops.scenario import CreateReplicaSet
from kubeprops.scenario import batch as b

ALWAYS_FAILS = {"pod-create": 1.0}


def _recording(monkeypatch, module, name):
    """Patch `module.name` (a sync function) to record the virtual time of each call."""
    times: list[float] = []
    real = getattr(module, name)

    def recorded(ctl, key):
        times.append(ctl.clock.now)
        return real(ctl, key)

    monkeypatch.setattr(module, name, recorded)
    return times


def _gaps(times: list[float]) -> list[float]:
    return [round(later - earlier, 6) for earlier, later in itertools.pairwise(times)]


def test_job_retries_api_errors_after_one_second_doubling_to_a_minute(monkeypatch):
    syncs = _recording(monkeypatch, sim_job, "sync_job")
    sim = simulator(faults=ALWAYS_FAILS)
    sim.apply(b.CreateJob("work", b.JobSpec(template(), completions=1, parallelism=1)))
    sim.advance(200)
    assert _gaps(syncs)[:8] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]
    assert not sim.observe().pods


def test_replicaset_retries_api_errors_after_five_milliseconds_doubling(monkeypatch):
    syncs = _recording(monkeypatch, sim_rs, "sync_replicaset")
    sim = simulator(faults=ALWAYS_FAILS)
    sim.apply(CreateReplicaSet("rs", replicaset(1)))
    sim.advance(0.2)
    # two failing syncs at 0 (the second woken by its own status write): two failures counted, the second
    # AddRateLimited (10 ms) merged into the first's 5 ms wait; then 20, 40, 80 ms
    assert syncs[:2] == [syncs[0]] * 2
    assert _gaps(syncs[1:])[:4] == [0.005, 0.02, 0.04, 0.08]


@pytest.mark.parametrize(
    ("limiter", "delays"),
    [
        (JOB_RATE_LIMITER, [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]),
        (DEFAULT_CONTROLLER_RATE_LIMITER, [0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64]),
    ],
)
def test_item_back_off_doubles_to_its_cap(limiter, delays):
    assert [limiter.item_delay(n) for n in range(8)] == delays
    assert limiter.item_delay(10_000) == limiter.cap


def test_the_bucket_holds_a_burst_of_100_then_gives_one_token_per_100_ms():
    clock = Clock()
    queue = WorkQueue(clock, "replicaset")
    for n in range(101):
        queue.add_rate_limited(f"rs-{n}")
    assert [queue.waiting(f"rs-{n}") for n in (0, 99)] == [0.005, 0.005]
    assert queue.waiting("rs-100") == pytest.approx(0.1)
    clock.jump_to(1.0)  # 10 tokens back: the deficit of 1 is paid, 9 are left
    for n in range(9):
        queue.add_rate_limited(f"later-{n}")
    queue.add_rate_limited("later-9")
    assert queue.waiting("later-0") == pytest.approx(1.005)
    assert queue.waiting("later-9") == pytest.approx(1.1)


def test_the_job_queue_has_no_overall_bucket():
    clock = Clock()
    queue = WorkQueue(clock, "job", JOB_RATE_LIMITER)
    for n in range(150):
        queue.add_rate_limited(f"job-{n}")
    assert {queue.waiting(f"job-{n}") for n in range(150)} == {1.0}


def test_forget_resets_the_item_back_off():
    clock = Clock()
    queue = WorkQueue(clock, "job", JOB_RATE_LIMITER)
    queue.add_rate_limited("work")
    queue.add_rate_limited("work")  # merged: the earlier wait (1 s) stays
    assert queue.waiting("work") == 1.0
    clock.jump_to(1.0)
    queue.fire("work")
    queue.pop()
    queue.add_rate_limited("work")  # third failure: 4 s
    assert queue.waiting("work") == 5.0
    queue.forget("work")
    clock.jump_to(5.0)
    queue.fire("work")
    queue.pop()
    queue.add_rate_limited("work")
    assert queue.waiting("work") == 6.0


def test_the_cap_holds_after_very_many_failures():
    clock = Clock()
    queue = WorkQueue(clock, "statefulset")
    for n in range(2000):
        clock.jump_to(n * 10_000.0)  # the bucket full again every time: the item back-off alone
        queue.fire("db")
        if len(queue):
            queue.pop()
        queue.add_rate_limited("db")
    assert queue.waiting("db") == pytest.approx(1999 * 10_000.0 + MAX_DELAY)

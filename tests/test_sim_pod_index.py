"""The simulator's index of active pods by controller, which the adapter's Job pod operations use."""

import random

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.adapters.simulator.controllers.common import is_pod_active
from kubeprops.adapters.simulator.objects import JOB, POD, controller_uid
from kubeprops.scenario import batch, ops
from kubeprops.scenario.spec import PodBehavior, PodTemplate


def scan(cluster, uid):
    """The active pods of `uid` by a walk of every stored pod: what the index must agree with."""
    return {
        p["metadata"]["name"]
        for p in cluster.store.list(POD)
        if controller_uid(p) == uid and is_pod_active(p)
    }


def indexed(cluster, uid):
    return {p["metadata"]["name"] for p in cluster.active_pods.controlled_by(uid)}


def test_the_index_follows_starts_exits_deletions_and_orphaning():
    sim = SimulatorAdapter(RunContext(seed=0), nodes=2)
    cluster = sim.cluster
    template = PodTemplate({"app": "work"}, behavior=PodBehavior(0))
    sim.apply(
        batch.CreateJob("work", batch.JobSpec(template, parallelism=3, completions=6, backoff_limit=10))
    )
    uid = cluster.store.get(JOB, "work")["metadata"]["uid"]
    assert len(indexed(cluster, uid)) == 3 == len(scan(cluster, uid))
    rng = random.Random(7)
    steps = [
        lambda: batch.PodSucceeds("work", rng.randrange(3)),
        lambda: batch.PodFails("work", rng.randrange(3), 1),
        lambda: batch.DeleteJobPod("work", rng.randrange(3)),
        lambda: ops.OrphanPod(batch.JOB, "work", rng.randrange(3)),
        lambda: ops.Advance(rng.choice((0.5, 1, 10))),
    ]
    seen_orphans = False
    for _ in range(60):
        sim.apply(rng.choice(steps)())
        assert indexed(cluster, uid) == scan(cluster, uid)
        assert indexed(cluster, "") == scan(cluster, None)  # pods without a controller, under ""
        seen_orphans |= bool(scan(cluster, None))
    assert seen_orphans  # the sequence did release pods, so the "" bucket was exercised
    sim.close()


def test_a_fork_has_its_own_index():
    sim = SimulatorAdapter(RunContext(seed=0), nodes=1)
    template = PodTemplate({"app": "work"}, behavior=PodBehavior(0))
    sim.apply(batch.CreateJob("work", batch.JobSpec(template, parallelism=2, completions=4)))
    uid = sim.cluster.store.get(JOB, "work")["metadata"]["uid"]
    fork = sim.cluster.fork()
    before = indexed(sim.cluster, uid)
    sim.apply(batch.PodSucceeds("work", 0))
    assert indexed(fork, uid) == before == scan(fork, uid)
    assert indexed(sim.cluster, uid) == scan(sim.cluster, uid) != before
    sim.close()

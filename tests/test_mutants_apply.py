"""Every mutant changes what the simulator does in a concrete scenario (it patches a live name).

Each scenario returns an observable outcome; the test runs it on the clean simulator and with the
mutant installed and requires the outcomes to differ in the stated way.
"""

import pytest
from cron_mutant_cases import CRON_CASES
from ds_mutant_cases import DS_CASES
from job_mutant_cases import JOB_CASES
from mutants import MUTANTS
from sim_builders import RECREATE, deployment, replicaset, rolling, simulator, sizes, template
from sts_mutant_cases import STS_CASES

from kubeprops.scenario import (
    CreateDeployment,
    CreateReplicaSet,
    PodAction,
    RelabelPod,
    Scale,
    SetPaused,
    SetStrategy,
    UpdateTemplate,
)


def max_replicas_annotation():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(10, strategy=rolling("25%", "25%"))))
    return sim.observe().replicasets_of("web")[0].annotation("deployment.kubernetes.io/max-replicas")


def stalled_old_size():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(10, strategy=rolling("25%", "25%"))))
    sim.settle(60)
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2", ready_after=None)))
    sim.settle(60)
    return sizes(sim.observe())


def unready_pod_survives_scale_down():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "unready"))
    sim.apply(Scale("ReplicaSet", "rs", 2))
    sim.settle(30)
    return sorted(p.ready for p in sim.observe().pods)


def two_unhealthy_old_replicasets():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(4, template("a:1"))))
    sim.settle(60)
    sim.apply(UpdateTemplate("Deployment", "web", template("b:2", ready_after=None)))
    sim.settle(60)  # stalled: a:1=3, b:2=2
    sim.apply(PodAction("Deployment", "web", 0, "unready"))  # index 0 = an a:1 pod
    sim.apply(UpdateTemplate("Deployment", "web", template("c:3", ready_after=None)))
    sim.settle(60)
    return sizes(sim.observe())


def paused_template_change():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2)))
    sim.settle(60)
    sim.apply(SetPaused("web", True))
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2")))
    sim.settle(60)
    return sorted(sizes(sim.observe()))


def history_left():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(1, revision_history_limit=1)))
    for version in (2, 3, 4):
        sim.apply(UpdateTemplate("Deployment", "web", template(f"app:v{version}")))
        sim.settle(60)
    return len(sim.observe().replicasets_of("web"))


def proportional_leftover():
    sim = simulator(finish_instant=False)  # look at the proportional step itself, before the rollout resumes
    sim.apply(CreateDeployment("web", deployment(10, template("a:1"), strategy=rolling(3, 2))))
    sim.settle(60)
    sim.apply(UpdateTemplate("Deployment", "web", template("b:2", ready_after=None)))
    sim.settle(60)  # a:1=8, b:2=5, both annotated max-replicas=13
    sim.apply(SetStrategy("web", rolling(4, 2)))  # b:2=6 annotated 14, a:1 keeps 13
    sim.settle(60)
    sim.apply(Scale("Deployment", "web", 5))  # fractions -2/-2 of -5: one replica left over
    return sizes(sim.observe())


def available_at_exactly_min_ready():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(1, min_ready_seconds=10)))
    sim.advance(10)
    return sim.observe().replicaset("rs").status.available_replicas


def replacement_while_terminating():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(2)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 0, "delete"))
    sim.cluster.run_until_idle()
    return sum(p.active for p in sim.observe().pods)


def recreate_overlap():
    sim = simulator()
    sim.apply(CreateDeployment("web", deployment(2, strategy=RECREATE)))
    sim.settle(60)
    overlaps = []
    sim.apply(UpdateTemplate("Deployment", "web", template("app:v2")))
    sim.settle(60, lambda v: overlaps.append(len({p.image for p in v.pods if p.phase == "Running"}) > 1))
    return any(overlaps)


def crashed_pod_survives_scale_down():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(3)))
    sim.settle(30)
    sim.apply(PodAction("ReplicaSet", "rs", 1, "crash"))  # the pod the uid tie-break would keep
    sim.apply(Scale("ReplicaSet", "rs", 1))
    sim.settle(30)
    return [p.restarts for p in sim.observe().pods if p.active]


def relabelled_pod_owner_and_replicas():
    sim = simulator()
    sim.apply(CreateReplicaSet("rs", replicaset(2)))
    sim.settle(30)
    sim.apply(RelabelPod("ReplicaSet", "rs", 0, {"app": "moved"}))
    sim.settle(30)
    moved = next(p for p in sim.observe().pods if p.labels == (("app", "moved"),))
    return (moved.owner is None, sim.observe().replicaset("rs").status.replicas, len(sim.observe().pods))


# mutant -> (scenario, clean outcome, mutant outcome)
CASES = {
    "surge-rounded-down": (max_replicas_annotation, "13", "12"),
    "unavailable-rounded-up": (stalled_old_size, {"app:v1": 8, "app:v2": 5}, {"app:v1": 7, "app:v2": 6}),
    "ready-pods-deleted-first": (unready_pod_survives_scale_down, [True, True], [False, True]),
    "old-replicasets-newest-first": (
        two_unhealthy_old_replicasets,
        {"a:1": 2, "b:2": 1, "c:3": 2},
        {"a:1": 3, "b:2": 0, "c:3": 2},
    ),
    "paused-still-rolls-out": (paused_template_change, ["app:v1"], ["app:v1", "app:v2"]),
    "history-limit-off-by-one": (history_left, 2, 3),
    "leftovers-to-smallest": (proportional_leftover, {"a:1": 5, "b:2": 4}, {"a:1": 6, "b:2": 3}),
    "min-ready-strict": (available_at_exactly_min_ready, 1, 0),
    "terminating-counted-active": (replacement_while_terminating, 2, 1),
    "recreate-overlaps": (recreate_overlap, False, True),
    "restarts-ignored-in-ranking": (crashed_pod_survives_scale_down, [0], [1]),
    # released and replaced, vs kept and still counted (no replacement)
    "replicaset-no-release": (relabelled_pod_owner_and_replicas, (True, 2, 3), (False, 2, 2)),
}

CASES.update(JOB_CASES)
CASES.update(DS_CASES)
CASES.update(STS_CASES)
CASES.update(CRON_CASES)


def test_every_mutant_has_a_scenario():
    assert set(CASES) == set(MUTANTS) and len(MUTANTS) >= 8


@pytest.mark.parametrize("name", sorted(CASES))
def test_mutant_changes_behaviour(name, monkeypatch):
    scenario, clean, mutated = CASES[name]
    assert scenario() == clean
    MUTANTS[name](monkeypatch)
    assert scenario() == mutated

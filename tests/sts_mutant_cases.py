"""Concrete scenarios in which each StatefulSet mutant changes what the simulator does (see
test_mutants_apply): each returns a settled outcome (pod names, images, claim names)."""

from sim_builders import simulator

from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.ops import POD_FAIL, POD_UNREADY
from kubeprops.scenario.spec import PodBehavior

DB = {"app": "db"}


def _template(image: str = "app:v1", ready_after: int | None = 0) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(labels=DB, image=image, behavior=PodBehavior(ready_after))


def _create(replicas: int, template=None, **spec) -> a.CreateStatefulSet:
    return a.CreateStatefulSet(
        "db", a.StatefulSetSpec(template=template or _template(), replicas=replicas, **spec)
    )


def _settled(*ops, read):
    sim = simulator()
    try:
        for op in ops:
            sim.apply(op)
            sim.settle(3600)
        return read(sim.observe())
    finally:
        sim.close()


def _pods(view):
    return sorted(p.name for p in view.pods if p.owner and p.owner.kind == "StatefulSet" and not p.deleting)


def pods_when_the_first_never_turns_ready():
    return _settled(_create(3, _template(ready_after=None)), read=_pods)


def pods_after_scaling_down_past_two_unready_pods():
    # pods 1 and 3 unready: upstream deletes 4, then waits on pod 3 (unhealthy, not the first unhealthy
    # one) for good; from the bottom the wait is on pod 1 at once
    return _settled(
        _create(5),
        a.StatefulPodAction("db", 3, POD_UNREADY),
        a.StatefulPodAction("db", 1, POD_UNREADY),
        a.ScaleStatefulSet("db", 1),
        read=_pods,
    )


def images_after_a_partitioned_update_with_ordinals_start():
    create = _create(
        3,
        ordinals_start=2,
        update_strategy=a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(partition=2)),
    )
    update = a.UpdateAppsTemplate(a.STATEFULSET, "db", _template("app:v2"))
    return _settled(create, update, read=lambda v: sorted((p.name, p.image) for p in v.pods))


def claims_after_scale_down_under_retain():
    return _settled(
        _create(3, volume_claim_templates=("data",)),
        a.ScaleStatefulSet("db", 1),
        read=lambda v: sorted(c.name for c in v.claims),
    )


def phases_after_a_pod_fails():
    return _settled(
        _create(2), a.StatefulPodAction("db", 1, POD_FAIL), read=lambda v: sorted(p.phase for p in v.pods)
    )


# mutant -> (scenario, clean outcome, mutant outcome)
STS_CASES = {
    "sts-creates-before-ready": (pods_when_the_first_never_turns_ready, ["db-0"], ["db-0", "db-1", "db-2"]),
    "sts-scale-down-lowest-first": (
        pods_after_scaling_down_past_two_unready_pods,
        ["db-0", "db-1", "db-2", "db-3"],
        ["db-0", "db-1", "db-2", "db-3", "db-4"],
    ),
    "sts-partition-ignores-start": (
        images_after_a_partitioned_update_with_ordinals_start,
        [("db-2", "app:v1"), ("db-3", "app:v1"), ("db-4", "app:v2")],
        [("db-2", "app:v2"), ("db-3", "app:v2"), ("db-4", "app:v2")],
    ),
    "sts-retain-claims-deleted": (
        claims_after_scale_down_under_retain,
        ["data-db-0", "data-db-1", "data-db-2"],
        ["data-db-0"],
    ),
    "sts-failed-pod-not-replaced": (phases_after_a_pod_fails, ["Running", "Running"], ["Failed", "Running"]),
}

"""Small builders for the simulator tests (independent of tests/factories.py)."""

from __future__ import annotations

from kubeprops.adapters.protocol import RunContext
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.scenario import (
    DeploymentSpec,
    DeploymentStrategy,
    PodBehavior,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
)
from kubeprops.scenario.view import ClusterView

LABELS = {"app": "web"}


def template(image: str = "app:v1", ready_after: int | None = 0, **extra) -> PodTemplate:
    return PodTemplate(labels=LABELS, image=image, behavior=PodBehavior(ready_after), **extra)


def rolling(surge: int | str = "25%", unavailable: int | str = "25%") -> DeploymentStrategy:
    return DeploymentStrategy("RollingUpdate", RollingUpdate(surge, unavailable))


RECREATE = DeploymentStrategy("Recreate", None)


def deployment(replicas: int = 4, tmpl: PodTemplate | None = None, **fields) -> DeploymentSpec:
    return DeploymentSpec(template=tmpl or template(), replicas=replicas, **fields)


def replicaset(replicas: int = 3, tmpl: PodTemplate | None = None, **fields) -> ReplicaSetSpec:
    return ReplicaSetSpec(template=tmpl or template(), replicas=replicas, **fields)


def simulator(seed: int = 0, **options) -> SimulatorAdapter:
    return SimulatorAdapter(RunContext(seed=seed), **options)


def sizes(view: ClusterView, deployment_name: str = "web") -> dict[str, int]:
    """spec.replicas of the Deployment's ReplicaSets, keyed by image."""
    return {rs.template.image: rs.replicas for rs in view.replicasets_of(deployment_name)}


def live_pods(view: ClusterView) -> list:
    return [p for p in view.pods if p.active]


def summary(view: ClusterView) -> tuple:
    """What every interleaving must agree on once settled (names and times may differ)."""
    return (
        tuple(
            (d.name, d.status.replicas, d.status.updated_replicas, d.status.available_replicas)
            for d in view.deployments
        ),
        tuple(
            sorted((rs.template.image, rs.replicas, rs.status.available_replicas) for rs in view.replicasets)
        ),
        len(live_pods(view)),
    )


def traced_syncs(controller: str, *ops: object, seed: int = 0) -> list:
    """The sync records of `controller` (a kind) the simulator traced while applying and settling `ops`."""
    sim = SimulatorAdapter(RunContext(seed=seed))
    sim.start_sync_trace()
    try:
        for op in ops:
            sim.apply(op)  # type: ignore[arg-type]
            assert sim.settle(3600).settled
        return [r for r in sim.take_sync_trace() if r.controller == controller]
    finally:
        sim.close()

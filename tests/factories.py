"""Small factories for observed-state objects, with defaults that make a healthy cluster.

Every argument is a keyword override; uids default to "uid-<name>" so owner references line up. Import
from test modules as `from factories import make_pod, make_rs, make_deployment, make_view`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kubeprops.scenario.spec import (
    DeploymentSpec,
    DeploymentStrategy,
    IntOrPercent,
    PodTemplate,
    RollingUpdate,
)
from kubeprops.scenario.spec import labels as label_set
from kubeprops.scenario.view import (
    DELETION_COST,
    POD_TEMPLATE_HASH,
    REVISION,
    RUNNING,
    ClusterView,
    Condition,
    DeploymentStatus,
    DeploymentView,
    NodeView,
    OwnerRef,
    PodView,
    ReplicaSetStatus,
    ReplicaSetView,
)

APP = {"app": "web"}
Owner = OwnerRef | ReplicaSetView | DeploymentView | None


def owner_ref(owner: Owner) -> OwnerRef | None:
    """An OwnerRef for a view object (or pass one through)."""
    if owner is None or isinstance(owner, OwnerRef):
        return owner
    kind = "ReplicaSet" if isinstance(owner, ReplicaSetView) else "Deployment"
    return OwnerRef(kind, owner.name, owner.uid)


def make_pod(
    name: str = "pod-0",
    *,
    uid: str | None = None,
    owner: Owner = None,
    labels: Mapping[str, str] | None = None,
    image: str = "app:v1",
    node: str = "node-1",
    phase: str = RUNNING,
    ready: bool = True,
    ready_since: float | None = 0.0,
    deleting: bool = False,
    created: float = 0.0,
    restarts: int = 0,
    cost: int | str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> PodView:
    """A Running, Ready pod on node-1 labelled app=web. `ready_since` is ignored (None) when not ready."""
    notes = dict(annotations or {})
    if cost is not None:
        notes[DELETION_COST] = str(cost)
    return PodView(
        name=name,
        uid=uid or f"uid-{name}",
        owner=owner_ref(owner),
        labels=label_set(APP if labels is None else labels),
        image=image,
        node=node,
        phase=phase,
        ready=ready,
        ready_since=ready_since if ready else None,
        deleting=deleting,
        created=created,
        restarts=restarts,
        annotations=label_set(notes),
    )


def make_rs(
    name: str | None = None,
    *,
    uid: str | None = None,
    owner: Owner = None,
    generation: int = 1,
    replicas: int = 3,
    template_labels: Mapping[str, str] | None = None,
    selector: Mapping[str, str] | None = None,
    pod_template_hash: str | None = None,
    image: str = "app:v1",
    min_ready_seconds: int = 0,
    revision: int | None = None,
    annotations: Mapping[str, str] | None = None,
    status: ReplicaSetStatus | None = None,
    created: float = 0.0,
    deleting: bool = False,
) -> ReplicaSetView:
    """A ReplicaSet selecting app=web. With `pod_template_hash` the hash label goes on the template and the
    selector, and the name defaults to `<owner>-<hash>` as a Deployment names it."""
    tmpl = dict(APP if template_labels is None else template_labels)
    sel = dict(tmpl if selector is None else selector)
    if pod_template_hash is not None:
        tmpl[POD_TEMPLATE_HASH] = sel[POD_TEMPLATE_HASH] = pod_template_hash
    ref = owner_ref(owner)
    if name is None:
        name = f"{ref.name}-{pod_template_hash}" if ref and pod_template_hash else "web-rs"
    notes = dict(annotations or {})
    if revision is not None:
        notes[REVISION] = str(revision)
    return ReplicaSetView(
        name=name,
        uid=uid or f"uid-{name}",
        owner=ref,
        generation=generation,
        replicas=replicas,
        selector=label_set(sel),
        template=PodTemplate(labels=tmpl, image=image),
        min_ready_seconds=min_ready_seconds,
        annotations=label_set(notes),
        status=status or ReplicaSetStatus(observed_generation=generation),
        created=created,
        deleting=deleting,
    )


def rs_status(
    replicas: int = 3,
    ready: int | None = None,
    available: int | None = None,
    *,
    fully_labeled: int | None = None,
    terminating: int | None = 0,
    observed_generation: int = 1,
) -> ReplicaSetStatus:
    """A ReplicaSet status; ready/available/fully_labeled default to `replicas`."""
    ready = replicas if ready is None else ready
    return ReplicaSetStatus(
        replicas=replicas,
        fully_labeled_replicas=replicas if fully_labeled is None else fully_labeled,
        ready_replicas=ready,
        available_replicas=ready if available is None else available,
        terminating_replicas=terminating,
        observed_generation=observed_generation,
    )


def make_deployment(
    name: str = "web",
    *,
    uid: str | None = None,
    generation: int = 1,
    replicas: int = 3,
    template_labels: Mapping[str, str] | None = None,
    image: str = "app:v1",
    strategy: DeploymentStrategy | None = None,
    max_surge: int | str | None = None,
    max_unavailable: int | str | None = None,
    paused: bool = False,
    min_ready_seconds: int = 0,
    status: DeploymentStatus | None = None,
    revision: int | None = None,
    created: float = 0.0,
    deleting: bool = False,
) -> DeploymentView:
    """A RollingUpdate Deployment (25%/25% unless overridden) selecting app=web."""
    template = PodTemplate(labels=APP if template_labels is None else template_labels, image=image)
    if strategy is None:
        strategy = DeploymentStrategy()
        if max_surge is not None or max_unavailable is not None:
            strategy = DeploymentStrategy(
                rolling_update=RollingUpdate(
                    max_surge=IntOrPercent.parse("25%" if max_surge is None else max_surge),
                    max_unavailable=IntOrPercent.parse("25%" if max_unavailable is None else max_unavailable),
                )
            )
    spec = DeploymentSpec(
        template=template,
        replicas=replicas,
        strategy=strategy,
        paused=paused,
        min_ready_seconds=min_ready_seconds,
    )
    return DeploymentView(
        name=name,
        uid=uid or f"uid-{name}",
        generation=generation,
        spec=spec,
        annotations=label_set({REVISION: str(revision)} if revision is not None else {}),
        status=status or DeploymentStatus(observed_generation=generation),
        created=created,
        deleting=deleting,
    )


def deployment_status(
    replicas: int = 3,
    updated: int | None = None,
    ready: int | None = None,
    available: int | None = None,
    *,
    unavailable: int = 0,
    terminating: int | None = 0,
    observed_generation: int = 1,
    available_condition: str | None = None,
) -> DeploymentStatus:
    """A Deployment status; updated/ready/available default to `replicas`; optional Available condition."""
    ready = replicas if ready is None else ready
    conditions = () if available_condition is None else (Condition("Available", available_condition),)
    return DeploymentStatus(
        replicas=replicas,
        updated_replicas=replicas if updated is None else updated,
        ready_replicas=ready,
        available_replicas=ready if available is None else available,
        unavailable_replicas=unavailable,
        terminating_replicas=terminating,
        observed_generation=observed_generation,
        conditions=conditions,
    )


def make_view(
    *objects: DeploymentView | ReplicaSetView | PodView | NodeView | Iterable[PodView],
    now: float = 100.0,
) -> ClusterView:
    """A ClusterView holding `objects` (sorted into their kinds; iterables of pods are flattened)."""
    flat: list[object] = []
    for obj in objects:
        flat.extend(
            obj if not isinstance(obj, DeploymentView | ReplicaSetView | PodView | NodeView) else [obj]
        )
    return ClusterView(
        now=now,
        deployments=tuple(o for o in flat if isinstance(o, DeploymentView)),
        replicasets=tuple(o for o in flat if isinstance(o, ReplicaSetView)),
        pods=tuple(o for o in flat if isinstance(o, PodView)),
        nodes=tuple(o for o in flat if isinstance(o, NodeView)),
    )

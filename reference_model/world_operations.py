"""User operations on the ReplicaSet / Deployment world (`world.WorldState`), as the API server and
kubectl carry them out: validate, write the spec (generation + 1 only when it changes), then let the
controllers run to a fixpoint at the current instant (`world.run_to_fixpoint`).

The world's semantics (what each operation means for pods, nodes and timers) are in `world`'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from kubeprops.scenario.apps_extra import READY_TRUE, SetNodeReady
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.ops import (
    DEPLOYMENT,
    REPLICASET,
    Advance,
    CreateBarePod,
    CreateDeployment,
    CreateReplicaSet,
    DeleteWorkload,
    NodeJoin,
    NodeLeave,
    Operation,
    PodAction,
    RelabelPod,
    Rollback,
    Scale,
    SetPaused,
    SetStrategy,
    UpdateTemplate,
)
from kubeprops.scenario.spec import DeploymentSpec, PodTemplate, ReplicaSetSpec
from kubeprops.scenario.view import (
    FAILED,
    POD_TEMPLATE_HASH,
    RUNNING,
    DeploymentStatus,
    DeploymentView,
    ReplicaSetStatus,
    ReplicaSetView,
    pod_order,
)

from . import deployment, world
from .named import Named
from .named import find as _find
from .named import put as _put
from .release import DEFAULT, Release
from .validation import validate_deployment, validate_labels, validate_name, validate_replicaset
from .world import WorldState


def apply(state: WorldState, op: Operation, *, release: Release = DEFAULT) -> WorldState:
    """Carry out `op`, then run the controllers to a fixpoint at the current instant.

    Raises InvalidSpec (state unchanged) when the API server would reject the write.
    """
    if isinstance(op, Advance):
        return world.advance(world.run_to_fixpoint(state, release=release), op.seconds, release=release)
    handler = _HANDLERS[type(op)]
    return world.run_to_fixpoint(handler(state, op), release=release)


def _create_deployment(state: WorldState, op: CreateDeployment) -> WorldState:
    validate_deployment(op.name, op.spec)
    _require_new(state.deployments, op.name, "deployment")
    state, uid = world._uid(state)
    d = DeploymentView(
        name=op.name,
        uid=uid,
        generation=1,
        spec=op.spec,
        annotations=(),
        status=DeploymentStatus(),
        created=state.now,
    )
    return attrs.evolve(state, deployments=_put(state.deployments, d))


def _create_replicaset(state: WorldState, op: CreateReplicaSet) -> WorldState:
    validate_replicaset(op.name, op.spec)
    _require_new(state.replicasets, op.name, "replicaset")
    state, uid = world._uid(state)
    rs = ReplicaSetView(
        name=op.name,
        uid=uid,
        owner=None,
        generation=1,
        replicas=op.spec.replicas,
        selector=op.spec.selector,
        template=op.spec.template,
        min_ready_seconds=op.spec.min_ready_seconds,
        annotations=(),
        status=ReplicaSetStatus(),
        created=state.now,
    )
    return attrs.evolve(state, replicasets=_put(state.replicasets, rs))


def _require_new(items: Iterable[Named], name: str, kind: str) -> None:
    if _find(items, name) is not None:
        raise InvalidSpec("metadata.name", f"{kind} {name!r} already exists; use another name")


def _write_deployment_spec(
    state: WorldState, name: str, change: Callable[[DeploymentSpec], DeploymentSpec]
) -> WorldState:
    d = _find(state.deployments, name)
    if d is None:
        return state
    spec = change(d.spec)
    validate_deployment(name, spec)
    if spec == d.spec:
        return state
    new = attrs.evolve(d, spec=spec, generation=d.generation + 1)
    return attrs.evolve(state, deployments=_put(state.deployments, new))


def _write_replicaset_spec(
    state: WorldState, name: str, change: Callable[[ReplicaSetSpec], ReplicaSetSpec]
) -> WorldState:
    rs = _find(state.replicasets, name)
    if rs is None:
        return state
    spec = ReplicaSetSpec(
        template=rs.template,
        selector=rs.selector,
        replicas=rs.replicas,
        min_ready_seconds=rs.min_ready_seconds,
    )
    new_spec = change(spec)
    validate_replicaset(name, new_spec)
    if new_spec == spec:
        return state
    new = attrs.evolve(
        rs, template=new_spec.template, replicas=new_spec.replicas, generation=rs.generation + 1
    )
    return attrs.evolve(state, replicasets=_put(state.replicasets, new))


def _scale(state: WorldState, op: Scale) -> WorldState:
    if op.kind == DEPLOYMENT:
        return _write_deployment_spec(state, op.name, lambda s: attrs.evolve(s, replicas=op.replicas))
    return _write_replicaset_spec(state, op.name, lambda s: attrs.evolve(s, replicas=op.replicas))


def _update_template(state: WorldState, op: UpdateTemplate) -> WorldState:
    if op.kind == DEPLOYMENT:
        return _write_deployment_spec(state, op.name, lambda s: attrs.evolve(s, template=op.template))
    return _write_replicaset_spec(state, op.name, lambda s: attrs.evolve(s, template=op.template))


def _set_strategy(state: WorldState, op: SetStrategy) -> WorldState:
    return _write_deployment_spec(state, op.name, lambda s: attrs.evolve(s, strategy=op.strategy))


def _set_paused(state: WorldState, op: SetPaused) -> WorldState:
    return _write_deployment_spec(state, op.name, lambda s: attrs.evolve(s, paused=op.paused))


def rollback_template(state: WorldState, name: str, to_revision: int) -> PodTemplate | None:
    """The template `kubectl rollout undo --to-revision` writes, or None when it would not write one."""
    # ref kubectl polymorphichelpers/rollback.go (deploymentRevision, DeploymentRollbacker.Rollback)
    d = _find(state.deployments, name)
    if d is None or d.spec.paused:
        return None
    known = (rs for rs in deployment.owned(d, state.replicasets) if rs.revision > 0)
    rss = sorted(known, key=lambda rs: rs.revision, reverse=True)
    if to_revision == 0:
        target = rss[1] if len(rss) > 1 else None
    else:
        target = next((rs for rs in rss if rs.revision == to_revision), None)
    if target is None:
        return None
    template = attrs.evolve(
        target.template, labels=tuple(kv for kv in target.template.labels if kv[0] != POD_TEMPLATE_HASH)
    )
    return None if template == d.spec.template else template


def _rollback(state: WorldState, op: Rollback) -> WorldState:
    template = rollback_template(state, op.name, op.to_revision)
    if template is None:
        return state
    return _write_deployment_spec(state, op.name, lambda s: attrs.evolve(s, template=template))


def _delete_workload(state: WorldState, op: DeleteWorkload) -> WorldState:
    if op.kind == REPLICASET:
        return world.delete_replicaset(state, op.name)
    d = _find(state.deployments, op.name)
    if d is None:
        return state
    for rs in deployment.owned(d, state.replicasets):
        state = world.delete_replicaset(state, rs.name)
    return attrs.evolve(
        state,
        deployments=tuple(x for x in state.deployments if x.name != op.name),
        alternatives=tuple((n, c) for n, c in state.alternatives if n != op.name),
    )


def _pod_action(state: WorldState, op: PodAction) -> WorldState:
    active = sorted((p for p in world.view(state).pods_of(op.kind, op.name) if p.active), key=pod_order)
    if not active:
        return state
    pod = active[op.index % len(active)]
    facts = state.facts()
    if op.action == "fail":
        if not pod.node:
            return state  # unscheduled: no kubelet runs its containers, so none can exit
        failed = attrs.evolve(pod, phase=FAILED, ready=False, ready_since=None)
        return attrs.evolve(state, pods=_put(state.pods, failed))
    if op.action == "delete":
        return world._delete_pods(state, [pod.name])
    if pod.phase != RUNNING:
        return state
    if op.action == "crash":
        facts[pod.name] = attrs.evolve(facts[pod.name], started=state.now, forced=False)
        crashed = attrs.evolve(pod, restarts=pod.restarts + 1)
        return world._set_ready(
            world._with_facts(attrs.evolve(state, pods=_put(state.pods, crashed)), facts), crashed, False
        )
    ready = op.action == "ready"
    fact = facts[pod.name]
    facts[pod.name] = attrs.evolve(fact, probe_failing=not ready, forced=ready or fact.forced)
    state = world._with_facts(state, facts)
    # a pod on a node that is not Ready stays not Ready (the node lifecycle controller marked it)
    return world._set_ready(state, pod, ready and world._node_ready(state, pod.node))


def _create_bare_pod(state: WorldState, op: CreateBarePod) -> WorldState:
    validate_name(op.name)
    validate_labels(op.template.labels, "metadata.labels")
    _require_new(state.pods, op.name, "pod")
    return world.create_pod(state, op.name, op.template, None, own_selector=True)


def _relabel_pod(state: WorldState, op: RelabelPod) -> WorldState:
    active = sorted((p for p in world.view(state).pods_of(op.kind, op.name) if p.active), key=pod_order)
    if not active:
        return state  # no pod, no write: nothing for the API server to reject
    validate_labels(op.labels, "metadata.labels")
    pod = active[op.index % len(active)]
    return attrs.evolve(state, pods=_put(state.pods, attrs.evolve(pod, labels=op.labels)))


def _set_node_ready(state: WorldState, op: SetNodeReady) -> WorldState:
    node = _find(state.nodes, op.name)
    if node is None or node.ready_status == op.status:
        return state
    state = attrs.evolve(
        state,
        nodes=_put(state.nodes, attrs.evolve(node, ready_status=op.status, ready=op.status == READY_TRUE)),
    )
    facts = state.facts()
    for pod in (p for p in state.pods if p.node == op.name):
        fact = facts[pod.name]
        if op.status != READY_TRUE:
            evict_at = (
                fact.evict_at if fact.evict_at is not None else state.now + world.DEFAULT_TOLERATION_SECONDS
            )
            facts[pod.name] = attrs.evolve(fact, evict_at=None if pod.deleting else evict_at)
            state = world._set_ready(world._with_facts(state, facts), pod, False)
            continue
        facts[pod.name] = attrs.evolve(fact, evict_at=None)
        state = world._with_facts(state, facts)
        due = world._ready_time(pod, fact)
        if (
            pod.phase == RUNNING
            and not fact.probe_failing
            and (fact.forced or (due is not None and due <= state.now))
        ):
            state = world._set_ready(state, pod, True)
    return state


def _node_join(state: WorldState, op: NodeJoin) -> WorldState:
    if _find(state.nodes, op.name) is not None:
        return state
    return attrs.evolve(state, nodes=_put(state.nodes, world._node(op.name, op.labels)))


def _node_leave(state: WorldState, op: NodeLeave) -> WorldState:
    if _find(state.nodes, op.name) is None:
        return state
    state = attrs.evolve(state, nodes=tuple(n for n in state.nodes if n.name != op.name))
    return world._remove_pods(state, {p.name for p in state.pods if p.node == op.name})


_HANDLERS: dict[type, Callable[[WorldState, object], WorldState]] = {
    CreateDeployment: _create_deployment,
    CreateReplicaSet: _create_replicaset,
    Scale: _scale,
    UpdateTemplate: _update_template,
    SetStrategy: _set_strategy,
    SetPaused: _set_paused,
    Rollback: _rollback,
    DeleteWorkload: _delete_workload,
    PodAction: _pod_action,
    CreateBarePod: _create_bare_pod,
    RelabelPod: _relabel_pod,
    NodeJoin: _node_join,
    NodeLeave: _node_leave,
    SetNodeReady: _set_node_ready,
}

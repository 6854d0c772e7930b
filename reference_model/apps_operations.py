"""Applying StatefulSet / DaemonSet / node operations to an `apps_world.AppsState`, as the API server and
the cluster would: user writes are validated first (InvalidSpec, state unchanged) and raise
`metadata.generation` only when the spec changes; operations naming a missing object do nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from kubeprops.scenario.apps_extra import (
    DAEMONSET,
    STATEFULSET,
    AddNode,
    AdvanceTime,
    AppsOperation,
    CordonNode,
    CreateDaemonSet,
    CreateStatefulSet,
    DaemonPodAction,
    DaemonSetSpec,
    DaemonSetView,
    DeleteAppsWorkload,
    RemoveNode,
    ScaleStatefulSet,
    SetDaemonSetUpdateStrategy,
    SetNodeLabels,
    SetNodeReady,
    SetNodeTaints,
    SetOrdinalsStart,
    SetPartition,
    SetPodManagementPolicy,
    SetPVCRetentionPolicy,
    SetStatefulSetUpdateStrategy,
    StatefulPodAction,
    StatefulSetRollingUpdate,
    StatefulSetSpec,
    StatefulSetView,
    UpdateAppsTemplate,
)
from kubeprops.scenario.ops import POD_DELETE, POD_FAIL, POD_READY, POD_UNREADY
from kubeprops.scenario.spec import labels
from kubeprops.scenario.view import FAILED, RUNNING, PodView

from . import apps_validation as validation
from . import apps_world as world
from . import statefulset as sts_util
from .apps_common import max_unavailable_statefulset
from .release import DEFAULT, Release


def _stored(spec: StatefulSetSpec, release: Release) -> StatefulSetSpec:
    """The spec as the API server stores it: with MaxUnavailableStatefulSet off (its default) it drops
    `rollingUpdate.maxUnavailable` before validating, so even 0 is accepted, and the controller ignores it."""
    # ref pkg/registry/apps/statefulset/strategy.go (PrepareForCreate, PrepareForUpdate,
    # dropStatefulSetDisabledFields); the field is never in use in an old object here
    block = spec.update_strategy.rolling_update
    if max_unavailable_statefulset(release) or block is None or block.max_unavailable is None:
        return spec
    strategy = attrs.evolve(spec.update_strategy, rolling_update=attrs.evolve(block, max_unavailable=None))
    return attrs.evolve(spec, update_strategy=strategy)


def _sts_spec_edit(
    state: world.AppsState,
    name: str,
    edit: Callable[[StatefulSetSpec], StatefulSetSpec],
    release: Release,
) -> world.AppsState:
    sts = world._find(state.statefulsets, name)
    if sts is None:
        return state
    new = _stored(edit(sts.spec), release)
    validation.validate_statefulset_update(name, sts.spec, new)
    if new == sts.spec:
        return state
    changed = attrs.evolve(sts, spec=new, generation=sts.generation + 1)
    return attrs.evolve(state, statefulsets=world._put(state.statefulsets, changed))


def _ds_spec_edit(
    state: world.AppsState, name: str, edit: Callable[[DaemonSetSpec], DaemonSetSpec]
) -> world.AppsState:
    ds = world._find(state.daemonsets, name)
    if ds is None:
        return state
    new = edit(ds.spec)
    validation.validate_daemonset_update(name, ds.spec, new)
    if new == ds.spec:
        return state
    changed = attrs.evolve(ds, spec=new, generation=ds.generation + 1)
    return attrs.evolve(state, daemonsets=world._put(state.daemonsets, changed))


def _with_partition(spec: StatefulSetSpec, partition: int) -> StatefulSetSpec:
    block = spec.update_strategy.rolling_update or StatefulSetRollingUpdate()
    strategy = attrs.evolve(spec.update_strategy, rolling_update=attrs.evolve(block, partition=partition))
    return attrs.evolve(spec, update_strategy=strategy)


def _create(
    state: world.AppsState, op: CreateStatefulSet | CreateDaemonSet, release: Release
) -> world.AppsState:
    if world._find(state.statefulsets if isinstance(op, CreateStatefulSet) else state.daemonsets, op.name):
        return state  # AlreadyExists
    state, uid = world._uid(state)
    if isinstance(op, CreateStatefulSet):
        spec = _stored(op.spec, release)
        validation.validate_statefulset(op.name, spec)
        sts = StatefulSetView(op.name, uid, 1, spec, created=state.now)
        return attrs.evolve(state, statefulsets=world._put(state.statefulsets, sts))
    validation.validate_daemonset(op.name, op.spec)
    ds = DaemonSetView(op.name, uid, 1, op.spec, created=state.now)
    return attrs.evolve(state, daemonsets=world._put(state.daemonsets, ds))


def _delete_workload(state: world.AppsState, op: DeleteAppsWorkload) -> world.AppsState:
    sts, ds = world._find(state.statefulsets, op.name), world._find(state.daemonsets, op.name)
    if op.kind == STATEFULSET and sts is not None:
        uid = sts.uid
        state = attrs.evolve(state, statefulsets=tuple(s for s in state.statefulsets if s.name != op.name))
    elif op.kind == DAEMONSET and ds is not None:
        uid = ds.uid
        state = attrs.evolve(state, daemonsets=tuple(d for d in state.daemonsets if d.name != op.name))
    else:
        return state
    state = attrs.evolve(state, revisions=tuple(r for r in state.revisions if r.owner.uid != uid))
    state = world._delete_pods(state, [p.name for p in state.pods if p.owner and p.owner.uid == uid])
    return world._collect_claims(state, {uid})


def _pod_action(state: world.AppsState, pod: PodView | None, action: str) -> world.AppsState:
    if pod is None:
        return state
    facts = state.fact_map()
    if action == POD_DELETE:
        return world._delete_pods(state, [pod.name])
    if action == POD_FAIL:
        pod = attrs.evolve(pod, phase=FAILED, ready=False, ready_since=None)
    elif action == POD_UNREADY:
        facts[pod.name] = attrs.evolve(facts[pod.name], probe_failing=True)
        pod = attrs.evolve(pod, ready=False, ready_since=None)
    elif action == POD_READY and pod.phase == RUNNING:  # as in `world`: a Running pod turns Ready now
        facts[pod.name] = attrs.evolve(facts[pod.name], probe_failing=False, ready_after=0)
    return world._set_facts(attrs.evolve(state, pods=world._put(state.pods, pod)), facts)


def _stateful_pod(state: world.AppsState, op: StatefulPodAction) -> PodView | None:
    sts = world._find(state.statefulsets, op.name)
    if sts is None:
        return None
    name = sts_util.pod_name(sts.name, op.ordinal)
    return next((p for p in state.pods if p.name == name and p.owner and p.owner.uid == sts.uid), None)


def _daemon_pod(state: world.AppsState, op: DaemonPodAction) -> PodView | None:
    ds = world._find(state.daemonsets, op.name)
    if ds is None:
        return None
    targets = state.targets()
    mine = [
        p
        for p in state.pods
        if p.owner and p.owner.uid == ds.uid and not p.deleting and (p.node or targets.get(p.name)) == op.node
    ]
    ranks = state.ranks()  # the oldest pod, same-second ties ordered as the model chose (`TieBreak.rank`)
    return min(mine, key=lambda p: (p.created, ranks.get(p.name, 0), p.name), default=None)


def _edit_node(state: world.AppsState, name: str, **changes: object) -> world.AppsState:
    node = world._find(state.nodes, name)
    if node is None:
        return state
    return attrs.evolve(state, nodes=world._put(state.nodes, attrs.evolve(node, **changes)))


def _node_op(state: world.AppsState, op: AppsOperation) -> world.AppsState:
    if isinstance(op, AddNode):
        if world._find(state.nodes, op.name):
            return state
        node = world._node(op.name, op.labels, taints=op.taints, unschedulable=op.unschedulable)
        return attrs.evolve(state, nodes=world._put(state.nodes, node))
    if isinstance(op, RemoveNode):
        # its pods are force-deleted, each by its own API call (one watch event each), so they go as
        # deletions completing at one instant do: together, or one by one (`AppsState.removals`)
        state = attrs.evolve(state, nodes=tuple(n for n in state.nodes if n.name != op.name))
        return world.remove_at_once(state, {p.name for p in state.pods if p.node == op.name})
    if isinstance(op, SetNodeLabels):
        return _edit_node(state, op.name, labels=labels({**dict(op.labels), world.HOSTNAME: op.name}))
    if isinstance(op, SetNodeTaints):
        return _edit_node(state, op.name, taints=op.taints)
    if isinstance(op, CordonNode):
        return _edit_node(state, op.name, unschedulable=op.unschedulable)
    if isinstance(op, SetNodeReady):
        return _edit_node(state, op.name, ready=op.status)
    raise TypeError(f"not a node operation: {op!r}")


def _user_op(state: world.AppsState, op: AppsOperation, release: Release) -> world.AppsState:
    if isinstance(op, CreateStatefulSet | CreateDaemonSet):
        return _create(state, op, release)
    if isinstance(op, DeleteAppsWorkload):
        return _delete_workload(state, op)
    if isinstance(op, ScaleStatefulSet):
        return _sts_spec_edit(state, op.name, lambda s: attrs.evolve(s, replicas=op.replicas), release)
    if isinstance(op, UpdateAppsTemplate) and op.kind == STATEFULSET:
        return _sts_spec_edit(state, op.name, lambda s: attrs.evolve(s, template=op.template), release)
    if isinstance(op, UpdateAppsTemplate) and op.kind == DAEMONSET:
        return _ds_spec_edit(state, op.name, lambda s: attrs.evolve(s, template=op.template))
    if isinstance(op, SetStatefulSetUpdateStrategy):
        return _sts_spec_edit(state, op.name, lambda s: attrs.evolve(s, update_strategy=op.strategy), release)
    if isinstance(op, SetPartition):
        return _sts_spec_edit(state, op.name, lambda s: _with_partition(s, op.partition), release)
    if isinstance(op, SetOrdinalsStart):
        return _sts_spec_edit(state, op.name, lambda s: attrs.evolve(s, ordinals_start=op.start), release)
    if isinstance(op, SetPodManagementPolicy):
        return _sts_spec_edit(
            state, op.name, lambda s: attrs.evolve(s, pod_management_policy=op.policy), release
        )
    if isinstance(op, SetPVCRetentionPolicy):
        policy = op.policy
        return _sts_spec_edit(
            state,
            op.name,
            lambda s: attrs.evolve(s, persistent_volume_claim_retention_policy=policy),
            release,
        )
    if isinstance(op, SetDaemonSetUpdateStrategy):
        return _ds_spec_edit(state, op.name, lambda s: attrs.evolve(s, update_strategy=op.strategy))
    return state


def apply(
    state: world.AppsState,
    op: AppsOperation,
    *,
    release: Release = DEFAULT,
    choose: world.Choose = world.choose_first,
) -> world.AppsState:
    """Carry out `op` and run the controllers to a fixpoint (AdvanceTime settles through the interval).

    Raises InvalidSpec (state unchanged) for a write the API server rejects.
    """
    if isinstance(op, AdvanceTime):
        end = state.now + op.seconds
        state, _ = world.settle(state, horizon=op.seconds, release=release, choose=choose)
        return world.run_controllers(
            attrs.evolve(state, now=max(state.now, end)), release=release, choose=choose
        )
    if isinstance(op, StatefulPodAction):
        state = _pod_action(state, _stateful_pod(state, op), op.action)
    elif isinstance(op, DaemonPodAction):
        state = _pod_action(state, _daemon_pod(state, op), op.action)
    elif isinstance(op, AddNode | RemoveNode | SetNodeLabels | SetNodeTaints | CordonNode | SetNodeReady):
        state = _node_op(state, op)
    else:
        state = _user_op(state, op, release)
    return world.run_controllers(state, release=release, choose=choose)

"""Operations in words, for shrunk counterexamples and reports."""

from __future__ import annotations

from functools import singledispatch

from kubeprops.scenario.apps_extra import SetNodeReady
from kubeprops.scenario.ops import (
    Advance,
    CreateBarePod,
    CreateDeployment,
    CreateReplicaSet,
    DeleteWorkload,
    NodeJoin,
    NodeLeave,
    Operation,
    OrphanPod,
    PodAction,
    RelabelPod,
    Rollback,
    Scale,
    SetPaused,
    SetStrategy,
    UpdateTemplate,
)
from kubeprops.scenario.spec import DeploymentStrategy, PodTemplate


def template_text(t: PodTemplate) -> str:
    ready = "never" if t.behavior.ready_after is None else f"{t.behavior.ready_after}s"
    return f"image={t.image} ready-after={ready}"


def strategy_text(s: DeploymentStrategy) -> str:
    if s.rolling_update is None:
        return s.type
    ru = s.rolling_update
    return f"{s.type}(maxSurge={ru.max_surge}, maxUnavailable={ru.max_unavailable})"


@singledispatch
def describe(op: Operation) -> str:
    return repr(op)


@describe.register
def _(op: CreateDeployment) -> str:
    s = op.spec
    return (
        f"create Deployment/{op.name} replicas={s.replicas} {strategy_text(s.strategy)} "
        f"{template_text(s.template)} minReadySeconds={s.min_ready_seconds} "
        f"revisionHistoryLimit={s.revision_history_limit} "
        f"progressDeadlineSeconds={s.progress_deadline_seconds} paused={s.paused}"
    )


@describe.register
def _(op: CreateReplicaSet) -> str:
    s = op.spec
    return (
        f"create ReplicaSet/{op.name} replicas={s.replicas} {template_text(s.template)} "
        f"minReadySeconds={s.min_ready_seconds}"
    )


@describe.register
def _(op: Scale) -> str:
    return f"scale {op.kind}/{op.name} to {op.replicas}"


@describe.register
def _(op: UpdateTemplate) -> str:
    return f"update {op.kind}/{op.name} template: {template_text(op.template)}"


@describe.register
def _(op: SetStrategy) -> str:
    return f"set Deployment/{op.name} strategy {strategy_text(op.strategy)}"


@describe.register
def _(op: SetPaused) -> str:
    return f"{'pause' if op.paused else 'resume'} Deployment/{op.name}"


@describe.register
def _(op: Rollback) -> str:
    target = "the previous revision" if op.to_revision == 0 else f"revision {op.to_revision}"
    return f"roll back Deployment/{op.name} to {target}"


@describe.register
def _(op: DeleteWorkload) -> str:
    return f"delete {op.kind}/{op.name}"


@describe.register
def _(op: PodAction) -> str:
    return f"pod #{op.index} of {op.kind}/{op.name}: {op.action}"


@describe.register
def _(op: CreateBarePod) -> str:
    return f"create bare Pod/{op.name} {template_text(op.template)}"


@describe.register
def _(op: RelabelPod) -> str:
    text = ",".join(f"{k}={v}" for k, v in op.labels)
    return f"pod #{op.index} of {op.kind}/{op.name}: labels become {text or '(none)'}"


@describe.register
def _(op: OrphanPod) -> str:
    return f"pod #{op.index} of {op.kind}/{op.name}: controller ownerReference removed"


@describe.register
def _(op: NodeJoin) -> str:
    return f"node {op.name} joins"


@describe.register
def _(op: NodeLeave) -> str:
    return f"node {op.name} leaves"


@describe.register
def _(op: SetNodeReady) -> str:
    state = {"True": "Ready again", "False": "NotReady", "Unknown": "unreachable (Ready=Unknown)"}
    return f"node {op.name} turns {state.get(op.status, op.status)}"


@describe.register
def _(op: Advance) -> str:
    return f"let {op.seconds}s pass"

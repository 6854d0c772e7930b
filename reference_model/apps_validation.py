"""What the API server rejects when a StatefulSet or DaemonSet is created or updated (apps/v1, v1.35).

Each check raises `InvalidSpec(field, message)` naming the field as the API does and saying how to fix it;
like `validation`, we raise the first error in upstream's order.

Not modelled: pod spec fields the vocabulary cannot express (containers, activeDeadlineSeconds), label-key
syntax inside node-selector requirements, volumeClaimTemplate contents beyond their names, and int32
overflow.

refs kubernetes/kubernetes:pkg/apis/apps/validation/validation.go (ValidateStatefulSet,
ValidateStatefulSetSpec, validateRollingUpdateStatefulSet, ValidatePersistentVolumeClaimRetentionPolicy,
ValidateStatefulSetUpdate, ValidateDaemonSet, ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy,
ValidateRollingUpdateDaemonSet, ValidateDaemonSetUpdate, ValidatePositiveIntOrPercent,
IsNotMoreThan100Percent), kubernetes/kubernetes:pkg/apis/core/validation/validation.go
(ValidateNodeSelectorRequirement, validateNodeFieldSelectorRequirement, ValidateTolerations,
validateRestartPolicy).
"""

from __future__ import annotations

import re

import attrs

from kubeprops.scenario.apps_extra import (
    DELETE,
    DOES_NOT_EXIST,
    EQUAL,
    EXISTS,
    GT,
    IN,
    LT,
    NO_EXECUTE,
    NO_SCHEDULE,
    NODE_NAME_FIELD,
    NOT_IN,
    ON_DELETE,
    OP_EXISTS,
    ORDERED_READY,
    PARALLEL,
    PREFER_NO_SCHEDULE,
    RETAIN,
    AppsPodTemplate,
    DaemonSetRollingUpdate,
    DaemonSetSpec,
    NodeSelectorRequirement,
    StatefulSetSpec,
    StatefulSetUpdateStrategy,
)
from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import ROLLING_UPDATE, IntOrPercent, Labels

from .validation import validate_labels, validate_name

_INT64 = re.compile(r"^[+-]?\d+$")
TEMPLATE = "spec.template"


def _non_negative(value: int, field: str) -> None:
    # ref apimachinery api/validation (ValidateNonnegativeField)
    if value < 0:
        raise InvalidSpec(
            field, f"must be greater than or equal to 0 (got {value}); use 0 or a positive number"
        )


def _unsupported(field: str, value: str, supported: tuple[str, ...]) -> InvalidSpec:
    listed = ", ".join(f'"{s}"' for s in supported)
    return InvalidSpec(field, f'Unsupported value: "{value}": supported values: {listed}')


def _selector(selector: Labels, template: AppsPodTemplate) -> None:
    # ref validation.go (ValidateStatefulSetSpec / ValidateDaemonSetSpec): non-empty, matches the template
    if not selector:
        raise InvalidSpec("spec.selector", "empty selector is invalid; set spec.selector.matchLabels")
    validate_labels(selector, "spec.selector.matchLabels")
    if not set(selector) <= set(template.labels):
        missing = ", ".join(f"{k}={v}" for k, v in sorted(set(selector) - set(template.labels)))
        raise InvalidSpec(
            "spec.template.metadata.labels",
            f"`selector` does not match template `labels`; add {missing} to the template labels",
        )
    validate_labels(template.labels, "spec.template.metadata.labels")


def _requirement(req: NodeSelectorRequirement, field: str) -> None:
    # ref core validation.go (ValidateNodeSelectorRequirement)
    if req.operator in (IN, NOT_IN) and not req.values:
        raise InvalidSpec(f"{field}.values", "must be specified when `operator` is 'In' or 'NotIn'")
    if req.operator in (OP_EXISTS, DOES_NOT_EXIST) and req.values:
        raise InvalidSpec(
            f"{field}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        )
    if req.operator in (GT, LT) and (len(req.values) != 1 or not _INT64.match(req.values[0])):
        raise InvalidSpec(
            f"{field}.values", "must be specified single integer value when `operator` is 'Lt' or 'Gt'"
        )
    if req.operator not in (IN, NOT_IN, OP_EXISTS, DOES_NOT_EXIST, GT, LT):
        raise _unsupported(f"{field}.operator", req.operator, (IN, NOT_IN, OP_EXISTS, DOES_NOT_EXIST, GT, LT))


def _field_requirement(req: NodeSelectorRequirement, field: str) -> None:
    # ref core validation.go (validateNodeFieldSelectorRequirement)
    if req.operator not in (IN, NOT_IN):
        raise _unsupported(f"{field}.operator", req.operator, (IN, NOT_IN))
    if len(req.values) != 1:
        raise InvalidSpec(f"{field}.values", "must have one element; give exactly one node name")
    if req.key != NODE_NAME_FIELD:
        raise _unsupported(f"{field}.key", req.key, (NODE_NAME_FIELD,))


def _template(template: AppsPodTemplate) -> None:
    """restartPolicy Always, valid tolerations and node-affinity terms."""
    # ref validation.go (ValidatePodTemplateSpecForStatefulSet, ValidateDaemonSetSpec), core validation.go
    if template.restart_policy != "Always":
        raise _unsupported(f"{TEMPLATE}.spec.restartPolicy", template.restart_policy, ("Always",))
    for i, tol in enumerate(template.tolerations):
        field = f"{TEMPLATE}.spec.tolerations[{i}]"
        if tol.operator not in ("", EQUAL, EXISTS):
            raise _unsupported(f"{field}.operator", tol.operator, (EQUAL, EXISTS))
        if not tol.key and tol.operator != EXISTS:
            raise InvalidSpec(f"{field}.operator", "operator must be Exists when `key` is empty")
        if tol.operator == EXISTS and tol.value:
            raise InvalidSpec(f"{field}.operator", "value must be empty when `operator` is 'Exists'")
        if tol.effect not in ("", NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE):
            raise _unsupported(f"{field}.effect", tol.effect, (NO_SCHEDULE, PREFER_NO_SCHEDULE, NO_EXECUTE))
    affinity = "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
    if template.required_node_affinity is not None and not template.required_node_affinity:
        raise InvalidSpec(f"{affinity}.nodeSelectorTerms", "must have at least one node selector term")
    for i, term in enumerate(template.required_node_affinity or ()):
        for j, req in enumerate(term.match_expressions):
            _requirement(req, f"{affinity}.nodeSelectorTerms[{i}].matchExpressions[{j}]")
        for j, req in enumerate(term.match_fields):
            _field_requirement(req, f"{affinity}.nodeSelectorTerms[{i}].matchFields[{j}]")


def _positive_int_or_percent(v: IntOrPercent, field: str) -> None:
    # ref validation.go (ValidatePositiveIntOrPercent, IsNotMoreThan100Percent)
    if v.value < 0:
        raise InvalidSpec(field, f"must be greater than or equal to 0 (got {v}); use 0 or more")
    if v.percent and v.value > 100:
        raise InvalidSpec(field, f"must not be greater than 100% (got {v}); use at most 100%")


# ---------------------------------------------------------------- StatefulSet


def _statefulset_strategy(strategy: StatefulSetUpdateStrategy) -> None:
    # ref validation.go (ValidateStatefulSetSpec, validateRollingUpdateStatefulSet)
    field = "spec.updateStrategy"
    if strategy.type not in (ROLLING_UPDATE, ON_DELETE):
        raise _unsupported(f"{field}.type", strategy.type, (ON_DELETE, ROLLING_UPDATE))
    block = strategy.rolling_update
    if strategy.type == ON_DELETE and block is not None:
        raise InvalidSpec(
            f"{field}.rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'; remove rollingUpdate"
        )
    if block is None:
        return
    _non_negative(block.partition, f"{field}.rollingUpdate.partition")
    if block.max_unavailable is not None:
        mu_field = f"{field}.rollingUpdate.maxUnavailable"
        _positive_int_or_percent(block.max_unavailable, mu_field)
        if block.max_unavailable.value == 0:
            raise InvalidSpec(mu_field, "cannot be 0; use 1 or more (or a percent above 0%)")


def validate_statefulset(name: str, spec: StatefulSetSpec) -> None:
    """Raise `InvalidSpec` for the first thing the API server would reject in this StatefulSet."""
    # ref validation.go (ValidateStatefulSet, ValidateStatefulSetSpec)
    validate_name(name)
    if spec.pod_management_policy not in (ORDERED_READY, PARALLEL):
        raise _unsupported("spec.podManagementPolicy", spec.pod_management_policy, (ORDERED_READY, PARALLEL))
    _statefulset_strategy(spec.update_strategy)
    policy = spec.persistent_volume_claim_retention_policy
    for field, value in (("whenDeleted", policy.when_deleted), ("whenScaled", policy.when_scaled)):
        if value not in (RETAIN, DELETE):
            raise _unsupported(f"spec.persistentVolumeClaimRetentionPolicy.{field}", value, (DELETE, RETAIN))
    _non_negative(spec.replicas, "spec.replicas")
    _non_negative(spec.ordinals_start, "spec.ordinals.start")
    _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    _selector(spec.selector, spec.template)
    _template(spec.template)


_STS_MUTABLE = (
    "replicas",
    "ordinals_start",
    "template",
    "update_strategy",
    "revision_history_limit",
    "persistent_volume_claim_retention_policy",
    "min_ready_seconds",
)


def validate_statefulset_update(name: str, old: StatefulSetSpec, new: StatefulSetSpec) -> None:
    """The new spec must be valid and differ from the old one only in the mutable fields."""
    # ref validation.go (ValidateStatefulSetUpdate): everything else is forbidden
    validate_statefulset(name, new)
    if attrs.evolve(new, **{f: getattr(old, f) for f in _STS_MUTABLE}) != old:
        raise InvalidSpec(
            "spec",
            "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
            "'template', 'updateStrategy', 'revisionHistoryLimit', "
            "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden; "
            "delete and recreate the StatefulSet to change them",
        )


# ---------------------------------------------------------------- DaemonSet


def _daemonset_rolling_update(ru: DaemonSetRollingUpdate) -> None:
    # ref validation.go (ValidateRollingUpdateDaemonSet)
    field = "spec.updateStrategy.rollingUpdate"
    _positive_int_or_percent(ru.max_unavailable, f"{field}.maxUnavailable")
    _positive_int_or_percent(ru.max_surge, f"{field}.maxSurge")
    has_unavailable, has_surge = ru.max_unavailable.value != 0, ru.max_surge.value != 0
    if has_unavailable and has_surge:
        raise InvalidSpec(
            f"{field}.maxSurge",
            "may not be set when maxUnavailable is non-zero; set maxUnavailable to 0 to surge",
        )
    if not has_unavailable and not has_surge:
        raise InvalidSpec(
            f"{field}.maxUnavailable", "cannot be 0 when maxSurge is 0; set one of them above 0"
        )


def validate_daemonset(name: str, spec: DaemonSetSpec) -> None:
    """Raise `InvalidSpec` for the first thing the API server would reject in this DaemonSet."""
    # ref validation.go (ValidateDaemonSet, ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy)
    validate_name(name)
    _selector(spec.selector, spec.template)
    _template(spec.template)
    _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    _non_negative(spec.revision_history_limit, "spec.revisionHistoryLimit")
    strategy = spec.update_strategy
    if strategy.type == ON_DELETE:
        return
    if strategy.type != ROLLING_UPDATE:
        raise _unsupported("spec.updateStrategy.type", strategy.type, (ON_DELETE, ROLLING_UPDATE))
    if strategy.rolling_update is None:
        raise InvalidSpec(
            "spec.updateStrategy.rollingUpdate", "Required value: give maxUnavailable / maxSurge"
        )
    _daemonset_rolling_update(strategy.rolling_update)


def validate_daemonset_update(name: str, old: DaemonSetSpec, new: DaemonSetSpec) -> None:
    # ref validation.go (ValidateDaemonSetUpdate): the selector is immutable
    validate_daemonset(name, new)
    if new.selector != old.selector:
        raise InvalidSpec(
            "spec.selector", "field is immutable; delete and recreate the DaemonSet to change it"
        )

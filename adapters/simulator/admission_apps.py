"""What the API server defaults and rejects for apps/v1 DaemonSets (our own implementation).

ref: pkg/apis/apps/v1/defaults.go (SetDefaults_DaemonSet), pkg/apis/apps/validation/validation.go
(ValidateDaemonSet, ValidateDaemonSetSpec, ValidateDaemonSetUpdateStrategy, ValidateRollingUpdateDaemonSet),
pkg/apis/core/validation/validation.go (ValidateTolerations, ValidateNodeSelectorTerm)
"""

from __future__ import annotations

from kubeprops.scenario.errors import InvalidSpec

from . import admission as base
from .objects import Obj

TEMPLATE = "spec.template"
AFFINITY = f"{TEMPLATE}.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution"
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def default_daemonset(obj: Obj) -> None:
    spec = obj["spec"]
    spec.setdefault("minReadySeconds", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxUnavailable", 1)
        rolling.setdefault("maxSurge", 0)


def _tolerations(spec: Obj) -> None:
    for i, tol in enumerate(spec.get("tolerations") or ()):
        field = f"{TEMPLATE}.spec.tolerations[{i}]"
        operator = tol.get("operator", "Equal")
        if operator not in ("", "Equal", "Exists"):
            raise InvalidSpec(f"{field}.operator", f"Unsupported value: {operator!r}")
        if not tol.get("key") and operator != "Exists":
            raise InvalidSpec(f"{field}.operator", "operator must be Exists when `key` is empty")
        if operator == "Exists" and tol.get("value"):
            raise InvalidSpec(f"{field}.operator", "value must be empty when `operator` is 'Exists'")
        if tol.get("effect", "") not in ("", *EFFECTS):
            raise InvalidSpec(f"{field}.effect", f"Unsupported value: {tol['effect']!r}")


def _affinity(spec: Obj) -> None:
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if required is None:
        return
    terms = required.get("nodeSelectorTerms") or []
    if not terms:
        raise InvalidSpec(f"{AFFINITY}.nodeSelectorTerms", "must have at least one node selector term")
    for i, term in enumerate(terms):
        for j, req in enumerate(term.get("matchExpressions") or ()):
            _expression(req, f"{AFFINITY}.nodeSelectorTerms[{i}].matchExpressions[{j}]")
        for j, req in enumerate(term.get("matchFields") or ()):
            field = f"{AFFINITY}.nodeSelectorTerms[{i}].matchFields[{j}]"
            if req["key"] != "metadata.name":
                raise InvalidSpec(f"{field}.key", "not a valid field selector key: use metadata.name")
            if req["operator"] in ("In", "NotIn") and len(req.get("values") or ()) != 1:
                raise InvalidSpec(
                    f"{field}.values", "must be only one value when `operator` is 'In' or 'NotIn'"
                )


def _expression(req: Obj, field: str) -> None:
    operator, values = req["operator"], req.get("values") or []
    if operator in ("In", "NotIn") and not values:
        raise InvalidSpec(f"{field}.values", "must be specified when `operator` is 'In' or 'NotIn'")
    if operator in ("Exists", "DoesNotExist") and values:
        raise InvalidSpec(
            f"{field}.values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        )
    if operator in ("Gt", "Lt") and len(values) != 1:
        raise InvalidSpec(f"{field}.values", "must be specified single value when `operator` is 'Lt' or 'Gt'")
    if operator not in ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt"):
        raise InvalidSpec(f"{field}.operator", f"Unsupported value: {operator!r}")


def _int_or_percent(value: object, field: str) -> int:
    number, percent = base._int_or_percent(value, field)
    if percent and number > 100:
        raise InvalidSpec(field, f"Invalid value: '{number}%': must not be greater than 100%")
    return number


def _strategy(strategy: Obj) -> None:
    kind = strategy.get("type")
    if kind == "OnDelete":
        return
    if kind != "RollingUpdate":
        raise InvalidSpec(
            "spec.updateStrategy.type", f'Unsupported value: {kind!r}: "OnDelete", "RollingUpdate"'
        )
    field = "spec.updateStrategy.rollingUpdate"
    rolling = strategy.get("rollingUpdate")
    if rolling is None:
        raise InvalidSpec(field, "Required value")
    unavailable = _int_or_percent(rolling.get("maxUnavailable", 1), f"{field}.maxUnavailable")
    surge = _int_or_percent(rolling.get("maxSurge", 0), f"{field}.maxSurge")
    if unavailable and surge:
        raise InvalidSpec(f"{field}.maxSurge", "may not be set when maxUnavailable is non-zero")
    if not unavailable and not surge:
        raise InvalidSpec(f"{field}.maxUnavailable", "Required value: cannot be 0 when maxSurge is 0")


def validate_daemonset(obj: Obj, old: Obj | None = None) -> None:
    base.validate_name(obj["metadata"]["name"])
    spec = obj["spec"]
    selector = base.validate_selector(spec, "DaemonSet", old)
    template = spec.get("template") or {}
    base.validate_template(template, selector, TEMPLATE)
    _tolerations(template.get("spec") or {})
    _affinity(template.get("spec") or {})
    base._non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    base._non_negative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    _strategy(spec.get("updateStrategy") or {})

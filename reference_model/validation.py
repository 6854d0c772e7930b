"""What the API server rejects when a Deployment or ReplicaSet is created or updated (apps/v1).

Each check raises `InvalidSpec(field, message)` with the field path as the API names it and a message that
says what is wrong (in upstream's words where it has them) and how to fix it. Upstream collects every error;
we raise the first one in upstream's order (metadata, replicas, selector, template, strategy,
minReadySeconds, revisionHistoryLimit, progressDeadlineSeconds), which is the one `kubectl` lists first.

Not modelled: the pod spec (containers, restartPolicy, activeDeadlineSeconds: the scenario vocabulary cannot
express invalid ones), selector immutability on update, and int32 overflow (rejected while decoding).

refs kubernetes/kubernetes:pkg/apis/apps/validation/validation.go (ValidateDeployment, ValidateDeploymentSpec,
ValidateDeploymentStrategy, ValidateRollingUpdateDeployment, ValidatePositiveIntOrPercent,
IsNotMoreThan100Percent, ValidateReplicaSet, ValidateReplicaSetSpec, ValidatePodTemplateSpecForReplicaSet),
kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/api/validation (NameIsDNSSubdomain,
ValidateObjectMeta),
kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/util/validation/validation.go (IsDNS1123Subdomain,
IsQualifiedName, IsValidLabelValue, IsValidPercent).
"""

from __future__ import annotations

import re

from kubeprops.scenario.errors import InvalidSpec
from kubeprops.scenario.spec import (
    RECREATE,
    ROLLING_UPDATE,
    DeploymentSpec,
    DeploymentStrategy,
    IntOrPercent,
    Labels,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
)

DNS1123_SUBDOMAIN_MAX = 253
LABEL_MAX = 63
_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
_QUALIFIED_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
NON_NEGATIVE = "must be greater than or equal to 0"


# ---------------------------------------------------------------- names and labels


def validate_name(name: str) -> None:
    """metadata.name: a DNS-1123 subdomain of at most 253 characters."""
    # ref apimachinery api/validation (ValidateObjectMeta, NameIsDNSSubdomain)
    if not name:
        raise InvalidSpec("metadata.name", "name or generateName is required; give the object a name")
    if len(name) > DNS1123_SUBDOMAIN_MAX:
        raise InvalidSpec(
            "metadata.name", f"must be no more than 253 characters (got {len(name)}); shorten it"
        )
    if not _DNS1123_SUBDOMAIN.match(name):
        raise InvalidSpec(
            "metadata.name",
            f"{name!r}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, "
            "'-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com')",
        )


def _label_key_problem(key: str) -> str | None:
    prefix, _, name = key.rpartition("/")
    if "/" in key and (
        not prefix or len(prefix) > DNS1123_SUBDOMAIN_MAX or not _DNS1123_SUBDOMAIN.match(prefix)
    ):
        return f"key {key!r}: prefix part must be a lowercase DNS-1123 subdomain (e.g. 'example.com')"
    if len(name) > LABEL_MAX or not _QUALIFIED_NAME.match(name):
        return (
            f"key {key!r}: name part must be 1-63 alphanumeric characters, '-', '_' or '.', starting and "
            "ending with an alphanumeric character (e.g. 'app')"
        )
    return None


def _label_value_problem(key: str, value: str) -> str | None:
    if value and (len(value) > LABEL_MAX or not _QUALIFIED_NAME.match(value)):
        return (
            f"value {value!r} of {key!r}: a valid label must be an empty string or at most 63 alphanumeric "
            "characters, '-', '_' or '.', starting and ending with an alphanumeric character (e.g. 'v1')"
        )
    return None


def validate_labels(labels: Labels, field: str) -> None:
    # ref apimachinery meta/v1/validation (ValidateLabels)
    for key, value in labels:
        problem = _label_key_problem(key) or _label_value_problem(key, value)
        if problem:
            raise InvalidSpec(field, problem)


def _validate_selector_and_template(selector: Labels, template: PodTemplate, kind: str) -> None:
    # ref validation.go (ValidateDeploymentSpec, ValidateReplicaSetSpec,
    # ValidatePodTemplateSpecForReplicaSet)
    if not selector:
        # upstream says "deployment" for ReplicaSets too (the message is shared)
        raise InvalidSpec(
            "spec.selector",
            f"empty selector is invalid for deployment; give the {kind} "
            "spec.selector.matchLabels that the template labels carry",
        )
    validate_labels(selector, "spec.selector.matchLabels")
    if not set(selector) <= set(template.labels):
        missing = ", ".join(f"{k}={v}" for k, v in sorted(set(selector) - set(template.labels)))
        raise InvalidSpec(
            "spec.template.metadata.labels",
            f"`selector` does not match template `labels`; "
            f"add {missing} to the template labels or remove it from the selector",
        )
    validate_labels(template.labels, "spec.template.metadata.labels")


def _non_negative(value: int, field: str) -> None:
    # ref apimachinery api/validation (ValidateNonnegativeField)
    if value < 0:
        raise InvalidSpec(field, f"{NON_NEGATIVE} (got {value}); use 0 or a positive number")


# ---------------------------------------------------------------- ReplicaSet


def validate_replicaset(name: str, spec: ReplicaSetSpec) -> None:
    """Raise `InvalidSpec` for the first thing the API server would reject in this ReplicaSet."""
    # ref validation.go (ValidateReplicaSet, ValidateReplicaSetSpec)
    validate_name(name)
    _non_negative(spec.replicas, "spec.replicas")
    _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    _validate_selector_and_template(spec.selector, spec.template, "ReplicaSet")


# ---------------------------------------------------------------- Deployment


def _int_or_percent(v: IntOrPercent, field: str) -> None:
    # ref validation.go (ValidatePositiveIntOrPercent): a percent must match [0-9]+%, an int must be >= 0
    if v.percent and v.value < 0:
        raise InvalidSpec(
            field,
            f"'{v}': a valid percent string must be a numeric string followed by an "
            "ending '%' (e.g. '1%' or '93%'); use a value from 0% up",
        )
    if not v.percent:
        _non_negative(v.value, field)


def _validate_rolling_update(ru: RollingUpdate) -> None:
    # ref validation.go (ValidateRollingUpdateDeployment): order as upstream
    unavailable_field = "spec.strategy.rollingUpdate.maxUnavailable"
    _int_or_percent(ru.max_unavailable, unavailable_field)
    _int_or_percent(ru.max_surge, "spec.strategy.rollingUpdate.maxSurge")
    if ru.max_unavailable.value == 0 and ru.max_surge.value == 0:
        raise InvalidSpec(
            unavailable_field,
            "may not be 0 when `maxSurge` is 0; set maxSurge or "
            "maxUnavailable above 0 so the rollout can make progress",
        )
    if ru.max_unavailable.percent and ru.max_unavailable.value > 100:
        raise InvalidSpec(
            unavailable_field,
            f"must not be greater than 100% (got {ru.max_unavailable}); "
            "use at most 100% (maxSurge may exceed 100%, maxUnavailable may not)",
        )


def _validate_strategy(strategy: DeploymentStrategy) -> None:
    # ref validation.go (ValidateDeploymentStrategy)
    if strategy.type == RECREATE:
        if strategy.rolling_update is not None:
            raise InvalidSpec(
                "spec.strategy.rollingUpdate",
                "may not be specified when strategy `type` is "
                "'Recreate'; remove rollingUpdate or use type RollingUpdate",
            )
    elif strategy.type == ROLLING_UPDATE:
        if strategy.rolling_update is None:
            raise InvalidSpec(
                "spec.strategy.rollingUpdate",
                "Required value: this should be defaulted and never be nil; give maxSurge and maxUnavailable",
            )
        _validate_rolling_update(strategy.rolling_update)
    else:
        raise InvalidSpec(
            "spec.strategy",
            f'Unsupported value: "{strategy.type}": supported values: "Recreate", "RollingUpdate"',
        )


def validate_deployment(name: str, spec: DeploymentSpec) -> None:
    """Raise `InvalidSpec` for the first thing the API server would reject in this Deployment.

    The name only has to be a DNS-1123 subdomain (upstream ValidateDeploymentName); upstream does not reserve
    room for the `-<hash>` suffix of its ReplicaSets, so a name of 243+ characters is accepted and then its
    ReplicaSet creation fails.
    """
    # ref validation.go (ValidateDeployment, ValidateDeploymentSpec)
    validate_name(name)
    _non_negative(spec.replicas, "spec.replicas")
    _validate_selector_and_template(spec.selector, spec.template, "Deployment")
    _validate_strategy(spec.strategy)
    _non_negative(spec.min_ready_seconds, "spec.minReadySeconds")
    _non_negative(spec.revision_history_limit, "spec.revisionHistoryLimit")
    _non_negative(spec.progress_deadline_seconds, "spec.progressDeadlineSeconds")
    if spec.progress_deadline_seconds <= spec.min_ready_seconds:
        raise InvalidSpec(
            "spec.progressDeadlineSeconds",
            f"must be greater than minReadySeconds ({spec.progress_deadline_seconds} <= "
            f"{spec.min_ready_seconds}); raise progressDeadlineSeconds or lower minReadySeconds",
        )

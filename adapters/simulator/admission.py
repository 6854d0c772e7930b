"""What the API server defaults and rejects for apps/v1 Deployments and ReplicaSets.

Our own small implementation (not the reference model's): the first violation raises
`InvalidSpec(field, message)` with the API field path, like the 422 `kubectl` prints.
Not modelled: label-key prefixes beyond the basic syntax, container fields other than `image`.
ref: pkg/apis/apps/validation/validation.go (ValidateDeploymentSpec, ValidateReplicaSetSpec,
ValidateRollingUpdateDeployment), pkg/apis/apps/v1/defaults.go (SetDefaults_Deployment)
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kubeprops.scenario.errors import InvalidSpec

from .objects import Obj

DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
PERCENT = re.compile(r"^(\d+)%$")


def default_deployment(obj: Obj) -> None:
    spec = obj["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("minReadySeconds", 0)
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("progressDeadlineSeconds", 600)
    strategy = spec.setdefault("strategy", {})
    strategy.setdefault("type", "RollingUpdate")
    if strategy["type"] == "RollingUpdate":
        rolling = strategy.setdefault("rollingUpdate", {})
        rolling.setdefault("maxSurge", "25%")
        rolling.setdefault("maxUnavailable", "25%")


def default_replicaset(obj: Obj) -> None:
    obj["spec"].setdefault("replicas", 1)
    obj["spec"].setdefault("minReadySeconds", 0)


def _fail(field: str, message: str) -> None:
    raise InvalidSpec(field, message)


def validate_name(name: str, field: str = "metadata.name") -> None:
    if not name or len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        _fail(
            field,
            f"Invalid value: {name!r}: a lowercase RFC 1123 subdomain must consist of lower case "
            "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
        )


def validate_labels(items: Mapping[str, str], field: str) -> None:
    for key, value in items.items():
        prefix, _, name = key.rpartition("/")
        if (prefix and not DNS1123_SUBDOMAIN.match(prefix)) or len(name) > 63 or not LABEL_NAME.match(name):
            _fail(
                field,
                f"Invalid value: {key!r}: name part must consist of alphanumeric characters, '-', "
                "'_' or '.', and must start and end with an alphanumeric character",
            )
        if len(value) > 63 or not LABEL_VALUE.match(value):
            _fail(
                field,
                f"Invalid value: {value!r}: a valid label must be an empty string or consist of "
                "alphanumeric characters, '-', '_' or '.', and must start and end with one",
            )


def _non_negative(value: object, field: str) -> None:
    if not isinstance(value, int) or value < 0:
        _fail(field, f"Invalid value: {value!r}: must be greater than or equal to 0")


def validate_template(template: Obj, selector: Mapping[str, str], field: str) -> None:
    tmpl_labels = (template.get("metadata") or {}).get("labels") or {}
    validate_labels(tmpl_labels, f"{field}.metadata.labels")
    if not all(tmpl_labels.get(k) == v for k, v in selector.items()):
        _fail(
            f"{field}.metadata.labels",
            f"Invalid value: {tmpl_labels!r}: `selector` does not match template `labels`",
        )
    spec = template.get("spec") or {}
    containers = spec.get("containers") or []
    if not containers:
        _fail(f"{field}.spec.containers", "Required value")
    if not containers[0].get("image"):
        _fail(f"{field}.spec.containers[0].image", "Required value")
    if spec.get("restartPolicy", "Always") != "Always":
        _fail(f"{field}.spec.restartPolicy", 'Unsupported value: only "Always" is supported')
    validate_labels(spec.get("nodeSelector") or {}, f"{field}.spec.nodeSelector")


def validate_selector(spec: Obj, kind: str, old: Obj | None) -> Mapping[str, str]:
    selector = (spec.get("selector") or {}).get("matchLabels") or {}
    if not selector:
        _fail("spec.selector", f"Invalid value: {{}}: empty selector is invalid for {kind.lower()}")
    validate_labels(selector, "spec.selector.matchLabels")
    if old is not None and (old["spec"].get("selector") or {}) != spec.get("selector"):
        _fail("spec.selector", "Invalid value: field is immutable")
    return selector


def _int_or_percent(value: object, field: str) -> tuple[int, bool]:
    if isinstance(value, bool):
        _fail(field, f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')")
    if isinstance(value, int):
        _non_negative(value, field)
        return value, False
    match = PERCENT.match(value) if isinstance(value, str) else None
    if match is None:
        _fail(field, f"Invalid value: {value!r}: must be an integer or percentage (e.g '5%')")
    return int(match.group(1)), True


def validate_strategy(strategy: Obj) -> None:
    kind = strategy.get("type")
    rolling = strategy.get("rollingUpdate")
    if kind not in ("RollingUpdate", "Recreate"):
        _fail(
            "spec.strategy.type",
            f'Unsupported value: {kind!r}: supported values: "Recreate", "RollingUpdate"',
        )
    if kind == "Recreate":
        if rolling is not None:
            _fail(
                "spec.strategy.rollingUpdate",
                "Forbidden: may not be specified when strategy `type` is 'Recreate'",
            )
        return
    field = "spec.strategy.rollingUpdate"
    surge, _ = _int_or_percent(rolling.get("maxSurge"), f"{field}.maxSurge")
    unavailable, percent = _int_or_percent(rolling.get("maxUnavailable"), f"{field}.maxUnavailable")
    if percent and unavailable > 100:
        _fail(f"{field}.maxUnavailable", f"Invalid value: '{unavailable}%': must not be greater than 100%")
    if surge == 0 and unavailable == 0:
        _fail(f"{field}.maxUnavailable", "Invalid value: 0: may not be 0 when `maxSurge` is 0")


def validate_replicaset(obj: Obj, old: Obj | None = None) -> None:
    # ref: pkg/apis/apps/validation/validation.go (ValidateReplicaSet, ValidateReplicaSetSpec)
    validate_name(obj["metadata"]["name"])
    spec = obj["spec"]
    _non_negative(spec.get("replicas"), "spec.replicas")
    _non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    selector = validate_selector(spec, "ReplicaSet", old)
    validate_template(spec.get("template") or {}, selector, "spec.template")


def validate_deployment(obj: Obj, old: Obj | None = None) -> None:
    # ref: pkg/apis/apps/validation/validation.go (ValidateDeployment, ValidateDeploymentSpec)
    validate_name(obj["metadata"]["name"])
    spec = obj["spec"]
    _non_negative(spec.get("replicas"), "spec.replicas")
    selector = validate_selector(spec, "Deployment", old)
    validate_template(spec.get("template") or {}, selector, "spec.template")
    validate_strategy(spec.get("strategy") or {})
    _non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    _non_negative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    _non_negative(deadline, "spec.progressDeadlineSeconds")
    if deadline <= spec["minReadySeconds"]:
        _fail(
            "spec.progressDeadlineSeconds", f"Invalid value: {deadline}: must be greater than minReadySeconds"
        )


NOT_READY_TAINT, UNREACHABLE_TAINT = "node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"
DEFAULT_TOLERATION_SECONDS = 300


def default_toleration_seconds(obj: Obj) -> None:
    """The DefaultTolerationSeconds admission plugin (on by default): a pod that does not tolerate the
    not-ready / unreachable NoExecute taints gets 300 s tolerations of each, so the taint eviction
    controller deletes it 300 s after its node stops being Ready, not at once. Daemon pods already
    tolerate both forever (their controller adds that), so they get nothing.
    ref: plugin/pkg/admission/defaulttolerationseconds/admission.go (Admit)"""
    tolerations = obj["spec"].setdefault("tolerations", [])
    for key in (NOT_READY_TAINT, UNREACHABLE_TAINT):
        if not any(
            t.get("key", "") in (key, "") and t.get("effect", "") in ("NoExecute", "") for t in tolerations
        ):
            tolerations.append(
                {
                    "key": key,
                    "operator": "Exists",
                    "effect": "NoExecute",
                    "tolerationSeconds": DEFAULT_TOLERATION_SECONDS,
                }
            )


DEFAULTERS = {
    "Deployment": default_deployment,
    "ReplicaSet": default_replicaset,
    "Pod": default_toleration_seconds,
}


def validate_pod(obj: Obj, old: Obj | None = None) -> None:
    """Name and labels: the harness writes bare pods and relabels pods (controllers' pods pass anyway).
    ref: pkg/apis/core/validation/validation.go (ValidatePodCreate, ValidatePodUpdate: ValidateObjectMeta)"""
    validate_name(obj["metadata"].get("name", ""))
    validate_labels(obj["metadata"].get("labels") or {}, "metadata.labels")


VALIDATORS = {"Deployment": validate_deployment, "ReplicaSet": validate_replicaset, "Pod": validate_pod}

# The apps kinds' admission lives in its own module, which builds on the helpers above.
from .admission_apps import default_daemonset, validate_daemonset  # noqa: E402

DEFAULTERS["DaemonSet"] = default_daemonset
VALIDATORS["DaemonSet"] = validate_daemonset

# batch/v1 Jobs: their own module too.
from .admission_batch import default_job, validate_job  # noqa: E402

DEFAULTERS["Job"] = default_job
VALIDATORS["Job"] = validate_job

# apps/v1 StatefulSets: their own module as well.
from .admission_statefulset import (  # noqa: E402
    default_statefulset,
    validate_statefulset,
    validate_statefulset_status,
)

DEFAULTERS["StatefulSet"] = default_statefulset
VALIDATORS["StatefulSet"] = validate_statefulset
# status subresource writes are validated too (only the StatefulSet's so far)
STATUS_VALIDATORS = {"StatefulSet": validate_statefulset_status}
# batch/v1 CronJobs: their own module as well.
from .admission_cronjob import default_cronjob, validate_cronjob  # noqa: E402

DEFAULTERS["CronJob"] = default_cronjob
VALIDATORS["CronJob"] = validate_cronjob

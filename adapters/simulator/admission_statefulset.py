"""What the API server defaults and rejects for apps/v1 StatefulSets (our own implementation, v1.35).

Defaults: a RollingUpdate strategy with a rollingUpdate block gets partition 0; a RollingUpdate strategy
*without* the block keeps it absent. MaxUnavailableStatefulSet is beta but off by default in 1.35, so
`maxUnavailable` is neither defaulted nor validated: it is dropped before validation, on create and update.
ref: pkg/apis/apps/v1/defaults.go (SetDefaults_StatefulSet), pkg/features/kube_features.go
(MaxUnavailableStatefulSet: beta in 1.35, default off), pkg/registry/apps/statefulset/strategy.go
(dropStatefulSetDisabledFields), pkg/apis/apps/validation/validation.go
(ValidateStatefulSet, ValidateStatefulSetSpec, validateRollingUpdateStatefulSet,
ValidatePersistentVolumeClaimRetentionPolicy, ValidateStatefulSetUpdate)
"""

from __future__ import annotations

from kubeprops.scenario.errors import InvalidSpec

from . import admission as base
from .admission_apps import TEMPLATE, _affinity, _tolerations
from .objects import Obj

STRATEGY = "spec.updateStrategy"
POLICIES = ("OrderedReady", "Parallel")
RETENTION = ("Delete", "Retain")
# ref validation.go (ValidateStatefulSetUpdate): the fields an update may change
MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "revisionHistoryLimit",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


def default_statefulset(obj: Obj) -> None:
    spec = obj["spec"]
    spec.setdefault("replicas", 1)
    spec.setdefault("podManagementPolicy", "OrderedReady")
    spec.setdefault("revisionHistoryLimit", 10)
    spec.setdefault("minReadySeconds", 0)
    spec.setdefault("serviceName", "")
    spec.setdefault("volumeClaimTemplates", [])
    policy = spec.setdefault("persistentVolumeClaimRetentionPolicy", {})
    policy.setdefault("whenDeleted", "Retain")
    policy.setdefault("whenScaled", "Retain")
    strategy = spec.setdefault("updateStrategy", {})
    strategy.setdefault("type", "RollingUpdate")
    rolling = strategy.get("rollingUpdate")
    if strategy["type"] == "RollingUpdate" and rolling is not None:
        rolling.setdefault("partition", 0)
    if rolling is not None:
        rolling.pop("maxUnavailable", None)  # the gate is off: dropped, whatever its value


def _unsupported(field: str, value: object, supported: tuple[str, ...]) -> None:
    listed = ", ".join(f'"{s}"' for s in supported)
    raise InvalidSpec(field, f'Unsupported value: "{value}": supported values: {listed}')


def _strategy(strategy: Obj) -> None:
    kind = strategy.get("type")
    if kind not in ("RollingUpdate", "OnDelete"):
        _unsupported(f"{STRATEGY}.type", kind, ("OnDelete", "RollingUpdate"))
    rolling = strategy.get("rollingUpdate")
    if rolling is None:
        return
    if kind == "OnDelete":
        raise InvalidSpec(f"{STRATEGY}.rollingUpdate", "only allowed for updateStrategy 'RollingUpdate'")
    base._non_negative(rolling.get("partition", 0), f"{STRATEGY}.rollingUpdate.partition")


def _retention(policy: Obj) -> None:
    for key in ("whenDeleted", "whenScaled"):
        if policy.get(key) not in RETENTION:
            _unsupported(f"spec.persistentVolumeClaimRetentionPolicy.{key}", policy.get(key), RETENTION)


def validate_statefulset(obj: Obj, old: Obj | None = None) -> None:
    base.validate_name(obj["metadata"]["name"])
    spec = obj["spec"]
    if spec.get("podManagementPolicy") not in POLICIES:
        _unsupported("spec.podManagementPolicy", spec.get("podManagementPolicy"), POLICIES)
    _strategy(spec.get("updateStrategy") or {})
    _retention(spec.get("persistentVolumeClaimRetentionPolicy") or {})
    base._non_negative(spec.get("replicas"), "spec.replicas")
    base._non_negative((spec.get("ordinals") or {}).get("start", 0), "spec.ordinals.start")
    base._non_negative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    selector = base.validate_selector(spec, "StatefulSet", None)
    template = spec.get("template") or {}
    base.validate_template(template, selector, TEMPLATE)
    _tolerations(template.get("spec") or {})
    _affinity(template.get("spec") or {})
    if old is not None and _frozen(spec) != _frozen(old["spec"]):
        raise InvalidSpec(
            "spec",
            "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', "
            "'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' "
            "and 'minReadySeconds' are forbidden",
        )


def validate_statefulset_status(obj: Obj) -> None:
    """Every count non-negative: a controller writing currentReplicas -1 (it decrements once per update
    deletion, whatever the deleted pod's revision) is rejected and retries on its next sync."""
    # ref validation.go (ValidateStatefulSetStatus): ValidateNonnegativeField on each count
    status = obj.get("status") or {}
    for key in ("replicas", "readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"):
        base._non_negative(status.get(key, 0), f"status.{key}")


def _frozen(spec: Obj) -> Obj:
    return {k: v for k, v in spec.items() if k not in MUTABLE}

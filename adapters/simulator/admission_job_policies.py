"""What the API server rejects in a Job's podFailurePolicy, successPolicy and backoffLimitPerIndex /
maxFailedIndexes (the simulator's own checks; the first violation raises `InvalidSpec(field, message)`).

Not checked: the limits on list lengths (20 rules, 255 exit codes, 20 success rules, 64 KiB of
succeededIndexes) and completions above 10^5 with backoffLimitPerIndex: scenarios stay far below them.
ref: pkg/apis/batch/validation/validation.go (validateJobSpec, validatePodFailurePolicy,
validatePodFailurePolicyRule, validatePodFailurePolicyRuleOnExitCodes,
validatePodFailurePolicyRuleOnPodConditions, validatePodReplacementPolicy, validateSuccessPolicy,
validateSuccessPolicyRule, validateIndexesFormat)
"""

from __future__ import annotations

from kubeprops.scenario.errors import InvalidSpec

from .objects import Obj

ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
POLICY_FIELDS = ("podFailurePolicy", "successPolicy", "backoffLimitPerIndex", "maxFailedIndexes")


def default_policies(spec: Obj) -> None:
    """SetDefaults_Job: backoffLimit MaxInt32 with backoffLimitPerIndex; podReplacementPolicy Failed with a
    podFailurePolicy (ref pkg/apis/batch/v1/defaults.go)."""
    if spec.get("backoffLimit") is None:
        spec["backoffLimit"] = 2**31 - 1 if spec.get("backoffLimitPerIndex") is not None else 6
    if spec.get("podReplacementPolicy") is None and spec.get("podFailurePolicy") is not None:
        spec["podReplacementPolicy"] = "Failed"
    for rule in (spec.get("podFailurePolicy") or {}).get("rules") or ():
        for pattern in rule.get("onPodConditions") or ():
            pattern.setdefault("status", "True")  # SetDefaults_PodFailurePolicyOnPodConditionsPattern


def validate_policies(spec: Obj) -> None:
    validate_per_index(spec)
    if spec.get("podFailurePolicy") is not None:
        validate_pod_failure_policy(spec)
    if spec.get("successPolicy") is not None:
        if spec.get("completionMode") != "Indexed":
            raise InvalidSpec("spec.successPolicy", "requires indexed completion mode")
        validate_success_policy(spec)


def validate_per_index(spec: Obj) -> None:
    per_index, max_failed = spec.get("backoffLimitPerIndex"), spec.get("maxFailedIndexes")
    for field, value in (("backoffLimitPerIndex", per_index), ("maxFailedIndexes", max_failed)):
        if value is not None and value < 0:
            raise InvalidSpec(f"spec.{field}", f"must be greater than or equal to 0 (got {value})")
    if max_failed is not None and per_index is None:
        raise InvalidSpec("spec.backoffLimitPerIndex", "Required value: when maxFailedIndexes is specified")
    indexed = spec.get("completionMode") == "Indexed"
    for field, value in (("backoffLimitPerIndex", per_index), ("maxFailedIndexes", max_failed)):
        if value is not None and not indexed:
            raise InvalidSpec(f"spec.{field}", f"Invalid value: {value}: requires indexed completion mode")
    completions = spec.get("completions")
    if max_failed is not None and completions is not None and max_failed > completions:
        raise InvalidSpec("spec.maxFailedIndexes", "must be less than or equal to completions")


def validate_pod_failure_policy(spec: Obj) -> None:
    template = (spec.get("template") or {}).get("spec") or {}
    names = {c.get("name") for c in (*template.get("containers", ()), *template.get("initContainers", ()))}
    for i, rule in enumerate((spec["podFailurePolicy"] or {}).get("rules") or ()):
        validate_rule(spec, rule, f"spec.podFailurePolicy.rules[{i}]", names)
    if spec.get("podReplacementPolicy") != "Failed":
        # validatePodReplacementPolicy: with a podFailurePolicy only Failed is supported
        raise InvalidSpec("spec.podReplacementPolicy", 'Unsupported value: supported values: "Failed"')
    if template.get("restartPolicy") != "Never":
        raise InvalidSpec(
            "spec.template.spec.restartPolicy", 'only "Never" is supported when podFailurePolicy is specified'
        )


def validate_rule(spec: Obj, rule: Obj, path: str, names: set[str | None]) -> None:
    action = rule.get("action")
    if not action:
        raise InvalidSpec(f"{path}.action", f"Required value: valid values: {list(ACTIONS)}")
    if action == "FailIndex" and spec.get("backoffLimitPerIndex") is None:
        raise InvalidSpec(f"{path}.action", "requires the backoffLimitPerIndex to be set")
    if action not in ACTIONS:
        raise InvalidSpec(f"{path}.action", f"Unsupported value: {action!r}")
    codes, conditions = rule.get("onExitCodes"), rule.get("onPodConditions") or ()
    if codes is not None:
        validate_exit_codes(codes, f"{path}.onExitCodes", names)
    for j, pattern in enumerate(conditions):
        if pattern.get("status") not in ("True", "False", "Unknown"):
            raise InvalidSpec(
                f"{path}.onPodConditions[{j}].status", "Unsupported value: use True, False, Unknown"
            )
    if codes is not None and conditions:
        raise InvalidSpec(path, "specifying both OnExitCodes and OnPodConditions is not supported")
    if codes is None and not conditions:
        raise InvalidSpec(path, "specifying one of OnExitCodes and OnPodConditions is required")


def validate_exit_codes(codes: Obj, path: str, names: set[str | None]) -> None:
    operator, values = codes.get("operator"), list(codes.get("values") or ())
    if operator not in ("In", "NotIn"):
        raise InvalidSpec(f"{path}.operator", f"Unsupported value: {operator!r}: use In or NotIn")
    name = codes.get("containerName")
    if name is not None and name not in names:
        raise InvalidSpec(f"{path}.containerName", "must be one of the container or initContainer names")
    if not values:
        raise InvalidSpec(f"{path}.values", "at least one value is required")
    for j, value in enumerate(values):
        if operator == "In" and value == 0:
            raise InvalidSpec(f"{path}.values[{j}]", "must not be 0 for the In operator")
        if value in values[:j]:
            raise InvalidSpec(f"{path}.values[{j}]", f"Duplicate value: {value}")
    if values != sorted(values):
        raise InvalidSpec(f"{path}.values", "must be ordered")


def validate_success_policy(spec: Obj) -> None:
    rules = (spec["successPolicy"] or {}).get("rules") or ()
    if not rules:
        raise InvalidSpec("spec.successPolicy.rules", "Required value: at least one rules must be specified")
    completions = spec.get("completions") or 0
    for i, rule in enumerate(rules):
        validate_success_rule(rule, f"spec.successPolicy.rules[{i}]", completions)


def validate_success_rule(rule: Obj, path: str, completions: int) -> None:
    text, count = rule.get("succeededIndexes"), rule.get("succeededCount")
    if text is None and count is None:
        raise InvalidSpec(path, "at least one of succeededCount or succeededIndexes must be specified")
    total = 0
    if text is not None:
        total, error = indexes_total(text, completions)
        if error:
            raise InvalidSpec(f"{path}.succeededIndexes", f"error parsing succeededIndexes: {error}")
    if count is None:
        return
    if count < 0:
        raise InvalidSpec(f"{path}.succeededCount", f"must be greater than or equal to 0 (got {count})")
    if count > completions:
        raise InvalidSpec(f"{path}.succeededCount", f"must be less than or equal to {completions}")
    if text is not None and count > total:
        raise InvalidSpec(f"{path}.succeededCount", f"must be less than or equal to {total}")


def indexes_total(text: str, completions: int) -> tuple[int, str]:
    """validateIndexesFormat: comma-separated `n` or `a-b`, ascending, non-overlapping, below
    completions; returns (number of indexes, error or "")."""
    total, previous = 0, -1
    for part in text.split(",") if text else ():
        bounds = part.split("-")
        if len(bounds) > 2 or not all(b.isdigit() for b in bounds):
            return 0, f"cannot parse {part!r}"
        low, high = int(bounds[0]), int(bounds[-1])
        if high >= completions:
            return 0, f"too large index: {high}"
        if len(bounds) == 2 and low >= high:
            return 0, f"non-increasing order of the interval {part!r}"
        if low <= previous:
            return 0, f"non-increasing order, previous: {previous}, current: {low}"
        total, previous = total + high - low + 1, high
    return total, ""

"""What the API server rejects when a Job or CronJob is created (batch/v1).

Each check raises `InvalidSpec(field, message)` naming the field and the fix; upstream collects every error,
we raise the first in upstream's order. Not modelled: the pod template beyond restartPolicy, immutability
on update, managedBy's format, and the 64 KiB limit of succeededIndexes.

refs kubernetes/kubernetes:pkg/apis/batch/validation/validation.go (validateJobSpec, validatePodFailurePolicy,
validatePodFailurePolicyRuleOnExitCodes, validateSuccessPolicy, validatePodReplacementPolicy,
ValidateCronJobCreate, validateCronJobSpec, validateScheduleFormat, validateTimeZone)
"""

from __future__ import annotations

import re

from kubeprops.scenario.batch import (
    ALLOW,
    COUNT,
    FAIL_INDEX,
    FAIL_JOB,
    FAILED,
    FORBID,
    IGNORE,
    IN,
    INDEXED,
    NEVER,
    NON_INDEXED,
    NOT_IN,
    ON_FAILURE,
    REPLACE,
    TERMINATING_OR_FAILED,
    CronJobSpec,
    JobSpec,
    PodFailurePolicyRule,
    zone_exists,
)
from kubeprops.scenario.errors import InvalidSpec

from . import cron_schedule as cron

NON_NEGATIVE = "must be greater than or equal to 0"
MAX_PARALLELISM_FOR_INDEXED = 100_000  # ref validation.go (maxParallelismForIndexedJob)
MAX_RULES = 20  # ref validation.go (maxPodFailurePolicyRules, maxSuccessPolicyRules)
CRONJOB_NAME_MAX = 52  # 63 - 11 characters of the "-<minutes>" suffix
_TZ_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def _non_negative(value: int | None, field: str) -> None:
    if value is not None and value < 0:
        raise InvalidSpec(field, f"{NON_NEGATIVE} (got {value}); use 0 or a positive number")


def _pod_failure_rule(rule: PodFailurePolicyRule, field: str) -> None:
    # ref validation.go (validatePodFailurePolicyRule, validatePodFailurePolicyRuleOnExitCodes)
    if rule.action not in (FAIL_JOB, FAIL_INDEX, IGNORE, COUNT):
        raise InvalidSpec(
            f"{field}.action", f"Unsupported value: {rule.action!r}: use FailJob, FailIndex, Ignore or Count"
        )
    codes = rule.on_exit_codes
    if (codes is None) == (not rule.on_pod_conditions):
        raise InvalidSpec(field, "specifying one of onExitCodes and onPodConditions is required")
    if codes is None:
        return
    if codes.operator not in (IN, NOT_IN):
        raise InvalidSpec(
            f"{field}.onExitCodes.operator", f"Unsupported value: {codes.operator!r}: use In or NotIn"
        )
    values = list(codes.values)
    if not values or len(values) > 255 or values != sorted(set(values)):
        raise InvalidSpec(f"{field}.onExitCodes.values", "must be 1-255 unique values in ascending order")
    if codes.operator == IN and 0 in values:
        raise InvalidSpec(
            f"{field}.onExitCodes.values", "must not be 0 for the In operator; exit code 0 is success"
        )


def _indexed(spec: JobSpec) -> None:
    if spec.completions is None:
        raise InvalidSpec(
            "spec.completions", "when completion mode is Indexed: Required value; set completions"
        )
    if spec.parallelism is not None and spec.parallelism > MAX_PARALLELISM_FOR_INDEXED:
        raise InvalidSpec(
            "spec.parallelism", "must be less than or equal to 100000 when completion mode is Indexed"
        )
    if spec.max_failed_indexes is not None:
        if spec.backoff_limit_per_index is None:
            raise InvalidSpec("spec.maxFailedIndexes", "requires backoffLimitPerIndex; set both or neither")
        if spec.max_failed_indexes > spec.completions:
            raise InvalidSpec("spec.maxFailedIndexes", "must be less than or equal to completions")


def validate_job_spec(spec: JobSpec, prefix: str = "spec") -> None:
    """validateJobSpec, field by field in upstream's order."""
    # ref validation.go (validateJobSpec)
    _non_negative(spec.parallelism, f"{prefix}.parallelism")
    _non_negative(spec.completions, f"{prefix}.completions")
    _non_negative(spec.active_deadline_seconds, f"{prefix}.activeDeadlineSeconds")
    _non_negative(spec.backoff_limit, f"{prefix}.backoffLimit")
    _non_negative(spec.ttl_seconds_after_finished, f"{prefix}.ttlSecondsAfterFinished")
    _non_negative(spec.backoff_limit_per_index, f"{prefix}.backoffLimitPerIndex")
    _non_negative(spec.max_failed_indexes, f"{prefix}.maxFailedIndexes")
    if spec.completion_mode not in (NON_INDEXED, INDEXED):
        raise InvalidSpec(
            f"{prefix}.completionMode",
            f"Unsupported value: {spec.completion_mode!r}: use NonIndexed or Indexed",
        )
    if spec.indexed:
        _indexed(spec)
    elif spec.backoff_limit_per_index is not None:
        raise InvalidSpec(
            f"{prefix}.backoffLimitPerIndex", "requires indexed completion mode; set completionMode: Indexed"
        )
    if spec.success_policy is not None:
        if not spec.indexed:
            raise InvalidSpec(
                f"{prefix}.successPolicy", "requires indexed completion mode; set completionMode: Indexed"
            )
        if not 1 <= len(spec.success_policy) <= MAX_RULES:
            raise InvalidSpec(f"{prefix}.successPolicy.rules", "must have between 1 and 20 rules")
        for i, rule in enumerate(spec.success_policy):
            if rule.succeeded_indexes is None and rule.succeeded_count is None:
                raise InvalidSpec(
                    f"{prefix}.successPolicy.rules[{i}]",
                    "at least one of succeededCount or succeededIndexes must be specified",
                )
    if spec.pod_failure_policy is not None:
        if spec.restart_policy != NEVER:
            raise InvalidSpec(
                f"{prefix}.podFailurePolicy",
                "only allowed when restartPolicy is Never; set template.spec.restartPolicy: Never",
            )
        if len(spec.pod_failure_policy) > MAX_RULES:
            raise InvalidSpec(f"{prefix}.podFailurePolicy.rules", "must have at most 20 rules")
        for i, rule in enumerate(spec.pod_failure_policy):
            _pod_failure_rule(rule, f"{prefix}.podFailurePolicy.rules[{i}]")
    if spec.pod_replacement_policy not in (TERMINATING_OR_FAILED, FAILED):
        raise InvalidSpec(
            f"{prefix}.podReplacementPolicy", "Unsupported value: use TerminatingOrFailed or Failed"
        )
    if spec.pod_failure_policy is not None and spec.pod_replacement_policy != FAILED:
        raise InvalidSpec(
            f"{prefix}.podReplacementPolicy", "must be Failed when podFailurePolicy is specified"
        )
    if spec.restart_policy not in (NEVER, ON_FAILURE):
        raise InvalidSpec(
            f"{prefix}.template.spec.restartPolicy",
            f"Unsupported value: {spec.restart_policy!r}: use OnFailure or Never",
        )


def validate_time_zone(time_zone: str | None) -> None:
    # ref validation.go (validateTimeZone)
    if time_zone is None:
        return
    if not time_zone:
        raise InvalidSpec("spec.timeZone", "timeZone must be nil or non-empty string")
    for part in time_zone.split("/"):
        if part in (".", "..") or part.startswith("-") or not _TZ_PART.match(part):
            raise InvalidSpec(
                "spec.timeZone", f"unknown time zone {time_zone}; use an IANA name like Europe/Paris"
            )
    if time_zone.lower() == "local":
        raise InvalidSpec(
            "spec.timeZone",
            "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones",
        )
    if not zone_exists(time_zone):
        raise InvalidSpec(
            "spec.timeZone", f"unknown time zone {time_zone}; use an IANA name like Europe/Paris"
        )


def validate_schedule(schedule: str) -> None:
    """ParseStandard must accept it, and (on create, since v1.29) it must not contain TZ."""
    # ref validation.go (validateScheduleFormat)
    if not schedule:
        raise InvalidSpec("spec.schedule", "Required value; give a cron schedule like '*/5 * * * *'")
    try:
        cron.parse(schedule)
    except cron.ScheduleError as err:
        raise InvalidSpec("spec.schedule", f"Invalid value: {schedule!r}: {err}") from None
    if "TZ" in schedule:
        raise InvalidSpec("spec.schedule", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")


def validate_cronjob(name: str, spec: CronJobSpec) -> None:
    """ValidateCronJobCreate: the name length, then the spec."""
    # ref validation.go (ValidateCronJobCreate, validateCronJobSpec)
    if len(name) > CRONJOB_NAME_MAX:
        raise InvalidSpec(
            "metadata.name", f"must be no more than 52 characters (got {len(name)}); shorten it"
        )
    validate_schedule(spec.schedule)
    validate_time_zone(spec.time_zone)
    _non_negative(spec.starting_deadline_seconds, "spec.startingDeadlineSeconds")
    if spec.concurrency_policy not in (ALLOW, FORBID, REPLACE):
        raise InvalidSpec(
            "spec.concurrencyPolicy",
            f"Unsupported value: {spec.concurrency_policy!r}: use Allow, Forbid or Replace",
        )
    _non_negative(spec.successful_jobs_history_limit, "spec.successfulJobsHistoryLimit")
    _non_negative(spec.failed_jobs_history_limit, "spec.failedJobsHistoryLimit")
    validate_job_spec(spec.job_template, "spec.jobTemplate.spec")

"""podFailurePolicy and successPolicy matching (fact sheet 5.7).

refs kubernetes/kubernetes:pkg/controller/job/pod_failure_policy.go (matchPodFailurePolicy, matchOnExitCodes,
matchOnPodConditions), kubernetes/kubernetes:pkg/controller/job/success_policy.go (matchSuccessPolicy,
matchSucceededIndexesRule)
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs

from kubeprops.scenario.batch import (
    FAIL_INDEX,
    FAIL_JOB,
    IGNORE,
    IN,
    JobPodView,
    OnExitCodes,
    PodFailurePolicyRule,
    SuccessPolicyRule,
)

from .job_indexes import parse_indexes


@attrs.frozen
class FailureMatch:
    action: str | None  # FailJob, FailIndex, Ignore, Count, or None when no rule matched
    counts: bool  # whether the failure counts toward backoffLimit
    message: str = ""


def _exit_codes_match(rule: OnExitCodes, pod: JobPodView) -> bool:
    # ref pod_failure_policy.go (matchOnExitCodes): only terminated containers with a non-zero exit code
    code = pod.exit_code
    if code is None or code == 0 or rule.container_name not in (None, "main"):
        return False
    return (code in rule.values) == (rule.operator == IN)


def match_pod_failure_policy(rules: Sequence[PodFailurePolicyRule] | None, pod: JobPodView) -> FailureMatch:
    """The first rule matching a failed pod decides; no match counts the failure."""
    # ref pod_failure_policy.go (matchPodFailurePolicy)
    for index, rule in enumerate(rules or ()):
        if rule.on_exit_codes is not None:
            if not _exit_codes_match(rule.on_exit_codes, pod):
                continue
            detail = f"Container main for pod {pod.name} failed with exit code {pod.exit_code}"
        elif any(c.status == "True" and c.type in pod.conditions for c in rule.on_pod_conditions):
            detail = f"Pod {pod.name} has condition matching {rule.action} rule"
        else:
            continue
        message = f"{detail} matching {rule.action} rule at index {index}"
        return FailureMatch(rule.action, rule.action != IGNORE, message if rule.action == FAIL_JOB else "")
    return FailureMatch(None, True)


def is_ignored(rules: Sequence[PodFailurePolicyRule] | None, pod: JobPodView) -> bool:
    return match_pod_failure_policy(rules, pod).action == IGNORE


def fails_job(rules: Sequence[PodFailurePolicyRule] | None, pod: JobPodView) -> str | None:
    match = match_pod_failure_policy(rules, pod)
    return match.message if match.action == FAIL_JOB else None


def fails_index(rules: Sequence[PodFailurePolicyRule] | None, pod: JobPodView) -> bool:
    return match_pod_failure_policy(rules, pod).action == FAIL_INDEX


def match_success_policy(
    rules: Sequence[SuccessPolicyRule] | None, completions: int, succeeded: Collection[int]
) -> str | None:
    """The message of the first rule the succeeded indexes satisfy, or None."""
    # ref success_policy.go (matchSuccessPolicy, matchSucceededIndexesRule)
    if not rules or not succeeded:
        return None
    done = set(succeeded)
    for index, rule in enumerate(rules):
        if rule.succeeded_indexes is not None:
            required = parse_indexes(rule.succeeded_indexes, completions)
            if not required:
                continue
            matched = len(required & done)
            if (
                matched >= rule.succeeded_count
                if rule.succeeded_count is not None
                else matched == len(required)
            ):
                return f"Matched rules at index {index}"
        elif rule.succeeded_count is not None and len(done) >= rule.succeeded_count:
            return f"Matched rules at index {index}"
    return None

"""batch/v1 Jobs and their pods as Kubernetes-shaped JSON <-> the kubeprops batch vocabulary.

Pure and target-neutral like `kube_objects`. podFailurePolicy, successPolicy and backoffLimitPerIndex /
maxFailedIndexes travel both ways (ref staging/src/k8s.io/api/batch/v1/types.go: PodFailurePolicy,
SuccessPolicy).

Job pods get terminationGracePeriodSeconds 0: the batch model has no grace periods, and with 0 a deleted
pod's deletionTimestamp (which the Job controller takes as its failure time) is the deletion instant on
every target.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubeprops.scenario.batch import (
    INDEXED,
    JOB_COMPLETION_INDEX,
    JOB_INDEX_FAILURE_COUNT,
    JobPodView,
    JobSpec,
    JobStatus,
    JobView,
    OnExitCodes,
    OnPodCondition,
    PodFailurePolicyRule,
    SuccessPolicyRule,
)

from .kube_objects import (
    SIM_EPOCH,
    conditions_view,
    controller_ref,
    optional_time,
    parse_time,
    pod_template_manifest,
    template_from_manifest,
)

Obj = dict[str, Any]

JOB_TRACKING_FINALIZER = "batch.kubernetes.io/job-tracking"
JOB_GRACE_SECONDS = 0
# spec fields (JobSpec attribute -> API key) that travel as plain optional integers or strings
_OPTIONAL_FIELDS = (
    ("completions", "completions"),
    ("active_deadline_seconds", "activeDeadlineSeconds"),
    ("ttl_seconds_after_finished", "ttlSecondsAfterFinished"),
    ("managed_by", "managedBy"),
    ("backoff_limit_per_index", "backoffLimitPerIndex"),
    ("max_failed_indexes", "maxFailedIndexes"),
)


def pod_failure_rule_manifest(rule: PodFailurePolicyRule) -> Obj:
    body: Obj = {"action": rule.action}
    codes = rule.on_exit_codes
    if codes is not None:
        body["onExitCodes"] = {"operator": codes.operator, "values": list(codes.values)}
        if codes.container_name is not None:
            body["onExitCodes"]["containerName"] = codes.container_name
    if rule.on_pod_conditions:
        body["onPodConditions"] = [{"type": c.type, "status": c.status} for c in rule.on_pod_conditions]
    return body


def success_rule_manifest(rule: SuccessPolicyRule) -> Obj:
    body: Obj = {}
    if rule.succeeded_indexes is not None:
        body["succeededIndexes"] = rule.succeeded_indexes
    if rule.succeeded_count is not None:
        body["succeededCount"] = rule.succeeded_count
    return body


def job_template_manifest(spec: JobSpec) -> Obj:
    template = pod_template_manifest(spec.template)
    template["spec"].update(
        restartPolicy=spec.restart_policy, terminationGracePeriodSeconds=JOB_GRACE_SECONDS
    )
    return template


def job_spec_manifest(spec: JobSpec) -> Obj:
    body: Obj = {
        "parallelism": spec.parallelism,
        "completionMode": spec.completion_mode,
        "backoffLimit": spec.backoff_limit,
        "suspend": spec.suspend,
        "podReplacementPolicy": spec.pod_replacement_policy,
        "template": job_template_manifest(spec),
    }
    for attribute, key in _OPTIONAL_FIELDS:
        value = getattr(spec, attribute)
        if value is not None:
            body[key] = value
    if spec.pod_failure_policy is not None:
        body["podFailurePolicy"] = {"rules": [pod_failure_rule_manifest(r) for r in spec.pod_failure_policy]}
    if spec.success_policy is not None:
        body["successPolicy"] = {"rules": [success_rule_manifest(r) for r in spec.success_policy]}
    return body


def job_manifest(name: str, spec: JobSpec) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name},
        "spec": job_spec_manifest(spec),
    }


# ---------------------------------------------------------------- back to the vocabulary


def pod_failure_rule_from_manifest(body: Obj) -> PodFailurePolicyRule:
    codes = body.get("onExitCodes")
    return PodFailurePolicyRule(
        action=body.get("action", ""),
        on_exit_codes=OnExitCodes(
            codes.get("operator", ""), codes.get("values") or (), codes.get("containerName")
        )
        if codes is not None
        else None,
        on_pod_conditions=tuple(
            OnPodCondition(c.get("type", ""), c.get("status", "")) for c in body.get("onPodConditions") or ()
        ),
    )


def _policies_from_manifest(body: Obj) -> Obj:
    failure, success = body.get("podFailurePolicy"), body.get("successPolicy")
    return {
        "pod_failure_policy": None
        if failure is None
        else tuple(pod_failure_rule_from_manifest(r) for r in failure.get("rules") or ()),
        "success_policy": None
        if success is None
        else tuple(
            SuccessPolicyRule(r.get("succeededIndexes"), r.get("succeededCount"))
            for r in success.get("rules") or ()
        ),
    }


def job_spec_from_manifest(body: Obj) -> JobSpec:
    template = body.get("template") or {}
    optional = {attribute: body.get(key) for attribute, key in _OPTIONAL_FIELDS}
    return JobSpec(
        template=template_from_manifest(template),
        parallelism=body.get("parallelism"),
        completion_mode=body.get("completionMode") or "NonIndexed",
        restart_policy=(template.get("spec") or {}).get("restartPolicy", "Never"),
        backoff_limit=body.get("backoffLimit"),
        suspend=bool(body.get("suspend")),
        pod_replacement_policy=body.get("podReplacementPolicy"),
        **optional,
        **_policies_from_manifest(body),
    )


def job_status_view(raw: Obj | None, epoch: datetime = SIM_EPOCH) -> JobStatus:
    status = raw or {}
    uncounted = status.get("uncountedTerminatedPods") or {}
    return JobStatus(
        active=status.get("active", 0),
        ready=status.get("ready", 0),
        succeeded=status.get("succeeded", 0),
        failed=status.get("failed", 0),
        terminating=status.get("terminating"),
        uncounted_succeeded=tuple(uncounted.get("succeeded") or ()),
        uncounted_failed=tuple(uncounted.get("failed") or ()),
        completed_indexes=status.get("completedIndexes", ""),
        failed_indexes=status.get("failedIndexes"),
        start_time=optional_time(status.get("startTime"), epoch),
        completion_time=optional_time(status.get("completionTime"), epoch),
        conditions=conditions_view(status.get("conditions"), epoch),
    )


def job_view(obj: Obj, *, epoch: datetime = SIM_EPOCH) -> JobView:
    meta = obj["metadata"]
    ref = controller_ref(obj)
    scheduled = (meta.get("annotations") or {}).get("batch.kubernetes.io/cronjob-scheduled-timestamp")
    return JobView(
        name=meta["name"],
        uid=meta["uid"],
        spec=job_spec_from_manifest(obj["spec"]),
        status=job_status_view(obj.get("status"), epoch),
        created=parse_time(meta["creationTimestamp"], epoch),
        owner=ref["name"] if ref is not None and ref.get("kind") == "CronJob" else None,
        scheduled_time=optional_time(scheduled, epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )


def _terminated(status: Obj) -> Obj | None:
    for container in status.get("containerStatuses") or ():
        terminated = (container.get("state") or {}).get("terminated")
        if terminated is not None:
            return terminated
    return None


def _int_annotation(annotations: Obj, key: str) -> int | None:
    raw = annotations.get(key)
    return int(raw) if isinstance(raw, str) and raw.isdigit() else None


def job_pod_view(pod: Obj, *, epoch: datetime = SIM_EPOCH) -> JobPodView | None:
    """The pod as the Job controller reads it; None for a pod no Job controls."""
    ref = controller_ref(pod)
    if ref is None or ref.get("kind") != "Job":
        return None
    meta, status = pod["metadata"], pod.get("status") or {}
    annotations = meta.get("annotations") or {}
    terminated = _terminated(status)
    exit_code = terminated.get("exitCode") if terminated else None
    conditions = status.get("conditions") or ()
    return JobPodView(
        name=meta["name"],
        uid=meta["uid"],
        job=ref["name"],
        phase=status.get("phase", "Pending"),
        created=parse_time(meta["creationTimestamp"], epoch),
        index=_int_annotation(annotations, JOB_COMPLETION_INDEX),
        ready=any(c["type"] == "Ready" and c["status"] == "True" for c in conditions),
        deleting=bool(meta.get("deletionTimestamp")),
        finished=optional_time(terminated.get("finishedAt"), epoch) if terminated else None,
        exit_code=exit_code if exit_code else None,
        restarts=max((c.get("restartCount", 0) for c in status.get("containerStatuses") or ()), default=0),
        conditions=tuple(c["type"] for c in conditions if c["status"] == "True" and c["type"] != "Ready"),
        failure_count=_int_annotation(annotations, JOB_INDEX_FAILURE_COUNT) or 0,
        finalizer=JOB_TRACKING_FINALIZER in (meta.get("finalizers") or ()),
    )


def is_indexed(job: Obj) -> bool:
    return job["spec"].get("completionMode") == INDEXED

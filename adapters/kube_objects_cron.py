"""batch/v1 CronJobs as Kubernetes-shaped JSON <-> the kubeprops batch vocabulary (pure, target-neutral).

Times in views are seconds on the target's clock (see `kube_objects.SIM_EPOCH`); the child Jobs' views
come from `kube_objects_batch.job_view`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubeprops.scenario.batch import CronJobSpec, CronJobStatus, CronJobView

from .kube_objects import SIM_EPOCH, optional_time, parse_time
from .kube_objects_batch import job_spec_from_manifest, job_spec_manifest

Obj = dict[str, Any]


def cronjob_spec_manifest(spec: CronJobSpec) -> Obj:
    body: Obj = {
        "schedule": spec.schedule,
        "concurrencyPolicy": spec.concurrency_policy,
        "suspend": spec.suspend,
        "successfulJobsHistoryLimit": spec.successful_jobs_history_limit,
        "failedJobsHistoryLimit": spec.failed_jobs_history_limit,
        "jobTemplate": {"spec": job_spec_manifest(spec.job_template)},
    }
    if spec.time_zone is not None:
        body["timeZone"] = spec.time_zone
    if spec.starting_deadline_seconds is not None:
        body["startingDeadlineSeconds"] = spec.starting_deadline_seconds
    return body


def cronjob_manifest(name: str, spec: CronJobSpec) -> Obj:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": cronjob_spec_manifest(spec),
    }


def cronjob_spec_from_manifest(body: Obj) -> CronJobSpec:
    return CronJobSpec(
        schedule=body["schedule"],
        job_template=job_spec_from_manifest((body.get("jobTemplate") or {}).get("spec") or {}),
        time_zone=body.get("timeZone"),
        starting_deadline_seconds=body.get("startingDeadlineSeconds"),
        concurrency_policy=body.get("concurrencyPolicy") or "Allow",
        suspend=bool(body.get("suspend")),
        successful_jobs_history_limit=body.get("successfulJobsHistoryLimit", 3),
        failed_jobs_history_limit=body.get("failedJobsHistoryLimit", 1),
    )


def cronjob_view(obj: Obj, *, epoch: datetime = SIM_EPOCH) -> CronJobView:
    meta, status = obj["metadata"], obj.get("status") or {}
    return CronJobView(
        name=meta["name"],
        uid=meta["uid"],
        spec=cronjob_spec_from_manifest(obj["spec"]),
        status=CronJobStatus(
            active=tuple(ref["name"] for ref in status.get("active") or ()),
            last_schedule_time=optional_time(status.get("lastScheduleTime"), epoch),
            last_successful_time=optional_time(status.get("lastSuccessfulTime"), epoch),
        ),
        created=parse_time(meta["creationTimestamp"], epoch),
        deleting=bool(meta.get("deletionTimestamp")),
    )

"""What the API server defaults and rejects for batch/v1 CronJobs (the simulator's own, not the model's).

The first violation raises `InvalidSpec(field, message)`. The job template is checked by the Job rules with
its fields under `spec.jobTemplate.spec`.
ref: kubernetes/kubernetes v1.35.4 pkg/apis/batch/v1/defaults.go (SetDefaults_CronJob),
pkg/apis/batch/validation/validation.go (ValidateCronJobCreate, validateCronJobSpec,
validateScheduleFormat, validateTimeZone)
"""

from __future__ import annotations

import re

from kubeprops.scenario.errors import InvalidSpec

from .admission_batch import default_job, validate_job
from .controllers import cronjob_schedule as cron
from .controllers.cronjob_util import load_zone
from .objects import Obj

NAME_MAX = 52  # 63 - len("-") - 10 digits of the minutes suffix
POLICIES = ("Allow", "Forbid", "Replace")
_ZONE_PART = re.compile(r"^[A-Za-z.\-_0-9+]{1,14}$")


def default_cronjob(obj: Obj) -> None:
    # ref defaults.go (SetDefaults_CronJob)
    spec = obj["spec"]
    spec.setdefault("concurrencyPolicy", "Allow")
    spec.setdefault("suspend", False)
    spec.setdefault("successfulJobsHistoryLimit", 3)
    spec.setdefault("failedJobsHistoryLimit", 1)
    template = spec.setdefault("jobTemplate", {}).setdefault("spec", {})
    default_job({"spec": template})


def _zone(zone: str | None) -> None:
    # ref validation.go (validateTimeZone)
    if zone is None:
        return
    parts_ok = all(
        _ZONE_PART.match(p) and p not in (".", "..") and not p.startswith("-") for p in zone.split("/")
    )
    if not zone or zone.lower() == "local" or not parts_ok or not load_zone(zone):
        raise InvalidSpec("spec.timeZone", f"unknown time zone {zone!r}; use an IANA name like Europe/Paris")


def _schedule(schedule: str, old: Obj | None) -> None:
    # ref validation.go (validateScheduleFormat): TZ in the schedule is refused on create since v1.29
    if not schedule:
        raise InvalidSpec("spec.schedule", "Required value")
    try:
        cron.parse(schedule)
    except cron.BadSchedule as err:
        raise InvalidSpec("spec.schedule", f"Invalid value: {schedule!r}: {err}") from None
    if "TZ" in schedule and (old is None or old["spec"].get("schedule") != schedule):
        raise InvalidSpec("spec.schedule", "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")


def validate_cronjob(obj: Obj, old: Obj | None = None) -> None:
    spec = obj["spec"]
    if old is None and len(obj["metadata"]["name"]) > NAME_MAX:
        raise InvalidSpec("metadata.name", f"must be no more than {NAME_MAX} characters")
    _schedule(spec.get("schedule", ""), old)
    _zone(spec.get("timeZone"))
    for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
        value = spec.get(field)
        if value is not None and value < 0:
            raise InvalidSpec(f"spec.{field}", f"must be greater than or equal to 0 (got {value})")
    if spec.get("concurrencyPolicy") not in POLICIES:
        raise InvalidSpec("spec.concurrencyPolicy", "Unsupported value: use Allow, Forbid or Replace")
    try:
        validate_job({"spec": spec["jobTemplate"]["spec"]})
    except InvalidSpec as err:
        raise InvalidSpec("spec.jobTemplate." + err.field, err.message) from None

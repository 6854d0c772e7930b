"""batch/v1 vocabulary: Job and CronJob specs with the API server's defaults, their observed views,
and the operations a scenario applies to them.

Plain frozen data shared by the reference model, the adapters and the properties. A spec here may be
invalid on purpose; `kubeprops.reference_model.job_validation` / `cron_validation` say what the API
server rejects.

Time is seconds (int or float) on the target's clock; `zone_offset` is the one calendar primitive the
layers share (the reference model may not import `datetime`, so the time-zone lookup lives here).

refs kubernetes/kubernetes:pkg/apis/batch/v1/defaults.go (SetDefaults_Job, SetDefaults_CronJob),
kubernetes/kubernetes:staging/src/k8s.io/api/batch/v1/types.go (JobSpec, JobStatus, CronJobSpec,
CronJobStatus)
"""

from __future__ import annotations

import datetime
import zoneinfo

import attrs

from .spec import MAX_INT32, PodTemplate
from .view import Condition

JOB, CRONJOB = "Job", "CronJob"

NON_INDEXED, INDEXED = "NonIndexed", "Indexed"
NEVER, ON_FAILURE = "Never", "OnFailure"
TERMINATING_OR_FAILED, FAILED = "TerminatingOrFailed", "Failed"
ALLOW, FORBID, REPLACE = "Allow", "Forbid", "Replace"
FAIL_JOB, FAIL_INDEX, IGNORE, COUNT = "FailJob", "FailIndex", "Ignore", "Count"
IN, NOT_IN = "In", "NotIn"
DISRUPTION_TARGET = "DisruptionTarget"

# Job condition types and reasons (ref staging/src/k8s.io/api/batch/v1/types.go)
SUSPENDED, FAILURE_TARGET, SUCCESS_CRITERIA_MET = "Suspended", "FailureTarget", "SuccessCriteriaMet"
COMPLETE, FAILED_CONDITION = "Complete", "Failed"
BACKOFF_LIMIT_EXCEEDED, DEADLINE_EXCEEDED = "BackoffLimitExceeded", "DeadlineExceeded"
POD_FAILURE_POLICY, MAX_FAILED_INDEXES_EXCEEDED = "PodFailurePolicy", "MaxFailedIndexesExceeded"
FAILED_INDEXES, SUCCESS_POLICY, COMPLETIONS_REACHED = "FailedIndexes", "SuccessPolicy", "CompletionsReached"

JOB_COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"
JOB_INDEX_FAILURE_COUNT = "batch.kubernetes.io/job-index-failure-count"
CRONJOB_SCHEDULED_TIMESTAMP = "batch.kubernetes.io/cronjob-scheduled-timestamp"

DEFAULT_BACKOFF_LIMIT = 6


# ---------------------------------------------------------------- specs


@attrs.frozen
class OnExitCodes:
    operator: str
    values: tuple[int, ...] = attrs.field(converter=tuple)
    container_name: str | None = None


@attrs.frozen
class OnPodCondition:
    type: str
    status: str = "True"


@attrs.frozen
class PodFailurePolicyRule:
    action: str
    on_exit_codes: OnExitCodes | None = None
    on_pod_conditions: tuple[OnPodCondition, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen
class SuccessPolicyRule:
    succeeded_indexes: str | None = None
    succeeded_count: int | None = None


@attrs.frozen
class JobSpec:
    """batch/v1 JobSpec after SetDefaults_Job.

    Pass None for parallelism/completions/backoffLimit/podReplacementPolicy to get the API default:
    parallelism 1; completions 1 only when parallelism was unset too (else a work-queue Job);
    backoffLimit 6, or MaxInt32 with backoffLimitPerIndex; podReplacementPolicy Failed with a
    podFailurePolicy, else TerminatingOrFailed. `restart_policy` is the template's restartPolicy.
    """

    template: PodTemplate
    parallelism: int | None = None
    completions: int | None = None
    completion_mode: str = NON_INDEXED
    restart_policy: str = NEVER
    backoff_limit: int | None = None
    backoff_limit_per_index: int | None = None
    max_failed_indexes: int | None = None
    active_deadline_seconds: int | None = None
    ttl_seconds_after_finished: int | None = None
    suspend: bool = False
    pod_failure_policy: tuple[PodFailurePolicyRule, ...] | None = None
    success_policy: tuple[SuccessPolicyRule, ...] | None = None
    pod_replacement_policy: str | None = None
    managed_by: str | None = None

    def __attrs_post_init__(self) -> None:
        # ref defaults.go (SetDefaults_Job)
        if self.completions is None and self.parallelism is None:
            object.__setattr__(self, "completions", 1)
        if self.parallelism is None:
            object.__setattr__(self, "parallelism", 1)
        if self.backoff_limit is None:
            limit = MAX_INT32 if self.backoff_limit_per_index is not None else DEFAULT_BACKOFF_LIMIT
            object.__setattr__(self, "backoff_limit", limit)
        if self.pod_replacement_policy is None:
            policy = FAILED if self.pod_failure_policy is not None else TERMINATING_OR_FAILED
            object.__setattr__(self, "pod_replacement_policy", policy)

    @property
    def indexed(self) -> bool:
        return self.completion_mode == INDEXED


@attrs.frozen
class CronJobSpec:
    """batch/v1 CronJobSpec after SetDefaults_CronJob."""

    schedule: str
    job_template: JobSpec
    time_zone: str | None = None
    starting_deadline_seconds: int | None = None
    concurrency_policy: str = ALLOW
    suspend: bool = False
    successful_jobs_history_limit: int = 3
    failed_jobs_history_limit: int = 1


# ---------------------------------------------------------------- observed state


@attrs.frozen
class JobPodView:
    """A pod of a Job, with what the Job controller reads from it.

    `index` is the completion index (Indexed Jobs), `finished` the latest container termination time
    (None while running), `exit_code` the non-zero exit code of a failed container, `conditions` the
    pod condition types that are True (e.g. DisruptionTarget), `failure_count` the
    job-index-failure-count annotation, `finalizer` whether batch.kubernetes.io/job-tracking is present.
    """

    name: str
    uid: str
    job: str
    phase: str
    created: float
    index: int | None = None
    ready: bool = False
    deleting: bool = False
    finished: float | None = None
    exit_code: int | None = None
    restarts: int = 0
    conditions: tuple[str, ...] = ()
    failure_count: int = 0
    finalizer: bool = True

    @property
    def active(self) -> bool:
        return self.phase not in ("Succeeded", "Failed") and not self.deleting

    @property
    def terminating(self) -> bool:
        return self.deleting and self.phase not in ("Succeeded", "Failed")


def job_pod_order(pod: JobPodView) -> tuple[object, ...]:
    """The order the pod operations count active pods in: completion index, creation time, restarts,
    then name. Pods equal up to the name are interchangeable for every rule the model checks, so a
    different choice among them on another target (whose pod names differ) is the same scenario."""
    return (pod.index or 0, pod.created, pod.restarts, pod.name)


@attrs.frozen
class JobStatus:
    active: int = 0
    ready: int = 0
    succeeded: int = 0
    failed: int = 0
    terminating: int | None = None
    uncounted_succeeded: tuple[str, ...] = ()
    uncounted_failed: tuple[str, ...] = ()
    completed_indexes: str = ""
    failed_indexes: str | None = None
    start_time: float | None = None
    completion_time: float | None = None
    conditions: tuple[Condition, ...] = ()

    def condition(self, type_: str) -> Condition | None:
        return next((c for c in self.conditions if c.type == type_ and c.status == "True"), None)

    @property
    def finished(self) -> Condition | None:
        """The terminal condition (Complete or Failed with status True), if any."""
        return self.condition(COMPLETE) or self.condition(FAILED_CONDITION)


@attrs.frozen
class JobView:
    name: str
    uid: str
    spec: JobSpec
    status: JobStatus
    created: float
    owner: str | None = None  # the controlling CronJob's name
    scheduled_time: float | None = None  # cronjob-scheduled-timestamp annotation, as epoch seconds
    deleting: bool = False


@attrs.frozen
class CronJobStatus:
    active: tuple[str, ...] = ()  # names of the Jobs in status.active
    last_schedule_time: float | None = None
    last_successful_time: float | None = None


@attrs.frozen
class CronJobView:
    name: str
    uid: str
    spec: CronJobSpec
    status: CronJobStatus
    created: float
    deleting: bool = False


@attrs.frozen
class BatchView:
    now: float
    jobs: tuple[JobView, ...] = ()
    cronjobs: tuple[CronJobView, ...] = ()
    pods: tuple[JobPodView, ...] = ()

    def job(self, name: str) -> JobView | None:
        return next((j for j in self.jobs if j.name == name), None)

    def cronjob(self, name: str) -> CronJobView | None:
        return next((c for c in self.cronjobs if c.name == name), None)

    def pods_of(self, job: str) -> tuple[JobPodView, ...]:
        return tuple(p for p in self.pods if p.job == job)

    def jobs_of(self, cronjob: str) -> tuple[JobView, ...]:
        return tuple(j for j in self.jobs if j.owner == cronjob)


# ---------------------------------------------------------------- operations


@attrs.frozen
class CreateJob:
    name: str
    spec: JobSpec


@attrs.frozen
class CreateCronJob:
    name: str
    spec: CronJobSpec


@attrs.frozen
class SetSuspend:
    kind: str  # JOB or CRONJOB
    name: str
    suspend: bool


@attrs.frozen
class SetParallelism:
    name: str
    parallelism: int


@attrs.frozen
class PodSucceeds:
    """The `pod`-th active pod of Job `job` (modulo their number, in `job_pod_order`) exits 0."""

    job: str
    pod: int = 0


@attrs.frozen
class PodFails:
    """The `pod`-th active pod of Job `job` fails: a container exits `exit_code`, or, with
    `condition` (e.g. DisruptionTarget), the pod is evicted with that condition. For restartPolicy
    OnFailure with no condition the container restarts in place (restartCount + 1) instead."""

    job: str
    pod: int = 0
    exit_code: int = 1
    condition: str | None = None


@attrs.frozen
class DeleteJobPod:
    """Someone other than the Job controller deletes the `pod`-th active pod of Job `job`."""

    job: str
    pod: int = 0


@attrs.frozen
class DeleteCronJob:
    """`kubectl delete cronjob NAME`: the CronJob goes at once; the garbage collector then deletes its
    Jobs (they carry a controller ownerReference), and with each Job its pods (background propagation).
    Nothing happens when no CronJob has that name."""

    name: str


@attrs.frozen
class SetSchedule:
    name: str
    schedule: str
    time_zone: str | None = None


@attrs.frozen
class SetConcurrencyPolicy:
    name: str
    policy: str


@attrs.frozen
class SetStartingDeadline:
    name: str
    seconds: int | None


@attrs.frozen
class SetHistoryLimits:
    name: str
    successful: int = 3
    failed: int = 1


BatchOperation = (
    CreateJob
    | CreateCronJob
    | SetSuspend
    | SetParallelism
    | PodSucceeds
    | PodFails
    | DeleteJobPod
    | SetSchedule
    | SetConcurrencyPolicy
    | SetStartingDeadline
    | SetHistoryLimits
    | DeleteCronJob
)


# ---------------------------------------------------------------- time zones


def zone_offset(time_zone: str | None, epoch: float) -> int:
    """UTC offset in seconds of the IANA zone `time_zone` at the instant `epoch`; None means UTC.

    Raises zoneinfo.ZoneInfoNotFoundError (a KeyError) for an unknown zone.
    """
    if time_zone is None:
        return 0
    zone = zoneinfo.ZoneInfo(time_zone)
    instant = datetime.datetime.fromtimestamp(int(epoch // 1), tz=datetime.UTC)
    offset = instant.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def zone_exists(time_zone: str) -> bool:
    """Whether `time_zone` loads from the time-zone database (Go's time.LoadLocation analogue)."""
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True

"""What one controller sync read and wrote, for targets that can show it (the PER-SYNC checks).

A real cluster cannot show what a controller's cache held when it decided; an in-process target can. Such a
target records, for every sync of a ReplicaSet, Deployment, DaemonSet, Job, StatefulSet or CronJob, the
snapshot the controller read and the API writes it made; the reference model then says whether upstream could
have made exactly those writes from exactly that snapshot (fact sheet §10, the PER-SYNC rules).
"""

from __future__ import annotations

import attrs

from .apps_extra import ControllerRevisionView, DaemonSetView, PersistentVolumeClaimView, StatefulSetView
from .batch import CronJobView, JobPodView, JobView
from .view import ClusterView, DeploymentView, PodView, ReplicaSetView

CREATE, UPDATE, UPDATE_STATUS, DELETE = "create", "update", "update-status", "delete"


@attrs.frozen
class Write:
    """One API write: the object as the API server stored it (None for a delete or a failed write), and
    the API error's reason when it failed (a delete of an object already gone still shows the decision).
    `target` is the node a created daemon pod is pinned to (its metadata.name node affinity)."""

    verb: str
    kind: str
    name: str
    obj: (
        DeploymentView
        | ReplicaSetView
        | PodView
        | DaemonSetView
        | ControllerRevisionView
        | JobView
        | JobPodView
        | StatefulSetView
        | PersistentVolumeClaimView
        | CronJobView
        | None
    ) = None
    error: str = ""
    target: str = ""


@attrs.frozen
class SyncRecord:
    """One sync of `controller` (the kind it reconciles) for the object named `key`.

    `snapshot` is the controller's informer cache when the sync began, with `now` the time of the sync.
    `completed` is False when an API error (a conflict, an injected fault) cut the sync short: upstream
    retries such a sync, and its writes are only a prefix of a decision, so they are not judged.
    `expectations_satisfied` is the controller's expectations check for this key (ReplicaSet, DaemonSet).
    DaemonSet syncs also carry what upstream keeps outside the API: `targets`, the node each unbound pod of
    the snapshot is pinned to, and `backoff`, the failed-pod back-off entries as (key, delay, last update).
    Job syncs (their snapshot holds `jobs` and `job_pods`) carry `job_backoff`, the Job's pod-failure back-off
    record (failures after the latest success, time of the latest failure), and `finalizer_removals`, the
    UIDs of pods whose tracking-finalizer removal the controller has issued but not yet seen: upstream skips
    them when it counts finished pods (ref job_controller.go: getNewFinishedPods, finalizerExpectations).
    CronJob syncs (their snapshot holds `cronjobs` and `jobs`, on the target's clock, with `epoch`) carry
    `cronjob_reread`, the CronJob as the sync's live GET returned it when that copy replaced the cached one
    (an unfinished child missing from the cached status.active but listed in the API server's; ref
    cronjob_controllerv2.go: syncCronJob, `cronJob = cjCopy`).
    """

    controller: str
    key: str
    snapshot: ClusterView
    writes: tuple[Write, ...]
    completed: bool
    expectations_satisfied: bool = True
    targets: tuple[tuple[str, str], ...] = ()
    backoff: tuple[tuple[str, float, float], ...] = ()
    job_backoff: tuple[int, float | None] = (0, None)
    finalizer_removals: tuple[str, ...] = ()
    cronjob_reread: CronJobView | None = None

"""When is a real cluster settled? Pure checks on one raw snapshot of a run's namespace.

Settled means: nothing will change without a new operation. On a real cluster we cannot ask the
controllers, so we check what would make them act again: a workload whose controller has not observed
its generation, a status that does not match the pods (the controller will write it), a pod our kubelet
still has to start, make Ready or finish deleting, a pod on a node that left (pod GC will remove it), an
object whose controller was deleted (the garbage collector will delete it), a Job pod orphaned that way
still holding the tracking finalizer (the Job controller will remove it), a Ready pod not yet available
after minReadySeconds (the controller requeues for it), a Deployment whose rollout is neither complete nor
past its progress deadline. Then the adapter also asks for a quiet period without any watch event, for
the writes these checks cannot foresee. The adapter re-checks on each event of its watch cache and at
`next_timer`, the one time-driven change no event announces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from kubeprops.adapters import node_fit
from kubeprops.adapters.kube_objects_batch import JOB_TRACKING_FINALIZER

from . import pod_status as ps
from .client import Obj

DONE_PROGRESS = ("NewReplicaSetAvailable", "ProgressDeadlineExceeded", "DeploymentPaused")


def controller_ref(obj: Obj) -> Obj | None:
    return next((r for r in obj["metadata"].get("ownerReferences") or () if r.get("controller")), None)


def controller_uid(obj: Obj) -> str:
    ref = controller_ref(obj)
    return ref["uid"] if ref is not None else ""


def active(pod: Obj) -> bool:
    return ps.phase(pod) not in ("Succeeded", "Failed") and not pod["metadata"].get("deletionTimestamp")


def available(pod: Obj, min_ready: int, now: float) -> bool:
    """As the controllers decide it: Ready, and Ready's lastTransitionTime + minReadySeconds <= now."""
    if not ps.is_ready(pod):
        return False
    if min_ready == 0:
        return True
    ready = next(c for c in pod["status"]["conditions"] if c["type"] == "Ready")
    return ps.wall(ready["lastTransitionTime"]) + min_ready <= now


def replicaset_reason(rs: Obj, pods: Iterable[Obj], now: float) -> str:
    meta, spec, status = rs["metadata"], rs["spec"], rs.get("status") or {}
    name = meta["name"]
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"ReplicaSet {name}: observedGeneration behind"
    mine = [p for p in pods if controller_uid(p) == meta["uid"] and active(p)]
    min_ready = spec.get("minReadySeconds", 0)
    counts = {
        "replicas": len(mine),
        "readyReplicas": sum(ps.is_ready(p) for p in mine),
        "availableReplicas": sum(available(p, min_ready, now) for p in mine),
    }
    for field, want in counts.items():
        if status.get(field, 0) != want:
            return f"ReplicaSet {name}: status.{field} {status.get(field, 0)} != {want} pods"
    if not meta.get("deletionTimestamp") and len(mine) != spec.get("replicas", 1):
        return f"ReplicaSet {name}: {len(mine)} active pods, spec.replicas {spec.get('replicas', 1)}"
    if any(ps.is_ready(p) and not available(p, min_ready, now) for p in mine):
        return f"ReplicaSet {name}: a Ready pod is not yet available (minReadySeconds)"
    return ""


def deployment_reason(d: Obj, replicasets: Iterable[Obj]) -> str:
    meta, status = d["metadata"], d.get("status") or {}
    name = meta["name"]
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"Deployment {name}: observedGeneration behind"
    owned = [rs for rs in replicasets if controller_uid(rs) == meta["uid"]]
    for field in ("replicas", "readyReplicas", "availableReplicas"):
        total = sum((rs.get("status") or {}).get(field, 0) for rs in owned)
        if status.get(field, 0) != total:
            return f"Deployment {name}: status.{field} {status.get(field, 0)} != {total} of its ReplicaSets"
    progressing = next((c for c in status.get("conditions") or () if c["type"] == "Progressing"), None)
    if not d["spec"].get("paused") and (
        progressing is None or progressing.get("reason") not in DONE_PROGRESS
    ):
        return f"Deployment {name}: rollout in progress"
    return ""


def pod_reason(
    pod: Obj,
    nodes: set[str],
    kubelet_waiting: Callable[[Obj], bool],
    timers: bool = True,
    schedulable: Callable[[Obj], bool] | None = None,
) -> str:
    """Why the pod will change ("" when it will not). `schedulable` tells whether the scheduler will
    bind an unbound pod (a node fits it, its claims are bound or about to be): one no node fits waits for
    a node change, i.e. a new operation."""
    name = pod["metadata"]["name"]
    node = (pod.get("spec") or {}).get("nodeName", "")
    if node and node not in nodes:
        return f"pod {name}: on node {node} that left (waiting for pod GC)"
    if pod["metadata"].get("deletionTimestamp") and timers:
        # a grace period is a timer (the model's too); `kubelet_waiting` tells when it is over
        return f"pod {name}: terminating"
    if ps.phase(pod) == "Pending" and (node or schedulable is None or schedulable(pod)):
        return f"pod {name}: Pending"
    if kubelet_waiting(pod):
        return f"pod {name}: not Ready yet"
    return ""


def daemonset_reason(ds: Obj, pods: Iterable[Obj], now: float, timers: bool) -> str:
    meta, status = ds["metadata"], ds.get("status") or {}
    name = meta["name"]
    if meta.get("deletionTimestamp"):
        return f"DaemonSet {name}: being deleted"
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"DaemonSet {name}: observedGeneration behind"
    mine = [p for p in pods if controller_uid(p) == meta["uid"]]
    if timers and any(ps.phase(p) == "Failed" and not p["metadata"].get("deletionTimestamp") for p in mine):
        # deleted after the controller's failedPodsBackoff (1 s, doubling)
        # ref: pkg/controller/daemon/daemon_controller.go (podsShouldBeOnNode)
        return f"DaemonSet {name}: a failed pod waits for its back-off"
    min_ready = ds["spec"].get("minReadySeconds", 0)
    live = [p for p in mine if active(p)]
    if timers and any(ps.is_ready(p) and not available(p, min_ready, now) for p in live):
        return f"DaemonSet {name}: a Ready pod is not yet available (minReadySeconds)"
    if timers and min_ready and status.get("numberReady", 0) != status.get("numberAvailable", 0):
        # the controller re-syncs after minReadySeconds exactly then
        # ref: pkg/controller/daemon/daemon_controller.go (updateDaemonSetStatus)
        return f"DaemonSet {name}: numberReady != numberAvailable, a re-sync after minReadySeconds is due"
    return ""


def job_wanted(job: Obj) -> int:
    """How many pods the Job controller wants active now (NonIndexed and Indexed alike)."""
    spec, status = job["spec"], job.get("status") or {}
    parallelism, succeeded = spec.get("parallelism", 1), status.get("succeeded", 0)
    if spec.get("completions") is None:  # a work queue: no new pods once one succeeded
        return parallelism if succeeded == 0 else 0
    return max(0, min(parallelism, spec["completions"] - succeeded))


def _finished(job: Obj) -> bool:
    conditions = (job.get("status") or {}).get("conditions") or ()
    return any(c["type"] in ("Complete", "Failed") and c["status"] == "True" for c in conditions)


def job_reason(job: Obj, pods: Iterable[Obj], timers: bool) -> str:
    """Why the Job controller will act again ("" when it will not); with `timers` also what a timer
    brings: back-off before replacements, the active deadline."""
    meta, spec, status = job["metadata"], job["spec"], job.get("status") or {}
    name = meta["name"]
    if meta.get("deletionTimestamp"):
        return f"Job {name}: being deleted"
    mine = [p for p in pods if controller_uid(p) == meta["uid"]]
    if any(ps.phase(p) in ("Succeeded", "Failed") and p["metadata"].get("finalizers") for p in mine):
        return f"Job {name}: a finished pod is not counted yet (tracking finalizer)"
    uncounted = status.get("uncountedTerminatedPods") or {}
    if uncounted.get("succeeded") or uncounted.get("failed"):
        return f"Job {name}: uncountedTerminatedPods not empty"
    live = [p for p in mine if active(p)]
    if status.get("active", 0) != len(live) or status.get("ready", 0) != sum(map(ps.is_ready, live)):
        return f"Job {name}: status.active/ready do not match its pods"
    if _finished(job):
        return f"Job {name}: finished with pods still active" if live else ""
    conditions = {c["type"] for c in status.get("conditions") or () if c["status"] == "True"}
    if conditions & {"FailureTarget", "SuccessCriteriaMet"}:
        return f"Job {name}: {sorted(conditions)} without its terminal condition"
    if spec.get("suspend") or not timers:
        return ""
    if len(live) < job_wanted(job):
        return f"Job {name}: {len(live)} active pods of {job_wanted(job)} (back-off)"
    if spec.get("activeDeadlineSeconds") is not None and status.get("startTime"):
        # with or without pods: the controller re-syncs at the deadline and fails the Job
        # ref: pkg/controller/job/job_controller.go (pastActiveDeadline, syncJob)
        return f"Job {name}: the active deadline has not passed"
    return ""


def running_and_ready(pod: Obj) -> bool:
    return ps.phase(pod) == "Running" and ps.is_ready(pod)


def statefulset_reason(sts: Obj, pods: Iterable[Obj], now: float, timers: bool) -> str:
    """Why the StatefulSet controller will act again: it has not observed the spec, or its status does not
    count its pods yet, or (a timer) a Ready pod turns available after minReadySeconds, for which it
    requeues. What it creates or deletes next follows from pod events, within the quiet period.
    ref: pkg/controller/statefulset/stateful_set_control.go (computeReplicaStatus),
    pkg/controller/statefulset/stateful_set_utils.go (isRunningAndReady, isRunningAndAvailable)"""
    meta, spec, status = sts["metadata"], sts["spec"], sts.get("status") or {}
    name = meta["name"]
    if meta.get("deletionTimestamp"):
        return f"StatefulSet {name}: being deleted"
    if status.get("observedGeneration", 0) < meta.get("generation", 0):
        return f"StatefulSet {name}: observedGeneration behind"
    mine = [p for p in pods if controller_uid(p) == meta["uid"]]
    min_ready = spec.get("minReadySeconds", 0)
    counts = {
        "replicas": len(mine),
        "readyReplicas": sum(map(running_and_ready, mine)),
        "availableReplicas": sum(running_and_ready(p) and available(p, min_ready, now) for p in mine),
    }
    for field, want in counts.items():
        if status.get(field, 0) != want:
            return f"StatefulSet {name}: status.{field} {status.get(field, 0)} != {want} pods"
    if timers and any(running_and_ready(p) and not available(p, min_ready, now) for p in mine):
        return f"StatefulSet {name}: a Ready pod is not yet available (minReadySeconds)"
    # A pod missing past the quiet period is a stall, not a sync to come: a sync that stopped on a claim
    # still naming an earlier pod (whenScaled Delete, the garbage collector not done yet) is not requeued
    # and the claim's deletion wakes nothing; the model has that stall too (statefulset_pvc.StaleClaimWait).
    return ""


def claim_reason(claim: Obj) -> str:
    """A claim of ours still to be bound (by the adapter's provisioner and the PV controller) or held
    by the pvc-protection finalizer until no pod uses it."""
    meta, spec = claim["metadata"], claim.get("spec") or {}
    if meta.get("deletionTimestamp"):
        return f"claim {meta['name']}: being deleted"
    if spec.get("storageClassName") == "" and (claim.get("status") or {}).get("phase") != "Bound":
        return f"claim {meta['name']}: not bound yet"
    return ""


def claim_names(pod: Obj) -> list[str]:
    volumes = (pod.get("spec") or {}).get("volumes") or ()
    return [v["persistentVolumeClaim"]["claimName"] for v in volumes if v.get("persistentVolumeClaim")]


def can_schedule(pod: Obj, nodes: Iterable[Obj], claims: dict[str, Obj]) -> bool:
    """Whether the scheduler will bind this unbound pod: some node fits it (selector, affinity, taints,
    cordon) and none of its claims is missing or being deleted. An unbound claim of ours counts as
    bindable: the provisioner binds it, and the scheduler retries the pod then.
    ref: pkg/scheduler/framework/plugins/volumebinding/volume_binding.go (PreFilter)"""
    for name in claim_names(pod):
        claim = claims.get(name)
        if claim is None or claim["metadata"].get("deletionTimestamp"):
            return False
    return any(node_fit.fits(pod.get("spec") or {}, node) for node in nodes)


def orphan_reason(kind: str, obj: Obj, present: set[str], listed: set[str]) -> str:
    """Why the garbage collector or the Job controller will still act on `obj` because its controller is
    gone ("" when not): `present` are the uids in the snapshot, `listed` its kinds (a controller of a kind
    not listed cannot be told gone). Not yet deleted: the collector deletes it (background propagation,
    so a deleted CronJob's Jobs, then their pods). Deleted but held by the Job tracking finalizer: the Job
    controller removes it from an orphan pod. What is left is a grace period, a timer (`pod_reason`).
    ref: pkg/controller/garbagecollector/garbagecollector.go (attemptToDeleteItem),
    pkg/controller/job/job_controller.go (deleteJob, cleanupPodFinalizers, syncOrphanPod)"""
    ref = controller_ref(obj)
    if ref is None or ref.get("kind") not in listed or ref.get("uid") in present:
        return ""
    meta = obj["metadata"]
    owner = f"{ref['kind']} {ref.get('name', '')}"
    if not meta.get("deletionTimestamp"):
        return f"{kind} {meta['name']}: its controller {owner} is gone (waiting for the garbage collector)"
    if JOB_TRACKING_FINALIZER in (meta.get("finalizers") or ()):
        return f"{kind} {meta['name']}: orphaned by {owner}, still holding the Job tracking finalizer"
    return ""


def gc_reason(snapshot: dict[str, list[Obj]]) -> str:
    """The first `orphan_reason` in the snapshot."""
    present = {o["metadata"]["uid"] for objs in snapshot.values() for o in objs}
    listed = set(snapshot)
    for kind, objs in snapshot.items():
        for obj in objs:
            reason = orphan_reason(kind, obj, present, listed)
            if reason:
                return reason
    return ""


def unsettled_reason(
    snapshot: dict[str, list[Obj]],
    nodes: set[str],
    now: float,
    kubelet_waiting: Callable[[Obj], bool],
    timers: bool = True,
    schedulable: Callable[[Obj], bool] | None = None,
) -> str:
    """Why the snapshot is not settled yet ("" when nothing is pending).

    With `timers=False`, only what happens at once: what is left waits for a timer (back-off,
    minReadySeconds, an active deadline).
    """
    pods = snapshot["Pod"]
    reason = gc_reason(snapshot)  # at once, timers or not: the collector works from watch events
    if reason:
        return reason
    for pod in pods:
        reason = pod_reason(pod, nodes, kubelet_waiting, timers, schedulable)
        if reason:
            return reason
    for claim in snapshot.get("PersistentVolumeClaim", ()):
        reason = claim_reason(claim)
        if reason:
            return reason
    for sts in snapshot.get("StatefulSet", ()):
        reason = statefulset_reason(sts, pods, now, timers)
        if reason:
            return reason
    for rs in snapshot.get("ReplicaSet", ()):
        reason = replicaset_reason(rs, pods, now)
        if reason:
            return reason
    for d in snapshot.get("Deployment", ()):
        reason = deployment_reason(d, snapshot["ReplicaSet"])
        if reason:
            return reason
    for ds in snapshot.get("DaemonSet", ()):
        reason = daemonset_reason(ds, pods, now, timers)
        if reason:
            return reason
    for job in snapshot.get("Job", ()):
        reason = job_reason(job, pods, timers)
        if reason:
            return reason
    return ""


def next_timer(snapshot: dict[str, list[Obj]], now: float) -> float | None:
    """The next wall-clock time after `now` at which a verdict above may change with no event: a Ready
    pod turning available after a workload's minReadySeconds (the others wait for a controller's write).
    Every Ready pod is paired with every minReadySeconds of the namespace: a few extra wake-ups at most."""
    min_ready = {
        (o.get("spec") or {}).get("minReadySeconds", 0)
        for kind in ("ReplicaSet", "DaemonSet", "StatefulSet")
        for o in snapshot.get(kind, ())
    } - {0}
    times = [
        ps.wall(c["lastTransitionTime"]) + m
        for pod in snapshot.get("Pod", ())
        for c in (pod.get("status") or {}).get("conditions") or ()
        if c["type"] == "Ready" and c["status"] == "True"
        for m in min_ready
    ]
    return min((t for t in times if t > now), default=None)

"""Deployment helpers: surge/unavailable, hashing, annotations, conditions, RS selection.

Callers use these through the module (`util.max_surge(d)`) so a mutation test can patch one.
ref: pkg/controller/deployment/util/deployment_util.go, pkg/controller/controller_utils.go (ComputeHash)
"""

from __future__ import annotations

import json

from kubeprops.adapters.kube_objects import format_time, parse_time

from ...objects import Obj, annotations_of
from .. import common

REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
ROLLBACK_TO = "deprecated.deployment.rollback.to"
HASH_LABEL = "pod-template-hash"
MAX_INT32 = 2**31 - 1
SAFE_DIGITS = str.maketrans("0123456789", "456789bcdf")  # ref: apimachinery/pkg/util/rand (SafeEncodeString)
SKIPPED_ANNOTATIONS = frozenset(
    {
        REVISION,
        REVISION_HISTORY,
        DESIRED_REPLICAS,
        MAX_REPLICAS,
        ROLLBACK_TO,
        "kubectl.kubernetes.io/last-applied-configuration",
    }
)

# Reasons. ref: deployment_util.go (const block)
NEW_RS_REASON = "NewReplicaSetCreated"
FOUND_NEW_RS_REASON = "FoundNewReplicaSet"
RS_UPDATED_REASON = "ReplicaSetUpdated"
NEW_RS_AVAILABLE_REASON = "NewReplicaSetAvailable"
TIMED_OUT_REASON = "ProgressDeadlineExceeded"
FAILED_RS_CREATE_REASON = "ReplicaSetCreateError"
PAUSED_REASON = "DeploymentPaused"
RESUMED_REASON = "DeploymentResumed"
MIN_AVAILABLE_REASON = "MinimumReplicasAvailable"
MIN_UNAVAILABLE_REASON = "MinimumReplicasUnavailable"
PROGRESSING, AVAILABLE, REPLICA_FAILURE = "Progressing", "Available", "ReplicaFailure"


# ---------------------------------------------------------------- spec accessors


def replicas(d: Obj) -> int:
    return d["spec"]["replicas"]


def is_paused(d: Obj) -> bool:
    return bool(d["spec"].get("paused", False))


def is_rolling_update(d: Obj) -> bool:
    return d["spec"]["strategy"]["type"] == "RollingUpdate"


def has_progress_deadline(d: Obj) -> bool:
    deadline = d["spec"].get("progressDeadlineSeconds")
    return deadline is not None and deadline != MAX_INT32


def has_revision_history_limit(d: Obj) -> bool:
    limit = d["spec"].get("revisionHistoryLimit")
    return limit is not None and limit != MAX_INT32


def resolve_fenceposts(d: Obj) -> tuple[int, int]:
    """(surge rounded up, unavailable rounded down); both 0 -> unavailable 1.

    ref: deployment_util.go (ResolveFenceposts)
    """
    rolling = d["spec"]["strategy"]["rollingUpdate"]
    total = replicas(d)
    surge = common.scaled_value(rolling["maxSurge"], total, round_up=True)
    unavailable = common.scaled_value(rolling["maxUnavailable"], total, round_up=False)
    if surge == 0 and unavailable == 0:
        unavailable = 1
    return surge, unavailable


def max_surge(d: Obj) -> int:
    # ref: deployment_util.go (MaxSurge): 0 for Recreate
    if not is_rolling_update(d):
        return 0
    return resolve_fenceposts(d)[0]


def max_unavailable(d: Obj) -> int:
    # ref: deployment_util.go (MaxUnavailable): 0 for Recreate or R == 0, capped at R
    if not is_rolling_update(d) or replicas(d) == 0:
        return 0
    return min(resolve_fenceposts(d)[1], replicas(d))


# ---------------------------------------------------------------- hashing and template equality


def fnv32a(data: bytes) -> int:
    value = 0x811C9DC5
    for byte in data:
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return value


def compute_hash(template: Obj, collision_count: int | None) -> str:
    """FNV-32a over a canonical dump of the template, then the collision count (4 bytes LE).

    ref: pkg/controller/controller_utils.go (ComputeHash). The dump is ours (JSON, sorted keys);
    upstream's is a Go-specific spew dump, so values differ but the properties are the same.
    """
    data = json.dumps(template, sort_keys=True, separators=(",", ":")).encode()
    if collision_count is not None:
        data += collision_count.to_bytes(4, "little")
    return str(fnv32a(data)).translate(SAFE_DIGITS)


def _without_hash(template: Obj) -> Obj:
    meta = dict(template.get("metadata") or {})
    template_labels = {k: v for k, v in (meta.get("labels") or {}).items() if k != HASH_LABEL}
    meta["labels"] = template_labels
    return {**template, "metadata": meta}


def equal_ignore_hash(a: Obj, b: Obj) -> bool:
    # ref: deployment_util.go (EqualIgnoreHash)
    return _without_hash(a) == _without_hash(b)


# ---------------------------------------------------------------- replica sets


def rs_replicas(rs: Obj) -> int:
    return rs["spec"]["replicas"]


def rs_status(rs: Obj, field: str) -> int:
    return (rs.get("status") or {}).get(field, 0)


def find_new_replicaset(d: Obj, rs_list: list[Obj]) -> Obj | None:
    """The oldest RS whose template equals the Deployment's (#40415).

    ref: deployment_util.go (FindNewReplicaSet)
    """
    for rs in sorted(rs_list, key=common.by_creation):
        if equal_ignore_hash(rs["spec"]["template"], d["spec"]["template"]):
            return rs
    return None


def find_old_replicasets(d: Obj, rs_list: list[Obj], new_rs: Obj | None) -> list[Obj]:
    new_uid = new_rs["metadata"]["uid"] if new_rs else None
    return [rs for rs in rs_list if rs["metadata"]["uid"] != new_uid]


def active(rs_list: list[Obj | None]) -> list[Obj]:
    # ref: controller_utils.go (FilterActiveReplicaSets)
    return [rs for rs in rs_list if rs is not None and rs_replicas(rs) > 0]


def total_spec(rs_list: list[Obj | None]) -> int:
    return sum(rs_replicas(rs) for rs in rs_list if rs is not None)


def total_status(rs_list: list[Obj | None], field: str) -> int:
    return sum(rs_status(rs, field) for rs in rs_list if rs is not None)


def revision(rs: Obj) -> int:
    raw = annotations_of(rs).get(REVISION, "")
    return int(raw) if raw.isdigit() else 0


def max_revision(rs_list: list[Obj]) -> int:
    return max((revision(rs) for rs in rs_list), default=0)


def int_annotation(rs: Obj, key: str) -> int | None:
    raw = annotations_of(rs).get(key)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def set_replicas_annotations(rs: Obj, desired: int, max_replicas: int) -> bool:
    """Mutates `rs` (a clone). ref: deployment_util.go (SetReplicasAnnotations)"""
    notes = rs["metadata"].setdefault("annotations", {})
    wanted = {DESIRED_REPLICAS: str(desired), MAX_REPLICAS: str(max_replicas)}
    changed = any(notes.get(k) != v for k, v in wanted.items())
    notes.update(wanted)
    return changed


def replicas_annotations_need_update(rs: Obj, desired: int, max_replicas: int) -> bool:
    notes = annotations_of(rs)
    return notes.get(DESIRED_REPLICAS) != str(desired) or notes.get(MAX_REPLICAS) != str(max_replicas)


def is_saturated(d: Obj, rs: Obj | None) -> bool:
    # ref: deployment_util.go (IsSaturated)
    if rs is None:
        return False
    desired = int_annotation(rs, DESIRED_REPLICAS)
    r = replicas(d)
    return rs_replicas(rs) == r and desired == r and rs_status(rs, "availableReplicas") == r


# ---------------------------------------------------------------- conditions


def get_condition(status: Obj, type_: str) -> Obj | None:
    return next((c for c in status.get("conditions") or () if c["type"] == type_), None)


def new_condition(type_: str, status: str, reason: str, message: str, now: float) -> Obj:
    stamp = format_time(now)
    return {
        "type": type_,
        "status": status,
        "lastUpdateTime": stamp,
        "lastTransitionTime": stamp,
        "reason": reason,
        "message": message,
    }


def set_condition(status: Obj, cond: Obj) -> None:
    """Same status and reason: keep the old one; same status: keep lastTransitionTime.

    ref: deployment_util.go (SetDeploymentCondition)
    """
    current = get_condition(status, cond["type"])
    if current is not None and current["status"] == cond["status"] and current["reason"] == cond["reason"]:
        return
    if current is not None and current["status"] == cond["status"]:
        cond = {**cond, "lastTransitionTime": current["lastTransitionTime"]}
    remove_condition(status, cond["type"])
    status.setdefault("conditions", []).append(cond)


def remove_condition(status: Obj, type_: str) -> None:
    kept = [c for c in status.get("conditions") or () if c["type"] != type_]
    if kept:
        status["conditions"] = kept
    else:
        status.pop("conditions", None)


def condition_time(cond: Obj, field: str) -> float:
    return parse_time(cond[field])


def deployment_complete(d: Obj, status: Obj) -> bool:
    # ref: deployment_util.go (DeploymentComplete)
    r = replicas(d)
    return (
        status.get("updatedReplicas", 0) == r
        and status.get("replicas", 0) == r
        and status.get("availableReplicas", 0) == r
        and status.get("observedGeneration", 0) >= d["metadata"]["generation"]
    )


def deployment_progressing(d: Obj, new: Obj) -> bool:
    # ref: deployment_util.go (DeploymentProgressing)
    old = d.get("status") or {}
    old_old = old.get("replicas", 0) - old.get("updatedReplicas", 0)
    new_old = new.get("replicas", 0) - new.get("updatedReplicas", 0)
    return (
        new.get("updatedReplicas", 0) > old.get("updatedReplicas", 0)
        or new_old < old_old
        or new.get("readyReplicas", 0) > old.get("readyReplicas", 0)
        or new.get("availableReplicas", 0) > old.get("availableReplicas", 0)
    )


def deployment_timed_out(d: Obj, status: Obj, now: float) -> bool:
    # ref: deployment_util.go (DeploymentTimedOut): strictly after lastUpdateTime + deadline
    if not has_progress_deadline(d):
        return False
    cond = get_condition(status, PROGRESSING)
    if cond is None or cond["reason"] == NEW_RS_AVAILABLE_REASON:
        return False
    if cond["reason"] == TIMED_OUT_REASON:
        return True
    return condition_time(cond, "lastUpdateTime") + d["spec"]["progressDeadlineSeconds"] < now

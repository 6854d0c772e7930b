"""Deployment sync: new-RS lookup/creation, proportional scaling, history cleanup, status.

`d` is the controller's working copy of the Deployment (a clone it may mutate, as upstream mutates
its DeepCopy); status writes send it with the resourceVersion it was read with, so a second write
in one sync conflicts exactly as upstream's does.
ref: pkg/controller/deployment/sync.go
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from ...objects import DEPLOYMENT, REPLICASET, Obj, annotations_of, clone, is_deleting, new_controller_ref
from ...store import AlreadyExists, ApiError, NotFound
from .. import common
from . import util

if TYPE_CHECKING:
    from .controller import DeploymentController

MAX_REV_HISTORY_CHARS = 2000


# ---------------------------------------------------------------- new replica set


def get_all_replicasets_and_sync_revision(
    ctl: DeploymentController, d: Obj, rs_list: list[Obj], create: bool
) -> tuple[Obj | None, list[Obj]]:
    # ref: sync.go (getAllReplicaSetsAndSyncRevision)
    existing = util.find_new_replicaset(d, rs_list)
    old_rss = util.find_old_replicasets(d, rs_list, existing)
    return get_new_replicaset(ctl, d, rs_list, old_rss, existing, create), old_rss


def get_new_replicaset(
    ctl: DeploymentController,
    d: Obj,
    rs_list: list[Obj],
    old_rss: list[Obj],
    existing: Obj | None,
    create: bool,
) -> Obj | None:
    # ref: sync.go (getNewReplicaSet)
    new_revision = str(util.max_revision(old_rss) + 1)
    if existing is not None:
        return _sync_existing_new_rs(ctl, d, existing, new_revision)
    if not create:
        return None
    return _create_new_rs(ctl, d, old_rss, new_revision)


def _editable(rs: Obj) -> Obj:
    """A copy whose spec, metadata and annotations may be edited (the rest is shared, read-only)."""
    meta = {**rs["metadata"], "annotations": dict(rs["metadata"].get("annotations") or {})}
    return {**rs, "metadata": meta, "spec": dict(rs["spec"])}


def _sync_existing_new_rs(ctl: DeploymentController, d: Obj, existing: Obj, new_revision: str) -> Obj:
    rs = _editable(existing)
    changed = set_new_replicaset_annotations(d, rs, new_revision, exists=True)
    mrs = d["spec"].get("minReadySeconds", 0)
    if changed or rs["spec"].get("minReadySeconds", 0) != mrs:
        rs["spec"]["minReadySeconds"] = mrs
        return ctl.client.update(REPLICASET, rs)
    needs_update = set_deployment_revision(d, annotations_of(rs).get(util.REVISION, ""))
    status = d.setdefault("status", {})
    if util.has_progress_deadline(d) and util.get_condition(status, util.PROGRESSING) is None:
        msg = f'Found new replica set "{rs["metadata"]["name"]}"'
        util.set_condition(
            status, util.new_condition(util.PROGRESSING, "True", util.FOUND_NEW_RS_REASON, msg, ctl.clock.now)
        )
        needs_update = True
    if needs_update:
        ctl.client.update_status(DEPLOYMENT, d)  # result dropped, as upstream: `d` keeps its old RV
    return rs


def new_replicaset_object(d: Obj, template_hash: str) -> Obj:
    template = clone(d["spec"]["template"])
    template.setdefault("metadata", {}).setdefault("labels", {})[util.HASH_LABEL] = template_hash
    selector = clone(d["spec"]["selector"])
    selector.setdefault("matchLabels", {})[util.HASH_LABEL] = template_hash
    return {
        "apiVersion": "apps/v1",
        "kind": REPLICASET,
        "metadata": {
            "name": f"{d['metadata']['name']}-{template_hash}",
            "labels": clone(template["metadata"]["labels"]),
            "ownerReferences": [new_controller_ref(d, DEPLOYMENT)],
        },
        "spec": {
            "replicas": 0,
            "minReadySeconds": d["spec"].get("minReadySeconds", 0),
            "selector": selector,
            "template": template,
        },
    }


def _create_new_rs(ctl: DeploymentController, d: Obj, old_rss: list[Obj], new_revision: str) -> Obj | None:
    status = d.setdefault("status", {})
    rs = new_replicaset_object(d, util.compute_hash(d["spec"]["template"], status.get("collisionCount")))
    rs["spec"]["replicas"] = new_rs_new_replicas(d, [*old_rss, rs], rs)
    set_new_replicaset_annotations(d, rs, new_revision, exists=False)
    already_exists = False
    try:
        created = ctl.client.create(REPLICASET, rs)
    except AlreadyExists:
        created = _existing_if_ours(ctl, d, rs)
        if created is None:
            status["collisionCount"] = status.get("collisionCount", 0) + 1
            ctl.client.update_status(DEPLOYMENT, d)
            raise
        already_exists = True
    except ApiError as exc:
        if util.has_progress_deadline(d):
            msg = f'Failed to create new replica set "{rs["metadata"]["name"]}": {exc}'
            util.set_condition(
                status,
                util.new_condition(
                    util.PROGRESSING, "False", util.FAILED_RS_CREATE_REASON, msg, ctl.clock.now
                ),
            )
            _update_status_ignoring_errors(ctl, d)
        raise
    needs_update = set_deployment_revision(d, new_revision)
    if not already_exists and util.has_progress_deadline(d):
        msg = f'Created new replica set "{created["metadata"]["name"]}"'
        util.set_condition(
            status, util.new_condition(util.PROGRESSING, "True", util.NEW_RS_REASON, msg, ctl.clock.now)
        )
        needs_update = True
    if needs_update:
        ctl.client.update_status(DEPLOYMENT, d)
    return created


def _update_status_ignoring_errors(ctl: DeploymentController, d: Obj) -> None:
    with contextlib.suppress(ApiError):
        ctl.client.update_status(DEPLOYMENT, d)


def _existing_if_ours(ctl: DeploymentController, d: Obj, rs: Obj) -> Obj | None:
    """On AlreadyExists: the cached RS if it is ours with an equal template, else None (a collision)."""
    cached = ctl.informer.get(REPLICASET, rs["metadata"]["name"])
    if cached is None:  # not in our cache yet: retry later, no collision (upstream returns the lister error)
        raise NotFound(f'replicaset "{rs["metadata"]["name"]}" not in cache')
    ref = next((r for r in cached["metadata"].get("ownerReferences") or () if r.get("controller")), None)
    same = util.equal_ignore_hash(d["spec"]["template"], cached["spec"]["template"])
    return cached if ref is not None and ref["uid"] == d["metadata"]["uid"] and same else None


def new_rs_new_replicas(d: Obj, all_rss: list[Obj], new_rs: Obj) -> int:
    # ref: deployment_util.go (NewRSNewReplicas)
    if not util.is_rolling_update(d):
        return util.replicas(d)
    max_total = util.replicas(d) + util.max_surge(d)
    current = util.total_spec(all_rss)
    if current >= max_total:
        return util.rs_replicas(new_rs)
    scale_up = min(max_total - current, util.replicas(d) - util.rs_replicas(new_rs))
    return util.rs_replicas(new_rs) + scale_up


def set_new_replicaset_annotations(d: Obj, rs: Obj, new_revision: str, exists: bool) -> bool:
    """Copy the Deployment's annotations, bump the revision, keep a revision history.

    ref: deployment_util.go (SetNewReplicaSetAnnotations, copyDeploymentAnnotationsToReplicaSet)
    """
    notes = rs["metadata"].setdefault("annotations", {})
    changed = False
    for key, value in annotations_of(d).items():
        if key not in util.SKIPPED_ANNOTATIONS and notes.get(key) != value:
            notes[key], changed = value, True
    old_revision = notes.get(util.REVISION)
    if old_revision is not None and not old_revision.isdigit():
        return changed
    old_int = int(old_revision) if old_revision else 0
    if old_int < int(new_revision):
        notes[util.REVISION], changed = new_revision, True
        if old_revision is not None:
            _append_revision_history(notes, old_revision)
    if not exists and util.set_replicas_annotations(
        rs, util.replicas(d), util.replicas(d) + util.max_surge(d)
    ):
        changed = True
    return changed


def _append_revision_history(notes: dict[str, str], old_revision: str) -> None:
    history = notes.get(util.REVISION_HISTORY, "")
    if not history:
        notes[util.REVISION_HISTORY] = old_revision
        return
    parts = history.split(",")
    total, start = len(history) + len(old_revision) + 1, 0
    while total > MAX_REV_HISTORY_CHARS and start < len(parts):
        total -= len(parts[start]) + 1
        start += 1
    if total <= MAX_REV_HISTORY_CHARS:
        notes[util.REVISION_HISTORY] = ",".join([*parts[start:], old_revision])


def set_deployment_revision(d: Obj, revision: str) -> bool:
    notes = d["metadata"].setdefault("annotations", {})
    if notes.get(util.REVISION) == revision:
        return False
    notes[util.REVISION] = revision
    return True


# ---------------------------------------------------------------- scaling


def scale_replicaset(ctl: DeploymentController, rs: Obj, new_scale: int, d: Obj) -> tuple[bool, Obj]:
    # ref: sync.go (scaleReplicaSet): annotations are refreshed even when the size is unchanged
    size_changed = util.rs_replicas(rs) != new_scale
    max_replicas = util.replicas(d) + util.max_surge(d)
    if not size_changed and not util.replicas_annotations_need_update(rs, util.replicas(d), max_replicas):
        return False, rs
    copy = _editable(rs)
    copy["spec"]["replicas"] = new_scale
    util.set_replicas_annotations(copy, util.replicas(d), max_replicas)
    return size_changed, ctl.client.update(REPLICASET, copy)


def scale_replicaset_and_record_event(
    ctl: DeploymentController, rs: Obj, new_scale: int, d: Obj
) -> tuple[bool, Obj]:
    if util.rs_replicas(rs) == new_scale:
        return False, rs
    return scale_replicaset(ctl, rs, new_scale, d)


def find_active_or_latest(new_rs: Obj | None, old_rss: list[Obj]) -> Obj | None:
    # ref: deployment_util.go (FindActiveOrLatest)
    if new_rs is None and not old_rss:
        return None
    active = util.active([*old_rss, new_rs])
    if not active:
        if new_rs is not None:
            return new_rs
        return max(old_rss, key=common.by_creation)
    return active[0] if len(active) == 1 else None


def scale(ctl: DeploymentController, d: Obj, new_rs: Obj | None, old_rss: list[Obj]) -> None:
    # ref: sync.go (scale)
    target = find_active_or_latest(new_rs, old_rss)
    if target is not None:
        if util.rs_replicas(target) != util.replicas(d):
            scale_replicaset_and_record_event(ctl, target, util.replicas(d), d)
        return
    if util.is_saturated(d, new_rs):
        for old in util.active(old_rss):
            scale_replicaset_and_record_event(ctl, old, 0, d)
        return
    if util.is_rolling_update(d):
        scale_proportionally(ctl, d, util.active([*old_rss, new_rs]))


def proportional_order(rss: list[Obj], to_add: int) -> list[Obj]:
    """Largest first; ties newer first when adding, older first when removing.

    ref: controller_utils.go (ReplicaSetsBySizeNewer, ReplicaSetsBySizeOlder)
    """
    if to_add > 0:
        by_age = sorted(rss, key=common.by_creation, reverse=True)
    elif to_add < 0:
        by_age = sorted(rss, key=common.by_creation)
    else:
        return list(rss)
    return sorted(by_age, key=util.rs_replicas, reverse=True)


def proportional_leftover_target(ordered: list[Obj]) -> Obj:
    """The RS that absorbs the rounding leftover: the first, i.e. the largest."""
    return ordered[0]


def scale_proportionally(ctl: DeploymentController, d: Obj, rss: list[Obj]) -> None:
    r = util.replicas(d)
    allowed = r + util.max_surge(d) if r > 0 else 0
    to_add = allowed - util.total_spec(rss)
    ordered = proportional_order(rss, to_add)
    sizes: dict[str, int] = {}
    added = 0
    for rs in ordered:
        proportion = get_proportion(rs, d, to_add, added) if to_add else 0
        sizes[rs["metadata"]["name"]] = util.rs_replicas(rs) + proportion
        added += proportion
    if to_add and ordered:
        target = proportional_leftover_target(ordered)["metadata"]["name"]
        sizes[target] = max(0, sizes[target] + to_add - added)
    for rs in ordered:
        scale_replicaset(ctl, rs, sizes[rs["metadata"]["name"]], d)


def get_proportion(rs: Obj, d: Obj, to_add: int, added: int) -> int:
    # ref: deployment_util.go (GetProportion)
    if util.rs_replicas(rs) == 0 or to_add == 0 or to_add == added:
        return 0
    fraction = replicaset_fraction(rs, d)
    allowed = to_add - added
    return min(fraction, allowed) if to_add > 0 else max(fraction, allowed)


def round_half_away(numerator: int, denominator: int) -> int:
    """integer.RoundToInt32 (math.Round: half away from zero) of numerator/denominator, exactly."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    n, m = abs(numerator), abs(denominator)
    return sign * ((2 * n + m) // (2 * m))


def replicaset_fraction(rs: Obj, d: Obj) -> int:
    # ref: deployment_util.go (getReplicaSetFraction)
    size = util.rs_replicas(rs)
    if util.replicas(d) == 0:
        return -size
    max_replicas = util.replicas(d) + util.max_surge(d)
    annotated = util.int_annotation(rs, util.MAX_REPLICAS)
    if annotated is None:
        annotated = (d.get("status") or {}).get("replicas", 0)
    if annotated == 0:
        return 0  # upstream divides by zero here (never reached in practice); stay put instead
    return round_half_away(size * max_replicas, annotated) - size


def is_scaling_event(ctl: DeploymentController, d: Obj, rs_list: list[Obj]) -> bool:
    # ref: sync.go (isScalingEvent)
    new_rs, old_rss = get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=False)
    for rs in util.active([*old_rss, new_rs]):
        desired = util.int_annotation(rs, util.DESIRED_REPLICAS)
        if desired is not None and desired != util.replicas(d):
            return True
    return False


# ---------------------------------------------------------------- history


def cleanup_history(old_rss: list[Obj], d: Obj) -> list[Obj]:
    """The old RSs to delete for revisionHistoryLimit: the lowest revisions beyond the limit,
    skipping (but counting) any that still has replicas or an unobserved generation.

    ref: sync.go (cleanupDeployment), deployment_util.go (ReplicaSetsByRevision)
    """
    if not util.has_revision_history_limit(d):
        return []
    alive = [rs for rs in old_rss if not is_deleting(rs)]
    diff = len(alive) - d["spec"]["revisionHistoryLimit"]
    if diff <= 0:
        return []
    ordered = sorted(alive, key=lambda rs: (util.revision(rs), *common.by_creation(rs)))
    return [rs for rs in ordered[:diff] if _deletable(rs)]


def _deletable(rs: Obj) -> bool:
    status = rs.get("status") or {}
    return (
        status.get("replicas", 0) == 0
        and util.rs_replicas(rs) == 0
        and rs["metadata"]["generation"] <= status.get("observedGeneration", 0)
    )


def cleanup_deployment(ctl: DeploymentController, old_rss: list[Obj], d: Obj) -> None:
    for rs in cleanup_history(old_rss, d):
        with contextlib.suppress(NotFound):
            ctl.client.delete(REPLICASET, rs["metadata"]["name"], uid=rs["metadata"]["uid"])


# ---------------------------------------------------------------- status


def terminating_total(rss: list[Obj | None]) -> int | None:
    # ref: deployment_util.go (GetTerminatingReplicaCountForReplicaSets), 1.33+
    total = 0
    for rs in rss:
        if rs is None:
            continue
        status = rs.get("status") or {}
        value = status.get("terminatingReplicas")
        if value is None:
            if status.get("observedGeneration", 0) == 0:
                continue
            return None
        total += value
    return total


def calculate_status(all_rss: list[Obj | None], new_rs: Obj | None, d: Obj, now: float) -> Obj:
    # ref: sync.go (calculateStatus)
    old = d.get("status") or {}
    available = util.total_status(all_rss, "availableReplicas")
    status: Obj = {
        "observedGeneration": d["metadata"]["generation"],
        "replicas": util.total_status(all_rss, "replicas"),
        "updatedReplicas": util.total_status([new_rs], "replicas"),
        "readyReplicas": util.total_status(all_rss, "readyReplicas"),
        "availableReplicas": available,
        "unavailableReplicas": max(0, util.total_spec(all_rss) - available),
    }
    terminating = terminating_total(all_rss)
    if terminating is not None:
        status["terminatingReplicas"] = terminating
    if "collisionCount" in old:
        status["collisionCount"] = old["collisionCount"]
    if old.get("conditions"):
        status["conditions"] = list(old["conditions"])  # conditions are replaced, never edited
    if available >= util.replicas(d) - util.max_unavailable(d):
        cond = util.new_condition(
            util.AVAILABLE, "True", util.MIN_AVAILABLE_REASON, "Deployment has minimum availability.", now
        )
    else:
        cond = util.new_condition(
            util.AVAILABLE,
            "False",
            util.MIN_UNAVAILABLE_REASON,
            "Deployment does not have minimum availability.",
            now,
        )
    util.set_condition(status, cond)
    return status


def sync_deployment_status(
    ctl: DeploymentController, all_rss: list[Obj | None], new_rs: Obj | None, d: Obj
) -> None:
    status = calculate_status(all_rss, new_rs, d, ctl.clock.now)
    if status != (d.get("status") or {}):
        ctl.client.update_status(DEPLOYMENT, {**d, "status": status})


def check_paused_conditions(ctl: DeploymentController, d: Obj) -> None:
    # ref: sync.go (checkPausedConditions)
    if not util.has_progress_deadline(d):
        return
    status = d.setdefault("status", {})
    cond = util.get_condition(status, util.PROGRESSING)
    if cond is not None and cond["reason"] == util.TIMED_OUT_REASON:
        return
    paused_cond = cond is not None and cond["reason"] == util.PAUSED_REASON
    if util.is_paused(d) and not paused_cond:
        reason, msg = util.PAUSED_REASON, "Deployment is paused"
    elif not util.is_paused(d) and paused_cond:
        reason, msg = util.RESUMED_REASON, "Deployment is resumed"
    else:
        return
    util.set_condition(status, util.new_condition(util.PROGRESSING, "Unknown", reason, msg, ctl.clock.now))
    ctl.client.update_status(DEPLOYMENT, d)


def sync(ctl: DeploymentController, d: Obj, rs_list: list[Obj]) -> None:
    """Scaling event or paused: proportional scaling, cleanup when paused, status.

    ref: sync.go (sync)
    """
    new_rs, old_rss = get_all_replicasets_and_sync_revision(ctl, d, rs_list, create=False)
    scale(ctl, d, new_rs, old_rss)
    if util.is_paused(d) and util.ROLLBACK_TO not in annotations_of(d):
        cleanup_deployment(ctl, old_rss, d)
    sync_deployment_status(ctl, [*old_rss, new_rs], new_rs, d)

"""Realistic controller bugs, installable by name, to check that properties catch them.

Each mutation is a list of (module, attribute, replacement) patches over the simulator's
module-level functions. `tests/mutants.py` installs them with pytest's monkeypatch; the adapter
option `mutations=(...)` installs them for the adapter's lifetime (process-wide, undone by close()).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

from . import objects
from .controllers import common
from .controllers import replicaset as rs_controller
from .controllers.deployment import recreate, rolling, sync, util
from .objects import Obj

Patch = tuple[ModuleType, str, Callable[..., Any]]
SetAttr = Callable[[ModuleType, str, Any], None]


def _surge_rounded_down(d: Obj) -> int:
    if not util.is_rolling_update(d):
        return 0
    return common.scaled_value(d["spec"]["strategy"]["rollingUpdate"]["maxSurge"], util.replicas(d), False)


def _unavailable_rounded_up(d: Obj) -> int:
    if not util.is_rolling_update(d) or util.replicas(d) == 0:
        return 0
    rolling_update = d["spec"]["strategy"]["rollingUpdate"]
    surge = common.scaled_value(rolling_update["maxSurge"], util.replicas(d), True)
    unavailable = common.scaled_value(rolling_update["maxUnavailable"], util.replicas(d), True)
    return min(1 if surge == 0 and unavailable == 0 else unavailable, util.replicas(d))


def _ready_first(a: Obj, b: Obj) -> bool | None:
    ra, rb = common.is_pod_ready(a), common.is_pod_ready(b)
    return ra if ra != rb else None


def _newest_first(olds: list[Obj]) -> list[Obj]:
    return sorted(olds, key=common.by_creation, reverse=True)


def _never_paused(d: Obj) -> bool:
    return False


def _keep_one_more(old_rss: list[Obj], d: Obj) -> list[Obj]:
    limit = d["spec"].get("revisionHistoryLimit")
    if limit is None or limit == util.MAX_INT32:
        return []
    patched = {**d, "spec": {**d["spec"], "revisionHistoryLimit": limit + 1}}
    return ORIGINAL_CLEANUP_HISTORY(old_rss, patched)


def _leftover_to_smallest(ordered: list[Obj]) -> Obj:
    return ordered[-1]


def _available_strictly_after(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    # the rule before IsPodAvailable compared with `<= 0`: Available only strictly after the boundary
    if not common.is_pod_ready(pod):
        return False
    if min_ready_seconds == 0:
        return True
    since = common.pod_ready_time(pod)
    return since is not None and since + min_ready_seconds < now


def _terminating_active(pod: Obj) -> bool:
    return common.pod_phase(pod) not in common.TERMINAL


def _old_pods_never_running(new_rs: Obj | None, old_rss: list[Obj], pod_map: dict[str, list[Obj]]) -> bool:
    return False


def _restarts_ignored(a: Obj, b: Obj, now: float) -> bool | None:
    return None


def _claim_keeps_mismatched(
    client: Any, owner: Obj, owner_kind: str, kind: str, selector: dict[str, str], candidates: list[Obj]
) -> list[Obj]:
    # the bug: an owned pod whose labels stopped matching is neither released nor dropped from the count
    uid = owner["metadata"]["uid"]
    kept = [
        c
        for c in candidates
        if (ref := objects.controller_ref(c)) is not None
        and ref["uid"] == uid
        and not objects.selector_matches(selector, objects.labels_of(c))
    ]
    rest = [c for c in candidates if c not in kept]
    return ORIGINAL_RS_CLAIM(client, owner, owner_kind, kind, selector, rest) + kept


ORIGINAL_CLEANUP_HISTORY = sync.cleanup_history
ORIGINAL_RS_CLAIM = rs_controller.claim

MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "surge-rounded-down": ((util, "max_surge", _surge_rounded_down),),
    "unavailable-rounded-up": ((util, "max_unavailable", _unavailable_rounded_up),),
    "ready-pods-deleted-first": ((rs_controller, "compare_readiness", _ready_first),),
    "old-replicasets-newest-first": ((rolling, "old_replicasets_scale_down_order", _newest_first),),
    "paused-still-rolls-out": ((util, "is_paused", _never_paused),),
    "history-limit-off-by-one": ((sync, "cleanup_history", _keep_one_more),),
    "leftovers-to-smallest": ((sync, "proportional_leftover_target", _leftover_to_smallest),),
    "min-ready-strict": ((common, "is_pod_available", _available_strictly_after),),
    "terminating-counted-active": ((common, "is_pod_active", _terminating_active),),
    "recreate-overlaps": ((recreate, "old_pods_running", _old_pods_never_running),),
    "restarts-ignored-in-ranking": ((rs_controller, "compare_restarts", _restarts_ignored),),
    "replicaset-no-release": ((rs_controller, "claim", _claim_keeps_mismatched),),
}

# The Job controller's bugs live with their own module.
from .mutations_job import JOB_MUTATIONS  # noqa: E402

MUTATIONS.update(JOB_MUTATIONS)

# The DaemonSet controller's bugs live with their own module too.
from .mutations_daemonset import DAEMONSET_MUTATIONS  # noqa: E402

MUTATIONS.update(DAEMONSET_MUTATIONS)

# The StatefulSet controller's bugs as well.
from .mutations_statefulset import STATEFULSET_MUTATIONS  # noqa: E402

MUTATIONS.update(STATEFULSET_MUTATIONS)
# ... and the CronJob controller's.
from .mutations_cronjob import CRONJOB_MUTATIONS  # noqa: E402

MUTATIONS.update(CRONJOB_MUTATIONS)


def install(names: Iterable[str], setattr_: SetAttr = setattr) -> list[tuple[ModuleType, str, Any]]:
    """Install the named mutations; return (module, attribute, original) to undo them."""
    undo: list[tuple[ModuleType, str, Any]] = []
    for name in names:
        if name not in MUTATIONS:
            raise ValueError(f"unknown mutation {name!r}; known: {sorted(MUTATIONS)}")
        for module, attribute, replacement in MUTATIONS[name]:
            undo.append((module, attribute, getattr(module, attribute)))
            setattr_(module, attribute, replacement)
    return undo


def uninstall(undo: list[tuple[ModuleType, str, Any]]) -> None:
    for module, attribute, original in reversed(undo):
        setattr(module, attribute, original)

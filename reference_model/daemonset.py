"""The DaemonSet controller, as pure functions on views (fact sheet 4).

Release: upstream v1.35.4.

Modelled: claiming; the node -> daemon pods map (pods both terminal and deleting are ignored; a pod's node is
`spec.nodeName`, else the node its required `metadata.name` affinity targets); revisions (constructHistory,
cleanupHistory) and the hash label; per-node management (`podsShouldBeOnNode`: create where shouldRun and
no pod, failed pods deleted under the per-node back-off, Succeeded pods at once, surplus pods, both surge
cases, every pod where shouldContinueRunning is false, unscheduled pods aimed at vanished nodes); the
250-per-sync caps; the rolling update (run only in a sync whose manage step did nothing, since upstream's
expectations are unsatisfied right after any create or delete) with maxUnavailable / maxSurge both rounding
up; status counted per node from the first pod after sorting; the minReadySeconds re-syncs (the status one
here, the one after a pod turns Ready in `apps_world`).

Go map iteration makes the rolling update pick *which* old pods (or surge nodes) at random within a
budget, and the 250 cap picks which creations: decisions are therefore `AnyOf` sets (all of `certain` plus
any `pick` of `pool`), never one arbitrary choice.

Not modelled: API errors, the legacy `pod-template-generation` label, hash collisions, the 5-minute
expectations timeout, events.

refs kubernetes/kubernetes:pkg/controller/daemon/daemon_controller.go (syncDaemonSet, getDaemonPods,
getNodesToDaemonPods, podsShouldBeOnNode, manage, syncNodes, updateDaemonSetStatus, storeDaemonSetStatus,
updatePod, podByCreationTimestampAndPhase, failedPodsBackoffKey, getUnscheduledPodsWithoutNode,
BurstReplicas),
kubernetes/kubernetes:pkg/controller/daemon/update.go (rollingUpdate, findUpdatedPodsOnNode,
updatedDesiredNodeCounts, constructHistory, cleanupHistory, dedupCurHistories),
kubernetes/kubernetes:pkg/controller/daemon/util/daemonset_util.go (AllowsSurge, SurgeCount,
UnavailableCount, IsPodUpdated, GetTargetNodeName),
kubernetes/kubernetes:staging/src/k8s.io/client-go/util/flowcontrol/backoff.go (Next,
IsInBackOffSinceUpdate), kubernetes/kubernetes:cmd/kube-controller-manager/app/apps.go (NewBackOff(1s, 15m)).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    DAEMONSET,
    ROLLING_UPDATE,
    AppsNodeView,
    ControllerRevisionView,
    DaemonSetView,
)
from kubeprops.scenario.spec import IntOrPercent
from kubeprops.scenario.view import FAILED, SUCCEEDED, OwnerRef, PodView

from .apps_common import daemonset_fenceposts, revision_hash
from .intstr import scaled_value
from .node_eligibility import node_should_run_daemon_pod

BURST_REPLICAS = 250  # ref daemon_controller.go (BurstReplicas)
BACKOFF_INITIAL, BACKOFF_MAX = 1.0, 900.0  # ref apps.go (startDaemonSetController: NewBackOff(1s, 15m))


# ---------------------------------------------------------------- pods and nodes


def _matches(selector: Iterable[tuple[str, str]], pod: PodView) -> bool:
    return set(selector) <= set(pod.labels)


def claim_pods(ds: DaemonSetView, pods: Iterable[PodView]) -> tuple[PodView, ...]:
    """Owned pods matching the selector, plus matching orphans unless the DaemonSet is being deleted."""

    # ref daemon_controller.go (getDaemonPods): ClaimPods
    def ours(pod: PodView) -> bool:
        if pod.owner is None:
            return not ds.deleting
        return pod.owner.kind == DAEMONSET and pod.owner.uid == ds.uid

    return tuple(p for p in pods if ours(p) and _matches(ds.spec.selector, p))


def target_node(pod: PodView, targets: Mapping[str, str]) -> str:
    """spec.nodeName, else the node of its metadata.name affinity (`targets`); "" when neither."""
    # ref daemonset_util.go (GetTargetNodeName)
    return pod.node or targets.get(pod.name, "")


def nodes_to_pods(
    ds: DaemonSetView,
    pods: Iterable[PodView],
    targets: Mapping[str, str],
    *,
    include_deleted_terminal: bool = False,
    ranks: Mapping[str, int] | None = None,
) -> dict[str, list[PodView]]:
    """Claimed pods by target node, oldest first (scheduled first, then creation time, then name).

    Upstream's names end in random characters, so the name order of pods created in the same second is
    a choice: `ranks` (0 where missing) come before the names there (`apps_world.TieBreak.rank`)."""
    # ref daemon_controller.go (getNodesToDaemonPods, podByCreationTimestampAndPhase)
    result: dict[str, list[PodView]] = {}
    for pod in claim_pods(ds, pods):
        if not include_deleted_terminal and pod.phase in (SUCCEEDED, FAILED) and pod.deleting:
            continue
        node = target_node(pod, targets)
        if node:
            result.setdefault(node, []).append(pod)
    rank = ranks or {}
    for node_pods in result.values():
        node_pods.sort(key=lambda p: (not p.node, p.created, rank.get(p.name, 0), p.name))
    return result


def is_updated(pod: PodView, hash_: str) -> bool:
    # ref daemonset_util.go (IsPodUpdated): the hash label (legacy templateGeneration not modelled)
    return dict(pod.labels).get(CONTROLLER_REVISION_HASH) == hash_


def eligibility(ds: DaemonSetView, nodes: Iterable[AppsNodeView]) -> dict[str, tuple[bool, bool]]:
    return {n.name: node_should_run_daemon_pod(n, ds.spec.template) for n in nodes}


# ---------------------------------------------------------------- fenceposts


def allows_surge(ds: DaemonSetView) -> bool:
    # ref daemonset_util.go (AllowsSurge): SurgeCount against a total of 1
    block = ds.spec.update_strategy.rolling_update
    if ds.spec.update_strategy.type != ROLLING_UPDATE or block is None:
        return False
    return scaled_value(block.max_surge, 1, round_up=True) != 0


def fenceposts(ds: DaemonSetView, desired: int) -> tuple[int, int]:
    """(maxSurge, maxUnavailable) against desiredNumberScheduled; 0 and 0 outside RollingUpdate."""
    # ref daemonset_util.go (SurgeCount, UnavailableCount), update.go (updatedDesiredNodeCounts)
    block = ds.spec.update_strategy.rolling_update
    if ds.spec.update_strategy.type != ROLLING_UPDATE or block is None:
        return daemonset_fenceposts(IntOrPercent(0), IntOrPercent(0), desired)
    return daemonset_fenceposts(block.max_surge, block.max_unavailable, desired)


# ---------------------------------------------------------------- revisions


@attrs.frozen
class DaemonSetRevisions:
    current: ControllerRevisionView
    old: tuple[ControllerRevisionView, ...]
    written: ControllerRevisionView | None = None  # created, or re-numbered


def daemonset_revisions(ds: DaemonSetView, revisions: Iterable[ControllerRevisionView]) -> DaemonSetRevisions:
    """The current revision (the template's, highest-numbered if several) and the old ones."""
    # ref update.go (constructHistory, dedupCurHistories, snapshot)
    owned = [r for r in revisions if r.owner.uid == ds.uid]
    current = [r for r in owned if r.template == ds.spec.template]
    old = tuple(sorted((r for r in owned if r.template != ds.spec.template), key=lambda r: r.revision))
    number = max((r.revision for r in old), default=0) + 1
    if not current:
        digest = revision_hash(ds.spec.template, ds.status.collision_count)
        owner = OwnerRef(DAEMONSET, ds.name, ds.uid)
        cur = ControllerRevisionView(f"{ds.name}-{digest}", owner, number, ds.spec.template, digest)
        return DaemonSetRevisions(cur, old, cur)
    keep = max(current, key=lambda r: r.revision)
    if keep.revision < number:
        keep = attrs.evolve(keep, revision=number)
        return DaemonSetRevisions(keep, old, keep)
    return DaemonSetRevisions(keep, old)


def history_to_delete(
    ds: DaemonSetView, old: Sequence[ControllerRevisionView], by_node: Mapping[str, Sequence[PodView]]
) -> tuple[str, ...]:
    """Oldest old revisions beyond revisionHistoryLimit whose hash no pod carries."""
    # ref update.go (cleanupHistory): pods include deleted terminal ones
    to_kill = len(old) - ds.spec.revision_history_limit
    live = {dict(p.labels).get(CONTROLLER_REVISION_HASH, "") for pods in by_node.values() for p in pods}
    doomed = []
    for rev in old:
        if to_kill <= 0:
            break
        if rev.hash not in live:
            doomed.append(rev.name)
            to_kill -= 1
    return tuple(doomed)


# ---------------------------------------------------------------- failed-pod back-off


@attrs.frozen
class Backoff:
    delay: float
    last_update: float


def backoff_key(ds: DaemonSetView, node: str) -> str:
    # ref daemon_controller.go (failedPodsBackoffKey): a new observedGeneration starts afresh
    return f"{ds.uid}/{ds.status.observed_generation}/{node}"


def _expired(entry: Backoff, now: float) -> bool:
    return now - entry.last_update > 2 * BACKOFF_MAX


def in_backoff(entry: Backoff | None, now: float) -> bool:
    # ref flowcontrol/backoff.go (IsInBackOffSinceUpdate)
    return entry is not None and not _expired(entry, now) and now - entry.last_update < entry.delay


def backoff_next(entry: Backoff | None, now: float) -> Backoff:
    # ref flowcontrol/backoff.go (Next): 1 s, doubling, at most 15 min; reset after 2 x max idle
    if entry is None or _expired(entry, now):
        return Backoff(BACKOFF_INITIAL, now)
    return Backoff(min(entry.delay * 2, BACKOFF_MAX), now)

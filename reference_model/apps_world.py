"""The quiescent oracle for StatefulSets and DaemonSets: a pure, deterministic executor.

State, kubelet and controller rounds live here; `apps_operations.apply` carries out one operation and runs
the controllers to a fixpoint at the current instant; `settle` lets virtual time jump from event to event
until nothing is left to do; `apps_quiescent.settled_outcomes` runs a whole scenario and returns every
settled outcome upstream allows (one per tie-breaking policy: the DaemonSet rolling update picks pods and
nodes from Go maps, see `daemonset`).

World semantics (the contract a simulator would follow too):

* Nodes: `initial_state(n)` has Ready nodes node-0 .. node-(n-1) labelled kubernetes.io/hostname=<name>.
  Node changes take effect at once, including the taints the node lifecycle controller derives
  (`node_eligibility.effective_taints`); a node that is not Ready marks its pods not Ready, and they turn
  Ready again when it does. RemoveNode force-deletes its pods at once (pod GC).
* Scheduling: a StatefulSet pod binds to the node with the fewest pods among those matching its
  nodeSelector and required affinity, schedulable, without an untolerated NoSchedule/NoExecute taint (ties
  by name); a daemon pod binds to its target node when that node exists, matches its nodeSelector and has
  no such taint (cordons are tolerated). An unbindable pod stays Pending and binds when a node fits.
* Kubelet: a bound pod is Running at once and turns Ready `behavior.ready_after` seconds later (never when
  None). Actions: fail -> Failed and not Ready; delete -> graceful deletion; unready / ready -> the probe.
  Graceful deletions complete 1 s later (an unbound or terminal pod vanishes at once). A user NoExecute
  taint evicts pods not tolerating it (daemon pods judged by their own revision's tolerations plus the
  automatic ones).
* Claims: created by the StatefulSet controller; the garbage collector deletes a claim when every owner it
  names is gone. When a pod goes, the StatefulSet controller's syncs (woken by the pod's deletion) and the
  garbage collector race; `AppsState.gc_after_sync` picks the order: True (the default, and what upstream
  nearly always shows: the collector takes several hops) collects claims only once the controllers are
  done at that instant, so a sync can meet a claim still naming the gone pod and stop there for good
  (`statefulset_pvc.StaleClaimWait`); False collects them at once. Deleting a workload deletes its pods
  gracefully and its revisions at once.
* Simultaneous removals: graceful deletions that complete at one instant are separate kubelet calls, each
  its own watch event, and a StatefulSet sync may run between them or only after all of them; upstream
  orders neither. `AppsState.removals` picks: TOGETHER (the default) removes them all before the
  controllers run; ONE_BY_ONE removes them one at a time, in (node, name) order, each only once the
  controllers and the kubelets are done with the previous one (a sync in between may create the
  replacement of the first, see it turn Ready and reach the claims of the others while they still exist);
  ONE_BY_ONE_REVERSED the same from the last; EACH_ROUND removes the next one after every round of syncs,
  before the kubelets have started the replacements (a sync meets the second removal with the status the
  first one wrote, which does not count a replacement it has just created: isCreated needs a phase).
  Other interleavings are not modelled.
* Controllers: fresh state (no cache lag, expectations satisfied, every API call succeeds); rounds sync every
  StatefulSet then every DaemonSet by name until a round changes nothing, except a StatefulSet waiting
  after a stale claim, which syncs only on an event for it.
* Timers: Ready transitions, deletion completions, StatefulSet minReadySeconds availability (a sync 1 s
  after the pod becomes Available) and the DaemonSet's re-queues (back-off, the minReadySeconds status
  re-sync while numberReady != numberAvailable, and minReadySeconds + 1 s after one of its pods turns
  Ready).

Not modelled: taint-based eviction after tolerationSeconds (StatefulSet pods on NotReady nodes stay, as
their deletion could not complete there anyway), deletions that hang because the node's kubelet is down
(every graceful deletion completes after 1 s), the kubelet's own restarts, resource fit, cache lag and
expectations (every sync sees the writes of the ones before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import attrs

from kubeprops.scenario.apps_extra import (
    CONTROLLER_REVISION_HASH,
    DAEMONSET,
    NO_EXECUTE,
    NO_SCHEDULE,
    POD_INDEX,
    READY_TRUE,
    STATEFULSET,
    STATEFULSET_POD_NAME,
    AppsClusterView,
    AppsNodeView,
    AppsPodTemplate,
    ControllerRevisionView,
    DaemonSetView,
    PersistentVolumeClaimView,
    StatefulSetStatus,
    StatefulSetView,
    Taint,
)
from kubeprops.scenario.spec import labels
from kubeprops.scenario.view import FAILED, PENDING, RUNNING, SUCCEEDED, OwnerRef, PodView

from . import daemonset as ds_util
from . import daemonset_sync, statefulset_sync
from . import node_eligibility as elig
from . import statefulset as sts_util
from . import statefulset_pvc as pvc
from .apps_common import AnyOf
from .named import find as _find
from .named import put as _put
from .release import DEFAULT, Release

HOSTNAME = "kubernetes.io/hostname"
GRACE_SECONDS = 1.0
TOGETHER, ONE_BY_ONE, ONE_BY_ONE_REVERSED = "together", "one-by-one", "one-by-one-reversed"
EACH_ROUND = "one-per-round"
REMOVALS = (TOGETHER, ONE_BY_ONE, ONE_BY_ONE_REVERSED, EACH_ROUND)
MAX_ROUNDS = 500
MAX_EVENTS = 20_000
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"

RANK_SCALE = 1 << 40  # above any uid number: an adopted rank outweighs the policy's order
Placement = tuple[str, str, int]  # (DaemonSet name, node, revision number) of a daemon pod


@attrs.frozen
class TieBreak:
    """How the model settles what upstream leaves to chance in a DaemonSet sync.

    * Go-map picks: the rolling update and the 250 cap pick pods or nodes from a map within a budget
      (`AnyOf`); the model takes the smallest names of the pool, or the largest (`reverse`).
    * Same-second ties: a node's daemon pods sort by creationTimestamp (one-second resolution), then by
      name, and names end in five random characters. The oldest pod is the one pruning keeps and the status
      counts, so the order among pods created in one second is a choice too. The model stands in a `rank`
      for the name, fixed when the pod is created (as the name is): 0 sorts by the model's names,
      `newer_first` puts the pods created later first.
    * `keep` adopts the target's picks: given the (DaemonSet, node, revision number) triples a target was
      observed to settle on, picks prefer creating those and deleting the others. Among same-second peers
      a pod takes the place the target's pod of the same placement had in its name order (`order`, where the
      target was seen with both), else it sorts first when `keep` has its triple (it survived a pruning);
      `reverse` and `newer_first` still order what the observation leaves open.
      Still only choices upstream may make: every rank is fixed at creation, every pick stays within its
      `AnyOf`.

    refs daemon_controller.go (podByCreationTimestampAndPhase, syncNodes: BurstReplicas),
    update.go (rollingUpdate: the nodeToDaemonPods map walk), apiserver names.go (SimpleNameGenerator:
    generateName plus 5 random characters)
    """

    name: str
    reverse: bool = False
    newer_first: bool = False
    keep: frozenset[Placement] | None = None
    order: tuple[tuple[Placement, int], ...] = ()

    def pick(self, choice: AnyOf, placement: Callable[[str], Placement], creating: bool) -> frozenset[str]:
        """`choice.certain` and `choice.pick` members of the pool; `placement` says what each stands for."""
        pool = sorted(choice.pool, reverse=self.reverse)
        if self.keep is not None:  # stable: the wanted ones first, name order among each part
            pool.sort(key=lambda member: (placement(member) in self.keep) != creating)
        return choice.certain | frozenset(pool[: choice.pick])

    def rank(self, placement: Placement, created: float, uid: int) -> int:
        """Where a new daemon pod sorts among pods created in the same second on its node (lowest first)."""
        policy = -uid if self.newer_first else 0
        if self.keep is None:
            return policy
        seen = dict(self.order).get(placement)
        adopted = seen if seen is not None else (0 if placement in self.keep else 1)
        return adopted * RANK_SCALE + policy  # what the target showed first, then the policy


choose_first = TieBreak("first")
choose_last = TieBreak("last", reverse=True, newer_first=True)
Choose = TieBreak


@attrs.frozen
class PodFacts:
    """What the kubelet knows of one pod."""

    ready_after: int | None
    started: float | None = None
    probe_failing: bool = False
    delete_at: float | None = None
    target: str = ""  # daemon pods: the node of their metadata.name affinity
    rank: int = 0  # daemon pods: stands in for the random name among same-second pods (`TieBreak.rank`)


@attrs.frozen
class AppsState:
    now: float = 0.0
    nodes: tuple[AppsNodeView, ...] = ()
    statefulsets: tuple[StatefulSetView, ...] = ()
    daemonsets: tuple[DaemonSetView, ...] = ()
    revisions: tuple[ControllerRevisionView, ...] = ()
    pods: tuple[PodView, ...] = ()
    claims: tuple[PersistentVolumeClaimView, ...] = ()
    facts: tuple[tuple[str, PodFacts], ...] = ()
    backoff: tuple[tuple[str, ds_util.Backoff], ...] = ()
    timers: frozenset[float] = frozenset()
    next_uid: int = 1
    gc_after_sync: bool = True  # the claim race: see the module docstring
    removals: str = TOGETHER  # deletions completing at one instant: see the module docstring
    stale_waits: tuple[pvc.StaleClaimWait, ...] = ()
    # the controllers' last rounds at this instant never reached a fixpoint: upstream's controller loops
    # the same way (a sync whose writes its own next sync undoes, e.g. a StatefulSet status write the API
    # server rejects while each sync creates and deletes a pod), so the world does not settle
    looping: bool = False

    def fact_map(self) -> dict[str, PodFacts]:
        return dict(self.facts)

    def targets(self) -> dict[str, str]:
        return {name: f.target for name, f in self.facts if f.target}

    def ranks(self) -> dict[str, int]:
        return {name: f.rank for name, f in self.facts if f.rank}


def _uid(state: AppsState) -> tuple[AppsState, str]:
    return attrs.evolve(state, next_uid=state.next_uid + 1), f"uid-{state.next_uid:06d}"


def _timer(state: AppsState, at: float | None) -> AppsState:
    return state if at is None or at <= state.now else attrs.evolve(state, timers=state.timers | {at})


def initial_state(nodes: int = 3, *, gc_after_sync: bool = True, removals: str = TOGETHER) -> AppsState:
    """An empty cluster with `nodes` Ready nodes named node-0, node-1, ..."""
    nodes_ = tuple(_node(f"node-{i}") for i in range(nodes))
    return AppsState(nodes=nodes_, gc_after_sync=gc_after_sync, removals=removals)


def _node(
    name: str,
    extra: Iterable[tuple[str, str]] = (),
    taints: Sequence[Taint] = (),
    unschedulable: bool = False,
) -> AppsNodeView:
    """A node labelled kubernetes.io/hostname=<name> on top of `extra`."""
    return AppsNodeView(name, labels({**dict(extra), HOSTNAME: name}), tuple(taints), unschedulable)


# ---------------------------------------------------------------- scheduling and the kubelet


def _fits(node: AppsNodeView, template: AppsPodTemplate, tolerations: Sequence[elig.Toleration]) -> bool:
    if not elig.required_affinity_matches(template, node):
        return False
    effects = (NO_SCHEDULE, NO_EXECUTE)
    return elig.untolerated(elig.effective_taints(node), tolerations, lambda t: t.effect in effects) is None


def _load(state: AppsState, node: str) -> int:
    return sum(1 for p in state.pods if p.node == node and p.phase not in (SUCCEEDED, FAILED))


def _template_of(state: AppsState, pod: PodView) -> AppsPodTemplate | None:
    rev = dict(pod.labels).get(CONTROLLER_REVISION_HASH, "")
    for r in state.revisions:
        if pod.owner is not None and r.owner.uid == pod.owner.uid and rev in (r.name, r.hash):
            return r.template
    return None


def _pick_node(state: AppsState, pod: PodView, fact: PodFacts) -> str:
    template = _template_of(state, pod)
    if template is None:
        return ""
    if fact.target:  # a daemon pod: its node only (the scheduler tolerates the cordon taint for it)
        node = _find(state.nodes, fact.target)
        ok = node is not None and _fits(node, template, elig.daemon_pod_tolerations(template))
        return fact.target if ok else ""
    fits = [n for n in state.nodes if _fits(n, template, template.tolerations)]
    return min(fits, key=lambda n: (_load(state, n.name), n.name)).name if fits else ""


def follow_placement(state: AppsState, nodes: Mapping[str, str]) -> AppsState:
    """Each bound pod that is not a daemon pod moves to the node `nodes` names for it (by pod name), where
    that node exists and the pod fits it.

    Which of several fitting nodes a pod lands on is the scheduler's choice, not something the model can
    know: feasible nodes are searched from an index that rotates with every scheduling cycle and equal
    scores keep that order, so the pick depends on the scheduler's history (and on how the removals and
    creations of one instant interleave). The model's least-loaded pick stands in for it until a target
    shows its own; later node operations must hit the pods the target put there.
    ref pkg/scheduler/schedule_one.go (findNodesThatPassFilters: nextStartNodeIndex; nodeScoreHeap.Less)
    """
    targets, pods = state.targets(), []
    for pod in state.pods:
        node = _find(state.nodes, nodes.get(pod.name, ""))
        template = _template_of(state, pod)
        if (
            pod.node
            and not pod.deleting
            and pod.name not in targets
            and node is not None
            and node.name != pod.node
            and template is not None
            and _fits(node, template, template.tolerations)
        ):
            pod = attrs.evolve(pod, node=node.name)
        pods.append(pod)
    return attrs.evolve(state, pods=tuple(pods))


def _set_facts(state: AppsState, facts: dict[str, PodFacts]) -> AppsState:
    return attrs.evolve(state, facts=tuple(sorted(facts.items())))


def _bind_pending(state: AppsState) -> AppsState:
    for pod in sorted((p for p in state.pods if p.phase == PENDING and not p.node), key=lambda p: p.name):
        facts = state.fact_map()
        node = _pick_node(state, pod, facts[pod.name])
        if node:
            facts[pod.name] = attrs.evolve(facts[pod.name], started=state.now)
            state = _set_facts(
                attrs.evolve(state, pods=_put(state.pods, attrs.evolve(pod, node=node, phase=RUNNING))), facts
            )
            state = _timer(state, _ready_at(facts[pod.name]))
    return state


def _ready_at(fact: PodFacts) -> float | None:
    if fact.started is None or fact.ready_after is None or fact.probe_failing:
        return None
    return fact.started + fact.ready_after


def _node_ready(state: AppsState, name: str) -> bool:
    node = _find(state.nodes, name)
    return node is not None and node.ready == READY_TRUE


def _should_be_ready(state: AppsState, pod: PodView, fact: PodFacts) -> bool:
    at = _ready_at(fact)
    running = pod.phase == RUNNING and not pod.deleting
    return running and at is not None and at <= state.now and _node_ready(state, pod.node)


def _refresh_readiness(state: AppsState) -> AppsState:
    facts = state.fact_map()
    pods, turned_ready = [], []
    for pod in state.pods:
        want = _should_be_ready(state, pod, facts[pod.name]) if pod.name in facts else pod.ready
        if pod.deleting:
            want = pod.ready  # readiness left as is while terminating
        if want != pod.ready:
            pod = attrs.evolve(pod, ready=want, ready_since=state.now if want else None)
            turned_ready += [pod] if want else []
        pods.append(pod)
    return _daemon_ready_resyncs(attrs.evolve(state, pods=tuple(pods)), turned_ready)


def _daemon_ready_resyncs(state: AppsState, turned_ready: Iterable[PodView]) -> AppsState:
    """A daemon pod turning Ready re-syncs its DaemonSet minReadySeconds + 1 s later, once it is Available:
    without it a surge whose new pod goes Available would wait for the informer resync, as the oldest
    (old) pod of each node keeps numberReady == numberAvailable and the status re-sync off."""
    # ref daemon_controller.go (updatePod: changedToReady && MinReadySeconds > 0 -> enqueueDaemonSetAfter)
    for pod in turned_ready:
        ds = next((d for d in state.daemonsets if pod.owner is not None and d.uid == pod.owner.uid), None)
        if ds is not None and ds.spec.min_ready_seconds > 0:
            state = _timer(state, state.now + ds.spec.min_ready_seconds + 1)
    return state


def _remove_pods(state: AppsState, names: set[str]) -> AppsState:
    gone_uids = {p.uid for p in state.pods if p.name in names}
    facts = {n: f for n, f in state.fact_map().items() if n not in names}
    state = _set_facts(attrs.evolve(state, pods=tuple(p for p in state.pods if p.name not in names)), facts)
    return state if state.gc_after_sync else _collect_claims(state, gone_uids)


def remove_at_once(state: AppsState, names: set[str]) -> AppsState:
    """Force deletion (grace period 0) of several pods at one instant: gone now when removals go
    TOGETHER, else due now, to go one at a time between the controllers' syncs (`_remove_next`)."""
    if state.removals == TOGETHER:
        return _remove_pods(state, names)
    facts = {
        n: attrs.evolve(f, delete_at=state.now) if n in names else f for n, f in state.fact_map().items()
    }
    return _set_facts(state, facts)


def _collect_claims(state: AppsState, gone_uids: set[str]) -> AppsState:
    """Garbage collection: a claim whose every owner is gone is deleted."""
    live = {p.uid for p in state.pods} | {s.uid for s in state.statefulsets}
    kept = tuple(c for c in state.claims if not c.owners or any(o.uid in live for o in c.owners))
    return attrs.evolve(state, claims=kept) if gone_uids or len(kept) != len(state.claims) else state


def _delete_pods(state: AppsState, names: Iterable[str]) -> AppsState:
    """Graceful deletion; an unbound pod, or one already Failed or Succeeded, is gone at once (no kubelet
    has a container to stop), so a StatefulSet's next sync already finds the slot empty."""
    # ref kubernetes/kubernetes:pkg/registry/core/pod/strategy.go (CheckGracefulDelete: period 0 when
    # spec.nodeName is empty or the phase is Failed / Succeeded)
    names = set(names)
    at_once = {
        p.name for p in state.pods if p.name in names and (not p.node or p.phase in (FAILED, SUCCEEDED))
    }
    state = _remove_pods(state, at_once)
    facts, pods = state.fact_map(), []
    for p in state.pods:
        if p.name in names and not p.deleting:
            facts[p.name] = attrs.evolve(facts[p.name], delete_at=state.now + GRACE_SECONDS)
            state = _timer(state, state.now + GRACE_SECONDS)
            p = attrs.evolve(p, deleting=True)
        pods.append(p)
    return _set_facts(attrs.evolve(state, pods=tuple(pods)), facts)


def _evict_untolerated(state: AppsState) -> AppsState:
    """The taint manager: a pod on a node with a user NoExecute taint its own tolerations miss is deleted.

    Daemon pods too: their controller judges shouldContinueRunning on the current template, so it would
    keep a pod of an older revision that lacks a toleration the current template has."""
    # ref kubernetes/kubernetes:pkg/controller/tainteviction/taint_eviction.go (processPodOnNode)
    doomed = []
    for pod in state.pods:
        node = _find(state.nodes, pod.node)
        template = _template_of(state, pod)
        if node is None or template is None or pod.owner is None or pod.deleting:
            continue
        if elig.untolerated(node.taints, _pod_tolerations(pod.owner.kind, template), _no_execute):
            doomed.append(pod.name)
    return _delete_pods(state, doomed) if doomed else state


def _pod_tolerations(kind: str, template: AppsPodTemplate) -> tuple[elig.Toleration, ...]:
    """A pod's tolerations: a daemon pod carries the ones its controller adds as well."""
    return elig.daemon_pod_tolerations(template) if kind == DAEMONSET else tuple(template.tolerations)


def _no_execute(taint: elig.Taint) -> bool:
    return taint.effect == NO_EXECUTE


def _due_removals(state: AppsState) -> list[str]:
    """Pods whose graceful deletion is over, in (node, name) order."""
    due = {n for n, f in state.facts if f.delete_at is not None and f.delete_at <= state.now}
    return [p.name for p in sorted(state.pods, key=lambda p: (p.node, p.name)) if p.name in due]


def _kubelet_step(state: AppsState) -> AppsState:
    gone = _due_removals(state) if state.removals == TOGETHER else []
    if gone:
        state = _remove_pods(state, set(gone))
    return _refresh_readiness(_bind_pending(_evict_untolerated(state)))


def _remove_next(state: AppsState) -> AppsState:
    """ONE_BY_ONE(_REVERSED) once all else is done, EACH_ROUND after every round: the next pod whose
    graceful deletion is over goes."""
    due = _due_removals(state)
    if not due or state.removals == TOGETHER:
        return state
    return _remove_pods(state, {due[-1] if state.removals == ONE_BY_ONE_REVERSED else due[0]})


# ---------------------------------------------------------------- StatefulSet controller


def _claim(state: AppsState, write: statefulset_sync.ClaimWrite, sts: StatefulSetView) -> AppsState:
    """Create the claim or rewrite its owners; a pod owner needs the pod's uid, so it exists by now."""
    pod = _find(state.pods, write.pod)
    owners = [OwnerRef(STATEFULSET, sts.name, sts.uid)] if STATEFULSET in write.owners else []
    if pvc.POD in write.owners and pod is not None:
        owners.append(OwnerRef(pvc.POD, write.pod, pod.uid))
    existing = _find(state.claims, write.name)
    if existing is not None:
        claim = attrs.evolve(existing, owners=tuple(owners))
    else:
        state, uid = _uid(state)
        claim = PersistentVolumeClaimView(write.name, uid, tuple(owners), sts.spec.selector)
    return attrs.evolve(state, claims=_put(state.claims, claim))


def _revision(state: AppsState, owner_uid: str, name: str) -> ControllerRevisionView | None:
    return next((r for r in state.revisions if r.owner.uid == owner_uid and r.name == name), None)


def _create_sts_pod(state: AppsState, sts: StatefulSetView, create: statefulset_sync.PodCreate) -> AppsState:
    rev = _revision(state, sts.uid, create.revision)
    template = rev.template if rev is not None else sts.spec.template
    state, uid = _uid(state)
    pod_labels = {
        **template.label_dict(),
        CONTROLLER_REVISION_HASH: create.revision,
        STATEFULSET_POD_NAME: create.name,
        POD_INDEX: str(create.ordinal),
    }
    pod = PodView(
        create.name,
        uid,
        OwnerRef(STATEFULSET, sts.name, sts.uid),
        labels(pod_labels),
        template.image,
        "",
        PENDING,
        False,
        None,
        False,
        state.now,
    )
    facts = state.fact_map()
    facts[pod.name] = PodFacts(ready_after=template.behavior.ready_after)
    return _set_facts(attrs.evolve(state, pods=_put(state.pods, pod)), facts)


def _write_revision(state: AppsState, rev: ControllerRevisionView | None) -> AppsState:
    return state if rev is None else attrs.evolve(state, revisions=_put(state.revisions, rev))


def _drop_revisions(state: AppsState, names: Iterable[str]) -> AppsState:
    names = set(names)
    return attrs.evolve(state, revisions=tuple(r for r in state.revisions if r.name not in names))


def _set_pods(state: AppsState, sts: StatefulSetView) -> list[PodView]:
    return [p for p in state.pods if p.owner and p.owner.uid == sts.uid]


def stale_claim_stall(state: AppsState, sts: StatefulSetView) -> str:
    """The pod `sts` did not create on a stale claim, if no event for the set came since ("" if none)."""
    wait = next((w for w in state.stale_waits if w.set_uid == sts.uid), None)
    waiting = wait is not None and pvc.still_waiting(wait, sts, _set_pods(state, sts), state.now)
    return wait.pod if wait is not None and waiting else ""


def _record_wait(state: AppsState, sts: StatefulSetView, read: list[PodView], stale: str) -> AppsState:
    """Keep (or drop) the set's wait after a sync that read `read`; `stale` is the pod it did not create."""
    waits = tuple(w for w in state.stale_waits if w.set_uid != sts.uid)
    if stale:
        waits += (pvc.stale_claim_wait(sts, read, stale, state.now),)
    return state if waits == state.stale_waits else attrs.evolve(state, stale_waits=waits)


def _sync_statefulset(state: AppsState, sts: StatefulSetView, release: Release) -> AppsState:
    decision = statefulset_sync.sync(
        sts, state.revisions, state.pods, state.claims, state.now, release=release
    )
    state = _record_wait(state, sts, _set_pods(state, sts), decision.stale_claim)
    state = _drop_revisions(_write_revision(state, decision.revisions.written), decision.truncated)
    for write in decision.claims:
        state = _claim(state, write, sts)
    for create in decision.creates:
        state = _create_sts_pod(state, sts, create)
    state = _delete_pods(state, [d.name for d in decision.deletes])
    if sts_util.status_changed(sts.status, decision.status) and _admissible(decision.status):
        state = attrs.evolve(
            state, statefulsets=_put(state.statefulsets, attrs.evolve(sts, status=decision.status))
        )
    return _availability_timers(state, _set_pods(state, sts), sts.spec.min_ready_seconds)


def _admissible(status: StatefulSetStatus) -> bool:
    """The API server rejects a status with a negative count; the sync is retried and the next write, counted
    afresh, goes through. (currentReplicas drops once per update deletion whatever the deleted pod's
    revision, so it can go below 0.)"""
    # ref kubernetes/kubernetes:pkg/apis/apps/validation/validation.go (ValidateStatefulSetStatus),
    # kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_control.go
    # (updateStatefulSetAfterInvariantEstablished: status.CurrentReplicas--)
    counts = (status.replicas, status.ready_replicas, status.current_replicas, status.updated_replicas)
    return min(*counts, status.available_replicas) >= 0


def _availability_timers(state: AppsState, pods: Iterable[PodView], mrs: int) -> AppsState:
    """A sync when each Ready pod becomes Available, readySince + minReadySeconds: upstream's requeue when
    a pod turns Ready is minReadySeconds, and its post-sync requeue (FindMinNextPodAvailabilityCheck) the
    exact duration to the next one, which then is Available (at least minReadySeconds)."""
    # ref kubernetes/kubernetes:pkg/controller/statefulset/stateful_set.go@v1.35.4 (updatePod,
    # syncStatefulSet), pkg/api/v1/pod/util.go@v1.35.4 (IsPodAvailable)
    for pod in pods:
        if mrs > 0 and pod.ready and pod.ready_since is not None:
            state = _timer(state, pod.ready_since + mrs)
    return state


# ---------------------------------------------------------------- DaemonSet controller


def _create_daemon_pod(
    state: AppsState, ds: DaemonSetView, node: str, rev: ControllerRevisionView, choose: Choose
) -> AppsState:
    rank = choose.rank((ds.name, node, rev.revision), state.now, state.next_uid)
    state, uid = _uid(state)
    suffix, n = [], state.next_uid
    for _ in range(5):
        n, digit = divmod(n, len(NAME_ALPHABET))
        suffix.append(NAME_ALPHABET[digit])
    template = rev.template
    pod = PodView(
        f"{ds.name}-{''.join(suffix)}",
        uid,
        OwnerRef(DAEMONSET, ds.name, ds.uid),
        labels({**template.label_dict(), CONTROLLER_REVISION_HASH: rev.hash}),
        template.image,
        "",
        PENDING,
        False,
        None,
        False,
        state.now,
    )
    facts = state.fact_map()
    facts[pod.name] = PodFacts(ready_after=template.behavior.ready_after, target=node, rank=rank)
    return _set_facts(attrs.evolve(state, pods=_put(state.pods, pod)), facts)


def _sync_daemonset(state: AppsState, ds: DaemonSetView, choose: Choose) -> AppsState:
    decision = daemonset_sync.sync(
        ds,
        state.revisions,
        state.nodes,
        state.pods,
        state.now,
        targets=state.targets(),
        backoff=dict(state.backoff),
        ranks=state.ranks(),
    )
    current = decision.revisions.current
    deletes = choose.pick(decision.deletes, _placement_of(state, ds), creating=False)
    state = _drop_revisions(_write_revision(state, decision.revisions.written), decision.truncated)
    for node in sorted(
        choose.pick(decision.creates, lambda n: (ds.name, n, current.revision), creating=True)
    ):
        state = _create_daemon_pod(state, ds, node, current, choose)
    state = _delete_pods(state, deletes)
    if decision.backoff:
        state = attrs.evolve(
            state, backoff=tuple(sorted({**dict(state.backoff), **dict(decision.backoff)}.items()))
        )
    if decision.status != ds.status:
        state = attrs.evolve(
            state, daemonsets=_put(state.daemonsets, attrs.evolve(ds, status=decision.status))
        )
    # The controller's own re-queues; a pod turning Ready re-syncs it once Available (_daemon_ready_resyncs).
    return _timer(state, state.now + decision.requeue_after if decision.requeue_after is not None else None)


def _placement_of(state: AppsState, ds: DaemonSetView) -> Callable[[str], Placement]:
    """What a pod of `ds` stands for in a settled placement: its node and revision number."""
    numbers = {r.hash: r.revision for r in state.revisions if r.owner.uid == ds.uid}
    pods, targets = {p.name: p for p in state.pods}, state.targets()

    def placement(name: str) -> Placement:
        pod = pods[name]
        return (
            ds.name,
            ds_util.target_node(pod, targets),
            numbers.get(dict(pod.labels).get(CONTROLLER_REVISION_HASH, ""), 0),
        )

    return placement


# ---------------------------------------------------------------- rounds and settling


def _round(state: AppsState, release: Release, choose: Choose) -> AppsState:
    state = _kubelet_step(state)
    for sts in state.statefulsets:
        current = _find(state.statefulsets, sts.name)
        if current is not None and not stale_claim_stall(state, current):
            state = _sync_statefulset(state, current, release)
    for ds in state.daemonsets:
        current = _find(state.daemonsets, ds.name)
        if current is not None:
            state = _sync_daemonset(state, current, choose)
    return state


def run_controllers(
    state: AppsState, *, release: Release = DEFAULT, choose: Choose = choose_first
) -> AppsState:
    """Rounds at the current instant until one changes nothing; then the garbage collector (when it runs
    after the controllers) and, one at a time with `removals` ONE_BY_ONE(_REVERSED), the next pod whose
    graceful deletion is over, and rounds again, until none changes anything. After MAX_ROUNDS without a
    fixpoint the state is marked `looping` (a later operation may break the loop; `settle` reports it
    unsettled)."""
    state = attrs.evolve(state, looping=False)
    for _ in range(MAX_ROUNDS):
        after = _round(state, release, choose)
        if state.removals == EACH_ROUND:
            after = _remove_next(after)
        if _without_timers(after) == _without_timers(state):
            after = _collect_claims(after, set())
            if after.claims == state.claims:
                after = _remove_next(after)
                if after.pods == state.pods:
                    return after
        state = after
    return attrs.evolve(state, looping=True)


def _without_timers(state: AppsState) -> AppsState:
    return attrs.evolve(state, timers=frozenset())


def settle(
    state: AppsState, *, horizon: float = 3600.0, release: Release = DEFAULT, choose: Choose = choose_first
) -> tuple[AppsState, bool]:
    """Jump from timer to timer until none is left (True) or the horizon passes or the controllers loop
    at an instant (False)."""
    end = state.now + horizon
    state = run_controllers(state, release=release, choose=choose)
    for _ in range(MAX_EVENTS):
        if state.looping:
            return state, False
        due = sorted(t for t in state.timers if t > state.now)
        if not due:
            return state, True
        if due[0] > end:
            return state, False
        state = attrs.evolve(state, now=due[0], timers=frozenset(due[1:]))
        state = run_controllers(state, release=release, choose=choose)
    return state, False


def view(state: AppsState) -> AppsClusterView:
    return AppsClusterView(
        now=state.now,
        statefulsets=state.statefulsets,
        daemonsets=state.daemonsets,
        revisions=state.revisions,
        pods=state.pods,
        claims=state.claims,
        nodes=state.nodes,
    )

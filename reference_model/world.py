"""The quiescent oracle: a pure, deterministic executor of scenarios on a virtual cluster.

`world_operations.apply` carries out one operation and runs the controllers to a fixpoint at the current
instant; `settle` lets virtual time jump from timer to timer until nothing is left to do. The controllers'
decisions come from `replicaset.sync` and `deployment.sync`; where a decision allows several outcomes (tied
pods, tied ReplicaSets) the world takes the first one deterministically, so only what `quiescent.summarize`
keeps may be compared with another target.

World semantics (the contract the simulator adapter follows too):

* Nodes: `initial_state(n)` has nodes node-0 .. node-(n-1), each labelled kubernetes.io/hostname=<name>
  (as is a node joined by NodeJoin, on top of its own labels). NodeLeave deletes the node; its pods vanish at
  once (pod GC force-deletes them) and their controllers replace them elsewhere.
* Scheduling: a new pod is bound at once to the node with the fewest pods among the nodes whose labels
  include the template's node_selector, ties by node name (pods counted: every pod bound to the node that is
  not Succeeded/Failed, terminating ones included). With no such node it stays Pending and unscheduled, and
  is bound as soon as a matching node exists (oldest pod first).
* Kubelet: a bound pod is Running at once and turns Ready `behavior.ready_after` seconds after it was bound
  (never when None); Ready's lastTransitionTime is that instant. PodAction: `fail` -> phase Failed, not
  Ready; `delete` -> graceful deletion; `unready` -> not Ready until a `ready` action (the probe keeps
  failing); `ready` -> Ready now (Running pods only). Every deletion of a bound pod is graceful and the
  kubelet completes it 1 s later; an unbound pod is removed at once. Readiness is left as is while a pod
  terminates (no count includes terminating pods). `crash` -> the container restarts in place:
  restarts + 1, not Ready, Ready again `ready_after` seconds after the restart (the kubelet's crash-loop
  back-off is the harness's business and not played).
* Node health (SetNodeReady): while a node's Ready condition is not True no pod is scheduled there and its
  pods are not Ready (the node lifecycle controller marks them); each pod there is deleted
  (gracefully, terminal ones too) DEFAULT_TOLERATION_SECONDS after the node first stopped being Ready,
  unless it becomes Ready before. When it does, its pods are Ready again at once where their kubelet says
  so (started `ready_after` ago, or made Ready by a `ready` action), later otherwise.
* Claiming: each ReplicaSet sync first writes its claim (replicaset.adoptions / releases): active orphans
  matching its selector get its controller ownerReference, active pods it owns that stopped matching lose
  it and keep running as orphans. A bare pod (CreateBarePod) is scheduled and run like the controllers'
  pods, with its own nodeSelector; RelabelPod replaces a pod's labels.
* Failed pods stay (not active) until their owner is deleted.
* Deleting a workload (DeleteWorkload, or history cleanup of a ReplicaSet) removes the object at once and
  deletes its dependents in the background (ReplicaSets at once, pods gracefully).
* Controllers: syncs read fresh state (no cache lag, expectations always satisfied, every API call succeeds),
  in a fixed order: every ReplicaSet by name, then every Deployment by name, each sync seeing the writes of
  the ones before; rounds repeat until a round changes nothing. Every round first applies the kubelet events
  that are due (bindings, Ready transitions, completed deletions).
* Timers: Ready transitions, graceful-deletion completions, ReplicaSet re-syncs (minReadySeconds after a pod
  turns Ready, as in v1.35.4 where the fact sheet says + 1 s; and the decision's `requeue_after`) and
  Deployment progress re-checks (the decision's `requeue_after`). At a timer every controller syncs (a
  sync with nothing to do changes nothing).
* User operations write specs as the API server does: validated first (InvalidSpec, state unchanged),
  `metadata.generation` + 1 only when the spec changes. Operations naming a missing workload do nothing.
  Rollback is `kubectl rollout undo`: the template of the ReplicaSet with that revision (0: the second highest
  revision), minus the hash label, is written into the Deployment; nothing happens when that revision does
  not exist, when the templates are already equal, or when the Deployment is paused (kubectl refuses).
* Names: pods are `<replicaset>-<5 characters>` from a counter over kubectl's alphabet; uids are
  `uid-<counter, zero-padded>`, so uid order is creation order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import attrs

from kubeprops.scenario.apps_extra import READY_TRUE
from kubeprops.scenario.ops import (
    DEPLOYMENT,
    REPLICASET,
)
from kubeprops.scenario.spec import Labels, PodTemplate, labels
from kubeprops.scenario.view import (
    FAILED,
    PENDING,
    RUNNING,
    SUCCEEDED,
    ClusterView,
    Condition,
    DeploymentView,
    NodeView,
    OwnerRef,
    PodView,
    ReplicaSetView,
)

from . import deployment, deployment_races, replicaset
from .deployment_status import NEW_RS_AVAILABLE_REASON, PROGRESSING
from .named import find as _find
from .named import put as _put
from .quiescent import Summary, summarize
from .release import DEFAULT, Release

HOSTNAME = "kubernetes.io/hostname"
GRACE_SECONDS = 1.0
# Every pod the controllers create tolerates the not-ready / unreachable NoExecute taints for this long:
# the DefaultTolerationSeconds admission plugin adds the tolerations, the taint eviction controller
# deletes the pod when the shorter one runs out, counted from the first taint (a later change of taint
# keeps the eviction scheduled first), and cancels it when the taints go.
# ref plugin/pkg/admission/defaulttolerationseconds/admission.go,
# pkg/controller/tainteviction/taint_eviction.go (processPodOnNode)
DEFAULT_TOLERATION_SECONDS = 300.0
MAX_ROUNDS = 1000  # controller rounds at one instant before we call it a livelock
MAX_EVENTS = 100_000  # events one settle processes before giving up
NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # ref apimachinery util/rand (alphanums), generateName suffix
TIMER_DEPLOYMENT, TIMER_REPLICASET = DEPLOYMENT, REPLICASET


@attrs.frozen
class Kubelet:
    """What the kubelet knows of one pod."""

    ready_after: int | None  # from the template, at creation
    started: float | None = None  # when it was bound and started running
    probe_failing: bool = False  # an `unready` action: no Ready transition until a `ready` action
    delete_at: float | None = None  # when the graceful deletion completes
    forced: bool = False  # a `ready` action made it Ready whatever its delay (until it crashes)
    evict_at: float | None = None  # when the taint eviction controller deletes it (its node is not Ready)
    # the pod's own spec.nodeSelector; None: read from its ReplicaSet's template (the controllers' pods)
    node_selector: Labels | None = None


@attrs.frozen
class WorldState:
    now: float = 0.0
    nodes: tuple[NodeView, ...] = ()
    deployments: tuple[DeploymentView, ...] = ()
    replicasets: tuple[ReplicaSetView, ...] = ()
    pods: tuple[PodView, ...] = ()
    kubelet: tuple[tuple[str, Kubelet], ...] = ()  # by pod name, sorted
    timers: frozenset[tuple[float, str, str]] = frozenset()  # (at, kind, name) controller re-syncs
    next_uid: int = 1
    next_pod: int = 0
    # by Deployment name: Progressing conditions a racing target may show instead of the model's
    # (see `deployment_races`); the settled comparison accepts any of them
    alternatives: tuple[tuple[str, frozenset[Condition]], ...] = ()

    def facts(self) -> dict[str, Kubelet]:
        return dict(self.kubelet)

    def alternatives_of(self, name: str) -> frozenset[Condition]:
        return next((c for n, c in self.alternatives if n == name), frozenset())


# ---------------------------------------------------------------- small helpers


def _with_facts(state: WorldState, facts: dict[str, Kubelet]) -> WorldState:
    return attrs.evolve(state, kubelet=tuple(sorted(facts.items())))


def _uid(state: WorldState) -> tuple[WorldState, str]:
    return attrs.evolve(state, next_uid=state.next_uid + 1), f"uid-{state.next_uid:06d}"


def _suffix(n: int) -> str:
    chars = []
    for _ in range(5):
        n, digit = divmod(n, len(NAME_ALPHABET))
        chars.append(NAME_ALPHABET[digit])
    return "".join(reversed(chars))


def _add_timer(state: WorldState, after: float | None, kind: str, name: str) -> WorldState:
    if after is None:
        return state
    return attrs.evolve(state, timers=state.timers | {(state.now + after, kind, name)})


def initial_state(nodes: int = 3) -> WorldState:
    """An empty cluster with `nodes` ready nodes named node-0, node-1, ..."""
    return WorldState(nodes=tuple(_node(f"node-{i}", ()) for i in range(nodes)))


def _node(name: str, extra: Labels) -> NodeView:
    return NodeView(name=name, labels=labels({**dict(extra), HOSTNAME: name}))


def view(state: WorldState) -> ClusterView:
    return ClusterView(
        now=state.now,
        deployments=state.deployments,
        replicasets=state.replicasets,
        pods=state.pods,
        nodes=state.nodes,
    )


def expected_summary(state: WorldState) -> Summary:
    """The settled summary a target must match, with every outcome upstream's races allow."""
    summary = summarize(view(state))
    return attrs.evolve(
        summary,
        deployments=tuple(
            attrs.evolve(d, progressing_also=_other_triples(d.progressing, state.alternatives_of(d.name)))
            for d in summary.deployments
        ),
    )


def _other_triples(
    model: tuple[str, str, str] | None, conditions: frozenset[Condition]
) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted({(c.type, c.status, c.reason) for c in conditions} - {model}))  # type: ignore[operator]


# ---------------------------------------------------------------- scheduling and the kubelet


def _pods_on(state: WorldState, node: str) -> int:
    return sum(1 for p in state.pods if p.node == node and p.phase not in (SUCCEEDED, FAILED))


def _pick_node(state: WorldState, selector: Labels) -> str:
    # a node that is not Ready carries a not-ready / unreachable NoSchedule taint no pod here tolerates
    fits = [n for n in state.nodes if set(selector) <= set(n.labels) and n.ready_status == READY_TRUE]
    if not fits:
        return ""
    return min(fits, key=lambda n: (_pods_on(state, n.name), n.name)).name


def _bind(state: WorldState, pod: PodView, selector: Labels) -> WorldState:
    node = _pick_node(state, selector)
    if not node:
        return state
    facts = state.facts()
    facts[pod.name] = attrs.evolve(facts[pod.name], started=state.now)
    bound = attrs.evolve(pod, node=node, phase=RUNNING)
    return _with_facts(attrs.evolve(state, pods=_put(state.pods, bound)), facts)


def _selector_of(state: WorldState, pod: PodView) -> Labels:
    own = state.facts()[pod.name].node_selector
    if own is not None:
        return own
    rs = _find(state.replicasets, pod.owner.name) if pod.owner is not None else None
    return rs.template.node_selector if rs is not None else ()


def _kubelet_step(state: WorldState) -> WorldState:
    """Apply every kubelet event due at `state.now`: completed deletions, bindings, Ready transitions."""
    facts = state.facts()
    gone = {n for n, f in facts.items() if f.delete_at is not None and f.delete_at <= state.now}
    if gone:
        state = _remove_pods(state, gone)
    evicted = [p.name for p in state.pods if _evicted(p, facts.get(p.name), state.now)]
    if evicted:
        state = _delete_pods(state, evicted)
    for pod in sorted(
        (p for p in state.pods if p.phase == PENDING and not p.node), key=lambda p: (p.created, p.name)
    ):
        state = _bind(state, pod, _selector_of(state, pod))
    facts = state.facts()  # binding started pods; Ready transitions below change no facts
    for pod in state.pods:
        at = _pod_ready_time(state, pod, facts)
        if at is not None and at <= state.now:
            state = _set_ready(state, pod, True)
    return state


def _evicted(pod: PodView, fact: Kubelet | None, now: float) -> bool:
    return fact is not None and fact.evict_at is not None and fact.evict_at <= now and not pod.deleting


def _node_ready(state: WorldState, name: str) -> bool:
    node = _find(state.nodes, name)
    return node is not None and node.ready_status == READY_TRUE


def _ready_time(pod: PodView, fact: Kubelet | None, node_ready: bool = True) -> float | None:
    if fact is None or fact.started is None or fact.ready_after is None or fact.probe_failing:
        return None
    if pod.ready or pod.deleting or pod.phase != RUNNING or not node_ready:
        return None
    return fact.started + fact.ready_after


def _pod_ready_time(state: WorldState, pod: PodView, facts: dict[str, Kubelet]) -> float | None:
    return _ready_time(pod, facts.get(pod.name), _node_ready(state, pod.node))


def _set_ready(state: WorldState, pod: PodView, ready: bool) -> WorldState:
    if pod.ready == ready:
        return state
    changed = attrs.evolve(pod, ready=ready, ready_since=state.now if ready else None)
    state = attrs.evolve(state, pods=_put(state.pods, changed))
    rs = _find(state.replicasets, pod.owner.name) if ready and pod.owner is not None else None
    if rs is not None:  # ref replica_set.go (updatePod): re-sync after minReadySeconds
        state = _add_timer(state, replicaset.ready_transition_requeue(rs), TIMER_REPLICASET, rs.name)
    return state


def _remove_pods(state: WorldState, names: set[str]) -> WorldState:
    facts = {n: f for n, f in state.facts().items() if n not in names}
    pods = tuple(p for p in state.pods if p.name not in names)
    return _with_facts(attrs.evolve(state, pods=pods), facts)


def _delete_pods(state: WorldState, names: Iterable[str]) -> WorldState:
    """Graceful deletion: unbound pods vanish at once, bound ones 1 s later."""
    names = set(names)
    now_gone = {p.name for p in state.pods if p.name in names and not p.node}
    state = _remove_pods(state, now_gone)
    facts = state.facts()
    pods = []
    for p in state.pods:
        if p.name in names and not p.deleting:
            facts[p.name] = attrs.evolve(facts[p.name], delete_at=state.now + GRACE_SECONDS)
            p = attrs.evolve(p, deleting=True)
        pods.append(p)
    return _with_facts(attrs.evolve(state, pods=tuple(pods)), facts)


def delete_replicaset(state: WorldState, name: str) -> WorldState:
    """Remove the ReplicaSet at once; the garbage collector deletes its pods in the background."""
    rs = _find(state.replicasets, name)
    if rs is None:
        return state
    state = attrs.evolve(state, replicasets=tuple(r for r in state.replicasets if r.name != name))
    owned = [
        p.name
        for p in state.pods
        if p.owner is not None and p.owner.kind == REPLICASET and p.owner.uid == rs.uid
    ]
    return _delete_pods(state, owned)


# ---------------------------------------------------------------- controllers


def create_pod(
    state: WorldState, name: str, template: PodTemplate, owner: OwnerRef | None, *, own_selector: bool = False
) -> WorldState:
    """A new pod from `template`, bound at once where a node fits. `own_selector`: the pod keeps the
    template's nodeSelector as its own (a bare pod), instead of following its ReplicaSet's template."""
    state, uid = _uid(state)
    pod = PodView(
        name=name,
        uid=uid,
        owner=owner,
        labels=template.labels,
        image=template.image,
        node="",
        phase=PENDING,
        ready=False,
        ready_since=None,
        deleting=False,
        created=state.now,
    )
    facts = state.facts()
    selector = template.node_selector if own_selector else None
    facts[name] = Kubelet(ready_after=template.behavior.ready_after, node_selector=selector)
    state = _with_facts(attrs.evolve(state, pods=_put(state.pods, pod)), facts)
    return _bind(state, pod, template.node_selector)


def _create_pods(state: WorldState, rs: ReplicaSetView, count: int) -> WorldState:
    for _ in range(count):
        name = f"{rs.name}-{_suffix(state.next_pod)}"
        state = attrs.evolve(state, next_pod=state.next_pod + 1)
        state = create_pod(state, name, rs.template, OwnerRef(REPLICASET, rs.name, rs.uid))
    return state


def _claim(state: WorldState, rs: ReplicaSetView) -> WorldState:
    """Write this sync's adoptions and releases: the controller ownerReference added or removed."""
    # ref replica_set.go (claimPods), controller_ref_manager.go (ClaimObject, AdoptPod, ReleasePod)
    owner = OwnerRef(REPLICASET, rs.name, rs.uid)
    changed = [attrs.evolve(p, owner=owner) for p in replicaset.adoptions(rs, state.pods)]
    changed += [attrs.evolve(p, owner=None) for p in replicaset.releases(rs, state.pods)]
    pods = state.pods
    for pod in changed:
        pods = _put(pods, pod)
    return attrs.evolve(state, pods=pods) if changed else state


def _sync_replicaset(state: WorldState, name: str, release: Release) -> WorldState:
    rs = _find(state.replicasets, name)
    if rs is None:
        return state
    related = replicaset.related_pods_of(rs, state.replicasets, state.pods)
    decision = replicaset.sync(rs, state.pods, state.now, release=release, related_pods=related)
    state = _claim(state, rs)
    if decision.create:
        state = _create_pods(state, rs, decision.create)
    if decision.delete_count:
        allowed = decision.deletions
        chosen = set(allowed.certain) | set(sorted(allowed.pool)[: allowed.pick])
        state = _delete_pods(state, chosen)
    if decision.status != rs.status:
        state = attrs.evolve(
            state, replicasets=_put(state.replicasets, attrs.evolve(rs, status=decision.status))
        )
    return _add_timer(state, decision.requeue_after, TIMER_REPLICASET, name)


def _update_rs(
    state: WorldState, name: str, change: Callable[[ReplicaSetView], ReplicaSetView]
) -> WorldState:
    rs = _find(state.replicasets, name)
    if rs is None:
        return state
    new = change(rs)
    if (new.replicas, new.min_ready_seconds, new.template) != (
        rs.replicas,
        rs.min_ready_seconds,
        rs.template,
    ):
        new = attrs.evolve(new, generation=rs.generation + 1)
    return attrs.evolve(state, replicasets=_put(state.replicasets, new))


def _merge_annotations(current: Labels, updates: Labels) -> Labels:
    return labels({**dict(current), **dict(updates)})


def _apply_deployment_decision(
    state: WorldState, d: DeploymentView, decision: deployment.DeploymentDecision
) -> WorldState:
    # the revision sync of the new ReplicaSet
    for name, notes in decision.annotate:
        state = _update_rs(state, name, lambda rs, a=notes: attrs.evolve(rs, annotations=a))
    for name, mrs in decision.min_ready_seconds:
        state = _update_rs(state, name, lambda rs, m=mrs: attrs.evolve(rs, min_ready_seconds=m))
    if decision.create is not None:
        if (
            _find(state.replicasets, decision.create.name) is not None
        ):  # hash collision: retry with a new hash
            status = attrs.evolve(d.status, collision_count=d.status.collision_count + 1)
            return attrs.evolve(state, deployments=_put(state.deployments, attrs.evolve(d, status=status)))
        state, uid = _uid(state)
        state = attrs.evolve(
            state, replicasets=_put(state.replicasets, attrs.evolve(decision.create, uid=uid))
        )
    for name, size in decision.scale:
        state = _update_rs(
            state,
            name,
            lambda rs, n=size: attrs.evolve(
                rs, replicas=n, annotations=_merge_annotations(rs.annotations, decision.replicas_annotations)
            ),
        )
    for name in decision.delete:
        state = delete_replicaset(state, name)
    new_d = attrs.evolve(d, annotations=decision.deployment_annotations, status=decision.status)
    if new_d != d:
        state = attrs.evolve(state, deployments=_put(state.deployments, new_d))
    return _add_timer(state, _progress_recheck(decision), TIMER_DEPLOYMENT, d.name)


def _progress_recheck(decision: deployment.DeploymentDecision) -> float | None:
    """The decision's re-check, except the endless one upstream keeps for a Deployment that completed once
    and then lost availability: its Progressing reason stays NewReplicaSetAvailable, so syncRolloutStatus
    judges nothing and DeploymentTimedOut never fires, yet requeueStuckDeployment re-polls it rate-limited
    (every 5-100 ms) for ever, changing nothing. The world leaves that poll out."""
    status = decision.status
    cond = status.condition(PROGRESSING)
    if (
        cond is not None
        and cond.reason == NEW_RS_AVAILABLE_REASON
        and status.replicas == status.updated_replicas
    ):
        return None
    return decision.requeue_after


def _sync_deployment(state: WorldState, name: str, release: Release) -> WorldState:
    d = _find(state.deployments, name)
    if d is None:
        return state

    def resync(view: DeploymentView) -> deployment.DeploymentDecision:
        return deployment.sync(view, state.replicasets, state.pods, state.now, release=release)

    decision = resync(d)
    alternatives, requeues = deployment_races.step(
        d,
        decision,
        state.alternatives_of(name),
        resync,
        _progress_recheck,
        old_replicas={rs.name: rs.status.replicas for rs in state.replicasets},
        now=state.now,
    )
    state = _apply_deployment_decision(state, d, decision)
    for after in requeues:
        state = _add_timer(state, after, TIMER_DEPLOYMENT, name)
    return _set_alternatives(state, name, alternatives)


def _set_alternatives(state: WorldState, name: str, found: frozenset[Condition]) -> WorldState:
    kept = tuple((n, c) for n, c in state.alternatives if n != name)
    return attrs.evolve(state, alternatives=tuple(sorted((*kept, (name, found)) if found else kept)))


def _round(state: WorldState, release: Release) -> WorldState:
    state = _kubelet_step(state)
    for rs in state.replicasets:
        state = _sync_replicaset(state, rs.name, release)
    for d in state.deployments:
        state = _sync_deployment(state, d.name, release)
    return state


def run_to_fixpoint(state: WorldState, *, release: Release = DEFAULT) -> WorldState:
    """Rounds of kubelet events and controller syncs at `state.now` until one changes nothing."""
    for _ in range(MAX_ROUNDS):
        nxt = _round(state, release)
        if nxt == state:
            return state
        state = nxt
    raise RuntimeError(f"controllers did not reach a fixpoint at t={state.now} in {MAX_ROUNDS} rounds")


# ---------------------------------------------------------------- time


def next_event(state: WorldState) -> float | None:
    """The earliest kubelet event or controller timer after `state.now`."""
    facts = state.facts()
    times = [t for t, _, _ in state.timers]
    times += [f.delete_at for f in facts.values() if f.delete_at is not None]
    times += [f.evict_at for f in facts.values() if f.evict_at is not None]
    times += [t for p in state.pods if (t := _pod_ready_time(state, p, facts)) is not None]
    later = [t for t in times if t > state.now]
    return min(later) if later else None


def _step_to(state: WorldState, at: float, release: Release) -> WorldState:
    timers = frozenset(t for t in state.timers if t[0] > at)
    return run_to_fixpoint(attrs.evolve(state, now=at, timers=timers), release=release)


def advance(state: WorldState, seconds: float, *, release: Release = DEFAULT) -> WorldState:
    """Let `seconds` pass, firing every event in time order, and end at exactly now + seconds."""
    end = state.now + seconds
    while (at := next_event(state)) is not None and at <= end:
        state = _step_to(state, at, release)
    return _step_to(state, end, release)


def _quiet(a: WorldState, b: WorldState) -> bool:
    """Equal but for the clock and the timers."""
    return attrs.evolve(a, now=0.0, timers=frozenset()) == attrs.evolve(b, now=0.0, timers=frozenset())


def settle(
    state: WorldState, *, horizon: float = 3600.0, release: Release = DEFAULT
) -> tuple[WorldState, bool]:
    """Jump from event to event until none is left (True) or the next one lies past now + horizon (False).

    A controller timer whose syncs change nothing is dropped without moving the clock: it is no work.
    """
    state = run_to_fixpoint(state, release=release)
    end = state.now + horizon
    idle: set[tuple[str, str]] = set()  # objects whose timer fired idle since the last change
    for _ in range(MAX_EVENTS):
        at = next_event(state)
        if at is None:
            return state, True
        stepped = _step_to(state, at, release)
        if not _kubelet_due(state, at) and _quiet(stepped, state):
            firing = {(kind, name) for t, kind, name in state.timers if t == at}
            # keep timers the idle syncs set (a re-check may be due shortly), unless they fired idle before
            timers = (
                stepped.timers
                if not firing <= idle
                else frozenset(state.timers - {t for t in state.timers if t[0] == at})
            )
            idle |= firing
            state = attrs.evolve(state, timers=timers)
            continue
        if at > end:
            return state, False
        idle.clear()
        state = stepped
    return state, False


def _kubelet_due(state: WorldState, at: float) -> bool:
    facts = state.facts()
    return (
        any(f.delete_at == at for f in facts.values())
        or any(_evicted(p, facts.get(p.name), at) for p in state.pods)
        or any(_pod_ready_time(state, p, facts) == at for p in state.pods)
    )

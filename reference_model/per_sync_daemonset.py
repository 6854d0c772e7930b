"""PER-SYNC rules for DaemonSets: could upstream's `syncDaemonSet` have made exactly these writes from exactly
this snapshot?

Each completed DaemonSet sync is replayed through `daemonset_sync.sync` on the snapshot the controller read
(its cache of the DaemonSet, ControllerRevisions, nodes and pods, plus what upstream keeps in memory: the
expectations check, the failed-pod back-off entries and the node each unbound pod is pinned to), and judged:

* creations: the pods created target exactly one allowed set of nodes (manage's nodes without a pod, or
  the surge nodes a rolling update may pick: any `maxSurge` of them, upstream walks a Go map);
* deletions: the pods deleted are one allowed set (manage's certain ones, or the old pods a rolling update
  may pick within `maxUnavailable`); a delete that found the pod gone still shows the decision;
* revisions: the ControllerRevision created (by template and number) or re-numbered, and the old ones
  history cleanup deleted;
* status: the counts and observedGeneration it wrote (or kept when nothing changed).

Not judged: syncs an API error cut short (upstream retries; their writes are a prefix), names of created
objects (random suffixes upstream; our revision hash is not upstream's), pod templates of created pods
(the settled comparison checks revisions), collisionCount and the back-off bookkeeping.

refs kubernetes/kubernetes:pkg/controller/daemon/daemon_controller.go (syncDaemonSet, manage, syncNodes,
storeDaemonSetStatus), pkg/controller/daemon/update.go (rollingUpdate, constructHistory, cleanupHistory).
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from kubeprops.scenario.apps_extra import DAEMONSET, READY_TRUE, AppsNodeView, DaemonSetStatus, DaemonSetView
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import NodeView

from . import daemonset_sync
from .apps_common import AnyOf
from .daemonset import Backoff
from .invariants import PER_SYNC, Rule, Violation

REVISION, CONFLICT = "ControllerRevision", "Conflict"


def _rule(section: str, name: str, description: str) -> Rule:
    return Rule(f"{section} {PER_SYNC} {name}", section, PER_SYNC, description)


DS_CREATE = _rule("4.3", "daemonset-create", "creates pods on exactly one set of nodes upstream allows")
DS_DELETE = _rule("4.4", "daemonset-delete", "deletes exactly one set of pods upstream allows")
DS_HISTORY = _rule("4.2", "daemonset-history", "writes and cleans up ControllerRevisions as the model does")
DS_STATUS = _rule("4.5", "daemonset-status", "the status written equals the one computed from the snapshot")

RULES: tuple[Rule, ...] = (DS_CREATE, DS_DELETE, DS_HISTORY, DS_STATUS)


def check_daemonset(record: SyncRecord) -> Iterator[Violation]:
    snap, obj = record.snapshot, f"{DAEMONSET}/{record.key}"
    ds = next((d for d in snap.daemonsets if d.name == record.key), None)
    if ds is None:
        return
    decision = daemonset_sync.sync(
        ds,
        snap.controller_revisions,
        [_as_read(n) for n in snap.nodes],
        snap.pods,
        snap.now,
        targets=dict(record.targets),
        backoff={key: Backoff(delay, updated) for key, delay, updated in record.backoff},
        expectations_satisfied=record.expectations_satisfied,
    )
    at = f"at t={snap.now:g} ({decision.phase or 'nothing to do'})"
    targets = [w.target for w in _writes(record, CREATE, "Pod")]
    yield from _choice(DS_CREATE, obj, at, "created pods on", targets, decision.creates)
    deleted = [w.name for w in _writes(record, DELETE, "Pod")]
    yield from _choice(DS_DELETE, obj, at, "deleted", deleted, decision.deletes)
    yield from _history(record, decision, obj, at)
    yield from _status(record, ds, decision.status, obj, at)


def _as_read(node: NodeView) -> AppsNodeView:
    """The node as the DaemonSet controller reads it: `spec.taints` as stored, nothing derived again.

    Upstream's NodeShouldRunDaemonPod reads the stored taints, so a taint the node lifecycle controller
    has not yet added (or removed) after a Ready change counts as it is (ready=True and unschedulable=False
    keep `node_eligibility.effective_taints` from deriving it a second time)."""
    # ref daemon_controller.go (NodeShouldRunDaemonPod -> predicates: node.Spec.Taints)
    return AppsNodeView(node.name, node.labels, node.taints, False, READY_TRUE)


def _writes(record: SyncRecord, verb: str, kind: str) -> list[Write]:
    return [w for w in record.writes if w.verb == verb and w.kind == kind]


def _choice(
    rule: Rule, obj: str, at: str, did: str, chosen: list[str], allowed: AnyOf
) -> Iterator[Violation]:
    if len(set(chosen)) == len(chosen) and allowed.allows(chosen):
        return
    options = str(sorted(allowed.certain))
    if allowed.pick:
        options += f" plus any {allowed.pick} of {sorted(allowed.pool)}"
    yield Violation(rule.id, obj, f"{at} {did} {sorted(chosen)}, the model allows {options}")


def _history(
    record: SyncRecord, decision: daemonset_sync.DaemonSetDecision, obj: str, at: str
) -> Iterator[Violation]:
    known = {r.name for r in record.snapshot.controller_revisions}
    written = [
        (w.verb, _revision_key(w.verb, w.obj, w.name))
        for w in record.writes
        if w.kind == REVISION and w.verb in (CREATE, UPDATE)
    ]
    want = decision.revisions.written
    expected = []
    if want is not None:
        verb = UPDATE if want.name in known else CREATE
        expected = [(verb, _revision_key(verb, want, want.name))]
    if written != expected:
        yield Violation(DS_HISTORY.id, obj, f"{at} wrote revisions {written}, the model {expected}")
    deleted = sorted(w.name for w in _writes(record, DELETE, REVISION))
    if deleted != sorted(decision.truncated):
        yield Violation(
            DS_HISTORY.id, obj, f"{at} deleted revisions {deleted}, the model {sorted(decision.truncated)}"
        )


def _revision_key(verb: str, revision: object, name: str) -> tuple[object, ...]:
    """A created revision by (template, number): its name carries our hash, not upstream's; a re-numbered
    one by (name, number)."""
    number = getattr(revision, "revision", None)
    return (getattr(revision, "template", None), number) if verb == CREATE else (name, number)


def _status(
    record: SyncRecord, ds: DaemonSetView, want: DaemonSetStatus, obj: str, at: str
) -> Iterator[Violation]:
    attempts = _writes(record, UPDATE_STATUS, DAEMONSET)
    written = [w.obj for w in attempts if isinstance(w.obj, DaemonSetView)]
    got = written[-1].status if written else ds.status
    if want.observed_generation < ds.generation and any(w.error == CONFLICT for w in attempts):
        # Race upstream allows: with expectations unsatisfied observedGeneration is not raised, and the
        # retry after a Conflict writes on the DaemonSet it just read afresh, whose observedGeneration an
        # earlier sync (not yet in this cache) may have raised. ref daemon_controller.go
        # (storeDaemonSetStatus: the retry Gets toUpdate; ObservedGeneration is set only if updateObservedGen)
        got = attrs.evolve(got, observed_generation=want.observed_generation)
    if _counts(got) != _counts(want):
        how = "wrote" if written else "kept"
        yield Violation(DS_STATUS.id, obj, f"{at} {how} status {_counts(got)}, the model {_counts(want)}")


def _counts(s: DaemonSetStatus) -> tuple[tuple[str, int], ...]:
    return (
        ("desiredNumberScheduled", s.desired_number_scheduled),
        ("currentNumberScheduled", s.current_number_scheduled),
        ("numberMisscheduled", s.number_misscheduled),
        ("numberReady", s.number_ready),
        ("updatedNumberScheduled", s.updated_number_scheduled),
        ("numberAvailable", s.number_available),
        ("numberUnavailable", s.number_unavailable),
        ("observedGeneration", s.observed_generation),
    )

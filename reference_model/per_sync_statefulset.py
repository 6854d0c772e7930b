"""PER-SYNC rules for StatefulSets: could upstream's `UpdateStatefulSet` have made exactly these writes from
exactly this snapshot?

Each completed StatefulSet sync is replayed through `statefulset_sync.sync` on the snapshot the controller
read (its cache of the set, its ControllerRevisions, pods and claims, at the time it ran) and its writes are
judged against that decision. The sync is deterministic (no ties: OrderedReady stops at its first blocked
index, Parallel acts on every index, the rolling update picks the highest outdated index), so the allowed
outcome is a single one:

* pods: exactly the pods created (name, revision, image of that revision's template) and deleted (a
  failed pod, a condemned one, the rolling update's target; a delete that found the pod gone still shows
  the decision);
* claims: exactly the claims created and the claims whose owners were rewritten, with the owners the
  retention policy asks for (the set and/or the pod);
* revisions: the ControllerRevision created (by template and number) or re-numbered, and the ones history
  truncation deleted;
* status: the counts, revisions and observedGeneration it wrote (or kept when nothing changed);
* and the fact sheet's own PER-SYNC rules (10.3: ordered creation and scale-down, the update budget,
  OnDelete, recreation at the partition's revision, the currentRevision switch) on the same writes.

Revision names carry each side's own hash (ours is not upstream's, the simulator's not ours): a revision
the sync created is matched by template, and its name on the target side is read as the model's.

Not judged: syncs an API error cut short (upstream retries; their writes are a prefix), names of
ControllerRevisions, collisionCount, the order of the writes within a sync.

refs kubernetes/kubernetes:pkg/controller/statefulset/stateful_set_control.go (UpdateStatefulSet,
performUpdate, updateStatefulSet, processReplica, processCondemned, truncateHistory,
updateStatefulSetStatus), pkg/controller/statefulset/stateful_pod_control.go (CreateStatefulPod,
createMissingPersistentVolumeClaims, UpdatePodClaimForRetentionPolicy),
pkg/controller/history/controller_history.go (CreateControllerRevision).
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from kubeprops.scenario.apps_extra import (
    STATEFULSET,
    AppsPodTemplate,
    PersistentVolumeClaimView,
    StatefulSetStatus,
    StatefulSetView,
)
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import PodView

from . import apps_invariants, statefulset_sync
from . import statefulset as sts_util
from . import statefulset_pvc as pvc
from .invariants import PER_SYNC, Rule, Violation
from .release import DEFAULT, Release

REVISION, PVC_KIND, POD_KIND = "ControllerRevision", "PersistentVolumeClaim", "Pod"
ALREADY_EXISTS = "AlreadyExists"
BOUNDARY = 1e-6  # seconds: times round-trip through RFC3339Nano, and float sums differ below this


def _rule(section: str, name: str, description: str) -> Rule:
    return Rule(f"{section} {PER_SYNC} {name}", section, PER_SYNC, description)


STS_CREATE = _rule(
    "3.5", "statefulset-create", "creates exactly the pods (name, revision, image) the model's sync does"
)
STS_DELETE = _rule("3.5", "statefulset-delete", "deletes exactly the pods the model's sync deletes")
STS_CLAIMS = _rule("3.8", "statefulset-claims", "creates the claims and sets claim owners as the model does")
STS_HISTORY = _rule(
    "3.4", "statefulset-history", "writes and truncates ControllerRevisions as the model does"
)
STS_STATUS = _rule(
    "3.7", "statefulset-status", "the status written equals the one computed from the snapshot"
)

OWN_RULES: tuple[Rule, ...] = (STS_CREATE, STS_DELETE, STS_CLAIMS, STS_HISTORY, STS_STATUS)
# the fact sheet's 10.3 PER-SYNC rules, judged on the same recorded writes
FACT_SHEET_RULES: tuple[Rule, ...] = (
    apps_invariants.STS_ORDERED_CREATION,
    apps_invariants.STS_ORDERED_SCALE_DOWN,
    apps_invariants.STS_UPDATE_BUDGET,
    apps_invariants.STS_ON_DELETE,
    apps_invariants.STS_PARTITION_RECREATE,
    apps_invariants.STS_ROLLOUT_COMPLETION,
)
RULES: tuple[Rule, ...] = (*OWN_RULES, *FACT_SHEET_RULES)


@attrs.frozen
class _Judged:
    """One recorded sync read in the model's terms."""

    sts: StatefulSetView
    decision: statefulset_sync.StatefulSetDecision
    names: dict[str, str]  # target revision name -> model revision name (for a revision made in this sync)
    obj: str
    at: str

    def revision(self, name: str) -> str:
        return self.names.get(name, name)


def check_statefulset(record: SyncRecord, *, release: Release = DEFAULT) -> Iterator[Violation]:
    found = list(_judge(record, release))
    if found and _at_availability_boundary(record):
        # A sync that runs exactly minReadySeconds after a pod turned Ready (the re-sync upstream schedules
        # for then) sees it Available or not depending on clock resolution (Available from that very
        # nanosecond on): the reading a hair earlier or later is allowed too.
        # ref pkg/api/v1/pod/util.go@v1.35.4 (IsPodAvailable), stateful_set.go (syncStatefulSet: AddAfter)
        for shift in (-BOUNDARY, BOUNDARY):
            shifted = attrs.evolve(record.snapshot, now=record.snapshot.now + shift)
            if not list(_judge(attrs.evolve(record, snapshot=shifted), release)):
                return
    yield from found


def _at_availability_boundary(record: SyncRecord) -> bool:
    snap = record.snapshot
    sts = next((s for s in snap.statefulsets if s.name == record.key), None)
    mrs = sts.spec.min_ready_seconds if sts is not None else 0
    return mrs > 0 and any(
        p.ready_since is not None and abs(p.ready_since + mrs - snap.now) < BOUNDARY for p in snap.pods
    )


def _judge(record: SyncRecord, release: Release) -> Iterator[Violation]:
    snap = record.snapshot
    sts = next((s for s in snap.statefulsets if s.name == record.key), None)
    if sts is None:
        return
    decision = statefulset_sync.sync(
        sts, snap.controller_revisions, snap.pods, snap.claims, snap.now, release=release
    )
    waiting = f", waiting on {decision.blocked_on}" if decision.blocked_on else ""
    at = f"at t={snap.now:g} ({sts.spec.pod_management_policy}{waiting})"
    j = _Judged(sts, decision, _revision_names(record, decision), f"{STATEFULSET}/{record.key}", at)
    yield from _history(record, j)
    yield from _creations(record, j)
    deleted = sorted(w.name for w in _writes(record, DELETE, POD_KIND))
    want = sorted(d.name for d in decision.deletes)
    if deleted != want:
        reasons = ", ".join(f"{d.name} ({d.reason})" for d in decision.deletes) or "none"
        yield Violation(STS_DELETE.id, j.obj, f"{at} deleted {deleted}, the model deletes {reasons}")
    yield from _claims(record, j)
    written = _written_status(record, j)
    yield from _status(written or sts.status, decision.status, j, "wrote" if written else "kept")
    yield from _fact_sheet(record, j, written, release)


def _writes(record: SyncRecord, verb: str, kind: str) -> list[Write]:
    return [w for w in record.writes if w.verb == verb and w.kind == kind]


def _revision_names(record: SyncRecord, decision: statefulset_sync.StatefulSetDecision) -> dict[str, str]:
    """The target's name for the revision the model creates in this sync, read as the model's name: the
    name it created, or tried to create and found already stored (its cache did not show it yet)."""
    written = decision.revisions.written
    known = {r.name for r in record.snapshot.controller_revisions}
    if written is None or written.name in known:
        return {}
    return {w.name: written.name for w in _writes(record, CREATE, REVISION) if w.name not in known}


def _pod_revision(pod: object) -> str:
    return sts_util.pod_revision(pod) if isinstance(pod, PodView) else ""


# ---------------------------------------------------------------- revisions


def _history(record: SyncRecord, j: _Judged) -> Iterator[Violation]:
    known = {r.name for r in record.snapshot.controller_revisions}
    written = j.decision.revisions.written
    got = [
        # a create that found an equal revision already stored returns that one: the decision was made
        # ref controller_history.go (CreateControllerRevision: AlreadyExists with an equal revision)
        (w.verb, _revision_key(w.verb, written if w.error == ALREADY_EXISTS else w.obj, j.revision(w.name)))
        for w in record.writes
        if w.kind == REVISION and w.verb in (CREATE, UPDATE)
    ]
    want = []
    if written is not None:
        verb = UPDATE if written.name in known else CREATE
        want = [(verb, _revision_key(verb, written, written.name))]
    if got != want:
        yield Violation(STS_HISTORY.id, j.obj, f"{j.at} wrote revisions {got}, the model {want}")
    deleted = sorted(w.name for w in _writes(record, DELETE, REVISION))
    if deleted != sorted(j.decision.truncated):
        msg = f"{j.at} deleted revisions {deleted}, the model {sorted(j.decision.truncated)}"
        yield Violation(STS_HISTORY.id, j.obj, msg)


def _revision_key(verb: str, revision: object, name: str) -> tuple[object, ...]:
    """A created revision by (template, number); a re-numbered one by (name, number)."""
    number = getattr(revision, "revision", None)
    return (getattr(revision, "template", None), number) if verb == CREATE else (name, number)


# ---------------------------------------------------------------- pods


def _templates(record: SyncRecord, j: _Judged) -> dict[str, AppsPodTemplate]:
    revs = j.decision.revisions
    known = {r.name: r.template for r in record.snapshot.controller_revisions if r.owner.uid == j.sts.uid}
    return {**known, revs.current.name: revs.current.template, revs.update.name: revs.update.template}


def _creations(record: SyncRecord, j: _Judged) -> Iterator[Violation]:
    templates = _templates(record, j)

    def image(revision: str) -> str:
        template = templates.get(revision)
        return template.image if template is not None else "?"

    got = sorted(
        (w.name, j.revision(_pod_revision(w.obj)), getattr(w.obj, "image", "?"))
        for w in _writes(record, CREATE, POD_KIND)
    )
    want = sorted((c.name, c.revision, image(c.revision)) for c in j.decision.creates)
    if got != want:
        yield Violation(STS_CREATE.id, j.obj, f"{j.at} created {got}, the model creates {want}")


# ---------------------------------------------------------------- claims


def _claims(record: SyncRecord, j: _Judged) -> Iterator[Violation]:
    """The claims written, each as (name, created, final owner kinds)."""
    uids = {p.name: p.uid for p in record.snapshot.pods}
    got: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for w in record.writes:
        if (
            w.kind != PVC_KIND
            or w.verb not in (CREATE, UPDATE)
            or not isinstance(w.obj, PersistentVolumeClaimView)
        ):
            continue
        pod = sts_util.pod_name(j.sts.name, sts_util.parent_and_ordinal(w.name)[1])
        created = w.verb == CREATE or got.get(w.name, (False, ()))[0]
        got[w.name] = (created, tuple(sorted(pvc.owner_kinds(w.obj, j.sts.uid, uids.get(pod, "")))))
    want: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for c in j.decision.claims:
        created = c.create or want.get(c.name, (False, ()))[0]
        want[c.name] = (created, tuple(sorted(c.owners)))
    if got != want:
        yield Violation(STS_CLAIMS.id, j.obj, f"{j.at} wrote claims {_show(got)}, the model {_show(want)}")


def _show(claims: dict[str, tuple[bool, tuple[str, ...]]]) -> str:
    shown = [
        f"{'create ' if created else ''}{name} owners={list(owners)}"
        for name, (created, owners) in claims.items()
    ]
    return "[" + "; ".join(sorted(shown)) + "]"


# ---------------------------------------------------------------- status


def _written_status(record: SyncRecord, j: _Judged) -> StatefulSetStatus | None:
    written = [
        w.obj for w in _writes(record, UPDATE_STATUS, STATEFULSET) if isinstance(w.obj, StatefulSetView)
    ]
    if not written:
        return None
    status = written[-1].status
    return attrs.evolve(
        status,
        current_revision=j.revision(status.current_revision),
        update_revision=j.revision(status.update_revision),
    )


def _status(got: StatefulSetStatus, want: StatefulSetStatus, j: _Judged, how: str) -> Iterator[Violation]:
    if _fields(got) != _fields(want):
        yield Violation(
            STS_STATUS.id, j.obj, f"{j.at} {how} status {_fields(got)}, the model {_fields(want)}"
        )


def _fields(s: StatefulSetStatus) -> tuple[tuple[str, object], ...]:
    return (
        ("replicas", s.replicas),
        ("readyReplicas", s.ready_replicas),
        ("currentReplicas", s.current_replicas),
        ("updatedReplicas", s.updated_replicas),
        ("availableReplicas", s.available_replicas),
        ("currentRevision", s.current_revision),
        ("updateRevision", s.update_revision),
        ("observedGeneration", s.observed_generation),
    )


# ---------------------------------------------------------------- the fact sheet's rules


def _fact_sheet(
    record: SyncRecord, j: _Judged, written: StatefulSetStatus | None, release: Release
) -> Iterator[Violation]:
    snap = record.snapshot
    seen = apps_invariants.StatefulSetSnapshot(j.sts, snap.controller_revisions, snap.pods, snap.now)
    acts = apps_invariants.StatefulSetActions(
        created=tuple((w.name, j.revision(_pod_revision(w.obj))) for w in _writes(record, CREATE, POD_KIND)),
        deleted=tuple(w.name for w in _writes(record, DELETE, POD_KIND)),
        status=written,
    )
    for v in apps_invariants.check_statefulset_sync(seen, acts, release=release):
        yield attrs.evolve(v, message=f"{j.at} {v.message}")

"""PER-SYNC rules: could upstream have made exactly these writes from exactly this snapshot?

For targets that record their syncs (`kubeprops.scenario.trace`), each completed ReplicaSet or Deployment
sync (DaemonSets: `per_sync_daemonset`, Jobs: `per_sync_job`, StatefulSets: `per_sync_statefulset`, CronJobs:
`per_sync_cronjob`) is
replayed through the model's own sync (`replicaset.sync`, `deployment.sync`) on the snapshot the controller
read, at the time it ran, and its writes are judged against the decision:

* ReplicaSet: exactly `create` pods created, or a deletion set the ranking allows (ties are free), and the
  status it wrote (or kept) equals the model's;
* Deployment: the new ReplicaSet created (by template and size), the ReplicaSet sizes written (one of the
  allowed outcomes), the ReplicaSets deleted by history cleanup, and the status it wrote (or kept): counts,
  observedGeneration and the conditions as (type, status, reason).

ReplicaSet syncs are also judged on their claim: the pods whose ownerReference they wrote are exactly the
orphans the model adopts and the owned pods it releases.

Not judged: syncs an API error cut short (upstream retries them; their writes are a prefix), a
Deployment's adoption and release of ReplicaSets (ownerReference writes), annotation-only writes (revision
bookkeeping, covered by the settled comparison), condition messages and times (wording, clock resolution),
and names of created objects (random suffixes upstream; our pod-template-hash is not bit-exact).
"""

from __future__ import annotations

from collections.abc import Iterator

from kubeprops.scenario.apps_extra import STATEFULSET
from kubeprops.scenario.batch import CRONJOB
from kubeprops.scenario.trace import CREATE, DELETE, UPDATE, UPDATE_STATUS, SyncRecord, Write
from kubeprops.scenario.view import Condition, DeploymentStatus, PodView, ReplicaSetStatus, ReplicaSetView

from . import (
    deployment,
    per_sync_cronjob,
    per_sync_daemonset,
    per_sync_job,
    per_sync_statefulset,
    replicaset,
)
from .invariants import DEPLOYMENT, PER_SYNC, REPLICASET, Rule, Violation
from .quiescent import render_key, template_key
from .release import DEFAULT, Release


def _rule(section: str, name: str, description: str) -> Rule:
    return Rule(f"{section} {PER_SYNC} {name}", section, PER_SYNC, description)


RS_MANAGE = _rule("1.3", "replicaset-manage", "creates exactly the missing pods, or deletes an allowed set")
RS_STATUS = _rule("1.4", "replicaset-status", "the status written equals the one computed from the snapshot")
D_NEW_RS = _rule("2.4", "deployment-new-replicaset", "creates the new ReplicaSet when and as the model does")
D_SCALE = _rule("2.5", "deployment-scale", "ReplicaSet sizes written are one of the outcomes upstream allows")
D_CLEANUP = _rule("2.10", "deployment-cleanup", "deletes exactly the ReplicaSets history cleanup deletes")
D_STATUS = _rule("2.8", "deployment-status", "the status written equals the one computed from the snapshot")

RS_CLAIM = _rule(
    "1.2",
    "replicaset-claim",
    "adopts exactly the matching orphans and releases exactly the owned pods that stopped matching",
)

RS_DEPLOYMENT_RULES: tuple[Rule, ...] = (
    RS_CLAIM,
    RS_MANAGE,
    RS_STATUS,
    D_NEW_RS,
    D_SCALE,
    D_CLEANUP,
    D_STATUS,
)
RULES: tuple[Rule, ...] = (
    *RS_DEPLOYMENT_RULES,
    *per_sync_daemonset.RULES,
    *per_sync_job.RULES,
    *per_sync_statefulset.OWN_RULES,
    *per_sync_cronjob.RULES,
)


def check_sync(record: SyncRecord, *, release: Release = DEFAULT) -> list[Violation]:
    """Violations of the PER-SYNC rules by one recorded sync (none for a sync cut short)."""
    if not record.completed:
        return []
    if record.controller == REPLICASET:
        return list(_replicaset(record, release))
    if record.controller == DEPLOYMENT:
        return list(_deployment(record, release))
    if record.controller == per_sync_daemonset.DAEMONSET:
        return list(per_sync_daemonset.check_daemonset(record))
    if record.controller == per_sync_job.JOB:
        return list(per_sync_job.check_job(record))
    if record.controller == STATEFULSET:
        return list(per_sync_statefulset.check_statefulset(record, release=release))
    if record.controller == CRONJOB:
        return list(per_sync_cronjob.check_cronjob(record))
    return []


def _writes(record: SyncRecord, verb: str, kind: str) -> list[Write]:
    return [w for w in record.writes if w.verb == verb and w.kind == kind]


def _last_status(record: SyncRecord, kind: str) -> object | None:
    written = [w for w in _writes(record, UPDATE_STATUS, kind) if w.obj is not None]  # not failed ones
    obj = written[-1].obj if written else None
    return getattr(obj, "status", None)


def _conditions(conditions: tuple[Condition, ...]) -> tuple[tuple[str, str, str], ...]:
    return tuple(sorted((c.type, c.status, c.reason) for c in conditions))


# ---------------------------------------------------------------- ReplicaSet


def _replicaset(record: SyncRecord, release: Release) -> Iterator[Violation]:
    snap, obj = record.snapshot, f"{REPLICASET}/{record.key}"
    rs = next((r for r in snap.replicasets if r.name == record.key), None)
    if rs is None:
        return
    decision = replicaset.sync(
        rs,
        snap.pods,
        snap.now,
        release=release,
        related_pods=replicaset.related_pods_of(rs, snap.replicasets, snap.pods),
        expectations_satisfied=record.expectations_satisfied,
    )
    created = len(_writes(record, CREATE, "Pod"))
    deleted = {w.name for w in _writes(record, DELETE, "Pod")}
    at = f"at t={snap.now:g}"
    yield from _claims(record, rs, at)
    if created != decision.create:
        yield Violation(
            RS_MANAGE.id, obj, f"{at} created {created} pods, the model creates {decision.create}"
        )
    if deleted and not decision.delete_count:
        yield Violation(RS_MANAGE.id, obj, f"{at} deleted {sorted(deleted)}, the model deletes none")
    elif decision.delete_count and not decision.allows_deletion(deleted):
        tiers = " < ".join(str(sorted(t)) for t in decision.deletion_tiers)
        yield Violation(
            RS_MANAGE.id,
            obj,
            f"{at} deleted {sorted(deleted)}; the model deletes {decision.delete_count} by rank {tiers}",
        )
    written = _last_status(record, REPLICASET)
    status = written if isinstance(written, ReplicaSetStatus) else rs.status
    if _rs_status(status) != _rs_status(decision.status):
        how = "wrote" if written is not None else "kept"
        yield Violation(
            RS_STATUS.id,
            obj,
            f"{at} {how} status {_rs_status(status)}, the model {_rs_status(decision.status)}",
        )


def _claims(record: SyncRecord, rs: ReplicaSetView, at: str) -> Iterator[Violation]:
    """The ownerReference writes of the sync (pod updates) against the model's claim of the snapshot.

    A write counts as made even when it failed with an error the sync went on from (the pod was gone,
    or a release the API refused as stale): upstream ignores those too (ClaimObject, ReleasePod).
    """
    # ref controller_ref_manager.go (ClaimObject), replica_set.go (claimPods)
    obj = f"{REPLICASET}/{record.key}"
    writes = _writes(record, UPDATE, "Pod")
    adopt = {p.name for p in replicaset.adoptions(rs, record.snapshot.pods)}
    release = {p.name for p in replicaset.releases(rs, record.snapshot.pods)}
    made = {w.name for w in writes}
    if made != adopt | release:
        yield Violation(
            RS_CLAIM.id,
            obj,
            f"{at} wrote the ownerReference of {sorted(made)}; the model adopts {sorted(adopt)} and "
            f"releases {sorted(release)}",
        )
    for w in writes:
        if not isinstance(w.obj, PodView):
            continue
        owner = w.obj.owner
        if w.name in adopt and (owner is None or owner.uid != rs.uid):
            yield Violation(RS_CLAIM.id, obj, f"{at} pod {w.name} should be adopted, its owner is {owner}")
        if w.name in release and owner is not None:
            yield Violation(RS_CLAIM.id, obj, f"{at} pod {w.name} should be released, its owner is {owner}")


def _rs_status(s: ReplicaSetStatus) -> tuple[object, ...]:
    return (
        ("replicas", s.replicas),
        ("fullyLabeledReplicas", s.fully_labeled_replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
        ("terminatingReplicas", s.terminating_replicas),
        ("observedGeneration", s.observed_generation),
    )


# ---------------------------------------------------------------- Deployment


def _deployment(record: SyncRecord, release: Release) -> Iterator[Violation]:
    snap, obj = record.snapshot, f"{DEPLOYMENT}/{record.key}"
    d = next((x for x in snap.deployments if x.name == record.key), None)
    if d is None:
        return
    decision = deployment.sync(d, snap.replicasets, snap.pods, snap.now, release=release)
    at = f"at t={snap.now:g} ({decision.phase})"
    yield from _new_replicaset(record, decision, obj, at)
    yield from _scales(record, decision, obj, at)
    deleted = sorted(w.name for w in _writes(record, DELETE, REPLICASET))
    if deleted != sorted(decision.delete):
        yield Violation(
            D_CLEANUP.id, obj, f"{at} deleted {deleted}, the model deletes {sorted(decision.delete)}"
        )
    written = _last_status(record, DEPLOYMENT)
    status = written if isinstance(written, DeploymentStatus) else d.status
    if _d_status(status) != _d_status(decision.status):
        how = "wrote" if written is not None else "kept"
        yield Violation(
            D_STATUS.id, obj, f"{at} {how} status {_d_status(status)}, the model {_d_status(decision.status)}"
        )


def _new_replicaset(
    record: SyncRecord, decision: deployment.DeploymentDecision, obj: str, at: str
) -> Iterator[Violation]:
    created = [w.obj for w in _writes(record, CREATE, REPLICASET) if isinstance(w.obj, ReplicaSetView)]
    got = [(render_key(template_key(rs.template)), rs.replicas) for rs in created]
    want = (
        [(render_key(template_key(decision.create.template)), decision.create.replicas)]
        if decision.create is not None
        else []
    )
    if got != want:
        yield Violation(
            D_NEW_RS.id, obj, f"{at} created {got or 'no ReplicaSet'}, the model {want or 'none'}"
        )


def _scales(
    record: SyncRecord, decision: deployment.DeploymentDecision, obj: str, at: str
) -> Iterator[Violation]:
    before = {rs.name: rs.replicas for rs in record.snapshot.replicasets}
    sizes: dict[str, int] = {}
    for w in _writes(record, UPDATE, REPLICASET):
        if isinstance(w.obj, ReplicaSetView):
            sizes[w.name] = w.obj.replicas
    written = _changed(sizes.items(), before)
    allowed = {_changed(outcome, before) for outcome in decision.allowed_scales or {decision.scale}}
    if written not in allowed:
        options = " or ".join(str(list(a)) for a in sorted(allowed))
        yield Violation(D_SCALE.id, obj, f"{at} scaled {list(written)}, the model allows {options}")


def _changed(sizes: object, before: dict[str, int]) -> tuple[tuple[str, int], ...]:
    """The (name, replicas) writes that change a size, sorted: annotation-only writes are not judged."""
    return tuple(sorted((n, r) for n, r in sizes if before.get(n) != r))  # type: ignore[attr-defined]


def _d_status(s: DeploymentStatus) -> tuple[object, ...]:
    return (
        ("replicas", s.replicas),
        ("updatedReplicas", s.updated_replicas),
        ("readyReplicas", s.ready_replicas),
        ("availableReplicas", s.available_replicas),
        ("unavailableReplicas", s.unavailable_replicas),
        ("terminatingReplicas", s.terminating_replicas),
        ("observedGeneration", s.observed_generation),
        ("conditions", _conditions(s.conditions)),
    )

"""StatefulSet properties: scaling, template / strategy / partition / ordinals / retention edits,
OrderedReady and Parallel sets, pods failing, turning unready or being deleted, nodes joining, leaving,
relabelled, tainted and cordoned, time passing.

Every observed state is checked against the ALWAYS rules (identity, claim names, status orderings,
observedGeneration); ordering *between* pods is not, since a pod may fail or be deleted after its successor
was created (upstream checks ordering per sync). A settled state must equal the model's: which ordinals exist
at which revision number, which are Ready, which claims exist, the current / update revision numbers and the
status counts. A set that waits forever (a pod that never turns Ready under OrderedReady, a rolling update
whose maxUnavailable budget is spent on pods that never become available, or a sync stopped on a stale claim
that no event wakes) is a stall both sides must show the same way, never a violation.

Node Ready changes are not generated: the simulator's taint eviction removes pods from a NotReady node at
once (no DefaultTolerationSeconds), while the model keeps them there (`apps_world` header); both are allowed
upstream, depending on timing, so the settled states would differ for no fault of either.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.adapters.protocol import NODE_OPERATIONS, POD_FAULTS
from kubeprops.reference_model import apps_world
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.ops import POD_DELETE, POD_FAIL, POD_READY, POD_UNREADY
from kubeprops.scenario.spec import IntOrPercent, PodBehavior

from .apps_machine import AppsMachine, ModelPolicy
from .machine import seeds

MAX_NODES = 5
APP = {"app": "db"}
behaviors = st.sampled_from([PodBehavior(0), PodBehavior(0), PodBehavior(2), PodBehavior(None)])
templates = st.builds(
    a.AppsPodTemplate,
    labels=st.just(APP),
    image=st.sampled_from(["app:v1", "app:v2", "app:v3"]),
    behavior=behaviors,
    node_selector=st.sampled_from([{}, {}, {}, {"zone": "a"}]),
)
_max_unavailable = st.sampled_from([IntOrPercent(1), IntOrPercent(2), IntOrPercent(50, True), None])
strategies = st.one_of(
    st.builds(
        lambda p, mu: a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(p, mu)),
        st.integers(0, 3),
        _max_unavailable,
    ),
    st.just(a.StatefulSetUpdateStrategy(a.ON_DELETE)),
    st.just(a.StatefulSetUpdateStrategy(a.ROLLING_UPDATE, None)),  # no rollingUpdate block (fact sheet 3.1)
    # rejected by the API: the model and the target must agree
    st.just(a.StatefulSetUpdateStrategy(rolling_update=a.StatefulSetRollingUpdate(0, IntOrPercent(0)))),
)
retention = st.builds(
    a.PersistentVolumeClaimRetentionPolicy,
    st.sampled_from([a.RETAIN, a.DELETE]),
    st.sampled_from([a.RETAIN, a.DELETE]),
)


@st.composite
def specs(draw: st.DrawFn) -> a.StatefulSetSpec:
    return a.StatefulSetSpec(
        template=draw(templates),
        replicas=draw(st.integers(0, 4)),
        pod_management_policy=draw(st.sampled_from([a.ORDERED_READY, a.PARALLEL])),
        update_strategy=draw(strategies),
        ordinals_start=draw(st.sampled_from([0, 0, 2])),
        min_ready_seconds=draw(st.sampled_from([0, 0, 3])),
        revision_history_limit=draw(st.integers(0, 3)),
        volume_claim_templates=draw(st.sampled_from([(), ("data",), ("data",)])),
        persistent_volume_claim_retention_policy=draw(retention),
    )


node_changes = st.one_of(
    st.sampled_from([{}, {"zone": "a"}, {"zone": "b"}]).map(
        lambda lb: lambda node: a.SetNodeLabels(node, lb)
    ),
    st.sampled_from([(), (a.Taint("gpu", a.NO_SCHEDULE),), (a.Taint("maintenance", a.NO_EXECUTE),)]).map(
        lambda taints: lambda node: a.SetNodeTaints(node, taints)
    ),
    st.booleans().map(lambda cordoned: lambda node: a.CordonNode(node, cordoned)),
)


# ---------------------------------------------------------------- the settled summary


@attrs.frozen
class StatefulSetSummary:
    """Per set: (ordinal, revision number) of live pods, Ready ordinals, claims, current / update revision
    numbers, the five status counts and whether observedGeneration caught up."""

    name: str
    pods: tuple[tuple[int, int], ...]
    ready: tuple[int, ...]
    claims: tuple[str, ...]
    revisions: tuple[int, int]
    counts: tuple[int, ...]


def _ordinal(name: str) -> int:
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def summarize_statefulsets(view: a.AppsClusterView) -> tuple[StatefulSetSummary, ...]:
    out = []
    for sts in view.statefulsets:
        numbers = {r.name: r.revision for r in view.revisions if r.owner.uid == sts.uid}
        numbers |= {r.hash: r.revision for r in view.revisions if r.owner.uid == sts.uid}
        pods = [p for p in view.pods if p.owner and p.owner.uid == sts.uid and not p.deleting]
        prefixes = tuple(f"{t}-{sts.name}-" for t in sts.spec.volume_claim_templates)
        s = sts.status
        out.append(
            StatefulSetSummary(
                sts.name,
                tuple(
                    sorted(
                        (_ordinal(p.name), numbers.get(dict(p.labels).get(a.CONTROLLER_REVISION_HASH, ""), 0))
                        for p in pods
                    )
                ),
                tuple(sorted(_ordinal(p.name) for p in pods if p.ready)),
                tuple(sorted(c.name for c in view.claims if c.name.startswith(prefixes) and not c.deleting)),
                (numbers.get(s.current_revision, 0), numbers.get(s.update_revision, 0)),
                (
                    s.replicas,
                    s.ready_replicas,
                    s.current_replicas,
                    s.updated_replicas,
                    s.available_replicas,
                    s.observed_generation == sts.generation,
                ),
            )
        )
    return tuple(out)


# ---------------------------------------------------------------- the machine


def _can_change_nodes(self: StatefulSetMachine) -> bool:
    return NODE_OPERATIONS in self.adapter.capabilities


class StatefulSetMachine(AppsMachine):
    kind = a.STATEFULSET
    name = "db"
    # No DaemonSet here, so no Go map walk to vary; the race that matters is between the set's sync after a
    # pod is gone and the garbage collector deleting that pod's claim: a sync that still sees the claim stops
    # and waits for the next event (upstream's usual order), or the claim is gone first and the pod comes.
    # Pods whose deletions complete at one instant go together or one at a time, either way round, with a sync
    # in between (apps_world.AppsState.removals).
    policies = tuple(
        ModelPolicy(f"claims collected {when}, removals {removals}", gc_after_sync=gc, removals=removals)
        for removals in apps_world.REMOVALS
        for when, gc in (("after the sync", True), ("first", False))
    )

    def summary(self, view: a.AppsClusterView) -> tuple[object, ...]:
        return summarize_statefulsets(view)

    @initialize(seed=seeds(), spec=specs())
    def create(self, seed: int, spec: a.StatefulSetSpec) -> None:
        self.start(seed)
        self.do(a.CreateStatefulSet(self.name, spec))

    @rule(replicas=st.integers(0, 5))
    def scale(self, replicas: int) -> None:
        self.do(a.ScaleStatefulSet(self.name, replicas))

    @rule(template=templates)
    def update_template(self, template: a.AppsPodTemplate) -> None:
        self.do(a.UpdateAppsTemplate(self.kind, self.name, template))

    @rule(strategy=strategies)
    def set_strategy(self, strategy: a.StatefulSetUpdateStrategy) -> None:
        self.do(a.SetStatefulSetUpdateStrategy(self.name, strategy))

    @rule(partition=st.integers(0, 4))
    def set_partition(self, partition: int) -> None:
        self.do(a.SetPartition(self.name, partition))

    @rule(start=st.integers(0, 3))
    def set_ordinals_start(self, start: int) -> None:
        self.do(a.SetOrdinalsStart(self.name, start))

    @rule(policy=st.sampled_from([a.ORDERED_READY, a.PARALLEL]))
    def set_pod_management_policy(self, policy: str) -> None:
        self.do(a.SetPodManagementPolicy(self.name, policy))  # immutable: rejected unless unchanged

    @rule(policy=retention)
    def set_retention(self, policy: a.PersistentVolumeClaimRetentionPolicy) -> None:
        self.do(a.SetPVCRetentionPolicy(self.name, policy))

    def _bound_ordinals(self) -> list[int]:
        """Ordinals of live pods bound to a node: an unbound pod has no kubelet to fail it or flip a probe."""
        mine = [p for p in self.adapter.observe().pods if p.owner and p.owner.kind == a.STATEFULSET]
        return sorted(_ordinal(p.name) for p in mine if p.node and not p.deleting)

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(data=st.data(), action=st.sampled_from([POD_FAIL, POD_DELETE]))
    def pod_action(self, data: st.DataObject, action: str) -> None:
        # On settled states, then settle: how fast a replacement comes races with the next edit.
        bound = self._bound_ordinals()
        if bound:
            self.do(
                a.StatefulPodAction(self.name, data.draw(st.sampled_from(bound), label="ordinal"), action)
            )
            self.settle_and_compare()

    @precondition(lambda self: POD_FAULTS in self.adapter.capabilities)
    @rule(data=st.data(), action=st.sampled_from([POD_UNREADY, POD_READY]))
    def probe(self, data: st.DataObject, action: str) -> None:
        # Readiness probes of one or two pods flip (a shared dependency failing), at any time: two unhealthy
        # pods are what OrderedReady's scale-down order is about.
        bound = self._bound_ordinals()
        if bound:
            ordinals = st.lists(st.sampled_from(bound), min_size=1, max_size=2, unique=True)
            for ordinal in data.draw(ordinals, label="ordinals"):
                self.do(a.StatefulPodAction(self.name, ordinal, action))

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(data=st.data())
    def scale_down_past_unready(self, data: st.DataObject) -> None:
        # Targeted: two pods' readiness probes fail, then a scale-down condemns both. OrderedReady deletes
        # from the highest ordinal, a healthy pod or the first unhealthy one only, and waits on any other for
        # good; with whenScaled Delete a later scale-up then races the claims' garbage collection.
        bound, sets = self._bound_ordinals(), self.adapter.observe().statefulsets
        if len(bound) >= 2 and sets:
            unready = data.draw(st.lists(st.sampled_from(bound), min_size=2, max_size=2, unique=True))
            start = sets[0].spec.ordinals_start
            replicas = data.draw(st.integers(0, max(min(unready) - start, 0)), label="replicas")
            self.scale_down_past(unready, replicas)

    def scale_down_past(self, unready: list[int], replicas: int) -> None:
        for ordinal in unready:
            self.do(a.StatefulPodAction(self.name, ordinal, POD_UNREADY))
        self.do(a.ScaleStatefulSet(self.name, replicas))
        self.settle_and_compare()

    @precondition(lambda self: len(self.nodes) < MAX_NODES and _can_change_nodes(self))
    @rule(zone=st.sampled_from([{}, {"zone": "a"}]), cordoned=st.booleans())
    def add_node(self, zone: dict[str, str], cordoned: bool) -> None:
        name = f"node-{self.next_node}"
        self.next_node += 1
        self.nodes.append(name)
        self.do(a.AddNode(name, zone, (), cordoned))

    @precondition(lambda self: self.settled and len(self.nodes) > 1 and _can_change_nodes(self))
    @rule(data=st.data())
    def remove_node(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(sorted(self.nodes)), label="node")
        self.nodes.remove(name)
        self.do(a.RemoveNode(name))
        self.settle_and_compare()

    @precondition(_can_change_nodes)
    @rule(data=st.data(), change=node_changes)
    def change_node(self, data: st.DataObject, change: Callable[[str], a.AppsOperation]) -> None:
        self.do(change(data.draw(st.sampled_from(sorted(self.nodes)), label="node")))

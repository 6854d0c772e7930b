"""ReplicaSet properties: replica counts, scale-down order, status counting, pod and node faults, and the
adoption and release of pods (conformance "Replica Set, adopt matching pods and release non matching
pods")."""

from __future__ import annotations

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.adapters.protocol import POD_FAULTS
from kubeprops.reference_model import world
from kubeprops.scenario.ops import (
    REPLICASET,
    CreateBarePod,
    CreateReplicaSet,
    RelabelPod,
    Scale,
    UpdateTemplate,
)
from kubeprops.scenario.spec import Labels, PodTemplate, ReplicaSetSpec

from . import strategies as s
from .machine import SETTLED, WorkloadMachine, seeds


class ReplicaSetMachine(WorkloadMachine):
    kind = REPLICASET

    def __init__(self) -> None:
        super().__init__()
        self.bare_pods = 0

    @initialize(seed=seeds(), spec=s.replicaset_specs())
    def create(self, seed: int, spec: ReplicaSetSpec) -> None:
        self.start(seed)
        self.do(CreateReplicaSet(self.name, spec))

    @rule(replicas=s.replica_counts)
    def scale(self, replicas: int) -> None:
        self.do(Scale(self.kind, self.name, replicas))
        if self.config.check == SETTLED:
            # Which pods a scale-down removes depends on which are Ready at that instant; when pods of
            # different readiness coexist (an unready pod, a template change) that is a race with the
            # kubelets upstream too, so the settled comparison scales only from settled states.
            self.settle_and_compare()

    @rule(template=s.templates())
    def update_template(self, template: PodTemplate) -> None:
        # A ReplicaSet does not roll: existing pods keep the old template, new pods get the new one.
        self.do(UpdateTemplate(self.kind, self.name, template))

    def adoptable_like_its_pods(self, template: PodTemplate) -> bool:
        """Whether a pod of `template` settles into the class every active pod of the ReplicaSet is in.

        Adopting a pod into a full ReplicaSet makes one too many, and which pod goes races with the
        scheduler and the kubelet upstream: the adopted pod may still be Pending when the controller
        ranks it (first to go) or already Ready (then ranked by age and readiness). Only when every pod
        ends up alike does that race leave no trace in the settled state.
        """
        if not self.pods_interchangeable():
            return False
        pods = [p for p in world.view(self.model).pods_of(self.kind, self.name) if p.active]
        ready = template.behavior.ready_after is not None
        return all(p.image == template.image and p.ready == ready for p in pods)

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(matching=st.booleans())
    def create_bare_pod(self, matching: bool) -> None:
        # A pod of the ReplicaSet's current template; with the selector's labels it is adopted (and one pod
        # goes if that makes one too many), without them it stays an orphan and keeps running. On settled
        # states, then settle, as pod_action.
        rs = world.view(self.model).replicaset(self.name)
        if rs is None:
            return
        if matching and self.config.check == SETTLED and not self.adoptable_like_its_pods(rs.template):
            return
        labels: Labels = rs.template.labels if matching else tuple(s.RELEASED_LABELS.items())
        self.bare_pods += 1
        self.do(CreateBarePod(f"bare-{self.bare_pods}", attrs.evolve(rs.template, labels=labels)))
        self.settle_and_compare()

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(index=st.integers(0, 30), labels=s.pod_labels)
    def relabel_pod(self, index: int, labels: dict[str, str]) -> None:
        # As pod_action: on settled states the index picks an interchangeable pod on both sides. A pod
        # that stops matching is released and replaced; one that still matches stays.
        if not self.pods_alike():
            return
        self.do(RelabelPod(self.kind, self.name, index, labels))
        self.settle_and_compare()

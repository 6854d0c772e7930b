"""ReplicaSet properties: replica counts, scale-down order, status counting, pod and node faults."""

from __future__ import annotations

from hypothesis.stateful import initialize, rule

from kubeprops.scenario.ops import REPLICASET, CreateReplicaSet, Scale, UpdateTemplate
from kubeprops.scenario.spec import PodTemplate, ReplicaSetSpec

from . import strategies as s
from .machine import SETTLED, WorkloadMachine, seeds


class ReplicaSetMachine(WorkloadMachine):
    kind = REPLICASET

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

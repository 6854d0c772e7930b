"""Deployment properties: rollouts, scaling, pause/resume, rollback and strategy edits."""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.reference_model import world
from kubeprops.scenario.ops import (
    DEPLOYMENT,
    CreateDeployment,
    Rollback,
    Scale,
    SetPaused,
    SetStrategy,
    UpdateTemplate,
)
from kubeprops.scenario.spec import DeploymentSpec, DeploymentStrategy, PodTemplate

from . import strategies as s
from .machine import SETTLED, WorkloadMachine, seeds


class DeploymentMachine(WorkloadMachine):
    kind = DEPLOYMENT

    @initialize(seed=seeds(), spec=s.deployment_specs())
    def create(self, seed: int, spec: DeploymentSpec) -> None:
        self.start(seed)
        self.do(CreateDeployment(self.name, spec))

    @rule(replicas=s.replica_counts)
    def scale(self, replicas: int) -> None:
        self.do(Scale(self.kind, self.name, replicas))
        if self.config.check == SETTLED and self.marked_pods:
            # Scale-downs break ties between equal pods by uid, which differs between targets; once one
            # pod is marked (its probe fails, it crashed), which pods stay after a tie changes how later
            # scale-downs rank the marked pod (co-location counts), so scale from settled states then.
            self.settle_and_compare()

    @rule(replicas=st.integers(-3, -1))
    def scale_negative(self, replicas: int) -> None:
        # The API rejects it (spec.replicas); the model and the target must agree and change nothing.
        self.do(Scale(self.kind, self.name, replicas))

    def tick_past_newest_replicaset(self) -> None:
        """Before a step that may create a ReplicaSet, in the settled check: let a second pass when one of
        the Deployment's ReplicaSets was created at this instant.

        Upstream orders ReplicaSets of equal creationTimestamp by name (controller_utils.go
        ReplicaSetsByCreationTimestamp), i.e. by template hash, which differs between targets; the
        oldest-first scale-down of unhealthy old ReplicaSets (rolling.go cleanupUnhealthyReplicas) then
        scales a different one on each, and revisions part ways once history cleanup removes one of them.
        """
        if self.config.check != SETTLED:
            return
        view = world.view(self.model)
        if any(rs.created == view.now for rs in view.replicasets_of(self.name)):
            self.advance(1)

    @rule(template=s.templates())
    def update_template(self, template: PodTemplate) -> None:
        self.tick_past_newest_replicaset()
        self.do(UpdateTemplate(self.kind, self.name, template))

    @rule(first=s.templates(), wait=st.sampled_from([1, 2, 5]), second=s.templates())
    def rollout_over_rollout(self, first: PodTemplate, wait: int, second: PodTemplate) -> None:
        # A rollout started over a half-finished one leaves two old ReplicaSets with available pods,
        # created seconds apart: which one is scaled down first (the oldest) then shows. Single
        # template updates reach this shape too, but rarely.
        self.update_template(first)
        self.advance(wait)
        self.update_template(second)

    @rule(strategy=s.strategies)
    def set_strategy(self, strategy: DeploymentStrategy) -> None:
        self.do(SetStrategy(self.name, strategy))

    @rule(paused=st.booleans())
    def set_paused(self, paused: bool) -> None:
        if not paused:  # resuming creates the ReplicaSet of a template edited while paused
            self.tick_past_newest_replicaset()
        self.do(SetPaused(self.name, paused))

    @precondition(lambda self: self.settled or self.config.check != SETTLED)
    @rule(to_revision=st.integers(0, 4))
    def rollback(self, to_revision: int) -> None:
        # `kubectl rollout undo` reads the ReplicaSets at that moment: whether an old revision is still
        # there races with history cleanup, so the settled comparison rolls back from settled states.
        self.tick_past_newest_replicaset()
        self.do(Rollback(self.name, to_revision))

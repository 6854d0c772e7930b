"""Workload specs as the API declares them (apps/v1), with the API server's defaults.

These are plain values shared by the reference model, every adapter and the properties. Validation
(what the API server rejects) lives in `kubeprops.reference_model.validation`; a spec object here may be
invalid on purpose, so that properties can check that targets reject it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import attrs

Labels = tuple[tuple[str, str], ...]

PERCENT = re.compile(r"^(\d+)%$")


def labels(items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> Labels:
    """Canonical, hashable label set: sorted (key, value) pairs."""
    pairs = items.items() if isinstance(items, Mapping) else items
    return tuple(sorted((str(k), str(v)) for k, v in pairs))


def _labels(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    return labels(value)


@attrs.frozen
class IntOrPercent:
    """`intstr.IntOrString` restricted to what workload specs accept: an int or "<n>%"."""

    value: int
    percent: bool = False

    @classmethod
    def parse(cls, raw: int | str | IntOrPercent) -> IntOrPercent:
        if isinstance(raw, IntOrPercent):
            return raw
        if isinstance(raw, bool):
            raise ValueError(f"expected an integer or a percent string like '25%', got {raw!r}")
        if isinstance(raw, int):
            return cls(raw, False)
        match = PERCENT.match(raw.strip()) if isinstance(raw, str) else None
        if match is None:
            raise ValueError(f"expected an integer or a percent string like '25%', got {raw!r}")
        return cls(int(match.group(1)), True)

    def to_api(self) -> int | str:
        return f"{self.value}%" if self.percent else self.value

    def __str__(self) -> str:
        return str(self.to_api())


def _iop(raw: int | str | IntOrPercent) -> IntOrPercent:
    return IntOrPercent.parse(raw)


@attrs.frozen
class PodBehavior:
    """How the kubelet (simulated or virtual) plays every pod of a template.

    It travels with the template as annotations, so the same scenario means the same thing on every
    target, and a behaviour change is a template change (a new rollout) exactly as an image change is.
    `ready_after` is seconds from the pod starting to it turning Ready; None means it never turns Ready.
    """

    ready_after: int | None = 0


@attrs.frozen
class PodTemplate:
    labels: Labels = attrs.field(converter=_labels)
    image: str = "app:v1"
    behavior: PodBehavior = PodBehavior()
    node_selector: Labels = attrs.field(default=(), converter=_labels)

    def label_dict(self) -> dict[str, str]:
        return dict(self.labels)


@attrs.frozen
class RollingUpdate:
    max_surge: IntOrPercent = attrs.field(default=IntOrPercent(25, True), converter=_iop)
    max_unavailable: IntOrPercent = attrs.field(default=IntOrPercent(25, True), converter=_iop)


ROLLING_UPDATE = "RollingUpdate"
RECREATE = "Recreate"
MAX_INT32 = 2**31 - 1


@attrs.frozen
class DeploymentStrategy:
    type: str = ROLLING_UPDATE
    rolling_update: RollingUpdate | None = attrs.field()

    @rolling_update.default
    def _default_rolling_update(self) -> RollingUpdate | None:
        # SetDefaults_Deployment fills rollingUpdate only for the RollingUpdate type.
        return RollingUpdate() if self.type == ROLLING_UPDATE else None


@attrs.frozen
class DeploymentSpec:
    template: PodTemplate
    selector: Labels = attrs.field(converter=_labels)
    replicas: int = 1
    strategy: DeploymentStrategy = DeploymentStrategy()
    min_ready_seconds: int = 0
    revision_history_limit: int = 10
    progress_deadline_seconds: int = 600
    paused: bool = False

    @selector.default
    def _default_selector(self) -> Labels:
        return self.template.labels


@attrs.frozen
class ReplicaSetSpec:
    template: PodTemplate
    selector: Labels = attrs.field(converter=_labels)
    replicas: int = 1
    min_ready_seconds: int = 0

    @selector.default
    def _default_selector(self) -> Labels:
        return self.template.labels

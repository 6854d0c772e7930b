"""Realistic StatefulSet controller bugs for the mutation test (installed through `mutations.MUTATIONS`)."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from .controllers import statefulset_control as control
from .controllers import statefulset_pods as sp
from .objects import Obj

Patch = tuple[ModuleType, str, Callable[..., Any]]
ORIGINAL_SPLIT = control.split
ORIGINAL_WANTED_OWNERS = sp.wanted_owners
ORIGINAL_PROCESS_REPLICA = control.process_replica
ORIGINAL_VIRTUAL_REVISION = control.virtual_revision
ORIGINAL_PARTITION = control.partition


def _running_is_enough(p: control.Pass, pod: Obj | None) -> bool:
    """OrderedReady waits only for Running, not Ready (nor Available): the next ordinal comes too early."""
    return sp.phase(pod) == "Running"


def _condemned_lowest_first(sts: Obj, pods: list[Obj]) -> tuple[list[tuple[int, Obj | None]], list[Obj]]:
    """Scale-down walks the condemned pods from the lowest ordinal up."""
    slots, condemned = ORIGINAL_SPLIT(sts, pods)
    return slots, sorted(condemned, key=sp.ordinal)


def _partition_by_ordinal(p: control.Pass) -> int:
    """The partition compared with the ordinal instead of the index (ordinals.start forgotten)."""
    return max(ORIGINAL_PARTITION(p) - sp.start(p.sts), 0)


def _virtual_revision_by_ordinal(p: control.Pass, pod_ordinal: int) -> Obj:
    """The same bug where a missing pod's revision is chosen: ordinal < partition."""
    block = (p.sts["spec"].get("updateStrategy") or {}).get("rollingUpdate")
    if block is not None and pod_ordinal < block.get("partition", 0):
        return p.revs.current
    return p.revs.update if block is not None else ORIGINAL_VIRTUAL_REVISION(p, pod_ordinal)


def _claims_follow_condemned_pods(sts: Obj, pod_ordinal: int) -> set[str]:
    """A condemned pod's claims are handed to the pod whatever whenScaled says: Retain loses the data."""
    if not sp.in_range(sts, pod_ordinal):
        return {sp.POD_KIND}
    return ORIGINAL_WANTED_OWNERS(sts, pod_ordinal)


def _failed_pods_kept(p: control.Pass, pod_ordinal: int, pod: Obj | None) -> bool:
    """A Failed pod is treated as merely not Ready: never deleted, so never replaced."""
    if sp.is_failed_or_succeeded(pod):
        return p.monotonic
    return ORIGINAL_PROCESS_REPLICA(p, pod_ordinal, pod)


STATEFULSET_MUTATIONS: dict[str, tuple[Patch, ...]] = {
    "sts-creates-before-ready": ((control, "healthy", _running_is_enough),),
    "sts-scale-down-lowest-first": ((control, "split", _condemned_lowest_first),),
    "sts-partition-ignores-start": (
        (control, "partition", _partition_by_ordinal),
        (control, "virtual_revision", _virtual_revision_by_ordinal),
    ),
    "sts-retain-claims-deleted": ((sp, "wanted_owners", _claims_follow_condemned_pods),),
    "sts-failed-pod-not-replaced": ((control, "process_replica", _failed_pods_kept),),
}

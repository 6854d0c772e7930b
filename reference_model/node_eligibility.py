"""Which nodes a DaemonSet's pod should run on: `(shouldRun, shouldContinueRunning)` per node.

Release: upstream v1.35.4 (unchanged since 1.28 in the parts modelled here).

Modelled (fact sheet 4.2): the template's `nodeName`; `nodeSelector` and required node affinity (terms ORed,
requirements ANDed; matchExpressions In / NotIn / Exists / DoesNotExist / Gt / Lt and matchFields on
`metadata.name`; a term that does not parse, or an empty one, matches nothing); NoSchedule and NoExecute
taints against the template's tolerations plus the ones the controller adds to every daemon pod; the taints
the node lifecycle controller derives from `spec.unschedulable` and the Ready condition.

Not modelled: resource fit (upstream dropped it from the controller long ago), the alpha toleration operators
Lt / Gt (`TaintTolerationComparisonOperators`, off in 1.35: such a toleration tolerates nothing), and the
lag between a node change and the lifecycle controller writing the derived taint.

refs kubernetes/kubernetes:pkg/controller/daemon/daemon_controller.go (NodeShouldRunDaemonPod, predicates,
NewPod), kubernetes/kubernetes:pkg/controller/daemon/util/daemonset_util.go (AddOrUpdateDaemonPodTolerations),
kubernetes/kubernetes:staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go
(GetRequiredNodeAffinity, RequiredNodeAffinity.Match, NewLazyErrorNodeSelector),
kubernetes/kubernetes:staging/src/k8s.io/api/core/v1/toleration.go (ToleratesTaint),
kubernetes/kubernetes:pkg/apis/core/v1/helper/helpers.go (FindMatchingUntoleratedTaint),
kubernetes/kubernetes:staging/src/k8s.io/apimachinery/pkg/labels/selector.go (Requirement.Matches),
kubernetes/kubernetes:pkg/controller/nodelifecycle/node_lifecycle_controller.go (doNoScheduleTaintingPass,
doNoExecuteTaintingPass).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from kubeprops.scenario.apps_extra import (
    DOES_NOT_EXIST,
    EQUAL,
    EXISTS,
    GT,
    IN,
    LT,
    NO_EXECUTE,
    NO_SCHEDULE,
    NODE_NAME_FIELD,
    NOT_IN,
    OP_EXISTS,
    READY_FALSE,
    READY_UNKNOWN,
    AppsNodeView,
    AppsPodTemplate,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)

# taint keys (k8s.io/api/core/v1 well_known_taints.go)
TAINT_NOT_READY = "node.kubernetes.io/not-ready"
TAINT_UNREACHABLE = "node.kubernetes.io/unreachable"
TAINT_UNSCHEDULABLE = "node.kubernetes.io/unschedulable"
TAINT_DISK_PRESSURE = "node.kubernetes.io/disk-pressure"
TAINT_MEMORY_PRESSURE = "node.kubernetes.io/memory-pressure"
TAINT_PID_PRESSURE = "node.kubernetes.io/pid-pressure"
TAINT_NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"

_INT64 = re.compile(r"^[+-]?\d+$")

# ref daemonset_util.go (AddOrUpdateDaemonPodTolerations): Exists, no tolerationSeconds (forever)
DAEMON_TOLERATIONS: tuple[Toleration, ...] = (
    Toleration(TAINT_NOT_READY, EXISTS, "", NO_EXECUTE),
    Toleration(TAINT_UNREACHABLE, EXISTS, "", NO_EXECUTE),
    Toleration(TAINT_DISK_PRESSURE, EXISTS, "", NO_SCHEDULE),
    Toleration(TAINT_MEMORY_PRESSURE, EXISTS, "", NO_SCHEDULE),
    Toleration(TAINT_PID_PRESSURE, EXISTS, "", NO_SCHEDULE),
    Toleration(TAINT_UNSCHEDULABLE, EXISTS, "", NO_SCHEDULE),
)
HOST_NETWORK_TOLERATION = Toleration(TAINT_NETWORK_UNAVAILABLE, EXISTS, "", NO_SCHEDULE)


# ---------------------------------------------------------------- taints and tolerations


def effective_taints(node: AppsNodeView) -> tuple[Taint, ...]:
    """`spec.taints` as the node lifecycle controller keeps them: the user's plus the derived ones."""
    # ref node_lifecycle_controller.go (doNoScheduleTaintingPass): unschedulable, Ready False / Unknown;
    # (doNoExecuteTaintingPass): not-ready / unreachable NoExecute
    derived: list[Taint] = []
    if node.unschedulable:
        derived.append(Taint(TAINT_UNSCHEDULABLE, NO_SCHEDULE))
    if node.ready == READY_FALSE:
        derived += [Taint(TAINT_NOT_READY, NO_SCHEDULE), Taint(TAINT_NOT_READY, NO_EXECUTE)]
    elif node.ready == READY_UNKNOWN:
        derived += [Taint(TAINT_UNREACHABLE, NO_SCHEDULE), Taint(TAINT_UNREACHABLE, NO_EXECUTE)]
    present = {(t.key, t.effect) for t in node.taints}
    return node.taints + tuple(t for t in derived if (t.key, t.effect) not in present)


def tolerates(toleration: Toleration, taint: Taint) -> bool:
    # ref core/v1 toleration.go (ToleratesTaint)
    if toleration.effect and toleration.effect != taint.effect:
        return False
    if toleration.key and toleration.key != taint.key:
        return False
    if toleration.operator in ("", EQUAL):
        return toleration.value == taint.value
    return toleration.operator == EXISTS  # Lt / Gt: alpha gate off in 1.35 -> tolerates nothing


def untolerated(
    taints: Iterable[Taint], tolerations: Sequence[Toleration], effects: Callable[[Taint], bool]
) -> Taint | None:
    """The first taint passing `effects` that no toleration tolerates."""
    # ref core/v1/helper (FindMatchingUntoleratedTaint)
    for taint in taints:
        if effects(taint) and not any(tolerates(t, taint) for t in tolerations):
            return taint
    return None


def daemon_pod_tolerations(template: AppsPodTemplate) -> tuple[Toleration, ...]:
    """The template's tolerations plus the ones the controller adds (a duplicate is not added twice)."""
    # ref daemonset_util.go (AddOrUpdateDaemonPodTolerations), helpers (AddOrUpdateTolerationInPodSpec)
    added = DAEMON_TOLERATIONS + ((HOST_NETWORK_TOLERATION,) if template.host_network else ())
    return template.tolerations + tuple(t for t in added if t not in template.tolerations)


# ---------------------------------------------------------------- node affinity


def _label_requirement(req: NodeSelectorRequirement, node_labels: dict[str, str]) -> bool | None:
    """Whether a matchExpressions requirement holds; None when it does not parse."""
    # ref labels/selector.go (NewRequirement, Requirement.Matches)
    has, value = req.key in node_labels, node_labels.get(req.key, "")
    if req.operator in (IN, NOT_IN):
        if not req.values:
            return None
        return (has and value in req.values) if req.operator == IN else (not has or value not in req.values)
    if req.operator in (OP_EXISTS, DOES_NOT_EXIST):
        if req.values:
            return None
        return has if req.operator == OP_EXISTS else not has
    if req.operator in (GT, LT):
        if len(req.values) != 1 or not _INT64.match(req.values[0]):
            return None
        if not has or not _INT64.match(value):
            return False
        return int(value) > int(req.values[0]) if req.operator == GT else int(value) < int(req.values[0])
    return None


def _field_requirement(req: NodeSelectorRequirement, node_name: str) -> bool | None:
    # ref nodeaffinity.go (nodeSelectorRequirementsAsFieldSelector): metadata.name, In / NotIn, one value
    if req.key != NODE_NAME_FIELD or req.operator not in (IN, NOT_IN) or len(req.values) != 1:
        return None
    return (node_name == req.values[0]) == (req.operator == IN)


def term_matches(term: NodeSelectorTerm, node: AppsNodeView) -> bool:
    """A term matches when it is non-empty, parses, and every requirement holds."""
    # ref nodeaffinity.go (newNodeSelectorTerm, nodeSelectorTerm.match): empty terms match nothing
    if not term.match_expressions and not term.match_fields:
        return False
    node_labels = dict(node.labels)
    results = [_label_requirement(r, node_labels) for r in term.match_expressions]
    results += [_field_requirement(r, node.name) for r in term.match_fields]
    return None not in results and all(results)


def required_affinity_matches(template: AppsPodTemplate, node: AppsNodeView) -> bool:
    """nodeSelector (every pair present) and, if set, any required node-affinity term."""
    # ref nodeaffinity.go (GetRequiredNodeAffinity, RequiredNodeAffinity.Match); parse errors are ignored
    if not set(template.node_selector) <= set(node.labels):
        return False
    if template.required_node_affinity is None:
        return True
    return any(term_matches(t, node) for t in template.required_node_affinity)


# ---------------------------------------------------------------- the decision


def _schedule_effects(taint: Taint) -> bool:
    return taint.effect in (NO_SCHEDULE, NO_EXECUTE)


def _execute_effect(taint: Taint) -> bool:
    return taint.effect == NO_EXECUTE


def node_should_run_daemon_pod(node: AppsNodeView, template: AppsPodTemplate) -> tuple[bool, bool]:
    """(shouldRun, shouldContinueRunning) for a daemon pod built from `template` on `node`."""
    # ref daemon_controller.go (NodeShouldRunDaemonPod, predicates, NewPod)
    if template.node_name and template.node_name != node.name:
        return False, False
    if not required_affinity_matches(template, node):
        return False, False
    taints, tolerations = effective_taints(node), daemon_pod_tolerations(template)
    if untolerated(taints, tolerations, _schedule_effects) is None:
        return True, True
    # an untolerated NoSchedule taint keeps a running pod; an untolerated NoExecute taint evicts it
    return False, untolerated(taints, tolerations, _execute_effect) is None

"""DaemonSet properties: node fleets (labels, taints, cordons, joins, departures, NotReady), template and
strategy updates, daemon pods failing, turning unready or being deleted."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import strategies as st
from hypothesis.stateful import initialize, precondition, rule

from kubeprops.adapters.protocol import NODE_OPERATIONS, POD_FAULTS
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario.ops import POD_ACTIONS
from kubeprops.scenario.spec import IntOrPercent, PodBehavior

from .apps_machine import AppsMachine
from .machine import seeds

MAX_NODES = 6
APP = {"app": "agent"}
node_labels = st.sampled_from([{}, {"zone": "a"}, {"zone": "b"}, {"zone": "a", "disk": "ssd"}])
taints = st.lists(
    st.sampled_from(
        [
            a.Taint("dedicated", a.NO_SCHEDULE, "agents"),
            a.Taint("maintenance", a.NO_EXECUTE),
            a.Taint("spot", a.PREFER_NO_SCHEDULE),
            a.Taint("gpu", a.NO_SCHEDULE),
        ]
    ),
    max_size=2,
    unique=True,
).map(tuple)
tolerations = st.lists(
    st.sampled_from(
        [
            a.Toleration("dedicated", a.EQUAL, "agents", a.NO_SCHEDULE),
            a.Toleration("maintenance", a.EXISTS),
            a.Toleration("", a.EXISTS),  # tolerates everything
        ]
    ),
    max_size=1,
).map(tuple)
affinities = st.sampled_from(
    [
        None,
        None,
        (a.NodeSelectorTerm((a.NodeSelectorRequirement("zone", a.IN, ("a", "b")),)),),
        (a.NodeSelectorTerm((a.NodeSelectorRequirement("disk", a.DOES_NOT_EXIST),)),),
    ]
)
# never Ready is common on purpose: a stalled rollout shows how far maxSurge / maxUnavailable let it go
behaviors = st.sampled_from([PodBehavior(0), PodBehavior(2), PodBehavior(None)])


@st.composite
def templates(draw: st.DrawFn) -> a.AppsPodTemplate:
    return a.AppsPodTemplate(
        labels=APP,
        image=draw(st.sampled_from(["app:v1", "app:v2", "app:v3"])),
        behavior=draw(behaviors),
        node_selector=draw(st.sampled_from([{}, {}, {}, {"zone": "a"}])),
        tolerations=draw(tolerations),
        required_node_affinity=draw(affinities),
    )


_amount = st.one_of(
    st.integers(1, 3).map(IntOrPercent),
    st.sampled_from([25, 34, 50, 100]).map(lambda v: IntOrPercent(v, True)),
)
_rolling = st.one_of(
    _amount.map(lambda v: a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(v, 0))),
    _amount.map(lambda v: a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(0, v))),
)
strategies = st.one_of(
    _rolling,
    _rolling,
    st.just(a.DaemonSetUpdateStrategy(a.ON_DELETE)),
    # rejected by the API (both set, or both 0): the model and the target must agree
    st.just(a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(1, 1))),
    st.just(a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(0, 0))),
)


@st.composite
def specs(draw: st.DrawFn) -> a.DaemonSetSpec:
    return a.DaemonSetSpec(
        template=draw(templates()),
        update_strategy=draw(strategies),
        min_ready_seconds=draw(st.sampled_from([0, 0, 3])),
        revision_history_limit=draw(st.integers(0, 3)),
    )


node_changes = st.one_of(
    node_labels.map(lambda labels: lambda node: a.SetNodeLabels(node, labels)),
    taints.map(lambda node_taints: lambda node: a.SetNodeTaints(node, node_taints)),
    st.booleans().map(lambda cordoned: lambda node: a.CordonNode(node, cordoned)),
    st.sampled_from([a.READY_TRUE, a.READY_FALSE, a.READY_UNKNOWN]).map(
        lambda status: lambda node: a.SetNodeReady(node, status)
    ),
)


def _can_change_nodes(self: DaemonSetMachine) -> bool:
    return NODE_OPERATIONS in self.adapter.capabilities


class DaemonSetMachine(AppsMachine):
    kind = a.DAEMONSET

    @initialize(seed=seeds(), spec=specs())
    def create(self, seed: int, spec: a.DaemonSetSpec) -> None:
        self.start(seed)
        self.do(a.CreateDaemonSet(self.name, spec))

    @rule(template=templates())
    def update_template(self, template: a.AppsPodTemplate) -> None:
        self.do(a.UpdateAppsTemplate(self.kind, self.name, template))

    @rule(strategy=strategies)
    def set_strategy(self, strategy: a.DaemonSetUpdateStrategy) -> None:
        self.do(a.SetDaemonSetUpdateStrategy(self.name, strategy))

    @precondition(lambda self: self.settled and POD_FAULTS in self.adapter.capabilities)
    @rule(data=st.data(), action=st.sampled_from(POD_ACTIONS))
    def pod_action(self, data: st.DataObject, action: str) -> None:
        # On settled states, then settle: how fast a failed pod is replaced races with the next edit.
        node = data.draw(st.sampled_from(sorted(self.nodes)), label="node")
        self.do(a.DaemonPodAction(self.name, node, action))
        self.settle_and_compare()

    @precondition(lambda self: len(self.nodes) < MAX_NODES and _can_change_nodes(self))
    @rule(labels=node_labels, node_taints=taints, cordoned=st.booleans())
    def add_node(self, labels: dict[str, str], node_taints: tuple[a.Taint, ...], cordoned: bool) -> None:
        name = f"node-{self.next_node}"
        self.next_node += 1
        self.nodes.append(name)
        self.do(a.AddNode(name, labels, node_taints, cordoned))

    @precondition(lambda self: self.settled and len(self.nodes) > 1 and _can_change_nodes(self))
    @rule(data=st.data())
    def remove_node(self, data: st.DataObject) -> None:
        # On settled states, then settle: the departed node's pods linger until pod GC collects them.
        name = data.draw(st.sampled_from(sorted(self.nodes)), label="node")
        self.nodes.remove(name)
        self.do(a.RemoveNode(name))
        self.settle_and_compare()

    @precondition(_can_change_nodes)
    @rule(data=st.data(), change=node_changes)
    def change_node(self, data: st.DataObject, change: Callable[[str], a.AppsOperation]) -> None:
        # One rule for relabel / taint / cordon / Ready changes, so node churn does not crowd out rollouts.
        self.do(change(data.draw(st.sampled_from(sorted(self.nodes)), label="node")))

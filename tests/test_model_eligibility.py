"""DaemonSet node eligibility (fact sheet 4.2): selectors, affinity, taints and tolerations."""

import pytest

from kubeprops.reference_model.node_eligibility import (
    DAEMON_TOLERATIONS,
    TAINT_NETWORK_UNAVAILABLE,
    TAINT_NOT_READY,
    TAINT_UNREACHABLE,
    TAINT_UNSCHEDULABLE,
    daemon_pod_tolerations,
    effective_taints,
    node_should_run_daemon_pod,
    required_affinity_matches,
    tolerates,
)
from kubeprops.scenario.apps_extra import (
    DOES_NOT_EXIST,
    EXISTS,
    GT,
    IN,
    LT,
    NO_EXECUTE,
    NO_SCHEDULE,
    NOT_IN,
    OP_EXISTS,
    PREFER_NO_SCHEDULE,
    READY_FALSE,
    READY_UNKNOWN,
    AppsNodeView,
    AppsPodTemplate,
    NodeSelectorRequirement,
    NodeSelectorTerm,
    Taint,
    Toleration,
)

APP = {"app": "agent"}


def template(**kw):
    return AppsPodTemplate(labels=APP, **kw)


def node(name="n1", labels=None, **kw):
    return AppsNodeView(name=name, labels=labels or {}, **kw)


def affinity(*reqs, fields=()):
    return (NodeSelectorTerm(match_expressions=reqs, match_fields=fields),)


# ---------------------------------------------------------------- taints and tolerations


@pytest.mark.parametrize(
    ("toleration", "taint", "expected"),
    [
        (Toleration("k", "Equal", "v", NO_SCHEDULE), Taint("k", NO_SCHEDULE, "v"), True),
        (Toleration("k", "Equal", "v", NO_SCHEDULE), Taint("k", NO_SCHEDULE, "w"), False),
        (Toleration("k", "", "", ""), Taint("k", NO_EXECUTE, ""), True),  # "" operator is Equal, any effect
        (Toleration("k", EXISTS, "", NO_SCHEDULE), Taint("k", NO_EXECUTE, "x"), False),  # effect differs
        (Toleration("", EXISTS, "", ""), Taint("anything", NO_EXECUTE, "x"), True),  # tolerate everything
        (Toleration("other", EXISTS), Taint("k", NO_SCHEDULE), False),
        (Toleration("k", "Lt", "5", NO_SCHEDULE), Taint("k", NO_SCHEDULE, "3"), False),  # alpha operator off
    ],
)
def test_toleration_matrix(toleration, taint, expected):
    assert tolerates(toleration, taint) is expected


@pytest.mark.parametrize(
    ("taint", "tolerations", "expected"),
    [
        (Taint("dedicated", NO_SCHEDULE), (), (False, True)),  # keeps running pods, blocks new ones
        (Taint("dedicated", NO_EXECUTE), (), (False, False)),  # evicts
        (Taint("dedicated", PREFER_NO_SCHEDULE), (), (True, True)),  # ignored
        (Taint("dedicated", NO_SCHEDULE), (Toleration("dedicated", EXISTS),), (True, True)),
        (Taint("dedicated", NO_EXECUTE), (Toleration("dedicated", EXISTS, "", NO_EXECUTE),), (True, True)),
        (Taint("dedicated", NO_EXECUTE), (Toleration("dedicated", EXISTS, "", NO_SCHEDULE),), (False, False)),
    ],
)
def test_taint_effects_decide_should_run_and_continue(taint, tolerations, expected):
    assert node_should_run_daemon_pod(node(taints=(taint,)), template(tolerations=tolerations)) == expected


def test_cordon_is_tolerated_daemon_pods_still_run():
    cordoned = node(unschedulable=True)
    assert Taint(TAINT_UNSCHEDULABLE, NO_SCHEDULE) in effective_taints(cordoned)
    assert node_should_run_daemon_pod(cordoned, template()) == (True, True)


def test_not_ready_node_blocks_new_pods_but_keeps_running_ones():
    # not-ready:NoSchedule is not auto-tolerated; not-ready:NoExecute is
    assert node_should_run_daemon_pod(node(ready=READY_FALSE), template()) == (False, True)
    assert node_should_run_daemon_pod(node(ready=READY_UNKNOWN), template()) == (False, True)
    tolerant = template(tolerations=(Toleration(TAINT_NOT_READY, EXISTS, "", NO_SCHEDULE),))
    assert node_should_run_daemon_pod(node(ready=READY_FALSE), tolerant) == (True, True)


def test_derived_taints_are_not_duplicated():
    explicit = Taint(TAINT_UNREACHABLE, NO_EXECUTE)
    taints = effective_taints(node(ready=READY_UNKNOWN, taints=(explicit,)))
    assert taints.count(explicit) == 1
    assert Taint(TAINT_UNREACHABLE, NO_SCHEDULE) in taints


def test_automatic_tolerations_and_host_network():
    assert len(DAEMON_TOLERATIONS) == 6
    plain, host = daemon_pod_tolerations(template()), daemon_pod_tolerations(template(host_network=True))
    network = Taint(TAINT_NETWORK_UNAVAILABLE, NO_SCHEDULE)
    assert not any(tolerates(t, network) for t in plain)
    assert any(tolerates(t, network) for t in host)
    assert node_should_run_daemon_pod(node(taints=(network,)), template()) == (False, True)
    assert node_should_run_daemon_pod(node(taints=(network,)), template(host_network=True)) == (True, True)


@pytest.mark.parametrize(
    "key",
    [
        "node.kubernetes.io/disk-pressure",
        "node.kubernetes.io/memory-pressure",
        "node.kubernetes.io/pid-pressure",
    ],
)
def test_pressure_taints_are_auto_tolerated(key):
    assert node_should_run_daemon_pod(node(taints=(Taint(key, NO_SCHEDULE),)), template()) == (True, True)
    # ...but only their NoSchedule effect
    assert node_should_run_daemon_pod(node(taints=(Taint(key, NO_EXECUTE),)), template()) == (False, False)


# ---------------------------------------------------------------- selectors and affinity


def test_node_selector_and_node_name():
    ssd = node(labels={"disk": "ssd"})
    assert node_should_run_daemon_pod(ssd, template(node_selector={"disk": "ssd"})) == (True, True)
    assert node_should_run_daemon_pod(node(), template(node_selector={"disk": "ssd"})) == (False, False)
    assert node_should_run_daemon_pod(ssd, template(node_name="n2")) == (False, False)
    assert node_should_run_daemon_pod(ssd, template(node_name="n1")) == (True, True)


@pytest.mark.parametrize(
    ("req", "labels", "expected"),
    [
        (NodeSelectorRequirement("zone", IN, ("a", "b")), {"zone": "a"}, True),
        (NodeSelectorRequirement("zone", IN, ("a", "b")), {}, False),
        (NodeSelectorRequirement("zone", NOT_IN, ("a",)), {}, True),  # absent key satisfies NotIn
        (NodeSelectorRequirement("zone", NOT_IN, ("a",)), {"zone": "a"}, False),
        (NodeSelectorRequirement("gpu", OP_EXISTS), {"gpu": ""}, True),
        (NodeSelectorRequirement("gpu", DOES_NOT_EXIST), {"gpu": "1"}, False),
        (NodeSelectorRequirement("cores", GT, ("4",)), {"cores": "8"}, True),
        (NodeSelectorRequirement("cores", GT, ("4",)), {"cores": "4"}, False),
        (NodeSelectorRequirement("cores", LT, ("4",)), {"cores": "3"}, True),
        (NodeSelectorRequirement("cores", GT, ("4",)), {"cores": "many"}, False),  # not an integer
        (NodeSelectorRequirement("cores", GT, ("4",)), {}, False),
        (NodeSelectorRequirement("zone", IN, ()), {"zone": "a"}, False),  # does not parse: term skipped
    ],
)
def test_match_expressions(req, labels, expected):
    assert (
        required_affinity_matches(template(required_node_affinity=affinity(req)), node(labels=labels))
        is expected
    )


def test_terms_are_ored_requirements_anded_and_empty_terms_match_nothing():
    a = NodeSelectorRequirement("zone", IN, ("a",))
    gpu = NodeSelectorRequirement("gpu", OP_EXISTS)
    both = template(required_node_affinity=(NodeSelectorTerm((a, gpu)),))
    either = template(required_node_affinity=(NodeSelectorTerm((a,)), NodeSelectorTerm((gpu,))))
    zone_a = node(labels={"zone": "a"})
    assert not required_affinity_matches(both, zone_a)
    assert required_affinity_matches(either, zone_a)
    assert not required_affinity_matches(template(required_node_affinity=(NodeSelectorTerm(),)), zone_a)
    assert not required_affinity_matches(template(required_node_affinity=()), zone_a)
    assert required_affinity_matches(template(required_node_affinity=None), zone_a)


def test_match_fields_on_node_name():
    pin = NodeSelectorRequirement("metadata.name", IN, ("n2",))
    assert not required_affinity_matches(template(required_node_affinity=affinity(fields=(pin,))), node("n1"))
    assert required_affinity_matches(template(required_node_affinity=affinity(fields=(pin,))), node("n2"))
    bad_key = NodeSelectorRequirement("metadata.uid", IN, ("n2",))
    assert not required_affinity_matches(
        template(required_node_affinity=affinity(fields=(bad_key,))), node("n2")
    )


def test_selector_and_affinity_must_both_match():
    zone = affinity(NodeSelectorRequirement("zone", IN, ("a",)))
    t = template(node_selector={"disk": "ssd"}, required_node_affinity=zone)
    assert not required_affinity_matches(t, node(labels={"zone": "a"}))
    assert required_affinity_matches(t, node(labels={"zone": "a", "disk": "ssd"}))

import types
import typing

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kubeprops.properties import cronjob, daemonset, job_strategies, statefulset
from kubeprops.properties.cronjob_strategies import cronjob_specs
from kubeprops.scenario import DeploymentSpec, DeploymentStrategy, IntOrPercent, PodTemplate, labels
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario import batch as b
from kubeprops.scenario.files import CHOICES, SETTLE, Scenario, dump, load, operation_classes
from kubeprops.scenario.ops import Operation
from kubeprops.scenario.spec import RECREATE, Labels, RollingUpdate


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0, IntOrPercent(0)),
        (3, IntOrPercent(3)),
        ("25%", IntOrPercent(25, True)),
        (" 0% ", IntOrPercent(0, True)),
    ],
)
def test_int_or_percent_parses_ints_and_percent_strings(raw, expected):
    assert IntOrPercent.parse(raw) == expected
    assert IntOrPercent.parse(expected) is expected


@pytest.mark.parametrize("raw", ["25", "x%", "25.5%", "-1%", True, None, 2.5])
def test_int_or_percent_rejects_anything_else_with_the_fix(raw):
    with pytest.raises(ValueError, match="integer or a percent string like '25%'"):
        IntOrPercent.parse(raw)


def test_int_or_percent_round_trips_to_the_api_form():
    assert IntOrPercent(25, True).to_api() == "25%"
    assert IntOrPercent(2).to_api() == 2
    assert str(IntOrPercent(10, True)) == "10%"


def test_labels_are_canonical_and_hashable():
    assert labels({"b": "2", "a": "1"}) == (("a", "1"), ("b", "2"))
    assert hash(PodTemplate(labels={"app": "web"})) == hash(PodTemplate(labels=[("app", "web")]))


def test_deployment_defaults_follow_the_api_server():
    spec = DeploymentSpec(template=PodTemplate(labels={"app": "web"}))
    assert spec.replicas == 1
    assert spec.selector == (("app", "web"),)
    assert spec.strategy.type == "RollingUpdate"
    assert spec.strategy.rolling_update == RollingUpdate(IntOrPercent(25, True), IntOrPercent(25, True))
    assert (spec.revision_history_limit, spec.progress_deadline_seconds, spec.min_ready_seconds) == (
        10,
        600,
        0,
    )


def test_recreate_defaults_to_no_rolling_update():
    assert DeploymentStrategy(RECREATE).rolling_update is None


# ---------------------------------------------------------------- scenario files: every operation kind


def values(tp: object) -> st.SearchStrategy:
    """Any value of an operation field's declared type: every operation kind, not only what a machine
    generates (a hand-written scenario may hold those too)."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp == Labels:  # a label map: keys are unique
        return st.dictionaries(st.text(max_size=6), st.text(max_size=6), max_size=3).map(labels)
    if origin in (typing.Union, types.UnionType):
        return st.one_of([st.none() if arg is type(None) else values(arg) for arg in args])
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return st.lists(values(args[0]), max_size=3).map(tuple)
        return st.tuples(*(values(arg) for arg in args))
    if tp is IntOrPercent:  # what the API form holds: an int or "<n>%", never negative
        return st.builds(IntOrPercent, st.integers(0, 200), st.booleans())
    if isinstance(tp, type) and attrs.has(tp):
        return instances(tp)
    if tp is int:
        return st.integers(-(2**31), 2**31 - 1)
    return st.from_type(tp)  # str, bool, float


def instances(cls: type) -> st.SearchStrategy:
    hints = typing.get_type_hints(cls)
    fields = {}
    for field in attrs.fields(cls):
        drawn = values(hints[field.name])
        if (cls, field.name) in CHOICES:
            drawn = st.sampled_from(CHOICES[(cls, field.name)])
        # optional fields (those with defaults) are left out half the time: the default is then used
        fields[field.name] = drawn if field.default is attrs.NOTHING else st.one_of(st.nothing(), drawn)
    return st.fixed_dictionaries(
        {k: v for k, v in fields.items() if attrs.fields_dict(cls)[k].default is attrs.NOTHING},
        optional={k: v for k, v in fields.items() if attrs.fields_dict(cls)[k].default is not attrs.NOTHING},
    ).map(lambda kwargs: cls(**kwargs))


def _node_op(changes: st.SearchStrategy) -> st.SearchStrategy:
    return st.builds(lambda change, node: change(node), changes, st.sampled_from(["node-0", "node-4"]))


# What the machines generate, through their own strategies (specs, strategies, node changes, edits)
MACHINE_OPERATIONS = st.one_of(
    st.builds(a.CreateStatefulSet, st.just("db"), statefulset.specs()),
    st.builds(a.UpdateAppsTemplate, st.just(a.STATEFULSET), st.just("db"), statefulset.templates),
    st.builds(a.SetStatefulSetUpdateStrategy, st.just("db"), statefulset.strategies),
    st.builds(a.SetPVCRetentionPolicy, st.just("db"), statefulset.retention),
    _node_op(statefulset.node_changes),
    st.builds(a.CreateDaemonSet, st.just("agent"), daemonset.specs()),
    st.builds(a.UpdateAppsTemplate, st.just(a.DAEMONSET), st.just("agent"), daemonset.templates()),
    st.builds(a.SetDaemonSetUpdateStrategy, st.just("agent"), daemonset.strategies),
    st.builds(a.AddNode, st.just("node-5"), daemonset.node_labels, daemonset.taints, st.booleans()),
    _node_op(daemonset.node_changes),
    st.builds(b.CreateJob, st.just("work"), job_strategies.job_specs()),
    st.builds(b.CreateCronJob, st.just("tick"), cronjob_specs()),
    st.one_of(cronjob.edits()),
)
EVERY_OPERATION = st.one_of([instances(cls) for cls in operation_classes().values()])


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(MACHINE_OPERATIONS, st.just(SETTLE)), max_size=4))
def test_what_the_machines_generate_round_trips(steps):
    scenario = Scenario("statefulset", "settles-to-model", tuple(steps), seed=3)
    assert load(dump(scenario)) == scenario


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(EVERY_OPERATION, min_size=1, max_size=3))
def test_every_operation_kind_round_trips(steps):
    scenario = Scenario("job", "always-invariants", tuple(steps))
    assert load(dump(scenario)) == scenario


def test_operations_are_looked_up_by_unique_class_names():
    # a file names an operation by its class: two kinds with one name would load as the wrong one
    assert len(operation_classes()) == len(typing.get_args(Operation))
    assert {"CreateStatefulSet", "DaemonPodAction", "AdvanceTime", "CreateCronJob", "PodFails"} <= set(
        operation_classes()
    )

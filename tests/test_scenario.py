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
from kubeprops.scenario.files import CHOICES, SETTLE, Scenario, ScenarioError, dump, load, operation_classes
from kubeprops.scenario.ops import Advance, CreateBarePod, Operation, OrphanPod, RelabelPod
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
    st.one_of(cronjob.edits()),  # with DeleteCronJob
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
    assert {
        "CreateStatefulSet",
        "DaemonPodAction",
        "AdvanceTime",
        "CreateCronJob",
        "DeleteCronJob",
        "PodFails",
    } <= set(operation_classes())


def test_a_cronjob_deletion_reads_back_from_its_file():
    job = b.JobSpec(PodTemplate(labels={"app": "tick"}), backoff_limit=0)
    steps = (b.DeleteCronJob("tick"), Advance(60), b.CreateCronJob("tick", b.CronJobSpec("@hourly", job)))
    text = dump(Scenario("cronjob", "settles-to-model", steps))
    assert "- DeleteCronJob:\n    name: tick\n" in text
    assert load(text).steps == steps


def test_pod_ownership_steps_read_back_from_their_file():
    steps = (
        CreateBarePod("lone", PodTemplate(labels={"app": "web"})),
        RelabelPod("ReplicaSet", "web", 2, {"app": "moved"}),
    )
    text = dump(Scenario("replicaset", "settles-to-model", steps))
    assert (
        "- RelabelPod:\n    kind: ReplicaSet\n    name: web\n    index: 2\n    labels:\n      app: moved\n"
        in text
    )
    assert load(text).steps == steps
    with pytest.raises(ScenarioError, match="'StatefulSet' is not one of Deployment, ReplicaSet, Job"):
        load(text.replace("kind: ReplicaSet", "kind: StatefulSet"))


def test_job_pod_ownership_steps_read_back_from_their_file():
    steps = (OrphanPod("Job", "work", 1), RelabelPod("Job", "work", 0, {}))
    text = dump(Scenario("job", "settles-to-model", steps))
    assert "- OrphanPod:\n    kind: Job\n    name: work\n    index: 1\n" in text
    assert load(text).steps == steps
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.OrphanPod\.kind: 'ReplicaSet' is not one of Job"):
        load(text.replace("kind: Job", "kind: ReplicaSet", 1))
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.OrphanPod\.index: expected int"):
        load(text.replace("index: 1", "index: one"))
    with pytest.raises(ScenarioError, match=r"steps\[0\]\.OrphanPod\.name: missing"):
        load(text.replace("    name: work\n    index: 1", "    index: 1"))


# Every controller's operations in one file (whichever controller: loading does not look at it)
KINDS = (
    b.CreateJob("work", b.JobSpec(PodTemplate(labels={"app": "work"}), parallelism=2, completions=4)),
    b.PodSucceeds("work", 0),
    b.PodFails("work", 1, exit_code=42),
    b.CreateCronJob(
        "tick",
        b.CronJobSpec(
            "*/5 * * * *", b.JobSpec(PodTemplate(labels={"app": "tick"})), concurrency_policy=b.FORBID
        ),
    ),
    a.CreateDaemonSet(
        "agent",
        a.DaemonSetSpec(
            a.AppsPodTemplate({"app": "agent"}, tolerations=(a.Toleration("maintenance", a.EXISTS),)),
            update_strategy=a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(0, "50%")),
        ),
    ),
    a.SetNodeReady("node-0", a.READY_FALSE),
    a.CreateStatefulSet(
        "db", a.StatefulSetSpec(a.AppsPodTemplate({"app": "db"}), volume_claim_templates=("data",))
    ),
    a.StatefulPodAction("db", 0, "fail"),
)


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        (
            "      parallelism: 2",
            "      parallelism: two",
            "steps[0].CreateJob.spec.parallelism: expected int, got 'two'",
        ),
        (
            "- PodSucceeds:\n    job: work",
            "- PodSucceeds:\n    pod: 0",
            "steps[1].PodSucceeds.job: missing; add it",
        ),
        (
            "    exit_code: 42",
            "    exit_cod: 42",
            "steps[2].PodFails.exit_cod: unknown field; PodFails has job, pod",
        ),
        (
            "      concurrency_policy: Forbid",
            "      concurrency_policy: [Forbid]",
            "steps[3].CreateCronJob.spec.concurrency_policy: expected str",
        ),
        (
            "          operator: Exists",
            "          operatr: Exists",
            "steps[4].CreateDaemonSet.spec.template.tolerations[0].operatr: unknown field",
        ),
        (
            "          max_surge: 50%",
            "          max_surge: 50 percent",
            "steps[4].CreateDaemonSet.spec.update_strategy.rolling_update.max_surge: expected an integer or a percent",
        ),
        (
            "    status: 'False'",
            "    status: False",
            "steps[5].SetNodeReady.status: expected str, got False (quote it: 'False')",
        ),
        (
            "    status: 'False'",
            "    status: Maybe",
            "steps[5].SetNodeReady.status: 'Maybe' is not one of True, False, Unknown",
        ),
        (
            "      - data",
            "      - {name: data}",
            "steps[6].CreateStatefulSet.spec.volume_claim_templates[0]: expected str",
        ),
        (
            "    action: fail",
            "    action: explode",
            "steps[7].StatefulPodAction.action: 'explode' is not one of fail, delete, unready, ready",
        ),
    ],
)
def test_malformed_files_of_every_kind_name_the_line_and_field(old, new, error):
    text = dump(Scenario("job", "settles-to-model", KINDS))
    assert old in text
    line = text[: text.index(old)].count("\n") + 1 + old.count("\n")
    with pytest.raises(ScenarioError) as err:
        load(text.replace(old, new, 1))
    assert str(err.value).startswith(f"line {line}: {error}"), str(err.value)
    assert err.value.line == line

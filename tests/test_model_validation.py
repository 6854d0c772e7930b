"""What the API server rejects (fact sheet 1.1, 2.1; pkg/apis/apps/validation). Every error names the field
and says how to fix it."""

import pytest

from kubeprops.reference_model.validation import validate_deployment, validate_replicaset
from kubeprops.scenario import InvalidSpec
from kubeprops.scenario.spec import (
    RECREATE,
    DeploymentSpec,
    DeploymentStrategy,
    IntOrPercent,
    PodTemplate,
    ReplicaSetSpec,
    RollingUpdate,
)

TEMPLATE = PodTemplate(labels={"app": "web"})


def deployment(**kw):
    return DeploymentSpec(template=kw.pop("template", TEMPLATE), **kw)


def rolling(surge, unavailable):
    return DeploymentStrategy(rolling_update=RollingUpdate(max_surge=surge, max_unavailable=unavailable))


def rejects(call, field, *texts):
    with pytest.raises(InvalidSpec) as info:
        call()
    assert info.value.field == field
    for text in texts:
        assert text in info.value.message
    assert str(info.value).startswith(f"{field}: ")


# ---------------------------------------------------------------- accepted


@pytest.mark.parametrize(
    "spec",
    [
        deployment(),
        deployment(replicas=0),
        deployment(strategy=rolling("200%", "100%")),  # surge may exceed 100%
        deployment(strategy=rolling(0, 1)),
        deployment(strategy=rolling("1%", "0%")),
        deployment(strategy=DeploymentStrategy(type=RECREATE)),
        deployment(revision_history_limit=0),
        deployment(min_ready_seconds=5, progress_deadline_seconds=6),
        deployment(progress_deadline_seconds=2**31 - 1),
        deployment(template=PodTemplate(labels={"app": "web", "example.com/tier": "fe", "empty": ""})),
        deployment(selector={"app": "web"}, template=PodTemplate(labels={"app": "web", "v": "2"})),
    ],
)
def test_valid_deployments(spec):
    validate_deployment("web", spec)


@pytest.mark.parametrize("name", ["web", "a", "web.example.com", "a-b-c", "x" * 253, "0abc"])
def test_valid_names(name):
    validate_deployment(name, deployment())
    validate_replicaset(name, ReplicaSetSpec(template=TEMPLATE))


def test_valid_replicaset():
    validate_replicaset("rs", ReplicaSetSpec(template=TEMPLATE, replicas=0, min_ready_seconds=0))


# ---------------------------------------------------------------- metadata.name


@pytest.mark.parametrize(
    ("name", "texts"),
    [
        ("", ("name or generateName is required",)),
        ("Web", ("lowercase RFC 1123 subdomain", "'Web'")),
        ("web_1", ("lowercase RFC 1123 subdomain",)),
        ("-web", ("must start and end with an alphanumeric",)),
        ("web.", ("lowercase RFC 1123 subdomain",)),
        ("x" * 254, ("must be no more than 253 characters", "got 254", "shorten")),
    ],
)
def test_invalid_names(name, texts):
    rejects(lambda: validate_deployment(name, deployment()), "metadata.name", *texts)
    rejects(lambda: validate_replicaset(name, ReplicaSetSpec(template=TEMPLATE)), "metadata.name", *texts)


# ---------------------------------------------------------------- shared spec fields


@pytest.mark.parametrize("kind", ["deployment", "replicaset"])
def test_negative_replicas(kind):
    call = (
        (lambda: validate_deployment("web", deployment(replicas=-1)))
        if kind == "deployment"
        else (lambda: validate_replicaset("web", ReplicaSetSpec(template=TEMPLATE, replicas=-1)))
    )
    rejects(call, "spec.replicas", "must be greater than or equal to 0", "got -1")


def test_negative_min_ready_seconds():
    rejects(
        lambda: validate_deployment("web", deployment(min_ready_seconds=-1)),
        "spec.minReadySeconds",
        "must be greater than or equal to 0",
    )
    rejects(
        lambda: validate_replicaset("web", ReplicaSetSpec(template=TEMPLATE, min_ready_seconds=-3)),
        "spec.minReadySeconds",
        "must be greater than or equal to 0",
        "got -3",
    )


def test_empty_selector():
    spec = deployment(template=PodTemplate(labels={}))
    rejects(
        lambda: validate_deployment("web", spec),
        "spec.selector",
        "empty selector is invalid for deployment",
        "matchLabels",
    )
    rs = ReplicaSetSpec(template=PodTemplate(labels={}))
    rejects(
        lambda: validate_replicaset("web", rs), "spec.selector", "empty selector is invalid", "ReplicaSet"
    )


def test_selector_must_match_template_labels():
    spec = deployment(selector={"app": "api"})
    rejects(
        lambda: validate_deployment("web", spec),
        "spec.template.metadata.labels",
        "`selector` does not match template `labels`",
        "add app=api to the template labels",
    )
    rs = ReplicaSetSpec(template=TEMPLATE, selector={"app": "web", "tier": "fe"})
    rejects(
        lambda: validate_replicaset("web", rs), "spec.template.metadata.labels", "does not match", "tier=fe"
    )


@pytest.mark.parametrize(
    ("labels", "text"),
    [
        ({"app": "web", "bad key": "x"}, "name part must be"),
        ({"app": "web", "Example.com/x": "y"}, "prefix part must be a lowercase DNS-1123 subdomain"),
        ({"app": "web", "k": "-v"}, "a valid label must be an empty string"),
        ({"app": "web", "k": "v" * 64}, "at most 63"),
    ],
)
def test_template_label_syntax(labels, text):
    spec = deployment(selector={"app": "web"}, template=PodTemplate(labels=labels))
    rejects(lambda: validate_deployment("web", spec), "spec.template.metadata.labels", text)


def test_selector_label_syntax():
    labels = {"app": "web", "k": "bad value"}
    spec = deployment(template=PodTemplate(labels=labels))
    rejects(lambda: validate_deployment("web", spec), "spec.selector.matchLabels", "a valid label must be")


# ---------------------------------------------------------------- strategy


@pytest.mark.parametrize(("surge", "unavailable"), [(0, 0), ("0%", "0%"), (0, "0%"), ("0%", 0)])
def test_surge_and_unavailable_both_zero(surge, unavailable):
    rejects(
        lambda: validate_deployment("web", deployment(strategy=rolling(surge, unavailable))),
        "spec.strategy.rollingUpdate.maxUnavailable",
        "may not be 0 when `maxSurge` is 0",
        "set maxSurge or maxUnavailable above 0",
    )


def test_max_unavailable_over_100_percent():
    rejects(
        lambda: validate_deployment("web", deployment(strategy=rolling("25%", "101%"))),
        "spec.strategy.rollingUpdate.maxUnavailable",
        "must not be greater than 100%",
        "101%",
    )


@pytest.mark.parametrize(
    ("surge", "unavailable", "field"),
    [
        (1, -1, "spec.strategy.rollingUpdate.maxUnavailable"),
        (-1, 1, "spec.strategy.rollingUpdate.maxSurge"),
    ],
)
def test_negative_ints(surge, unavailable, field):
    rejects(
        lambda: validate_deployment("web", deployment(strategy=rolling(surge, unavailable))),
        field,
        "must be greater than or equal to 0",
    )


def test_negative_percent():
    strategy = DeploymentStrategy(rolling_update=RollingUpdate(max_surge=IntOrPercent(-5, True)))
    rejects(
        lambda: validate_deployment("web", deployment(strategy=strategy)),
        "spec.strategy.rollingUpdate.maxSurge",
        "a valid percent string",
        "'-5%'",
    )


def test_max_unavailable_is_checked_before_max_surge():
    rejects(
        lambda: validate_deployment("web", deployment(strategy=rolling(-1, -1))),
        "spec.strategy.rollingUpdate.maxUnavailable",
    )


def test_rolling_update_forbidden_with_recreate():
    strategy = DeploymentStrategy(type=RECREATE, rolling_update=RollingUpdate())
    rejects(
        lambda: validate_deployment("web", deployment(strategy=strategy)),
        "spec.strategy.rollingUpdate",
        "may not be specified when strategy `type` is 'Recreate'",
        "remove rollingUpdate",
    )


def test_rolling_update_required_with_rolling_update():
    strategy = DeploymentStrategy(type="RollingUpdate", rolling_update=None)
    rejects(
        lambda: validate_deployment("web", deployment(strategy=strategy)),
        "spec.strategy.rollingUpdate",
        "Required value",
    )


def test_unknown_strategy_type():
    strategy = DeploymentStrategy(type="BlueGreen", rolling_update=None)
    rejects(
        lambda: validate_deployment("web", deployment(strategy=strategy)),
        "spec.strategy",
        'Unsupported value: "BlueGreen"',
        '"Recreate", "RollingUpdate"',
    )


# ---------------------------------------------------------------- history and deadlines


def test_negative_revision_history_limit():
    rejects(
        lambda: validate_deployment("web", deployment(revision_history_limit=-1)),
        "spec.revisionHistoryLimit",
        "must be greater than or equal to 0",
    )


@pytest.mark.parametrize(("deadline", "mrs"), [(10, 10), (5, 10), (0, 0)])
def test_progress_deadline_must_exceed_min_ready_seconds(deadline, mrs):
    spec = deployment(progress_deadline_seconds=deadline, min_ready_seconds=mrs)
    rejects(
        lambda: validate_deployment("web", spec),
        "spec.progressDeadlineSeconds",
        "must be greater than minReadySeconds",
        f"{deadline} <= {mrs}",
        "raise progressDeadlineSeconds",
    )


def test_negative_progress_deadline():
    rejects(
        lambda: validate_deployment("web", deployment(progress_deadline_seconds=-1)),
        "spec.progressDeadlineSeconds",
        "must be greater than or equal to 0",
    )

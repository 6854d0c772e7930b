import pytest

from kubeprops.scenario import DeploymentSpec, DeploymentStrategy, IntOrPercent, PodTemplate, labels
from kubeprops.scenario.spec import RECREATE, RollingUpdate


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

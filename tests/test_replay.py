"""Scenario files and `kubeprops replay`: counterexamples that rerun on any target."""

import subprocess
import sys

import pytest
from hypothesis import settings
from mutants import MUTANTS
from sim_builders import deployment, rolling, template

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties.conformance import FAIL, PASS, PROPERTIES, ConformanceReport, run_property
from kubeprops.properties.profiles import profile_settings
from kubeprops.properties.replay import CannotReplay, replay
from kubeprops.report import RunInfo, write_reports
from kubeprops.scenario import (
    DEPLOYMENT,
    Advance,
    CreateDeployment,
    NodeJoin,
    PodAction,
    SetStrategy,
    UpdateTemplate,
)
from kubeprops.scenario.files import SETTLE, Scenario, ScenarioError, dump, load

STEPS = (
    CreateDeployment(
        "web", deployment(3, template("app:v1", 1), strategy=rolling(0, "25%"), revision_history_limit=0)
    ),
    UpdateTemplate(DEPLOYMENT, "web", template("app:v2", None, node_selector={"zone": "a"})),
    Advance(60),
    SETTLE,
    PodAction(DEPLOYMENT, "web", 2, "fail"),
    NodeJoin("node-7", {"zone": "b"}),
    SetStrategy("web", rolling("10%", 0)),
)
SCENARIO = Scenario("deployment", "settles-to-model", STEPS, seed=5175, model_release="v1.35.4", message="x")


def test_scenario_round_trips_and_reads_like_the_api():
    text = dump(SCENARIO)
    assert load(text) == SCENARIO
    assert "max_surge: 10%" in text and "- settle" in text and "zone: a" in text
    assert "min_ready_seconds" not in text  # API defaults are left out


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("seconds: 60", "seconds: sixty", "steps[2].Advance.seconds: expected int, got 'sixty'"),
        ("CreateDeployment:", "CreateDeploymnt:", "steps[0]: unknown operation 'CreateDeploymnt'"),
        ("    image: app:v2", "    imag: app:v2", "steps[1].UpdateTemplate.template.imag: unknown field"),
        ("kubeprops-scenario: 1", "kubeprops-scenario: 2", "kubeprops-scenario: version 2 is not supported"),
        ("      replicas: 3", "      replicas: [3]", "steps[0].CreateDeployment.spec.replicas: expected int"),
        ("- settle", "- settel", "steps[3]: expected `settle` or a one-key map"),
    ],
)
def test_malformed_files_name_the_line_and_field(old, new, error):
    text = dump(SCENARIO)
    line = next(
        i for i, row in enumerate(text.splitlines(), 1) if row.startswith(old) or f" {old.strip()}" in row
    )
    with pytest.raises(ScenarioError) as err:
        load(text.replace(old, new, 1))
    assert str(err.value).startswith(f"line {line}: {error}")
    assert err.value.line == line


def test_missing_fields_are_named():
    with pytest.raises(ScenarioError, match="steps: missing; add it"):
        load("kubeprops-scenario: 1\ncontroller: deployment\nproperty: settles-to-model\n")
    with pytest.raises(ScenarioError, match=r"steps\[0\].Scale.replicas: missing"):
        load(
            "kubeprops-scenario: 1\ncontroller: deployment\nproperty: x\nsteps:\n- Scale: {kind: Deployment, name: w}\n"
        )


def test_replay_refuses_unknown_names_before_creating_any_adapter():
    def no_adapter(ctx):
        raise AssertionError("no adapter may be created")

    for bad in (Scenario("daemonsets", "settles-to-model", STEPS), Scenario("deployment", "nonsense", STEPS)):
        with pytest.raises(CannotReplay):
            replay(bad, no_adapter)


def test_a_shrunk_counterexample_replays_as_a_failure_and_passes_without_the_bug(monkeypatch, tmp_path):
    MUTANTS["history-limit-off-by-one"](monkeypatch)
    prop = next(p for p in PROPERTIES if p.name == "settles-to-model")
    found = run_property(
        simulator_factory,
        "deployment",
        prop,
        settings=settings(profile_settings("ci"), max_examples=100),
        shrink_seconds=20,
    )
    assert found.verdict == FAIL and found.counterexample is not None
    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run")
    report = ConformanceReport((found,), "v1.35.4")
    write_reports(report, info, tmp_path)
    saved = tmp_path / "counterexamples" / "deployment-settles-to-model.yaml"
    assert (
        "kubeprops replay counterexamples/deployment-settles-to-model.yaml"
        in (tmp_path / "summary.md").read_text()
    )
    scenario = load(saved.read_text())
    assert scenario.found_on == "simulator (kubeprops)" and scenario.steps == found.counterexample.steps
    again = replay(scenario, simulator_factory)
    assert again.verdict == FAIL and "settled state differs" in again.message
    monkeypatch.undo()
    assert replay(scenario, simulator_factory).verdict == PASS


def kubeprops(*args):
    return subprocess.run(
        [sys.executable, "-m", "kubeprops.cli", *args], capture_output=True, text=True, timeout=600
    )


def test_replay_command_exit_codes(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text(dump(SCENARIO))
    result = kubeprops("replay", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "replaying 7 steps of deployment/settles-to-model (seed 5175) on simulator" in result.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text(dump(SCENARIO).replace("seconds: 60", "seconds: sixty"))
    result = kubeprops("replay", str(bad))
    assert result.returncode == 2 and "steps[2].Advance.seconds: expected int, got 'sixty'" in result.stderr
    assert "Traceback" not in result.stderr
    assert kubeprops("replay", str(tmp_path / "missing.yaml")).returncode == 2
    assert kubeprops("replay", str(good), "--adapter", "nope").returncode == 2

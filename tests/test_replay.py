"""Scenario files and `kubeprops replay`: counterexamples that rerun on any target."""

import re
import subprocess
import sys
from pathlib import Path

import attrs
import pytest
from hypothesis import settings
from mutants import MUTANTS
from sim_builders import deployment, rolling, template

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties import replay as replay_module
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
from kubeprops.scenario import apps_extra as a
from kubeprops.scenario import batch as b
from kubeprops.scenario.files import SETTLE, Scenario, ScenarioError, dump, load
from kubeprops.scenario.spec import IntOrPercent, PodBehavior, PodTemplate

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


def test_replay_refuses_steps_the_controller_does_not_take_before_creating_any_adapter():
    def no_adapter(ctx):
        raise AssertionError("no adapter may be created")

    cases = [
        (
            Scenario("statefulset", "settles-to-model", STEPS),
            "steps[0]: CreateDeployment is not a statefulset",
        ),
        (
            Scenario("cronjob", "always-invariants", (*CRONJOB_STEPS, SETTLE)),
            f"steps[{len(CRONJOB_STEPS)}]: a cronjob never settles",
        ),
    ]
    for bad, message in cases:
        with pytest.raises(CannotReplay, match=re.escape(message)):
            replay(bad, no_adapter)


def test_replay_refuses_a_property_the_controller_does_not_have(monkeypatch):
    # every controller has every property now: a per-sync-decisions without CronJobs stands in for one
    without = tuple(
        attrs.evolve(p, controllers=tuple(c for c in p.controllers if c != "cronjob")) if p.controllers else p
        for p in PROPERTIES
    )
    monkeypatch.setattr(replay_module, "PROPERTIES", without)

    def no_adapter(ctx):
        raise AssertionError("no adapter may be created")

    message = "property: per-sync-decisions is not implemented for cronjob"
    with pytest.raises(CannotReplay, match=re.escape(message)):
        replay(Scenario("cronjob", "per-sync-decisions", CRONJOB_STEPS), no_adapter)


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


# ---------------------------------------------------------------- StatefulSet, DaemonSet, Job, CronJob

DB = {"app": "db"}
STATEFULSET_STEPS = (
    a.CreateStatefulSet(
        "db",
        a.StatefulSetSpec(
            a.AppsPodTemplate(DB, behavior=PodBehavior(2)),
            replicas=3,
            volume_claim_templates=("data",),
            persistent_volume_claim_retention_policy=a.PersistentVolumeClaimRetentionPolicy(
                a.DELETE, a.DELETE
            ),
        ),
    ),
    a.AdvanceTime(15),
    SETTLE,
    a.UpdateAppsTemplate(a.STATEFULSET, "db", a.AppsPodTemplate(DB, image="app:v2")),
    a.SetPartition("db", 1),
    SETTLE,
    a.StatefulPodAction("db", 0, "fail"),
    SETTLE,
    a.ScaleStatefulSet("db", 1),
    a.AddNode("node-3", {"zone": "a"}, (a.Taint("gpu", a.NO_SCHEDULE),)),
    a.CordonNode("node-0"),
    a.AdvanceTime(60),
)
AGENT = {"app": "agent"}
DAEMONSET_STEPS = (
    a.CreateDaemonSet(
        "agent",
        a.DaemonSetSpec(
            a.AppsPodTemplate(AGENT, tolerations=(a.Toleration("maintenance", a.EXISTS),)),
            update_strategy=a.DaemonSetUpdateStrategy(
                rolling_update=a.DaemonSetRollingUpdate(0, IntOrPercent(50, True))
            ),
        ),
    ),
    a.AddNode("node-3", {"zone": "b"}, (a.Taint("dedicated", a.NO_SCHEDULE, "agents"),)),
    SETTLE,
    a.SetNodeTaints("node-1", (a.Taint("maintenance", a.NO_EXECUTE),)),
    a.UpdateAppsTemplate(a.DAEMONSET, "agent", a.AppsPodTemplate(AGENT, image="app:v2")),
    a.AdvanceTime(5),
    SETTLE,
    a.DaemonPodAction("agent", "node-2", "fail"),
    SETTLE,
    a.SetNodeReady("node-0", a.READY_FALSE),
    a.AdvanceTime(60),
    a.SetNodeReady("node-0", a.READY_TRUE),
    a.RemoveNode("node-2"),
)
WORK = PodTemplate(labels={"app": "work"}, image="worker:v1")
JOB_STEPS = (
    b.CreateJob("work", b.JobSpec(WORK, parallelism=2, completions=4, completion_mode=b.INDEXED)),
    b.PodSucceeds("work", 0),
    b.PodFails("work", 1, exit_code=42),
    Advance(10),
    SETTLE,
    b.SetParallelism("work", 3),
    SETTLE,
    b.SetSuspend(b.JOB, "work", True),
    SETTLE,
    b.SetSuspend(b.JOB, "work", False),
    b.PodSucceeds("work", 1),
    Advance(20),
)
CRONJOB_STEPS = (
    b.CreateCronJob(
        "tick",
        b.CronJobSpec(
            "*/5 * * * *",
            b.JobSpec(PodTemplate(labels={"app": "tick"}), backoff_limit=0),
            concurrency_policy=b.FORBID,
        ),
    ),
    Advance(301),
    Advance(600),
    b.SetHistoryLimits("tick", 1, 0),
    b.SetSchedule("tick", "0 * * * *", "Asia/Tokyo"),
    b.SetSuspend(b.CRONJOB, "tick", True),
    Advance(3 * 3600),
    b.SetSuspend(b.CRONJOB, "tick", False),
    Advance(301),
    b.DeleteCronJob("tick"),
    Advance(600),
    b.CreateCronJob("tick", b.CronJobSpec("*/10 * * * *", b.JobSpec(PodTemplate(labels={"app": "tick"})))),
    Advance(601),
)
HAND_WRITTEN = {
    "statefulset": STATEFULSET_STEPS,
    "daemonset": DAEMONSET_STEPS,
    "job": JOB_STEPS,
    "cronjob": CRONJOB_STEPS,
}


@pytest.mark.parametrize(
    ("controller", "prop"),
    [(c, p.name) for c in HAND_WRITTEN for p in PROPERTIES if p.controllers is None or c in p.controllers],
)
def test_a_hand_written_scenario_of_every_controller_replays_to_pass(controller, prop):
    scenario = load(dump(Scenario(controller, prop, HAND_WRITTEN[controller], seed=0)))
    result = replay(scenario, simulator_factory)
    assert result.verdict == PASS, result.message
    assert result.steps_run == len(HAND_WRITTEN[controller])


# A mutant each property catches within a few seconds on the derandomized `ci` profile (tests/mutants.py)
CAUGHT = {
    "statefulset": ("sts-creates-before-ready", "settled state differs"),
    "daemonset": ("ds-skips-cordoned-nodes", "settled state differs"),
    "job": ("job-suspend-ignored", "settled Jobs differ"),
    "cronjob": ("cron-forbid-ignored", "the CronJob differs"),
}


@pytest.mark.parametrize("controller", sorted(CAUGHT))
def test_every_controllers_counterexample_replays_as_a_failure_and_passes_without_the_bug(
    controller, monkeypatch, tmp_path
):
    mutant, violation = CAUGHT[controller]
    MUTANTS[mutant](monkeypatch)
    prop = next(p for p in PROPERTIES if p.name == "settles-to-model")
    found = run_property(
        simulator_factory,
        controller,
        prop,
        settings=settings(profile_settings("ci"), max_examples=150),
        shrink_seconds=5,
    )
    assert found.verdict == FAIL and found.counterexample is not None, found.message
    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run")
    write_reports(ConformanceReport((found,), "v1.35.4"), info, tmp_path)
    saved = f"counterexamples/{controller}-settles-to-model.yaml"
    assert f"kubeprops replay {saved} --adapter simulator" in (tmp_path / "summary.md").read_text()
    scenario = load((tmp_path / saved).read_text())
    assert scenario.controller == controller and scenario.steps == found.counterexample.steps
    again = replay(scenario, simulator_factory)
    assert again.verdict == FAIL and violation in again.message, again.message
    monkeypatch.undo()
    assert replay(scenario, simulator_factory).verdict == PASS


def test_the_readme_scenario_replays_to_pass():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", readme, re.DOTALL)
    assert block is not None
    scenario = load(block.group(1))
    assert scenario.controller == "daemonset" and a.SetNodeReady("node-0", a.READY_FALSE) in scenario.steps
    assert replay(scenario, simulator_factory).verdict == PASS


def test_replay_command_runs_every_controller_and_refuses_what_it_cannot(tmp_path):
    good = tmp_path / "job.yaml"
    good.write_text(dump(Scenario("job", "always-invariants", JOB_STEPS)))
    result = kubeprops("replay", str(good))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"replaying {len(JOB_STEPS)} steps of job/always-invariants (seed 0) on simulator" in result.stdout
    settles = tmp_path / "cronjob.yaml"
    settles.write_text(dump(Scenario("cronjob", "settles-to-model", (*CRONJOB_STEPS, SETTLE))))
    result = kubeprops("replay", str(settles))
    assert result.returncode == 2 and "a cronjob never settles" in result.stderr
    assert "Traceback" not in result.stderr

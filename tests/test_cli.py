"""The `kubeprops` command in a subprocess, as a user runs it."""

import json
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from kubeprops.properties.conformance import CONTROLLERS, IMPLEMENTED, PROPERTIES


def kubeprops(*args, cwd=None):
    return subprocess.run(
        [sys.executable, "-m", "kubeprops.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=600
    )


def test_run_writes_junit_markdown_and_json(tmp_path):
    report = tmp_path / "report"
    chosen = ("replicaset", "deployment")
    result = kubeprops(
        "run", "--report", str(report), "--max-examples", "3", "--controllers", ",".join(chosen)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    names = ("always-invariants", "settles-to-model", "per-sync-decisions")
    assert tuple(p.name for p in PROPERTIES) == names
    for controller in chosen:
        for prop in names:
            assert f"{controller:<11} {prop}" in result.stdout
    junit = ET.parse(report / "junit.xml").getroot()
    cases = junit.findall(".//testcase")
    assert {(c.get("classname"), c.get("name")) for c in cases} == {
        (f"kubeprops.{c}", p) for c in chosen for p in names
    }
    assert junit.find("testsuite").get("failures") == "0"
    summary = (report / "summary.md").read_text()
    assert "| deployment | settles-to-model | ✅ pass |" in summary
    data = json.loads((report / "results.json").read_text())
    assert data["exit_code"] == 0
    assert all(r["stats"]["examples"] >= 3 for r in data["results"])


def test_controllers_option_selects(tmp_path):
    result = kubeprops("run", "--controllers", "replicaset", "--max-examples", "2", "--quiet")
    assert result.returncode == 0, result.stderr
    assert f"{len(PROPERTIES)} of {len(PROPERTIES)} properties passed" in result.stdout


def test_model_release_follows_the_option_and_the_report_names_the_target(tmp_path):
    result = kubeprops(
        "run",
        "--controllers",
        "replicaset",
        "--max-examples",
        "2",
        "--model-release",
        "v1.34",
        "--report",
        str(tmp_path),
    )
    assert result.returncode in (0, 1), result.stderr
    assert "on simulator v1.35.4 (model release v1.34, profile ci)" in result.stdout
    assert "simulator v1.35.4" in (tmp_path / "summary.md").read_text()


def test_not_yet_implemented_controllers_are_named_as_such(monkeypatch):
    # every controller is implemented now; a build without one (a fork, a future kind) must say so
    from kubeprops.properties import conformance

    monkeypatch.delitem(conformance.MACHINES, "cronjob")
    with pytest.raises(ValueError, match="controller 'cronjob' is not implemented in this version yet"):
        conformance.resolve_controllers(["cronjob"])
    assert set(IMPLEMENTED) == set(CONTROLLERS)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "--controllers", "replicasets"],
            "unknown controller 'replicasets': choose from replicaset,",
        ),
        (["run", "--controllers", ","], "no controller given"),
        (["run", "--adapter", "minikube"], "unknown adapter 'minikube'"),
        (["run", "--profile", "fast"], "unknown Hypothesis profile 'fast': choose one of ci, dev, deep"),
        (["run", "--max-examples", "0"], "expected a positive integer, got '0'"),
        (["launch"], "invalid choice: 'launch'"),
        (["run", "--model-release", "v1.20"], "--model-release v1.20: Kubernetes v1.20 is not supported"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args, message):
    result = kubeprops(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_exit_codes():
    result = kubeprops("run", "--help")
    assert result.returncode == 0
    assert "3  no violation, but some example did not settle" in result.stdout


def test_jobs_run_properties_in_parallel_with_one_report(tmp_path):
    report = tmp_path / "report"
    result = kubeprops(
        "run",
        "-j",
        "2",
        "--controllers",
        "replicaset",
        "--max-examples",
        "2",
        "--quiet",
        "--report",
        str(report),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    cases = ET.parse(report / "junit.xml").getroot().findall(".//testcase")
    assert [c.get("name") for c in cases] == [p.name for p in PROPERTIES]  # sequential order kept
    data = json.loads((report / "results.json").read_text())
    assert all(r["stats"]["examples"] >= 2 for r in data["results"] if r["verdict"] == "pass")

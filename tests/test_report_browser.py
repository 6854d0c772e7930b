"""The HTML report in a real headless browser (Debian's chromium): it renders, with the matrix and a
failure's details. CI installs chromium (.ci/run); elsewhere the test is skipped when it is missing."""

import os
import shutil
import subprocess

import pytest

from kubeprops.properties.conformance import FAIL, PASS, SKIPPED, ConformanceReport, PropertyResult
from kubeprops.properties.machine import RunStats
from kubeprops.report import RunInfo, write_reports
from kubeprops.scenario import Advance
from kubeprops.scenario.files import SETTLE, Scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags for a closed network and a root sandbox (see the machine notes): no background fetches, no GPU.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
needs_browser = pytest.mark.skipif(
    CHROMIUM is None and not os.environ.get("CI"), reason="chromium is not installed (CI installs it)"
)


def sample_report() -> ConformanceReport:
    stats = RunStats(examples=12, steps=90)
    scenario = Scenario("deployment", "settles-to-model", (Advance(5), SETTLE), seed=7)
    failure = PropertyResult(
        "deployment",
        "settles-to-model",
        FAIL,
        3.2,
        stats,
        "PropertyViolation: settled state differs from the model:\n  Deployment/web: <replicas> expected 3, observed 2",
        "after every settle the observed state equals the model's settled state",
        scenario,
    )
    return ConformanceReport(
        (
            PropertyResult("deployment", "always-invariants", PASS, 1.0, stats),
            failure,
            PropertyResult("replicaset", "always-invariants", PASS, 0.5, stats),
            PropertyResult(
                "replicaset", "per-sync-decisions", SKIPPED, 0.0, RunStats(), "skipped: no sync-trace"
            ),
        ),
        "v1.35.4",
    )


@needs_browser
def test_html_report_renders_with_matrix_and_failure_details(tmp_path):
    assert CHROMIUM is not None, "CI must install chromium for this test"
    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run --report r")
    write_reports(sample_report(), info, tmp_path)
    page = (tmp_path / "report.html").as_uri()
    profile = tmp_path / "chromium-profile"
    base = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}"]
    dom = subprocess.run([*base, "--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert '<table id="matrix">' in dom and '<table id="coverage">' in dom
    assert 'href="#deployment-settles-to-model"' in dom  # the failed cell links to its details
    assert 'id="deployment-settles-to-model"' in dom
    assert "&lt;replicas&gt; expected 3, observed 2" in dom  # escaped, shown as text
    assert "kubeprops replay counterexamples/deployment-settles-to-model.yaml --adapter simulator" in dom
    shot = tmp_path / "report.png"
    subprocess.run(
        [*base, f"--screenshot={shot}", "--window-size=1200,900", page], capture_output=True, timeout=120
    )
    assert shot.stat().st_size > 10_000  # a real rendering, not an empty page

"""The README's worked example: a third-party adapter checked with the public API finds its bug, and the
report shows it with a replayable counterexample."""

from example_adapter.capped import capped_factory
from hypothesis import Phase, settings

from kubeprops.properties import run_conformance
from kubeprops.report import RunInfo, write_reports


def test_properties_find_the_third_party_bug_and_the_report_shows_it(tmp_path):
    # derandomized, and without the shrink phase to keep the test short (a user keeps shrinking on)
    fast = settings(max_examples=60, derandomize=True, database=None, phases=[Phase.generate])
    report = run_conformance(capped_factory, controllers=["replicaset"], settings=fast)
    assert not report.passed and report.exit_code == 1
    failed = {r.property: r for r in report.results if r.verdict == "fail"}
    assert "settles-to-model" in failed
    message = failed["settles-to-model"].message
    assert "spec.replicas expected" in message and "observed 5" in message
    write_reports(report, RunInfo("capped", "capped (example)", "ci", "pytest"), tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert "| replicaset | settles-to-model | ❌ fail |" in summary
    assert "kubeprops replay counterexamples/replicaset-settles-to-model.yaml" in summary

"""run_property / run_conformance verdicts that do not depend on the target being right or wrong."""

from hypothesis import settings

from kubeprops.adapters.protocol import SYNC_TRACE
from kubeprops.adapters.simulator import SimulatorAdapter
from kubeprops.properties.conformance import PROPERTIES, SKIPPED, run_conformance, run_property
from kubeprops.properties.profiles import profile_settings
from kubeprops.report import RunInfo, junit_xml, markdown


class WithoutTrace(SimulatorAdapter):
    """A target that cannot show what each sync read (like a real cluster)."""

    capabilities = SimulatorAdapter.capabilities - {SYNC_TRACE}


def test_per_sync_property_is_skipped_with_the_reason_on_targets_without_sync_trace():
    per_sync = next(p for p in PROPERTIES if p.requires == SYNC_TRACE)
    result = run_property(WithoutTrace, "replicaset", per_sync, settings=profile_settings("ci"))
    assert result.verdict == SKIPPED and "sync-trace" in result.message and result.stats.examples == 0


def test_a_skipped_property_does_not_fail_the_run():
    report = run_conformance(WithoutTrace, controllers=["replicaset"], settings=settings(max_examples=3))
    assert [r.verdict for r in report.results] == ["pass", "pass", SKIPPED]
    assert report.passed and report.exit_code == 0
    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run")
    assert 'skipped="1"' in junit_xml(report, info)
    assert "⏭️ skipped" in markdown(report, info) and "sync-trace" in markdown(report, info)


def test_the_report_says_how_the_run_adapted_to_the_target():
    from kubeprops.adapters.protocol import VIRTUAL_CLOCK
    from kubeprops.properties.conformance import run_notes, target_capabilities

    assert run_notes(target_capabilities(SimulatorAdapter)) == ()  # the simulator can do everything
    notes = run_notes(target_capabilities(WithoutTrace))
    assert len(notes) == 1 and "per-sync-decisions is skipped" in notes[0]
    real_clock = run_notes(SimulatorAdapter.capabilities - {VIRTUAL_CLOCK})
    assert "real clock" in real_clock[0] and "at most 3 s" in real_clock[0]
    report = run_conformance(WithoutTrace, controllers=["replicaset"], settings=settings(max_examples=2))
    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run", notes)
    assert f"- note: {notes[0]}" in markdown(report, info)

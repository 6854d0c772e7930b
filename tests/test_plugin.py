"""The pytest plugin as another project uses it (pytester runs a separate pytest session)."""

pytest_plugins = ["pytester"]


def test_fixture_and_header(pytester):
    pytester.makepyfile(
        """
        from hypothesis import settings
        from kubeprops.properties import run_conformance

        def test_simulator_conforms(kubeprops_adapter_factory):
            report = run_conformance(
                kubeprops_adapter_factory, controllers=["replicaset"], settings=settings(max_examples=2)
            )
            assert report.passed, report.text()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["kubeprops *: reference model Kubernetes v1.35.4, adapter simulator"])


def test_profiles_are_registered_for_hypothesis_option(pytester):
    pytester.makepyfile(
        """
        from hypothesis import settings

        def test_profile():
            assert settings.default.max_examples == 1000
        """
    )
    result = pytester.runpytest_subprocess("--hypothesis-profile", "deep")
    result.assert_outcomes(passed=1)


def test_unknown_adapter_is_a_usage_error(pytester):
    pytester.makepyfile("def test_x(kubeprops_adapter_factory):\n    pass\n")
    result = pytester.runpytest_subprocess("--kubeprops-adapter", "nope")
    result.stdout.fnmatch_lines(["*unknown adapter 'nope'*"])
    assert result.ret != 0


MATRIX_TEST = """
import pytest
from hypothesis import settings
from kubeprops.properties import matrix

@pytest.mark.parametrize(("controller", "prop"), matrix(["replicaset"]))
def test_conforms(kubeprops, controller, prop):
    result = kubeprops.check(controller, prop, settings=settings(max_examples=2))
    assert result.verdict in ("pass", "skipped"), result.message
"""


def _cases(junit_path):
    import xml.etree.ElementTree as ET

    root = ET.parse(junit_path).getroot()
    return sorted(f"{case.get('classname')}/{case.get('name')}" for case in root.iter("testcase"))


def test_xdist_workers_results_merge_into_one_kubeprops_report(pytester):
    pytester.makepyfile(MATRIX_TEST)
    report = pytester.path / "kp"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--kubeprops-report", str(report)
    )
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["kubeprops: 3 property results, report in *kp"])
    assert _cases(report / "junit.xml") == [
        "kubeprops.replicaset/always-invariants",
        "kubeprops.replicaset/per-sync-decisions",
        "kubeprops.replicaset/settles-to-model",
    ]
    summary = (report / "summary.md").read_text()
    assert summary.count("replicaset") >= 3 and "pytest" in summary
    assert (report / "report.html").exists()


def test_kubeprops_fixture_names_an_unknown_property(pytester):
    pytester.makepyfile(
        """
        import pytest

        def test_x(kubeprops):
            with pytest.raises(ValueError, match="unknown property 'nope': choose from always-invariants"):
                kubeprops.check("replicaset", "nope")
        """
    )
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)

import xml.etree.ElementTree as ET

from kubeprops.properties.conformance import ConformanceReport, PropertyResult
from kubeprops.properties.machine import RunStats
from kubeprops.report import RunInfo, junit_xml, markdown

INFO = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run")


def result(verdict, message=""):
    return PropertyResult(
        "deployment", f"prop-{verdict}", verdict, 1.5, RunStats(examples=4, steps=9), message
    )


def report(*verdicts):
    return ConformanceReport(tuple(result(v, f"why {v}\nsteps") for v in verdicts), "v1.35.4")


def test_exit_code_orders_fail_over_error_over_unknown():
    assert report("pass").exit_code == 0
    assert report("pass", "unknown").exit_code == 3
    assert report("unknown", "error").exit_code == 2
    assert report("error", "fail", "unknown").exit_code == 1


def test_junit_marks_failures_errors_and_unknown_as_skipped():
    root = ET.fromstring(junit_xml(report("pass", "fail", "error", "unknown"), INFO))
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "4",
        "1",
        "1",
        "1",
    )
    failed = suite.find("testcase[@name='prop-fail']/failure")
    assert failed.get("message") == "why fail"
    assert "steps" in failed.text
    skipped = suite.find("testcase[@name='prop-unknown']/skipped")
    assert skipped.get("message") == "did not settle: why unknown"


def test_markdown_lists_every_property_and_details_of_problems():
    text = markdown(report("pass", "fail"), INFO)
    assert "| deployment | prop-pass | ✅ pass | 4 | 9 |" in text
    assert "## deployment / prop-fail: fail" in text
    assert "why fail" in text


def test_sonobuoy_tree_and_html_are_written_with_worst_status_first(tmp_path):
    import yaml
    from test_report_browser import sample_report

    from kubeprops.report import RunInfo, write_reports

    info = RunInfo("simulator", "simulator (kubeprops)", "ci", "kubeprops run")
    written = write_reports(sample_report(), info, tmp_path)
    tree = yaml.safe_load((tmp_path / "sonobuoy/plugins/kubeprops/sonobuoy_results.yaml").read_text())
    assert tree["status"] == "failed"
    by_name = {item["name"]: item for item in tree["items"]}
    assert by_name["deployment"]["status"] == "failed" and by_name["replicaset"]["status"] == "passed"
    failed = next(i for i in by_name["deployment"]["items"] if i["name"] == "settles-to-model")
    assert failed["status"] == "failed" and "settled state differs" in failed["details"]["messages"][0]
    skipped = next(i for i in by_name["replicaset"]["items"] if i["name"] == "per-sync-decisions")
    assert skipped["status"] == "skipped"
    assert tmp_path / "report.html" in written
    assert (tmp_path / "counterexamples/deployment-settles-to-model.yaml").exists()

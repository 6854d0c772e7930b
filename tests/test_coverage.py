"""The coverage map is complete, names real properties and controllers, and the README shows it as is."""

import subprocess
import sys
from pathlib import Path

from kubeprops.properties import coverage
from kubeprops.properties.conformance import CONTROLLERS, PROPERTIES

README = Path(__file__).resolve().parent.parent / "README.md"
# test/conformance/testdata/conformance.yaml (v1.32 copy): workload tests per kind
UPSTREAM_COUNTS = {"deployment": 8, "replicaset": 6, "statefulset": 8, "daemonset": 7, "job": 8, "cronjob": 5}


def test_every_upstream_workload_conformance_test_is_mapped_once():
    counts = {c: sum(t.controller == c for t in coverage.CONFORMANCE) for c in CONTROLLERS}
    assert counts == UPSTREAM_COUNTS
    names = [t.testname for t in coverage.CONFORMANCE]
    assert len(names) == len(set(names))


def test_mappings_name_existing_properties_and_say_why_when_uncovered():
    known = {p.name for p in PROPERTIES}
    for t in coverage.CONFORMANCE:
        assert set(t.properties) <= known
        if not t.properties:
            assert t.note, f"{t.testname}: an uncovered test needs the reason"


def test_rules_table_lists_every_rule_a_property_checks():
    table = coverage.rules_table()
    for rules in coverage.RULES_CHECKED["deployment"].values():
        for rule in rules:
            assert rule.id in table
    for left_out, _ in coverage.LEFT_OUT:
        assert left_out in table


def test_readme_section_is_the_generated_one():
    text = README.read_text()
    start, end = text.index("<!-- coverage:start -->\n"), text.index("<!-- coverage:end -->")
    generated = subprocess.run(
        [sys.executable, "-m", "kubeprops.properties.coverage"], capture_output=True, text=True, check=True
    ).stdout
    assert text[start + len("<!-- coverage:start -->\n") : end] == generated, (
        "README coverage section is stale: run `python -m kubeprops.properties.coverage` and paste it"
    )

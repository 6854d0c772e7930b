"""Report files of a conformance run: JUnit XML, a Markdown summary and a JSON record.

JUnit is written with the standard library's ElementTree: the format is a handful of elements, and
an extra dependency (junit-xml, last released years ago) would buy nothing.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import attrs

from kubeprops.properties.conformance import (
    ERROR,
    FAIL,
    PASS,
    SKIPPED,
    UNKNOWN,
    ConformanceReport,
    PropertyResult,
)
from kubeprops.scenario import files

COUNTEREXAMPLES = "counterexamples"
SYMBOL = {PASS: "✅ pass", FAIL: "❌ fail", UNKNOWN: "❔ unknown", ERROR: "⚠️ error", SKIPPED: "⏭️ skipped"}


@attrs.frozen
class RunInfo:
    adapter: str
    target_version: str
    profile: str
    command: str
    notes: tuple[str, ...] = ()  # how the run adapted to the target (`properties.conformance.run_notes`)


def counterexample_path(result: PropertyResult) -> str:
    """Where a failure's scenario file goes, relative to the report folder."""
    return f"{COUNTEREXAMPLES}/{result.controller}-{result.property}.yaml"


def write_reports(report: ConformanceReport, info: RunInfo, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for result in report.results:
        if result.counterexample is not None:
            (directory / COUNTEREXAMPLES).mkdir(exist_ok=True)
            found = attrs.evolve(result.counterexample, found_on=info.target_version)
            written.append(_write(directory / counterexample_path(result), files.dump(found)))
    written += [
        _write(directory / "junit.xml", junit_xml(report, info)),
        _write(directory / "summary.md", markdown(report, info)),
        _write(directory / "results.json", json.dumps(as_json(report, info), indent=2) + "\n"),
    ]
    # imported here: both build on this module's RunInfo and paths
    from . import report_html, report_sonobuoy

    written.append(_write(directory / "report.html", report_html.render(report, info)))
    written.append(report_sonobuoy.write(report, info, directory))
    return written


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def junit_xml(report: ConformanceReport, info: RunInfo) -> str:
    suite = ET.Element("testsuite", name=f"kubeprops-{info.adapter}", tests=str(len(report.results)))
    counts = {FAIL: 0, ERROR: 0, UNKNOWN: 0, SKIPPED: 0}
    for result in report.results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"kubeprops.{result.controller}",
            name=result.property,
            time=f"{result.seconds:.3f}",
        )
        _junit_outcome(case, result)
        counts[result.verdict] = counts.get(result.verdict, 0) + 1
    suite.set("failures", str(counts[FAIL]))
    suite.set("errors", str(counts[ERROR]))
    suite.set("skipped", str(counts[UNKNOWN] + counts[SKIPPED]))
    suite.set("time", f"{sum(r.seconds for r in report.results):.3f}")
    props = ET.SubElement(suite, "properties")
    for key, value in (
        ("adapter", info.adapter),
        ("target", info.target_version),
        ("model-release", report.release),
        ("profile", info.profile),
    ):
        ET.SubElement(props, "property", name=key, value=value)
    suites = ET.Element("testsuites")
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _junit_outcome(case: ET.Element, result: PropertyResult) -> None:
    if result.verdict == FAIL:
        ET.SubElement(case, "failure", message=_first_line(result.message)).text = result.message
    elif result.verdict == ERROR:
        ET.SubElement(case, "error", message=_first_line(result.message)).text = result.message
    elif result.verdict == UNKNOWN:
        # JUnit has no "unknown": skipped, with the reason, is how CI systems show it without failing.
        ET.SubElement(case, "skipped", message="did not settle: " + _first_line(result.message))
    elif result.verdict == SKIPPED:
        ET.SubElement(case, "skipped", message=_first_line(result.message))
    stats = result.stats
    ET.SubElement(case, "system-out").text = (
        f"examples={stats.examples} steps={stats.steps} states_checked={stats.states_checked} "
        f"syncs_checked={stats.syncs_checked} settles={stats.settles} unknown={stats.unknown} "
        f"stalls={stats.stalls}"
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def markdown(report: ConformanceReport, info: RunInfo) -> str:
    lines = [
        "# kubeprops conformance summary",
        "",
        f"- target: `{info.adapter}` ({info.target_version})",
        f"- reference model: Kubernetes {report.release}",
        f"- Hypothesis profile: `{info.profile}`",
        f"- command: `{info.command}`",
        *(f"- note: {n}" for n in info.notes),
        "",
        "| controller | property | verdict | examples | steps | states checked | syncs checked | time (s) |",
        "|---|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in report.results:
        s = r.stats
        lines.append(
            f"| {r.controller} | {r.property} | {SYMBOL[r.verdict]} | {s.examples} | {s.steps} "
            f"| {s.states_checked} | {s.syncs_checked} | {r.seconds:.1f} |"
        )
    problems = [r for r in report.results if r.verdict != PASS]
    for r in problems:
        lines += ["", f"## {r.controller} / {r.property}: {r.verdict}", ""]
        if r.counterexample is not None:
            lines += [f"Replay: `kubeprops replay {counterexample_path(r)} --adapter {info.adapter}`", ""]
        lines += ["```", r.message.strip(), "```"]
    from kubeprops.properties.coverage import conformance_table

    lines += ["", "## Coverage of upstream conformance tests", "", conformance_table()]
    return "\n".join(lines) + "\n"


def _counters(attribute: attrs.Attribute, value: object) -> bool:
    # the last example's steps travel as the counterexample file, not inside results.json
    return not attribute.name.startswith("last_")


def as_json(report: ConformanceReport, info: RunInfo) -> dict[str, object]:
    return {
        "run": attrs.asdict(info),
        "model_release": report.release,
        "exit_code": report.exit_code,
        "results": [
            {
                "controller": r.controller,
                "property": r.property,
                "verdict": r.verdict,
                "seconds": round(r.seconds, 3),
                "stats": attrs.asdict(r.stats, filter=_counters),
                "message": r.message,
                "counterexample": counterexample_path(r) if r.counterexample is not None else None,
            }
            for r in report.results
        ],
    }

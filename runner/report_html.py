"""The self-contained HTML report: the property x controller matrix and every failure's details.

One file, no scripts, no external assets, so it can be attached to a CI run or mailed. Written with the
standard library's escaping: the page is small and a template engine would be one more dependency.
"""

from __future__ import annotations

import html

from kubeprops.properties import coverage
from kubeprops.properties.conformance import FAIL, PASS, SKIPPED, UNKNOWN, ConformanceReport, PropertyResult

from .report import RunInfo, counterexample_path

COLOURS = {PASS: "#d8f5d0", FAIL: "#f9d0d0", UNKNOWN: "#f5ecc8", SKIPPED: "#e8e8e8"}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #bbb; padding: .35rem .7rem; text-align: left; vertical-align: top; }
td.verdict { font-weight: 600; }
pre { background: #f6f6f6; padding: .8rem; overflow-x: auto; white-space: pre-wrap; }
.meta td:first-child { font-weight: 600; }
"""


def render(report: ConformanceReport, info: RunInfo) -> str:
    e = html.escape
    head = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>kubeprops: {e(info.adapter)}</title><style>{STYLE}</style></head><body>"
    )
    verdicts = {r.verdict for r in report.results}
    overall = FAIL if FAIL in verdicts else ("error" if "error" in verdicts else PASS)
    body = [
        f"<h1>kubeprops conformance report: {e(overall)}</h1>",
        _meta(report, info),
        "<h2>Matrix</h2>",
        _matrix(report),
        "<h2>Runs</h2>",
        _runs(report),
    ]
    body += ["<h2>Coverage of upstream conformance tests</h2>", _coverage()]
    problems = [r for r in report.results if r.verdict not in (PASS, SKIPPED)]
    if problems:
        body.append("<h2>Failures and unknowns</h2>")
        body += [_details(r, info) for r in problems]
    return head + "\n".join(body) + "</body></html>\n"


def _meta(report: ConformanceReport, info: RunInfo) -> str:
    rows = [
        ("adapter", info.adapter),
        ("target", info.target_version),
        ("reference model", f"Kubernetes {report.release}"),
        ("Hypothesis profile", info.profile),
        ("command", info.command),
        ("exit code", str(report.exit_code)),
        *(("note", n) for n in info.notes),
    ]
    cells = "".join(
        f"<tr><td>{html.escape(k)}</td><td><code>{html.escape(v)}</code></td></tr>" for k, v in rows
    )
    return f"<table class='meta'>{cells}</table>"


def _matrix(report: ConformanceReport) -> str:
    controllers = list(dict.fromkeys(r.controller for r in report.results))
    properties = list(dict.fromkeys(r.property for r in report.results))
    cell = {(r.property, r.controller): r for r in report.results}
    header = "".join(f"<th>{html.escape(c)}</th>" for c in controllers)
    rows = []
    for prop in properties:
        tds = []
        for controller in controllers:
            r = cell.get((prop, controller))
            if r is None:
                tds.append("<td></td>")
                continue
            colour = COLOURS.get(r.verdict, "#fff")
            link = (
                f"<a href='#{_anchor(r)}'>{html.escape(r.verdict)}</a>"
                if r.verdict not in (PASS, SKIPPED)
                else r.verdict
            )
            tds.append(f"<td class='verdict' style='background:{colour}'>{link}</td>")
        rows.append(f"<tr><th>{html.escape(prop)}</th>{''.join(tds)}</tr>")
    return f"<table id='matrix'><tr><th>property</th>{header}</tr>{''.join(rows)}</table>"


def _runs(report: ConformanceReport) -> str:
    head = "<tr><th>controller</th><th>property</th><th>verdict</th><th>examples</th><th>steps</th>"
    head += "<th>states checked</th><th>syncs checked</th><th>time (s)</th></tr>"
    rows = []
    for r in report.results:
        s = r.stats
        values = (r.controller, r.property, r.verdict, s.examples, s.steps, s.states_checked, s.syncs_checked)
        cells = "".join(f"<td>{html.escape(str(v))}</td>" for v in values)
        rows.append(f"<tr>{cells}<td>{r.seconds:.1f}</td></tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _coverage() -> str:
    names = ("controller", "conformance test", "release", "checked by", "status")
    head = "<tr>" + "".join(f"<th>{n}</th>" for n in names) + "</tr>"
    rows = []
    for t in coverage.CONFORMANCE:
        values = (t.controller, t.testname, t.release, ", ".join(t.properties) or "-", coverage.status(t))
        cells = "".join(f"<td>{html.escape(v)}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table id='coverage'>{head}{''.join(rows)}</table>"


def _anchor(r: PropertyResult) -> str:
    return f"{r.controller}-{r.property}"


def _details(r: PropertyResult, info: RunInfo) -> str:
    e = html.escape
    title = f"{e(r.controller)} / {e(r.property)}: {e(r.verdict)}"
    parts = [f"<section id='{_anchor(r)}' class='failure'><h3>{title}</h3>"]
    if r.description:
        parts.append(f"<p>{e(r.description)}</p>")
    if r.counterexample is not None:
        command = f"kubeprops replay {counterexample_path(r)} --adapter {info.adapter}"
        parts.append(f"<p>Replay: <code>{e(command)}</code></p>")
    parts.append(f"<pre>{e(r.message.strip())}</pre></section>")
    return "".join(parts)

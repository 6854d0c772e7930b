"""A Sonobuoy-style results tree, so kubeprops results go where Sonobuoy plugin results are read.

Layout and item format of Sonobuoy's "manual" results (`sonobuoy results` reads it): one plugin,
`plugins/kubeprops/sonobuoy_results.yaml`, whose items are the controllers and, under each, the
properties, with status passed / failed / skipped / unknown and the details that explain them.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from kubeprops.properties.conformance import (
    ERROR,
    FAIL,
    PASS,
    SKIPPED,
    UNKNOWN,
    ConformanceReport,
    PropertyResult,
)

from .report import RunInfo

PLUGIN = "kubeprops"
STATUS = {PASS: "passed", FAIL: "failed", ERROR: "failed", SKIPPED: "skipped", UNKNOWN: "unknown"}


def results(report: ConformanceReport, info: RunInfo) -> dict[str, object]:
    controllers = list(dict.fromkeys(r.controller for r in report.results))
    items = []
    for controller in controllers:
        mine = [r for r in report.results if r.controller == controller]
        items.append({"name": controller, "status": _worst(mine), "items": [_item(r) for r in mine]})
    return {
        "name": PLUGIN,
        "status": _worst(list(report.results)),
        "meta": {"target": info.target_version, "model-release": report.release, "profile": info.profile},
        "items": items,
    }


def _item(r: PropertyResult) -> dict[str, object]:
    details: dict[str, object] = {
        "examples": r.stats.examples,
        "steps": r.stats.steps,
        "seconds": round(r.seconds, 3),
    }
    if r.verdict != PASS:
        details["messages"] = r.message.strip().splitlines()[:40]
    return {"name": r.property, "status": STATUS[r.verdict], "details": details}


def _worst(rs: list[PropertyResult]) -> str:
    statuses = {STATUS[r.verdict] for r in rs}
    for status in ("failed", "unknown", "passed"):
        if status in statuses:
            return status
    return "skipped"


def write(report: ConformanceReport, info: RunInfo, directory: Path) -> Path:
    path = directory / "sonobuoy" / "plugins" / PLUGIN / "sonobuoy_results.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(results(report, info), sort_keys=False), encoding="utf-8")
    return path

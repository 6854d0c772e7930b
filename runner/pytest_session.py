"""Property runs made from pytest tests, recorded for one kubeprops report per session, xdist included.

The `kubeprops` fixture hands a test a `Kubeprops` bound to the chosen adapter. Every result it produces
is recorded; an xdist worker ships its results to the controller when it finishes (pickled, through
`workeroutput`, the channel pytest-xdist gives plugins), and the controller, or a plain session, writes
the merged report folder (`--kubeprops-report DIR`: junit.xml, summary.md, report.html, ...).
"""

from __future__ import annotations

import base64
import os
import pickle
from collections.abc import Iterable
from pathlib import Path

import attrs
from hypothesis import settings as Settings

from kubeprops import PINNED_RELEASE
from kubeprops.adapters.protocol import AdapterFactory
from kubeprops.properties.conformance import (
    PROPERTIES,
    ConformanceReport,
    PropertyResult,
    resolve_controllers,
    run_conformance,
    run_property,
)
from kubeprops.properties.profiles import harness_settings, profile_settings

from .report import RunInfo, write_reports

WORKER_OUTPUT_KEY = "kubeprops_results"


def worker_name() -> str:
    """The xdist worker id (gw0, gw1, ...) or "main": adapters make namespaces and nodes unique by it."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@attrs.define
class Kubeprops:
    """Run kubeprops properties from a test; every result is kept for the session's report."""

    adapter_factory: AdapterFactory
    profile: str | None = None
    recorded: list[PropertyResult] = attrs.Factory(list)

    def settings(self, given: Settings | None) -> Settings:
        return harness_settings(given if given is not None else profile_settings(self.profile))

    def check(self, controller: str, property: str, *, settings: Settings | None = None) -> PropertyResult:
        """One property (by name, e.g. "settles-to-model") on one controller."""
        (chosen,) = resolve_controllers([controller])
        prop = next((p for p in PROPERTIES if p.name == property), None)
        if prop is None:
            names = ", ".join(p.name for p in PROPERTIES)
            raise ValueError(f"unknown property {property!r}: choose from {names}")
        result = run_property(
            self.adapter_factory,
            chosen,
            prop,
            settings=self.settings(settings),
            run_id=f"pytest-{worker_name()}",
            worker=worker_name(),
        )
        self.recorded.append(result)
        return result

    def conformance(
        self, controllers: Iterable[str] | None = None, *, settings: Settings | None = None
    ) -> ConformanceReport:
        """Every property of the chosen controllers (all implemented ones by default)."""
        report = run_conformance(
            self.adapter_factory,
            controllers=controllers,
            settings=self.settings(settings),
            run_id=f"pytest-{worker_name()}",
            worker=worker_name(),
        )
        self.recorded.extend(report.results)
        return report


def pack(results: list[PropertyResult]) -> str:
    # workeroutput travels through execnet, which carries plain strings safely
    return base64.b64encode(pickle.dumps(results)).decode("ascii")


def unpack(text: str) -> list[PropertyResult]:
    # only ever our own workers' output, produced by `pack` in this same session
    return pickle.loads(base64.b64decode(text))


def merged(results: Iterable[PropertyResult]) -> ConformanceReport:
    """One report, in the matrix order `kubeprops run` uses (controller, then property)."""
    order = {p.name: i for i, p in enumerate(PROPERTIES)}
    ordered = sorted(results, key=lambda r: (r.controller, order.get(r.property, len(order))))
    return ConformanceReport(tuple(ordered), PINNED_RELEASE)


def write_session_report(
    results: list[PropertyResult], directory: Path, *, adapter: str, profile: str, command: str
) -> list[Path]:
    info = RunInfo(adapter, f"{adapter} (kubeprops, pytest)", profile, command)
    return write_reports(merged(results), info, directory)

"""The kubeprops pytest plugin (registered through the `pytest11` entry point).

It registers the Hypothesis profiles (`--hypothesis-profile ci|dev|deep`), adds the `--kubeprops-adapter`
option and the `kubeprops_adapter_factory` fixture, so a project checks its own target with:

    def test_my_cluster_conforms(kubeprops_adapter_factory):
        report = run_conformance(kubeprops_adapter_factory, controllers=["deployment"])
        assert report.passed, report.text()

The `kubeprops` fixture runs properties one by one, so `pytest -n N` spreads them over workers and
`--kubeprops-report DIR` writes one merged kubeprops report (JUnit, Markdown, HTML) for the session:

    @pytest.mark.parametrize(("controller", "prop"), matrix())
    def test_conforms(kubeprops, controller, prop):
        result = kubeprops.check(controller, prop)
        assert result.verdict in ("pass", "skipped"), result.message

and prints the model release and adapter in the report header so a run can be repeated.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeprops import PINNED_RELEASE, __version__
from kubeprops.properties.profiles import DEFAULT_PROFILE, PROFILES, register_profiles

from . import pytest_session as ps

register_profiles()  # before Hypothesis's own plugin reads --hypothesis-profile
RESULTS = pytest.StashKey[list]()
WRITTEN = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeprops", "kubeprops conformance properties")
    group.addoption(
        "--kubeprops-adapter",
        default="simulator",
        help="adapter the kubeprops_adapter_factory fixture returns (default: simulator)",
    )
    group.addoption(
        "--kubeprops-report",
        default=None,
        metavar="DIR",
        help="write one kubeprops report (junit.xml, summary.md, report.html, ...) of every property "
        "the `kubeprops` fixture ran, merged over xdist workers",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[RESULTS] = []


def pytest_report_header(config: pytest.Config) -> str:
    adapter = config.getoption("--kubeprops-adapter")
    return f"kubeprops {__version__}: reference model Kubernetes {PINNED_RELEASE}, adapter {adapter}"


@pytest.fixture
def kubeprops_adapter_factory(request: pytest.FixtureRequest) -> object:
    """The adapter factory named by --kubeprops-adapter."""
    from kubeprops.adapters.registry import UnknownAdapter, load_adapter_factory

    try:
        return load_adapter_factory(request.config.getoption("--kubeprops-adapter"))
    except UnknownAdapter as err:
        raise pytest.UsageError(str(err)) from None


def _profile(config: pytest.Config) -> str | None:
    chosen = config.getoption("hypothesis_profile", None)
    return chosen if chosen in PROFILES else None


@pytest.fixture
def kubeprops(request: pytest.FixtureRequest, kubeprops_adapter_factory: object) -> ps.Kubeprops:
    """Runs properties on the --kubeprops-adapter target and records them for --kubeprops-report."""
    recorded = request.config.stash[RESULTS]
    return ps.Kubeprops(kubeprops_adapter_factory, _profile(request.config), recorded)  # type: ignore[arg-type]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """xdist controller: a worker finished; take the results it recorded."""
    output = getattr(node, "workeroutput", {}) or {}
    if ps.WORKER_OUTPUT_KEY in output:
        node.config.stash[RESULTS].extend(ps.unpack(output[ps.WORKER_OUTPUT_KEY]))  # type: ignore[attr-defined]


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    results = config.stash[RESULTS]
    if hasattr(config, "workeroutput"):  # an xdist worker: hand the results to the controller
        config.workeroutput[ps.WORKER_OUTPUT_KEY] = ps.pack(results)
        return
    directory = config.getoption("--kubeprops-report")
    if directory is None or not results:
        return
    ps.write_session_report(
        results,
        Path(directory),
        adapter=config.getoption("--kubeprops-adapter"),
        profile=_profile(config) or DEFAULT_PROFILE,
        command="pytest " + " ".join(config.invocation_params.args),
    )
    config.stash[WRITTEN] = f"kubeprops: {len(results)} property results, report in {directory}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    if WRITTEN in config.stash:
        terminalreporter.write_line(config.stash[WRITTEN])

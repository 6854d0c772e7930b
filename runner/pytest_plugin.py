"""The kubeprops pytest plugin (registered through the `pytest11` entry point).

It registers the Hypothesis profiles (`--hypothesis-profile ci|dev|deep`), adds the `--kubeprops-adapter`
option and the `kubeprops_adapter_factory` fixture, so a project checks its own target with:

    def test_my_cluster_conforms(kubeprops_adapter_factory):
        report = run_conformance(kubeprops_adapter_factory, controllers=["deployment"])
        assert report.passed, report.text()

and prints the model release and adapter in the report header so a run can be repeated.
"""

from __future__ import annotations

import pytest

from kubeprops import PINNED_RELEASE, __version__
from kubeprops.properties.profiles import register_profiles

register_profiles()  # before Hypothesis's own plugin reads --hypothesis-profile


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kubeprops", "kubeprops conformance properties")
    group.addoption(
        "--kubeprops-adapter",
        default="simulator",
        help="adapter the kubeprops_adapter_factory fixture returns (default: simulator)",
    )


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

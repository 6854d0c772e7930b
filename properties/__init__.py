"""Reusable Hypothesis properties that check an adapter against the reference model.

Three lines check your own target:

    from kubeprops.properties import run_conformance
    report = run_conformance(my_adapter_factory, controllers=["deployment"])
    assert report.passed, report.text()
"""

from .conformance import (
    CONTROLLERS,
    IMPLEMENTED,
    PROPERTIES,
    ConformanceReport,
    PropertyResult,
    matrix,
    resolve_controllers,
    run_conformance,
    run_property,
)
from .deployment import DeploymentMachine
from .machine import MachineConfig, PropertyViolation, RunStats, bind
from .profiles import PROFILES, profile_settings, register_profiles
from .replicaset import ReplicaSetMachine

__all__ = [
    "CONTROLLERS",
    "IMPLEMENTED",
    "PROFILES",
    "PROPERTIES",
    "ConformanceReport",
    "DeploymentMachine",
    "MachineConfig",
    "PropertyResult",
    "PropertyViolation",
    "ReplicaSetMachine",
    "RunStats",
    "bind",
    "matrix",
    "profile_settings",
    "register_profiles",
    "resolve_controllers",
    "run_conformance",
    "run_property",
]

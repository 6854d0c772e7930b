"""Replay a scenario file (`kubeprops.scenario.files`) on any target, with the check that found it.

The steps run through the same state machine the property uses, outside Hypothesis: each operation is
applied to the target and to the model, every observed state is checked (always-invariants), every
`settle` compares with the model (settles-to-model), every recorded sync is judged (per-sync-decisions).
A scenario that names an unknown controller or property is refused before any adapter is created.
"""

from __future__ import annotations

import time

import attrs

from kubeprops.adapters.protocol import AdapterFactory
from kubeprops.reference_model.release import DEFAULT, Release
from kubeprops.scenario.files import SETTLE, Scenario

from .conformance import ERROR, FAIL, MACHINES, PASS, PROPERTIES, UNKNOWN, Property
from .machine import MachineConfig, PropertyViolation, RunStats, WorkloadMachine, bind


class CannotReplay(ValueError):
    """The scenario names something this version cannot replay; says what it can."""


@attrs.frozen
class ReplayResult:
    verdict: str  # PASS, FAIL, UNKNOWN or ERROR, as for a property
    message: str
    steps_run: int
    seconds: float


def check_replayable(scenario: Scenario) -> Property:
    """The property to replay with; raises CannotReplay naming the field and the choices."""
    machine = MACHINES.get(scenario.controller)
    if machine is None:
        raise CannotReplay(f"controller: {scenario.controller!r} is not one of {', '.join(MACHINES)}")
    if not issubclass(machine, WorkloadMachine):
        raise CannotReplay(f"controller: replay is not implemented for {scenario.controller} yet")
    prop = next((p for p in PROPERTIES if p.name == scenario.property), None)
    if prop is None:
        raise CannotReplay(
            f"property: {scenario.property!r} is not one of {', '.join(p.name for p in PROPERTIES)}"
        )
    return prop


def replay(
    scenario: Scenario, adapter_factory: AdapterFactory, *, release: Release = DEFAULT, run_id: str = "replay"
) -> ReplayResult:
    prop = check_replayable(scenario)
    stats = RunStats()
    config = MachineConfig(adapter_factory, prop.check, stats, release, run_id=run_id)
    machine = bind(MACHINES[scenario.controller], config)()  # type: ignore[arg-type]
    started, done = time.monotonic(), 0
    verdict, message = PASS, ""
    try:
        machine.start(scenario.seed)
        for step in scenario.steps:
            if step == SETTLE:
                machine.settle_and_compare()
            else:
                machine.do(step)  # type: ignore[arg-type]
            done += 1
    except PropertyViolation as err:
        verdict, message = FAIL, f"after step {done + 1} of {len(scenario.steps)}: {err}"
    except Exception as err:  # the target or the harness broke: not a verdict on the target
        verdict, message = ERROR, f"{type(err).__name__}: {err}"
    finally:
        if verdict == PASS:
            try:
                machine.teardown()  # settles and compares once more, then closes
            except PropertyViolation as err:
                verdict, message = FAIL, f"after the last step: {err}"
        elif machine.adapter is not None:
            machine.adapter.close()
    if verdict == PASS and stats.unknown:
        verdict, message = UNKNOWN, "did not settle: " + "; ".join(stats.unknown_reasons)
    return ReplayResult(verdict, message, done, time.monotonic() - started)

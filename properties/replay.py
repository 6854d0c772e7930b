"""Replay a scenario file (`kubeprops.scenario.files`) on any target, with the check that found it.

The steps run through the same state machine the property uses (`machine.DrivenMachine`: `start(seed)`,
`do(op)` for each operation, `settle_and_compare` for each `settle`, `teardown`), outside Hypothesis: each
operation is applied to the target and to the model, every observed state is checked (always-invariants),
every `settle` compares with the model (settles-to-model), every recorded sync is judged
(per-sync-decisions). Every controller replays. A scenario that names an unknown controller or property, a
property the controller has no model for, or steps its machine does not take, is refused before any
adapter is created.
"""

from __future__ import annotations

import time

import attrs

from kubeprops.adapters.protocol import AdapterFactory
from kubeprops.reference_model.release import DEFAULT, Release
from kubeprops.scenario.files import SETTLE, Scenario

from .conformance import ERROR, FAIL, MACHINES, PASS, PROPERTIES, UNKNOWN, Property, unsupported
from .machine import DrivenMachine, MachineConfig, PropertyViolation, RunStats, bind


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
    prop = next((p for p in PROPERTIES if p.name == scenario.property), None)
    if prop is None:
        raise CannotReplay(
            f"property: {scenario.property!r} is not one of {', '.join(p.name for p in PROPERTIES)}"
        )
    why_not = unsupported(scenario.controller, prop)
    if why_not:
        raise CannotReplay(f"property: {why_not.removeprefix('skipped: ')}")
    _check_steps(scenario, machine)
    return prop


def _check_steps(scenario: Scenario, machine: type[DrivenMachine]) -> None:
    """Every step is one the controller's machine takes (its model has no rule for the others)."""
    for i, step in enumerate(scenario.steps):
        if step == SETTLE and not machine.settles:
            raise CannotReplay(
                f"steps[{i}]: a {scenario.controller} never settles (its schedule keeps firing); "
                "let time pass with Advance instead of `settle`"
            )
        if step != SETTLE and not isinstance(step, machine.operations):
            known = ", ".join(sorted(cls.__name__ for cls in machine.operations))
            raise CannotReplay(
                f"steps[{i}]: {type(step).__name__} is not a {scenario.controller} operation; use {known}"
            )


def replay(
    scenario: Scenario, adapter_factory: AdapterFactory, *, release: Release = DEFAULT, run_id: str = "replay"
) -> ReplayResult:
    prop = check_replayable(scenario)
    stats = RunStats()
    config = MachineConfig(adapter_factory, prop.check, stats, release, run_id=run_id)
    machine = bind(MACHINES[scenario.controller], config)()
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
                machine.teardown()  # settles and compares once more (kinds that settle), then closes
            except PropertyViolation as err:
                verdict, message = FAIL, f"after the last step: {err}"
        elif machine.adapter is not None:
            machine.adapter.close()
    if verdict == PASS and stats.unknown:
        verdict, message = UNKNOWN, "did not settle: " + "; ".join(stats.unknown_reasons)
    return ReplayResult(verdict, message, done, time.monotonic() - started)

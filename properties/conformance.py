"""The public entry point: check any adapter against the reference model.

from kubeprops.properties import run_conformance
report = run_conformance(my_adapter_factory, controllers=["deployment"])
assert report.passed, report.text()
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Sequence

import attrs
from hypothesis import settings as Settings
from hypothesis.reporting import with_reporter
from hypothesis.stateful import run_state_machine_as_test

from kubeprops.adapters.protocol import NODE_OPERATIONS, SYNC_TRACE, VIRTUAL_CLOCK, AdapterFactory, RunContext
from kubeprops.reference_model.release import DEFAULT, Release
from kubeprops.scenario.files import Scenario

from .cron_clock import MAX_SLOT_WAIT
from .cronjob import REAL_TIME_SLACK, CronJobMachine
from .daemonset import DaemonSetMachine
from .deployment import DeploymentMachine
from .job import JobMachine
from .machine import (
    ALWAYS,
    PER_SYNC,
    REAL_CLOCK_MAX_ADVANCE,
    SETTLED,
    DrivenMachine,
    MachineConfig,
    RunStats,
    bind,
)
from .profiles import harness_settings, profile_settings
from .replicaset import ReplicaSetMachine
from .statefulset import StatefulSetMachine

PASS, FAIL, UNKNOWN, ERROR, SKIPPED = "pass", "fail", "unknown", "error", "skipped"

#: Every controller kubeprops knows, by its lowercase kind; IMPLEMENTED is what this version checks.
CONTROLLERS = ("replicaset", "deployment", "statefulset", "daemonset", "job", "cronjob")
MACHINES: dict[str, type[DrivenMachine]] = {
    "replicaset": ReplicaSetMachine,
    "deployment": DeploymentMachine,
    "daemonset": DaemonSetMachine,
    "job": JobMachine,
    "statefulset": StatefulSetMachine,
    "cronjob": CronJobMachine,
}
IMPLEMENTED = tuple(c for c in CONTROLLERS if c in MACHINES)


@attrs.frozen
class Property:
    name: str
    check: str
    description: str
    covers: tuple[str, ...]  # fact-sheet sections
    requires: str | None = None  # an adapter capability; without it the property is skipped
    # the controllers whose model can check it (None: every one); for the others it is skipped
    controllers: tuple[str, ...] | None = None


PROPERTIES = (
    Property(
        "always-invariants",
        ALWAYS,
        "every observed state satisfies the model's ALWAYS invariants",
        ("10.0", "10.1", "10.2"),
    ),
    Property(
        "settles-to-model",
        SETTLED,
        "after every settle the observed state equals the model's settled state",
        ("1", "2", "10.1 QUIESCENT", "10.2 QUIESCENT"),
    ),
    Property(
        "per-sync-decisions",
        PER_SYNC,
        "every completed controller sync wrote what the model decides from the snapshot it read",
        (
            "0.4",
            "0.5",
            "1.3",
            "1.4",
            "2.4-2.8",
            "2.10",
            "3.4",
            "3.5",
            "3.7",
            "3.8",
            "4.2-4.5",
            "5.2",
            "5.4",
            "5.5",
            "5.8",
            "6.4",
            "6.5",
            "10.1 PER-SYNC",
            "10.2 PER-SYNC",
            "10.3 PER-SYNC",
            "10.5 PER-SYNC",
            "10.6 PER-SYNC",
        ),
        requires=SYNC_TRACE,
        # the simulator records PER-SYNC snapshots for these controllers only
        controllers=("replicaset", "deployment", "daemonset", "job", "statefulset", "cronjob"),
    ),
)


@attrs.frozen
class PropertyResult:
    controller: str
    property: str
    verdict: str
    seconds: float
    stats: RunStats
    message: str = ""  # the violation, with the shrunk operation sequence
    description: str = ""
    counterexample: Scenario | None = None  # the shrunk failing example, replayable (scenario.files)


@attrs.frozen
class ConformanceReport:
    results: tuple[PropertyResult, ...]
    release: str

    @property
    def passed(self) -> bool:
        return all(r.verdict in (PASS, SKIPPED) for r in self.results)

    @property
    def exit_code(self) -> int:
        verdicts = {r.verdict for r in self.results}
        if FAIL in verdicts:
            return 1
        if ERROR in verdicts:
            return 2
        return 3 if UNKNOWN in verdicts else 0

    def text(self) -> str:
        return "\n".join(f"{r.controller}/{r.property}: {r.verdict}\n{r.message}" for r in self.results)


def matrix(controllers: Iterable[str] | None = None) -> list[tuple[str, str]]:
    """(controller, property name) for every check of the chosen controllers: pytest parametrize ids."""
    return [(c, p.name) for c in resolve_controllers(controllers) for p in PROPERTIES]


def resolve_controllers(controllers: Iterable[str] | None) -> tuple[str, ...]:
    """Validate controller names; None means every implemented controller."""
    if controllers is None:
        return IMPLEMENTED
    chosen = tuple(dict.fromkeys(c.strip().lower() for c in controllers if c.strip()))
    for name in chosen:
        if name not in CONTROLLERS:
            raise ValueError(f"unknown controller {name!r}: choose from {', '.join(CONTROLLERS)}")
        if name not in MACHINES:
            raise ValueError(
                f"controller {name!r} is not implemented in this version yet; "
                f"implemented: {', '.join(IMPLEMENTED)}"
            )
    if not chosen:
        raise ValueError(f"no controller given: choose from {', '.join(IMPLEMENTED)}")
    return chosen


#: Default wall-clock budget for shrinking one failure. Hypothesis's own default is five minutes; a
#: stateful example drives a whole cluster, so that is long for a report and far too long for CI.
SHRINK_SECONDS = 60.0


@contextlib.contextmanager
def shrink_budget(seconds: float) -> Iterator[None]:
    """Bound the time Hypothesis spends shrinking one failure.

    Hypothesis has no public setting for it; its engine reads the module constant
    MAX_SHRINKING_SECONDS, which we set for the duration of the run (and restore).
    """
    from hypothesis.internal.conjecture import engine

    saved = getattr(engine, "MAX_SHRINKING_SECONDS", None)
    engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        if saved is not None:
            engine.MAX_SHRINKING_SECONDS = saved


def run_property(
    adapter_factory: AdapterFactory,
    controller: str,
    prop: Property,
    *,
    settings: Settings,
    release: Release = DEFAULT,
    run_id: str = "run",
    worker: str = "main",
    shrink_seconds: float = SHRINK_SECONDS,
    stats: RunStats | None = None,
) -> PropertyResult:
    """One property on one controller. `stats` (fresh if None) is updated live, for progress displays."""
    stats = stats if stats is not None else RunStats()
    missing = unsupported(controller, prop) or _missing_capability(adapter_factory, prop, run_id, worker)
    if missing:
        return PropertyResult(controller, prop.name, SKIPPED, 0.0, stats, missing, prop.description)
    config = MachineConfig(
        adapter_factory, prop.check, stats, release, run_id=f"{run_id}-{controller}", worker=worker
    )
    machine = bind(MACHINES[controller], config)
    lines: list[str] = []
    started = time.monotonic()
    verdict, message = PASS, ""
    try:
        with with_reporter(lambda text: lines.append(str(text))), shrink_budget(shrink_seconds):
            run_state_machine_as_test(machine, settings=settings)
    except AssertionError as err:
        verdict, message = FAIL, _failure_text(err, lines)
    except Exception as err:  # an adapter or harness error is not a verdict on the target
        verdict, message = ERROR, _failure_text(err, lines)
    if verdict == PASS and stats.unknown:
        verdict = UNKNOWN
        message = f"{stats.unknown} example(s) did not settle: " + "; ".join(
            sorted(set(stats.unknown_reasons))
        )
    elif verdict == PASS and stats.stalls:
        message = f"{stats.stalls} example(s) never settled, as the model predicts (the controllers loop)"
    elapsed = time.monotonic() - started
    found = _counterexample(controller, prop, stats, release, message) if verdict == FAIL else None
    return PropertyResult(controller, prop.name, verdict, elapsed, stats, message, prop.description, found)


def _counterexample(
    controller: str, prop: Property, stats: RunStats, release: Release, message: str
) -> Scenario | None:
    """The last example run, which after a failure is Hypothesis' final replay of the shrunk one."""
    if not stats.last_steps:
        return None  # no step ran: nothing to replay
    first = message.strip().splitlines()[0] if message.strip() else ""
    return Scenario(
        controller, prop.name, tuple(stats.last_steps), stats.last_seed, release.version, "", first
    )


def unsupported(controller: str, prop: Property) -> str:
    """Why `prop` cannot be checked for `controller` at all ("" when it can)."""
    if prop.controllers is None or controller in prop.controllers:
        return ""
    checked = ", ".join(prop.controllers)
    return f"skipped: {prop.name} is not implemented for {controller} (only for {checked})"


def target_capabilities(factory: AdapterFactory, run_id: str = "run", worker: str = "main") -> frozenset[str]:
    """What the target can do: asks one adapter, which it closes again."""
    adapter = factory(RunContext(seed=0, run_id=f"{run_id}-probe", worker=worker))
    try:
        return frozenset(adapter.capabilities)
    finally:
        adapter.close()


def run_notes(capabilities: frozenset[str]) -> tuple[str, ...]:
    """How a run adapts to what the target cannot do, for the report's reader."""
    notes = []
    if VIRTUAL_CLOCK not in capabilities:
        notes.append(
            f"real clock: each generated time step lasts at most {REAL_CLOCK_MAX_ADVANCE} s, a CronJob step "
            f"waits for its next slot only when that comes within {MAX_SLOT_WAIT} s (so few slots come due), "
            "back-off and deadlines pass in real time, and a CronJob's lastSuccessfulTime may lie up to "
            f"{REAL_TIME_SLACK} s after the model's"
        )
    if SYNC_TRACE not in capabilities:
        notes.append("no sync trace: per-sync-decisions is skipped (it needs the snapshot each sync read)")
    if NODE_OPERATIONS not in capabilities:
        notes.append("no node operations: no step adds, removes, relabels, taints or cordons a node")
    return tuple(notes)


def _missing_capability(factory: AdapterFactory, prop: Property, run_id: str, worker: str) -> str:
    """Why the target cannot be checked for `prop` ("" when it can): asks one adapter its capabilities."""
    if prop.requires is None or prop.requires in target_capabilities(factory, run_id, worker):
        return ""
    return f"skipped: the target does not have the {prop.requires!r} capability this property needs"


#: Hypothesis' own words when shrinking hits the time limit: they name its default (five minutes) whatever
#: the budget, and ask to report it upstream, which is not what a kubeprops user should do.
SHRINK_TIMEOUT_LINES = ("WARNING: Hypothesis has spent more than", "PLEASE REPORT THIS")


def _failure_text(err: BaseException, lines: Sequence[str]) -> str:
    # Hypothesis attaches the falsifying steps and our note()s to the exception as __notes__.
    notes = [str(n) for n in getattr(err, "__notes__", ())]
    kept = [line for line in [*lines, *notes] if line.strip()]
    steps = [line for line in kept if not line.startswith(SHRINK_TIMEOUT_LINES)]
    header = f"{type(err).__name__}: {err}\n\nShrunk operation sequence:"
    if len(steps) < len(kept):
        header += " (shrinking stopped at its time budget: shorter sequences may exist)"
    return header + "\n" + "\n".join(steps)


def run_conformance(
    adapter_factory: AdapterFactory,
    *,
    controllers: Iterable[str] | None = None,
    settings: Settings | None = None,
    profile: str | None = None,
    release: Release = DEFAULT,
    on_result: Callable[[PropertyResult], None] | None = None,
    run_id: str = "run",
    worker: str = "main",
    on_start: Callable[[str, Property, RunStats], None] | None = None,
) -> ConformanceReport:
    """Run every property of the chosen controllers against targets made by `adapter_factory`.

    `settings` overrides the profile (`ci` unless `profile` or $KUBEPROPS_PROFILE says otherwise); its
    deadline, too-slow health checks and multiple-bug reports are switched off, as in every profile.
    `on_start` is called as each property starts, with the counters it updates while it runs, and
    `on_result` as it finishes: for progress output.
    """
    chosen = resolve_controllers(controllers)
    effective = harness_settings(settings if settings is not None else profile_settings(profile))
    results = []
    for controller in chosen:
        for prop in PROPERTIES:
            stats = RunStats()
            if on_start is not None:
                on_start(controller, prop, stats)
            result = run_property(
                adapter_factory,
                controller,
                prop,
                settings=effective,
                release=release,
                run_id=run_id,
                worker=worker,
                stats=stats,
            )
            results.append(result)
            if on_result is not None:
                on_result(result)
    return ConformanceReport(tuple(results), release.version)

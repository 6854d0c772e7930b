"""`run_conformance` over several processes: each (controller, property) run is independent, so they are
spread over a process pool (Hypothesis and the simulator are CPU-bound and hold the GIL).

Every run gets its own worker name (`w<N>`), which adapters use in names and namespaces, so runs against
one real cluster do not collide. Results come back in the order a sequential run gives.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable, Iterable

from hypothesis import settings as Settings

from kubeprops.adapters.protocol import AdapterFactory
from kubeprops.reference_model.release import DEFAULT, Release

from .conformance import PROPERTIES, ConformanceReport, PropertyResult, resolve_controllers, run_property
from .profiles import harness_settings, profile_settings


def _one(
    factory: AdapterFactory,
    controller: str,
    prop_name: str,
    profile: str | None,
    overrides: dict[str, object],
    release: Release,
    run_id: str,
    worker: str,
) -> PropertyResult:
    # settings are rebuilt in the worker: a pickled settings object loses Hypothesis' "not set" markers
    settings = harness_settings(Settings(profile_settings(profile), **overrides))
    prop = next(p for p in PROPERTIES if p.name == prop_name)
    return run_property(
        factory, controller, prop, settings=settings, release=release, run_id=run_id, worker=worker
    )


def run_conformance_parallel(
    adapter_factory: AdapterFactory,
    *,
    jobs: int,
    controllers: Iterable[str] | None = None,
    profile: str | None = None,
    overrides: dict[str, object] | None = None,
    release: Release = DEFAULT,
    on_result: Callable[[PropertyResult], None] | None = None,
    run_id: str = "run",
) -> ConformanceReport:
    """As `run_conformance`, with up to `jobs` property runs at a time. The settings are the `profile`'s
    with `overrides` (e.g. max_examples); `adapter_factory` must pickle (a module-level function)."""
    chosen = resolve_controllers(controllers)
    pairs = [(c, p.name) for c in chosen for p in PROPERTIES]
    context = multiprocessing.get_context("spawn")  # no inherited threads or open connections
    with concurrent.futures.ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
        futures = {
            pool.submit(_one, adapter_factory, c, name, profile, overrides or {}, release, run_id, f"w{i}"): i
            for i, (c, name) in enumerate(pairs)
        }
        done: dict[int, PropertyResult] = {}
        for future in concurrent.futures.as_completed(futures):
            result = future.result()
            done[futures[future]] = result
            if on_result is not None:
                on_result(result)
    return ConformanceReport(tuple(done[i] for i in range(len(pairs))), release.version)

"""Throughput of every property on the embedded simulator: examples/s and steps/s.

    python bench/bench_properties.py [--profile ci] [--max-examples N]

Prints one line per property; copy the lines and the command into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import resource
import time

from hypothesis import settings as Settings

from kubeprops.adapters.simulator import simulator_factory
from kubeprops.properties.conformance import IMPLEMENTED, PROPERTIES, run_property
from kubeprops.properties.profiles import profile_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--max-examples", type=int, default=None)
    args = parser.parse_args()
    settings = profile_settings(args.profile)
    if args.max_examples:
        settings = Settings(settings, max_examples=args.max_examples)
    print(
        f"python {platform.python_version()} on {platform.machine()}, profile {args.profile}, "
        f"max_examples={settings.max_examples}, stateful_step_count={settings.stateful_step_count}"
    )
    header = ("property", "verdict", "examples", "steps", "seconds", "ex/s", "steps/s")
    print("{:<40} {:>8} {:>9} {:>7} {:>8} {:>7} {:>8}".format(*header))
    started = time.perf_counter()
    for controller in IMPLEMENTED:
        for prop in PROPERTIES:
            result = run_property(simulator_factory, controller, prop, settings=settings)
            s = result.stats
            if result.seconds == 0:  # skipped: the property does not apply to this controller
                print(f"{controller + '/' + prop.name:<40} {result.verdict:>8}")
                continue
            print(
                f"{controller + '/' + prop.name:<40} {result.verdict:>8} {s.examples:>9} {s.steps:>7} "
                f"{result.seconds:>8.2f} {s.examples / result.seconds:>7.2f} {s.steps / result.seconds:>8.1f}"
            )
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"total {time.perf_counter() - started:.1f}s, peak RSS {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()

"""`kubeprops replay FILE`: rerun a saved counterexample on any target, deterministically where it can be.

The whole file is checked before any adapter is created, so a malformed scenario changes nothing on the
target. Exit codes as for `kubeprops run`: 0 the scenario passes, 1 it still violates the property,
2 usage or infrastructure error (bad file, unknown adapter), 3 it did not settle.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubeprops.properties.conformance import ERROR, FAIL, UNKNOWN
from kubeprops.scenario import files

from .report import SYMBOL

EXIT = {FAIL: 1, ERROR: 2, UNKNOWN: 3}


def add_replay_parser(commands: argparse._SubParsersAction) -> None:
    replay = commands.add_parser(
        "replay",
        help="rerun a saved counterexample (a scenario file) on a target",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    replay.add_argument(
        "file", type=Path, metavar="FILE", help="scenario file (see kubeprops.scenario.files)"
    )
    replay.add_argument("--adapter", default="simulator", help="target to replay on (default: simulator)")


def replay_command(args: argparse.Namespace) -> int:
    from kubeprops.adapters.registry import UnknownAdapter, load_adapter_factory
    from kubeprops.properties.replay import CannotReplay, check_replayable, replay

    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as err:
        return _fail(f"FILE: cannot read {args.file}: {err.strerror or err}")
    try:
        scenario = files.load(text)
        check_replayable(scenario)
        factory = load_adapter_factory(args.adapter)
    except files.ScenarioError as err:
        return _fail(f"{args.file}: {err}")
    except (CannotReplay, UnknownAdapter, ValueError) as err:
        return _fail(f"{args.file}: {err}")
    print(
        f"kubeprops: replaying {len(scenario.steps)} steps of {scenario.controller}/{scenario.property} "
        f"(seed {scenario.seed}) on {args.adapter}",
        flush=True,
    )
    result = replay(scenario, factory)
    print(f"kubeprops: {SYMBOL[result.verdict]} after {result.steps_run} steps, {result.seconds:.1f} s")
    if result.message:
        print(result.message)
    return EXIT.get(result.verdict, 0)


def _fail(message: str) -> int:
    print(f"kubeprops: error: {message}", file=sys.stderr)
    return 2

"""The `kubeprops` command."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path

from kubeprops import PINNED_RELEASE, __version__

from .cluster_command import add_cluster_parser
from .replay_command import add_replay_parser

EXIT_CODES = """exit codes:
  0  every property passed
  1  a property was violated (the report shows the shrunk operation sequence)
  2  usage or infrastructure error (bad option, adapter failure)
  3  no violation, but some example did not settle (verdict unknown)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubeprops",
        description="Property-based conformance tests for Kubernetes workload controllers, checked "
        f"against a reference model of upstream Kubernetes {PINNED_RELEASE}.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kubeprops {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "run",
        help="run the conformance properties against a target and write a report",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--adapter", default="simulator", help="target to check (default: simulator)")
    run.add_argument(
        "--controllers",
        default=None,
        help="comma-separated lowercase kinds, e.g. replicaset,deployment (default: every implemented one)",
    )
    run.add_argument("--profile", default=None, help="Hypothesis profile: ci (default), dev or deep")
    run.add_argument(
        "--max-examples", type=positive_int, default=None, help="override the profile's examples"
    )
    run.add_argument(
        "--report",
        type=Path,
        default=None,
        metavar="DIR",
        help="write junit.xml, summary.md and results.json into DIR",
    )
    run.add_argument("--quiet", action="store_true", help="print only the final summary")
    run.add_argument(
        "-j",
        "--jobs",
        type=positive_int,
        default=1,
        metavar="N",
        help="run up to N properties at a time, in separate processes (default 1)",
    )
    run.add_argument(
        "--kubeconfig", type=Path, default=None, help="kubeconfig of the cluster (--adapter kubernetes)"
    )
    run.add_argument(
        "--context",
        default=None,
        help="kubeconfig context (--adapter kubernetes; required unless it is kind-* or kubeprops-local)",
    )
    run.add_argument(
        "--model-release",
        default=None,
        metavar="VERSION",
        help="Kubernetes release the model follows, e.g. v1.34 (default: the one the target reports; "
        "the simulator implements the pinned release)",
    )
    add_cluster_parser(commands)
    add_replay_parser(commands)
    return parser


def positive_int(raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {raw!r}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "run":
        from .run_command import run_command

        return run_command(args, command_line=shlex.join(["kubeprops", *(argv or sys.argv[1:])]))
    if args.command == "replay":
        from .replay_command import replay_command

        return replay_command(args)
    if args.command == "cluster":
        from .cluster_command import cluster_command

        return cluster_command(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())

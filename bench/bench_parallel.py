"""Speed-up of `kubeprops run -j N`: wall time for N = 1, 2, 4, on the simulator or the local control plane.

    python bench/bench_parallel.py [--controllers replicaset,deployment] [--jobs 1,2,4]
    python bench/bench_parallel.py --local-cluster [--max-examples 4] [--controllers ...]

Each N runs the same command in a fresh process (`kubeprops run --quiet -j N`, profile ci); prints the
wall time, the speed-up over N=1 and the machine's load average before each run (other work on the
machine skews the numbers: record it with them in bench/RESULTS.md).

`--local-cluster` starts the pinned upstream control plane (`kubeprops cluster up`, built once and
cached) in a temporary folder, runs every N against it (`--adapter kubernetes`, with a small
`--max-examples`: real clusters wait real time) and stops it (`kubeprops cluster down`) at the end,
also on failure or interrupt.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

KUBEPROPS = [sys.executable, "-m", "kubeprops.cli"]


@contextlib.contextmanager
def local_cluster() -> Iterator[list[str]]:
    """The `kubeprops run` options that target a freshly started local control plane."""
    with tempfile.TemporaryDirectory(prefix="kubeprops-bench-") as folder:
        started = time.monotonic()
        subprocess.run([*KUBEPROPS, "cluster", "up", "--dir", folder], check=True, capture_output=True)
        print(f"local control plane up in {time.monotonic() - started:.1f} s")
        try:
            kubeconfig = Path(folder) / "admin.kubeconfig"
            yield ["--adapter", "kubernetes", "--kubeconfig", str(kubeconfig)]  # its own context is allowed
        finally:
            subprocess.run([*KUBEPROPS, "cluster", "down", "--dir", folder], check=False)


def run(jobs: int, controllers: str, target: list[str], max_examples: int | None) -> tuple[float, str]:
    command = [*KUBEPROPS, "run", "--quiet", "-j", str(jobs), "--controllers", controllers, *target]
    if max_examples is not None:
        command += ["--max-examples", str(max_examples)]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.monotonic() - started
    verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
    return seconds, f"exit {done.returncode}: {verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--controllers", default="replicaset,deployment")
    parser.add_argument("--jobs", default="1,2,4")
    parser.add_argument("--local-cluster", action="store_true", help="run on the local control plane")
    parser.add_argument("--max-examples", type=int, default=None, help="per property (default: profile's)")
    args = parser.parse_args()
    max_examples = args.max_examples
    if args.local_cluster and max_examples is None:
        max_examples = 4
    target_name = "local control plane" if args.local_cluster else "simulator"
    print(f"cores={os.cpu_count()} target={target_name} controllers={args.controllers}", end=" ")
    print(f"max-examples={max_examples}")
    with local_cluster() if args.local_cluster else contextlib.nullcontext([]) as target:
        base = None
        for jobs in (int(j) for j in args.jobs.split(",")):
            load = os.getloadavg()[0]
            seconds, verdict = run(jobs, args.controllers, target, max_examples)
            base = base or seconds
            speed = base / seconds
            print(f"-j {jobs}: {seconds:6.1f} s  speed-up {speed:4.2f}  load-before {load:4.1f}  {verdict}")


if __name__ == "__main__":
    main()

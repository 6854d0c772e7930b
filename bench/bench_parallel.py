"""Speed-up of `kubeprops run -j N` on the embedded simulator: wall time for N = 1, 2, 4.

    python bench/bench_parallel.py [--controllers replicaset,deployment] [--jobs 1,2,4]

Each N runs the same command in a fresh process (`kubeprops run --quiet -j N`, profile ci); prints the
wall time, the speed-up over N=1 and the machine's load average before each run (other work on the
machine skews the numbers: record it with them in bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--controllers", default="replicaset,deployment")
    parser.add_argument("--jobs", default="1,2,4")
    args = parser.parse_args()
    print(f"cores={os.cpu_count()} controllers={args.controllers}")
    base = None
    for jobs in (int(j) for j in args.jobs.split(",")):
        load = os.getloadavg()[0]
        started = time.monotonic()
        command = [sys.executable, "-m", "kubeprops.cli", "run", "--quiet", "-j", str(jobs)]
        done = subprocess.run([*command, "--controllers", args.controllers], capture_output=True, text=True)
        seconds = time.monotonic() - started
        base = base or seconds
        verdict = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-200:]
        speed = base / seconds
        print(f"-j {jobs}: {seconds:6.1f} s  speed-up {speed:4.2f}  load-before {load:4.1f}  {verdict}")


if __name__ == "__main__":
    main()

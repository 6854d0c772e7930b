"""How the simulator's batch controllers scale: a Job of many completions, and a CronJob over many days.

    python bench/bench_batch.py [--completions 10000] [--parallelism 100] [--days 30]
                                [--schedule '*/5 * * * *']

Job: a NonIndexed Job of `completions` at `parallelism`; every virtual second the running pods all exit 0
(one `PodSucceeds` each, the controller replacing them as it goes), until the Job is Complete. CronJob:
`schedule` (Forbid) over `days` of virtual time; each slot's Job runs one pod that exits 0 a minute
after the slot. Each case runs in a fresh process, so the peak resident memory printed (ru_maxrss) is its
own. Printed: wall and CPU time (CPU time is the fair number on a shared machine), virtual time, what
the end state shows (so a wrong run cannot pass as fast), and the peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def job_case(completions: int, parallelism: int) -> dict[str, object]:
    from kubeprops.adapters.protocol import RunContext
    from kubeprops.adapters.simulator import SimulatorAdapter
    from kubeprops.scenario import batch
    from kubeprops.scenario.ops import Advance
    from kubeprops.scenario.spec import PodBehavior, PodTemplate

    sim = SimulatorAdapter(RunContext(seed=0), nodes=10)
    template = PodTemplate({"app": "work"}, behavior=PodBehavior(0))
    spec = batch.JobSpec(template, parallelism=parallelism, completions=completions)
    began = time.monotonic()
    sim.apply(batch.CreateJob("work", spec))
    waves = 0
    while (job := sim.observe().jobs[0]).status.finished is None and waves < 2 * completions:
        for _ in range(job.status.active):
            sim.apply(batch.PodSucceeds("work", 0))
        sim.apply(Advance(1))
        waves += 1
    settled = sim.settle(3600).settled
    wall = time.monotonic() - began
    view = sim.observe()
    job = view.jobs[0]
    out = {
        "completions": completions,
        "parallelism": parallelism,
        "wall_s": wall,
        "waves": waves,
        "succeeded": job.status.succeeded,
        "complete": job.status.finished is not None and job.status.finished.type == batch.COMPLETE,
        "settled": settled,
        "virtual_s": view.now,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    sim.close()
    return out


def cronjob_case(days: int, schedule: str) -> dict[str, object]:
    from kubeprops.adapters.protocol import RunContext
    from kubeprops.adapters.simulator import SimulatorAdapter
    from kubeprops.scenario import batch
    from kubeprops.scenario.ops import Advance
    from kubeprops.scenario.spec import PodBehavior, PodTemplate

    sim = SimulatorAdapter(RunContext(seed=0), nodes=3)
    job = batch.JobSpec(PodTemplate({"app": "tick"}, behavior=PodBehavior(0)))
    spec = batch.CronJobSpec(schedule, job, concurrency_policy=batch.FORBID)
    began = time.monotonic()
    sim.apply(batch.CreateCronJob("tick", spec))
    end = sim.observe().now + days * 86_400
    jobs_seen: set[str] = set()
    while (now := sim.observe().now) < end:
        sim.apply(Advance(min(60.0, end - now)))  # a minute: the slot's Job exists and its pod runs
        view = sim.observe()
        for j in view.jobs:
            jobs_seen.add(j.name)
            if j.status.active:
                sim.apply(batch.PodSucceeds(j.name, 0))
    wall = time.monotonic() - began
    view = sim.observe()
    out = {
        "days": days,
        "schedule": schedule,
        "wall_s": wall,
        "jobs_created": len(jobs_seen),
        "jobs_kept": len(view.jobs),
        "virtual_s": view.now,
        "cpu_s": resource.getrusage(resource.RUSAGE_SELF).ru_utime,
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    sim.close()
    return out


def child(args: list[str]) -> dict[str, object]:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--completions", type=int, default=10_000, help="Job completions (0: skip)")
    parser.add_argument("--parallelism", type=int, default=100)
    parser.add_argument("--days", type=int, default=30, help="CronJob timeline in days (0: skip)")
    parser.add_argument("--schedule", default="*/5 * * * *")
    parser.add_argument("--job-case", action="store_true", help=argparse.SUPPRESS)  # in a child process
    parser.add_argument("--cron-case", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.job_case:
        print(json.dumps(job_case(args.completions, args.parallelism)))
        return
    if args.cron_case:
        print(json.dumps(cronjob_case(args.days, args.schedule)))
        return
    if args.completions:
        r = child(
            ["--job-case", "--completions", str(args.completions), "--parallelism", str(args.parallelism)]
        )
        print(
            f"job completions={r['completions']} parallelism={r['parallelism']}: {r['wall_s']:.1f} s wall "
            f"({r['cpu_s']:.1f} s CPU), "
            f"{r['waves']} waves, succeeded {r['succeeded']} complete={r['complete']} "
            f"settled={r['settled']}  "
            f"virtual {r['virtual_s']:.0f} s  peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    if args.days:
        r = child(["--cron-case", "--days", str(args.days), "--schedule", args.schedule])
        print(
            f"cronjob {r['schedule']!r} over {r['days']} days: {r['wall_s']:.1f} s wall "
            f"({r['cpu_s']:.1f} s CPU), "
            f"{r['jobs_created']} Jobs created, {r['jobs_kept']} kept  "
            f"virtual {r['virtual_s']:.0f} s  peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()

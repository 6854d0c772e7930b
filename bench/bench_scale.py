"""How the simulator scales: settle a DaemonSet over N nodes, then roll it out to a new template; and
settle a StatefulSet of R replicas (OrderedReady, one claim per pod), then roll it out.

    python bench/bench_scale.py [--nodes 100,1000,5000] [--unavailable 10%] [--replicas 200]

Each N runs in a fresh process, so the peak resident memory printed (ru_maxrss) is that case's own.
Printed per N: cluster start (N nodes registered), create + settle (one daemon pod per node, all
Ready), rolling update + settle (maxUnavailable 10%), the pods checked at the end, and peak RSS.
The rolling update is where the controller's per-sync work over every node and pod adds up.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

LABELS = {"app": "agent"}


def one_case(nodes: int, unavailable: str) -> dict[str, object]:
    from kubeprops.adapters.protocol import RunContext
    from kubeprops.adapters.simulator import SimulatorAdapter
    from kubeprops.scenario import apps_extra as a
    from kubeprops.scenario.spec import PodBehavior

    def template(image: str) -> a.AppsPodTemplate:
        return a.AppsPodTemplate(labels=LABELS, image=image, behavior=PodBehavior(0))

    out: dict[str, object] = {"nodes": nodes}
    began = time.monotonic()
    sim = SimulatorAdapter(RunContext(seed=0), nodes=nodes)
    out["start_s"] = time.monotonic() - began
    strategy = a.DaemonSetUpdateStrategy(rolling_update=a.DaemonSetRollingUpdate(unavailable, 0))
    began = time.monotonic()
    sim.apply(
        a.CreateDaemonSet("agent", a.DaemonSetSpec(template=template("agent:v1"), update_strategy=strategy))
    )
    settled = sim.settle(3600).settled
    out["create_settle_s"] = time.monotonic() - began
    began = time.monotonic()
    sim.apply(a.UpdateAppsTemplate(a.DAEMONSET, "agent", template("agent:v2")))
    settled = sim.settle(3600).settled and settled
    out["rollout_settle_s"] = time.monotonic() - began
    view = sim.observe()
    live = [p for p in view.pods if not p.deleting and p.ready and p.image == "agent:v2"]
    out["ready_v2_pods"] = len(live)
    out["one_per_node"] = len({p.node for p in live}) == nodes == len(live)
    out["settled"] = settled
    out["virtual_s"] = view.now
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sim.close()
    return out


def statefulset_case(replicas: int) -> dict[str, object]:
    from kubeprops.adapters.protocol import RunContext
    from kubeprops.adapters.simulator import SimulatorAdapter
    from kubeprops.scenario import apps_extra as a
    from kubeprops.scenario.spec import PodBehavior

    def template(image: str) -> a.AppsPodTemplate:
        return a.AppsPodTemplate(labels={"app": "db"}, image=image, behavior=PodBehavior(1))

    sim = SimulatorAdapter(RunContext(seed=0), nodes=10)
    out: dict[str, object] = {"replicas": replicas}
    spec = a.StatefulSetSpec(template=template("db:v1"), replicas=replicas, volume_claim_templates=("data",))
    began = time.monotonic()
    sim.apply(a.CreateStatefulSet("db", spec))
    settled = sim.settle(86_400).settled
    out["create_settle_s"] = time.monotonic() - began
    out["virtual_create_s"] = sim.observe().now
    began = time.monotonic()
    sim.apply(a.UpdateAppsTemplate(a.STATEFULSET, "db", template("db:v2")))
    settled = sim.settle(86_400).settled and settled
    out["rollout_settle_s"] = time.monotonic() - began
    view = sim.observe()
    out["ready_v2_pods"] = sum(1 for p in view.pods if p.ready and p.image == "db:v2" and not p.deleting)
    out["claims"] = len(view.claims)
    out["settled"] = settled
    out["virtual_s"] = view.now
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sim.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--nodes", default="100,1000,5000")
    parser.add_argument("--unavailable", default="10%")
    parser.add_argument("--replicas", type=int, default=200, help="StatefulSet size (0: skip)")
    parser.add_argument("--case", type=int, help=argparse.SUPPRESS)  # one case, in a child process
    parser.add_argument("--sts-case", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case is not None:
        print(json.dumps(one_case(args.case, args.unavailable)))
        return
    if args.sts_case is not None:
        print(json.dumps(statefulset_case(args.sts_case)))
        return
    for nodes in (int(n) for n in args.nodes.split(",")):
        child = [sys.executable, __file__, "--case", str(nodes), "--unavailable", args.unavailable]
        done = subprocess.run(child, capture_output=True, text=True, check=True)
        r = json.loads(done.stdout.strip().splitlines()[-1])
        print(
            f"daemonset nodes={r['nodes']:>5}: start {r['start_s']:6.1f} s  create+settle "
            f"{r['create_settle_s']:6.1f} s  rollout({args.unavailable})+settle "
            f"{r['rollout_settle_s']:6.1f} s  "
            f"ready v2 pods {r['ready_v2_pods']} one-per-node={r['one_per_node']} settled={r['settled']}  "
            f"virtual {r['virtual_s']:.0f} s  peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )
    if args.replicas:
        child = [sys.executable, __file__, "--sts-case", str(args.replicas)]
        r = json.loads(
            subprocess.run(child, capture_output=True, text=True, check=True).stdout.splitlines()[-1]
        )
        print(
            f"statefulset replicas={r['replicas']}: create+settle {r['create_settle_s']:6.1f} s "
            f"(virtual {r['virtual_create_s']:.0f} s)  rollout+settle {r['rollout_settle_s']:6.1f} s  "
            f"ready v2 pods {r['ready_v2_pods']} claims {r['claims']} settled={r['settled']}  "
            f"virtual {r['virtual_s']:.0f} s  peak RSS {r['peak_rss_mib']:.0f} MiB",
            flush=True,
        )


if __name__ == "__main__":
    main()

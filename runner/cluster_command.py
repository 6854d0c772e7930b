"""`kubeprops cluster build|up|down|status`: the local upstream control plane from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kubeprops import PINNED_RELEASE

CLUSTER_HELP = f"""\
build   build etcd and the Kubernetes {PINNED_RELEASE} control plane from source (cached per machine)
up      start it on 127.0.0.1 (building first if needed) and write an admin kubeconfig
down    stop exactly the processes `up` started in --dir
status  show what runs from --dir, with memory use

exit codes: 0 done (status: every component runs), 1 status: not running, 2 usage or start/stop error
"""


def add_cluster_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cluster = commands.add_parser(
        "cluster",
        help=f"build, start and stop a local upstream {PINNED_RELEASE} control plane",
        description=CLUSTER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = cluster.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("build", help="build the binaries into the cache (no-op when cached)")
    dir_help = "folder for the cluster's certificates, etcd data, logs and cluster.json"
    up = actions.add_parser("up", help="start the control plane, building first if needed")
    up.add_argument("--dir", type=Path, required=True, help=dir_help)
    up.add_argument(
        "--kubeconfig",
        type=Path,
        default=None,
        help="where to write the admin kubeconfig (default: DIR/admin.kubeconfig)",
    )
    for name, text in (("down", "stop what `up` started in --dir"), ("status", "what runs from --dir")):
        actions.add_parser(name, help=text).add_argument("--dir", type=Path, required=True, help=dir_help)


def cluster_command(args: argparse.Namespace) -> int:
    from kubeprops.cluster import ControlPlaneError

    try:
        return ACTIONS[args.action](args)
    except ControlPlaneError as err:
        return fail(str(err))
    except OSError as err:
        return fail(f"{err.filename or ''}: {err.strerror or err}")
    except KeyboardInterrupt:
        # `up` stops whatever it had started before the interrupt reaches here.
        print("kubeprops cluster: interrupted", file=sys.stderr)
        return 130


def fail(message: str) -> int:
    print(f"kubeprops cluster: error: {message}", file=sys.stderr)
    return 2


def build(args: argparse.Namespace) -> int:
    from kubeprops.cluster import build_control_plane

    print(f"kubeprops: control plane binaries in {build_control_plane(log=_progress)}")
    return 0


def up(args: argparse.Namespace) -> int:
    from kubeprops.cluster import start_cluster

    problem = _check_paths(args.dir, args.kubeconfig)
    if problem:
        return fail(problem)
    cluster = start_cluster(args.dir, kubeconfig=args.kubeconfig, log=_progress)
    t = cluster.state.timings
    print(
        f"kubeprops: control plane {cluster.state.release} up: apiserver ready after "
        f"{t['apiserver_ready']:.1f} s, controllers after {t['controllers_ready']:.1f} s\n"
        f"  server      {cluster.server}\n"
        f"  kubeconfig  {cluster.kubeconfig}  (context {cluster.context})\n"
        f"  logs        {cluster.dir / 'logs'}\n"
        f"  stop with   kubeprops cluster down --dir {cluster.dir}"
    )
    return 0


def down(args: argparse.Namespace) -> int:
    from kubeprops.cluster import stop_cluster

    for name, outcome in stop_cluster(args.dir).items():
        print(f"  {name:<24} {outcome}")
    print(f"kubeprops: control plane in {args.dir.resolve()} is down")
    return 0


def status(args: argparse.Namespace) -> int:
    from kubeprops.cluster import cluster_status

    state, rss = cluster_status(args.dir)
    print(f"kubeprops: control plane {state.release} started {state.started_at}, server {state.server}")
    for component in state.components:
        used = rss[component.name]
        shown = f"running  {used / 2**20:7.0f} MiB" if used is not None else "not running"
        print(f"  {component.name:<24} PID {component.pid:<8} {shown}")
    running = [v for v in rss.values() if v is not None]
    print(f"  total RSS {sum(running) / 2**20:.0f} MiB; kubeconfig {state.kubeconfig}")
    return 0 if rss and len(running) == len(rss) else 1


def _check_paths(dir: Path, kubeconfig: Path | None) -> str | None:
    if dir.exists() and not dir.is_dir():
        return f"--dir {dir}: is a file; give a directory (it is created if missing)"
    if kubeconfig is not None and kubeconfig.is_dir():
        return (
            f"--kubeconfig {kubeconfig}: is a directory; give a file path, e.g. {kubeconfig / 'kubeconfig'}"
        )
    return None


def _progress(line: str) -> None:
    print(line, flush=True)


ACTIONS = {"build": build, "up": up, "down": down, "status": status}

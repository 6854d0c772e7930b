"""`up` and `down`: start etcd, kube-apiserver, kube-controller-manager and kube-scheduler, stop them.

`up` records each process in `<dir>/cluster.json` the moment it is spawned, so whatever happens next
(a failed health check, Ctrl-C, a crash) `down` can still stop exactly what was started; a failing
`up` stops its own processes before raising.
"""

from __future__ import annotations

import datetime
import shutil
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

from kubeprops import PINNED_RELEASE

from . import processes
from .build import Log, build_control_plane
from .certs import generate_pki
from .commands import COMPONENTS, CONTEXT, Layout, Ports, command_lines, server_url, write_configs
from .errors import ControlPlaneError
from .state import ClusterState, Component, load, save

#: Seconds each component gets to become healthy; a warm start needs about 3 s for the apiserver.
READY_TIMEOUT = 90.0
#: Components the next ones depend on -> the timing recorded when they are healthy.
WAIT_BEFORE_NEXT = {"etcd": "etcd_ready", "kube-apiserver": "apiserver_ready"}


@attrs.frozen
class ClusterHandle:
    """A running control plane: where to reach it and how long it took to start."""

    state: ClusterState

    @property
    def dir(self) -> Path:
        return Path(self.state.dir)

    @property
    def kubeconfig(self) -> Path:
        return Path(self.state.kubeconfig)

    @property
    def context(self) -> str:
        return self.state.context

    @property
    def server(self) -> str:
        return self.state.server

    def stop(self) -> dict[str, str]:
        return stop_cluster(self.dir)


def start_cluster(
    dir: Path | str,
    release: str = PINNED_RELEASE,
    *,
    kubeconfig: Path | str | None = None,
    log: Log = print,
) -> ClusterHandle:
    """Build if needed, then start a fresh control plane whose files live under `dir`."""
    folder = Path(dir).resolve()
    layout = Layout(folder, Path(kubeconfig).resolve() if kubeconfig else folder / "admin.kubeconfig")
    _prepare(layout)
    bin_dir = build_control_plane(release, log=log)
    began = time.monotonic()
    generate_pki(layout.pki.folder)
    ports = Ports(*(processes.free_port() for _ in range(5)))
    write_configs(layout, ports)
    state = ClusterState(
        dir=str(folder),
        release=release,
        kubeconfig=str(layout.kubeconfig),
        context=CONTEXT,
        server=server_url(ports),
        ports=ports,
        started_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        components=(),
        timings={"certs": round(time.monotonic() - began, 2)},
    )
    try:
        state = _start_all(layout, state, command_lines(bin_dir, layout, ports), began)
    except BaseException:
        if layout.state_file.exists():  # written right after the first spawn
            stop_cluster(folder)
        raise
    return ClusterHandle(state)


def stop_cluster(dir: Path | str, *, timeout: float = 10.0) -> dict[str, str]:
    """Stop the processes `<dir>/cluster.json` names, newest first; component -> what happened."""
    path = Layout(Path(dir).resolve(), Path()).state_file
    state = load(path)
    outcomes = _stop_all(state, timeout=timeout)
    now = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    save(attrs.evolve(state, stopped_at=state.stopped_at or now), path)
    return outcomes


@contextmanager
def running_cluster(
    dir: Path | str, release: str = PINNED_RELEASE, *, log: Log = print
) -> Iterator[ClusterHandle]:
    handle = start_cluster(dir, release, log=log)
    try:
        yield handle
    finally:
        handle.stop()


def cluster_status(dir: Path | str) -> tuple[ClusterState, dict[str, int | None]]:
    """The recorded state and, per component, its RSS in bytes while running as started (else None)."""
    state = load(Layout(Path(dir).resolve(), Path()).state_file)
    return state, {
        c.name: processes.rss_bytes(c.pid) if processes.is_running(c) else None for c in state.components
    }


def _prepare(layout: Layout) -> None:
    """Refuse a folder that runs a control plane or holds someone else's files; clear our old run."""
    if layout.state_file.exists():
        old = load(layout.state_file)
        running = [f"{c.name} (PID {c.pid})" for c in old.components if processes.is_running(c)]
        if running:
            raise ControlPlaneError(
                f"--dir {layout.dir}: a control plane started there is still running ({', '.join(running)}); "
                f"stop it with `kubeprops cluster down --dir {layout.dir}` or choose another directory"
            )
    elif layout.dir.exists() and any(layout.dir.iterdir()):
        raise ControlPlaneError(
            f"--dir {layout.dir}: not empty and not a kubeprops cluster directory (no cluster.json); "
            "choose a new or empty directory"
        )
    # A fresh cluster each time: only the folders this module writes are removed.
    for stale in (layout.pki.folder, layout.etcd_data, layout.config, layout.logs, layout.scratch):
        shutil.rmtree(stale, ignore_errors=True)
    layout.state_file.unlink(missing_ok=True)
    layout.dir.mkdir(parents=True, exist_ok=True)


def _start_all(layout: Layout, state: ClusterState, argv: dict[str, list[str]], began: float) -> ClusterState:
    tls = _client_tls(layout)
    urls = health_urls(state.server, state.ports)
    started: dict[str, Component] = {}
    for name in COMPONENTS:
        started[name] = processes.spawn(name, argv[name], layout.log(name))
        state = attrs.evolve(state, components=tuple(started.values()))
        save(state, layout.state_file)
        if name in WAIT_BEFORE_NEXT:  # the controllers need both; those two start side by side
            _wait_healthy(started[name], urls[name], tls)
            state = _timed(state, WAIT_BEFORE_NEXT[name], began)
    for name in ("kube-controller-manager", "kube-scheduler"):
        _wait_healthy(started[name], urls[name], tls)
    # Controllers are working once the serviceaccount controller made `default` in `default`:
    # until then every Pod create there is rejected by the ServiceAccount admission plugin.
    default_sa = f"{state.server}/api/v1/namespaces/default/serviceaccounts/default"
    processes.wait_until(
        lambda: processes.http_ok(default_sa, tls),
        started["kube-controller-manager"],
        "creating the default ServiceAccount",
        READY_TIMEOUT,
    )
    state = _timed(state, "controllers_ready", began)
    save(state, layout.state_file)
    return state


def health_urls(server: str, ports: Ports) -> dict[str, str]:
    return {
        "etcd": f"http://127.0.0.1:{ports.etcd_client}/health",
        "kube-apiserver": f"{server}/readyz",
        "kube-controller-manager": f"https://127.0.0.1:{ports.controller_manager}/healthz",
        "kube-scheduler": f"https://127.0.0.1:{ports.scheduler}/healthz",
    }


def _wait_healthy(component: Component, url: str, tls: ssl.SSLContext) -> None:
    # etcd's /health states its verdict in the body ({"health": "true"}); read it, not just the status.
    json_key = "health" if component.name == "etcd" else None
    processes.wait_until(
        lambda: processes.http_ok(url, tls, json_key=json_key), component, "healthy", READY_TIMEOUT
    )


def _timed(state: ClusterState, key: str, began: float) -> ClusterState:
    return attrs.evolve(state, timings={**state.timings, key: round(time.monotonic() - began, 2)})


def _client_tls(layout: Layout) -> ssl.SSLContext:
    pki = layout.pki
    context = ssl.create_default_context(cafile=pki.cert("ca"))
    context.load_cert_chain(pki.cert("admin"), pki.key("admin"))
    return context


def _stop_all(state: ClusterState, *, timeout: float = 10.0) -> dict[str, str]:
    return {c.name: processes.stop(c, timeout=timeout) for c in reversed(state.components)}

"""`<dir>/cluster.json`: what `up` started, so `down` and `status` (any later process) can find it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import attrs

from .commands import Ports
from .errors import ControlPlaneError


@attrs.frozen
class Component:
    name: str
    pid: int
    #: The exact argv we started; `down` signals the PID only while /proc/PID/cmdline still equals it.
    argv: tuple[str, ...] = attrs.field(converter=tuple)
    log: str


@attrs.frozen
class ClusterState:
    dir: str
    release: str
    kubeconfig: str
    context: str
    server: str
    ports: Ports
    started_at: str
    components: tuple[Component, ...] = attrs.field(converter=tuple)
    #: seconds since `up` began (after any build): certs, etcd_ready, apiserver_ready, controllers_ready
    timings: dict[str, float] = attrs.field(factory=dict)
    stopped_at: str | None = None


def to_json(state: ClusterState) -> str:
    return json.dumps(attrs.asdict(state), indent=2) + "\n"


def from_json(text: str) -> ClusterState:
    data: dict[str, Any] = json.loads(text)
    data["ports"] = Ports(**data["ports"])
    data["components"] = [Component(**c) for c in data["components"]]
    return ClusterState(**data)


def save(state: ClusterState, path: Path) -> None:
    # Written whole to a temporary name, then renamed: a reader never sees half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_text(to_json(state))
    os.replace(tmp, path)


def load(path: Path) -> ClusterState:
    try:
        return from_json(path.read_text())
    except FileNotFoundError:
        raise ControlPlaneError(
            f"{path} does not exist: no control plane was started from {path.parent} "
            f"(start one with `kubeprops cluster up --dir {path.parent}`)"
        ) from None
    except (ValueError, TypeError, KeyError) as err:
        raise ControlPlaneError(f"{path} is not a kubeprops cluster state file ({err})") from None

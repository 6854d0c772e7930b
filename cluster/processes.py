"""Start, watch and stop component processes by PID, never by name (Linux: reads /proc).

A PID recorded in a state file may outlive our process and be reused by an unrelated one, so every
signal is preceded by a check that /proc/PID/cmdline is still exactly the argv we started.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

from .errors import ControlPlaneError
from .state import Component

#: Popen objects of components this Python process started, so stopping them also reaps them.
_children: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    # Chosen just before start; the tiny window until the component binds is an accepted race.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def spawn(name: str, argv: list[str], log: Path) -> Component:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as sink:
        # A session of its own: Ctrl-C in the caller's terminal does not reach the control plane;
        # only `down` (or the API's stop) ends it.
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    _children[process.pid] = process
    # Popen returns once exec has begun, but the kernel sets up /proc/PID/cmdline a moment later;
    # until then the new process would not look like ours to is_running().
    deadline = time.monotonic() + 2.0
    while cmdline(process.pid) is None and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.001)
    return Component(name=name, pid=process.pid, argv=tuple(argv), log=str(log))


def cmdline(pid: int) -> tuple[str, ...] | None:
    """The argv of a live process, or None when it is gone (a zombie's cmdline is empty)."""
    _reap(pid)
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return tuple(raw.decode(errors="replace").split("\0")[:-1]) or None


def is_running(component: Component) -> bool:
    """True while the PID is alive and still runs exactly the command we started."""
    return same_command(cmdline(component.pid), component.argv)


def same_command(current: tuple[str, ...] | None, argv: tuple[str, ...]) -> bool:
    # A script started as argv shows up as `interpreter [one shebang arg] argv...`: still ours.
    if current is None:
        return False
    return current[len(current) - len(argv) :] == argv and len(current) - len(argv) in (0, 1, 2)


def stop(component: Component, *, timeout: float = 10.0) -> str:
    """SIGTERM, wait, SIGKILL after `timeout`; returns what happened, in words."""
    current = cmdline(component.pid)
    if current is None:
        return "had already exited"
    if not same_command(current, component.argv):
        return f"left alone: PID {component.pid} now runs another command ({' '.join(current)[:80]})"
    os.kill(component.pid, signal.SIGTERM)
    if _wait_gone(component.pid, timeout):
        return "stopped"
    if is_running(component):
        os.kill(component.pid, signal.SIGKILL)
    if _wait_gone(component.pid, 5.0):
        return f"killed (no exit {timeout:.0f} s after SIGTERM)"
    raise ControlPlaneError(f"{component.name} (PID {component.pid}) survived SIGKILL")


def rss_bytes(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def wait_until(check: Callable[[], bool], component: Component, what: str, timeout: float) -> None:
    """Poll `check` until true; fail fast, with the log's tail, if the component exits meanwhile."""
    deadline = time.monotonic() + timeout
    while not check():
        if not is_running(component):
            raise ControlPlaneError(f"{component.name} exited before {what}:\n{log_tail(component)}")
        if time.monotonic() > deadline:
            raise ControlPlaneError(
                f"{component.name}: not {what} after {timeout:.0f} s:\n{log_tail(component)}"
            )
        time.sleep(0.1)


def http_ok(url: str, context: ssl.SSLContext | None = None, *, json_key: str | None = None) -> bool:
    try:
        with urllib.request.urlopen(url, context=context, timeout=2) as response:
            body = response.read()
    except (OSError, urllib.error.URLError):
        return False
    return json_key is None or json.loads(body).get(json_key) in (True, "true")


def log_tail(component: Component, lines: int = 20) -> str:
    try:
        text = Path(component.log).read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        text = ["(no log)"]
    return "\n".join(["  " + line for line in text] + [f"  (full log: {component.log})"])


def _wait_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while cmdline(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    # Our own children stay zombies (with an empty cmdline) until waited for; others are init's job.
    process = _children.get(pid)
    if process is not None and process.poll() is not None:
        del _children[pid]

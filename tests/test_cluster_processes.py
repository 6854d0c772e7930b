"""Stopping by PID: only the process we started, SIGTERM first, SIGKILL when it will not go."""

import sys
import time

import pytest

from kubeprops.cluster import ControlPlaneError
from kubeprops.cluster.processes import cmdline, free_port, is_running, same_command, spawn, stop, wait_until

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

SLEEP = [sys.executable, "-c", "import time; time.sleep(60)"]
IGNORES_TERM = [
    sys.executable,
    "-c",
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)",
]


def test_down_refuses_a_pid_whose_cmdline_differs(tmp_path):
    ours = spawn("sleeper", SLEEP, tmp_path / "sleeper.log")
    try:
        impostor = ours.__class__(
            name="etcd", pid=ours.pid, argv=("/somewhere/etcd", "--name=x"), log=ours.log
        )
        assert not is_running(impostor)
        assert stop(impostor).startswith(f"left alone: PID {ours.pid} now runs another command")
        assert cmdline(ours.pid) == tuple(SLEEP)  # untouched
    finally:
        assert stop(ours) == "stopped"
    assert cmdline(ours.pid) is None
    assert stop(ours) == "had already exited"


def test_a_spawned_process_is_ours_at_once(tmp_path):
    # Right after exec the kernel shows an empty cmdline for a moment; spawn waits that out.
    for attempt in range(20):
        component = spawn("sleeper", SLEEP, tmp_path / f"{attempt}.log")
        try:
            assert is_running(component)
        finally:
            stop(component)


def test_sigkill_after_the_timeout(tmp_path):
    stubborn = spawn("stubborn", IGNORES_TERM, tmp_path / "stubborn.log")
    wait_until(lambda: "up" in (tmp_path / "stubborn.log").read_text(), stubborn, "up", 10)
    started = time.monotonic()
    assert stop(stubborn, timeout=0.5).startswith("killed")
    assert time.monotonic() - started < 5
    assert cmdline(stubborn.pid) is None


def test_wait_fails_fast_with_the_log_when_the_process_exits(tmp_path):
    dying = spawn(
        "dying", [sys.executable, "-c", "print('bad flag --x'); raise SystemExit(1)"], tmp_path / "d.log"
    )
    started = time.monotonic()
    with pytest.raises(ControlPlaneError, match=r"(?s)dying exited before healthy.*bad flag --x.*full log"):
        wait_until(lambda: False, dying, "healthy", 30)
    assert time.monotonic() - started < 10


def test_a_script_counts_as_the_command_it_was_started_as():
    argv = ("/c/bin/etcd", "--name=kubeprops")
    assert same_command(argv, argv)
    assert same_command(("/usr/bin/python3", *argv), argv)
    assert same_command(("/bin/sh", "-e", *argv), argv)
    assert not same_command(("/bin/sh", "-e", "-x", *argv), argv)
    assert not same_command(("/c/bin/etcd", "--name=other"), argv)
    assert not same_command(None, argv)


def test_free_port_is_bindable():
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))

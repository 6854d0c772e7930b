"""up/down without the real binaries: folder checks, and a failing start stops what it started."""

import stat
import sys

import attrs
import pytest

from kubeprops.cluster import ControlPlaneError, lifecycle, start_cluster, stop_cluster
from kubeprops.cluster.processes import cmdline, spawn
from kubeprops.cluster.state import load, save

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture
def fake_bin(tmp_path, monkeypatch):
    """etcd that runs but never becomes healthy, and an apiserver that fails at once."""
    folder = tmp_path / "bin"
    folder.mkdir()
    scripts = {
        "etcd": f"#!{sys.executable}\nimport time\nprint('etcd starting', flush=True)\ntime.sleep(60)\n",
        "kube-apiserver": "#!/bin/sh\necho 'Error: unknown flag: --bogus'\nexit 1\n",
    }
    for name, text in scripts.items():
        (folder / name).write_text(text)
        (folder / name).chmod(stat.S_IRWXU)
    monkeypatch.setattr(lifecycle, "build_control_plane", lambda release, log: folder)
    return folder


def test_failing_start_stops_what_it_started(fake_bin, tmp_path, monkeypatch):
    monkeypatch.setattr(lifecycle, "READY_TIMEOUT", 1.0)
    with pytest.raises(ControlPlaneError, match=r"(?s)etcd: not healthy after 1 s.*etcd starting"):
        start_cluster(tmp_path / "c", log=lambda line: None)
    state = load(tmp_path / "c" / "cluster.json")
    assert [c.name for c in state.components] == ["etcd"]
    assert cmdline(state.components[0].pid) is None
    assert stop_cluster(tmp_path / "c") == {"etcd": "had already exited"}


def test_refuses_a_folder_with_foreign_files(tmp_path, fake_bin):
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "notes.txt").write_text("mine")
    with pytest.raises(ControlPlaneError, match=r"--dir .*not empty and not a kubeprops cluster directory"):
        start_cluster(tmp_path / "c", log=lambda line: None)
    assert (tmp_path / "c" / "notes.txt").read_text() == "mine"


def test_refuses_a_folder_whose_cluster_still_runs(tmp_path, fake_bin, monkeypatch):
    monkeypatch.setattr(lifecycle, "READY_TIMEOUT", 0.5)
    with pytest.raises(ControlPlaneError):
        start_cluster(tmp_path / "c", log=lambda line: None)
    # Pretend its etcd is still up: a live process recorded in cluster.json.
    sleeper = spawn("etcd", [sys.executable, "-c", "import time; time.sleep(60)"], tmp_path / "s.log")
    state_file = tmp_path / "c" / "cluster.json"
    save(attrs.evolve(load(state_file), components=(sleeper,)), state_file)
    try:
        with pytest.raises(
            ControlPlaneError, match=r"still running \(etcd \(PID \d+\)\).*cluster down --dir"
        ):
            start_cluster(tmp_path / "c", log=lambda line: None)
    finally:
        assert stop_cluster(tmp_path / "c") == {"etcd": "stopped"}

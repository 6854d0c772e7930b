"""cluster.json: what `up` writes is exactly what `down` and `status` read back."""

import pytest

from kubeprops.cluster import ControlPlaneError
from kubeprops.cluster.commands import Ports
from kubeprops.cluster.state import ClusterState, Component, from_json, load, save, to_json


def sample(tmp_path):
    return ClusterState(
        dir=str(tmp_path),
        release="v1.35.4",
        kubeconfig=str(tmp_path / "admin.kubeconfig"),
        context="kubeprops-local",
        server="https://127.0.0.1:6443",
        ports=Ports(2379, 2380, 6443, 10257, 10259),
        started_at="2026-01-01T00:00:00+00:00",
        components=[
            Component("etcd", 123, ["/bin/etcd", "--name=kubeprops"], str(tmp_path / "logs/etcd.log"))
        ],
        timings={"apiserver_ready": 3.1},
    )


def test_round_trip(tmp_path):
    state = sample(tmp_path)
    assert from_json(to_json(state)) == state
    save(state, tmp_path / "cluster.json")
    assert load(tmp_path / "cluster.json") == state
    assert [p.name for p in tmp_path.iterdir()] == ["cluster.json"]  # no temporary file left


def test_missing_file_says_how_to_start(tmp_path):
    with pytest.raises(ControlPlaneError, match="kubeprops cluster up --dir"):
        load(tmp_path / "cluster.json")


def test_foreign_file_is_named(tmp_path):
    (tmp_path / "cluster.json").write_text('{"name": "something else"}')
    with pytest.raises(ControlPlaneError, match="not a kubeprops cluster state file"):
        load(tmp_path / "cluster.json")

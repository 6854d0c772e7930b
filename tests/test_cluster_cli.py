"""`kubeprops cluster ...` as a user runs it: bad input is a one-line error naming the option, exit 2."""

import subprocess
import sys

import pytest


def kubeprops(*args):
    return subprocess.run(
        [sys.executable, "-m", "kubeprops.cli", "cluster", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_the_actions():
    result = kubeprops("--help")
    assert result.returncode == 0
    for action in ("build", "up", "down", "status"):
        assert action in result.stdout


@pytest.mark.parametrize("action", ["up", "down", "status"])
def test_dir_is_required(action):
    result = kubeprops(action)
    assert result.returncode == 2
    assert "--dir" in result.stderr


def test_up_dir_that_is_a_file(tmp_path):
    (tmp_path / "f").write_text("")
    result = kubeprops("up", "--dir", str(tmp_path / "f"))
    assert result.returncode == 2
    assert "--dir" in result.stderr and "is a file" in result.stderr
    assert "Traceback" not in result.stderr


def test_up_kubeconfig_that_is_a_directory(tmp_path):
    result = kubeprops("up", "--dir", str(tmp_path / "c"), "--kubeconfig", str(tmp_path))
    assert result.returncode == 2
    assert "--kubeconfig" in result.stderr and "is a directory" in result.stderr
    assert not (tmp_path / "c").exists()


def test_up_in_a_foreign_folder_touches_nothing(tmp_path):
    (tmp_path / "mine.txt").write_text("x")
    result = kubeprops("up", "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "not a kubeprops cluster directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["mine.txt"]


@pytest.mark.parametrize("action", ["down", "status"])
def test_down_and_status_of_a_folder_without_cluster(tmp_path, action):
    result = kubeprops(action, "--dir", str(tmp_path))
    assert result.returncode == 2
    assert "kubeprops cluster up --dir" in result.stderr
    assert "Traceback" not in result.stderr

"""The build cache: keyed by release, Go and platform; complete only once the stamp is written."""

import json

import pytest

from kubeprops import PINNED_RELEASE
from kubeprops.cluster import ControlPlaneError, build
from kubeprops.cluster.build import PACKAGES, bin_dir, build_control_plane, is_built

GO = {"GOVERSION": "go1.99.1", "GOOS": "linux", "GOARCH": "riscv64"}


@pytest.fixture
def fake_go(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBEPROPS_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(build, "go_env", lambda: GO)
    built = []

    def fake_build(package, output, release, log_file):
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(package)
        built.append(output.name)

    monkeypatch.setattr(build, "_go_build", fake_build)
    return built


def test_cache_folder_is_keyed_by_release_go_and_platform(fake_go, tmp_path):
    assert (
        bin_dir() == tmp_path / "cache" / "controlplane" / f"{PINNED_RELEASE}-go1.99.1-linux-riscv64" / "bin"
    )


def test_builds_all_four_then_stamps_then_skips(fake_go):
    assert not is_built()
    folder = build_control_plane(log=lambda line: None)
    assert (
        fake_go == list(PACKAGES) == ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"]
    )
    assert sorted(p.name for p in folder.iterdir()) == sorted(PACKAGES)
    assert json.loads((folder.parent / "stamp.json").read_text())["inputs"] == build.inputs_digest()
    assert is_built()
    build_control_plane(log=lambda line: None)
    assert len(fake_go) == 4  # cached: nothing rebuilt


def test_a_build_without_stamp_is_not_trusted(fake_go):
    folder = build_control_plane(log=lambda line: None)
    (folder.parent / "stamp.json").unlink()
    assert not is_built()
    stamp = {"inputs": "an older go.mod"}
    (folder.parent / "stamp.json").write_text(json.dumps(stamp))
    assert not is_built()


def test_failed_build_leaves_no_stamp(fake_go, monkeypatch):
    def broken(package, output, release, log_file):
        raise ControlPlaneError("`go build` failed")

    monkeypatch.setattr(build, "_go_build", broken)
    with pytest.raises(ControlPlaneError):
        build_control_plane(log=lambda line: None)
    assert not is_built()
    assert not (bin_dir().parent / "stamp.json").exists()


def test_missing_go_says_how_to_fix(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(ControlPlaneError, match=r"`go` is not on PATH.*install it from https://go.dev/dl/"):
        build.go_env()
    assert not is_built()


def test_other_release_is_refused_before_building(fake_go):
    with pytest.raises(ControlPlaneError, match=r"v1\.34\.0.*does not require k8s\.io/kubernetes v1\.34\.0"):
        build_control_plane("v1.34.0")
    assert fake_go == []


def test_go_module_pins_the_release_and_maps_staging_modules():
    text = (build.GO_MODULE / "go.mod").read_text()
    assert f"k8s.io/kubernetes {PINNED_RELEASE}" in text
    minor = PINNED_RELEASE.replace("v1.", "v0.")
    for staging in ("api", "apimachinery", "apiserver", "client-go", "component-base", "controller-manager"):
        assert f"k8s.io/{staging} => k8s.io/{staging} {minor}" in text
    assert (build.GO_MODULE / "go.sum").stat().st_size > 0


def test_version_is_stamped_like_upstream():
    flags = build.ldflags("v1.35.4")
    assert "-X k8s.io/component-base/version.gitVersion=v1.35.4" in flags
    assert "-X k8s.io/component-base/version.gitMinor=35" in flags
    assert flags.startswith("-s -w ")

"""Build etcd, kube-apiserver, kube-controller-manager and kube-scheduler from source, once per machine.

The Go module in `go/` pins the release; binaries land in a cache folder keyed by release, Go version
and platform, and a stamp file written last (atomically) marks a complete build, so an interrupted
build is simply redone. A file lock lets parallel callers (pytest-xdist workers) share one build.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from kubeprops import PINNED_RELEASE

from .errors import ControlPlaneError

GO_MODULE = Path(__file__).resolve().parent / "go"
CACHE_ENV = "KUBEPROPS_CACHE_DIR"

#: binary name -> Go package (the `tool` lines of go/go.mod).
PACKAGES = {
    "etcd": "go.etcd.io/etcd/server/v3",
    "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
    "kube-controller-manager": "k8s.io/kubernetes/cmd/kube-controller-manager",
    "kube-scheduler": "k8s.io/kubernetes/cmd/kube-scheduler",
}

Log = Callable[[str], None]


def cache_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "kubeprops"


def go_env() -> dict[str, str]:
    """GOVERSION, GOOS and GOARCH of the `go` on PATH, or an error that says how to get one."""
    go = shutil.which("go")
    if go is None:
        raise ControlPlaneError(
            "`go` is not on PATH: the local control plane is built from source with Go >= 1.25 "
            "(install it from https://go.dev/dl/ or your package manager, then retry)"
        )
    out = subprocess.run(
        [go, "env", "-json", "GOVERSION", "GOOS", "GOARCH"], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def build_key(release: str = PINNED_RELEASE) -> str:
    env = go_env()
    return f"{release}-{env['GOVERSION']}-{env['GOOS']}-{env['GOARCH']}"


def bin_dir(release: str = PINNED_RELEASE) -> Path:
    return cache_root() / "controlplane" / build_key(release) / "bin"


def inputs_digest() -> str:
    """go.mod and go.sum decide every byte of source; a changed file means a stale cache entry."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update((GO_MODULE / name).read_bytes())
    return digest.hexdigest()


def is_built(release: str = PINNED_RELEASE) -> bool:
    """True when a complete build for this release, Go and platform is cached (False without Go)."""
    try:
        folder = bin_dir(release)
    except ControlPlaneError:
        return False
    return _stamp_matches(folder.parent / "stamp.json") and all((folder / n).is_file() for n in PACKAGES)


def _stamp_matches(stamp: Path) -> bool:
    try:
        return json.loads(stamp.read_text()).get("inputs") == inputs_digest()
    except (OSError, ValueError):
        return False


def build_control_plane(release: str = PINNED_RELEASE, *, log: Log = print) -> Path:
    """The folder holding the four binaries, building them first unless already cached."""
    check_release(release)
    folder = bin_dir(release)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with _locked(folder.parent / ".lock"):
        if is_built(release):
            return folder
        partial = folder.parent / "bin.partial"
        shutil.rmtree(partial, ignore_errors=True)
        started = time.monotonic()
        for index, name in enumerate(PACKAGES, 1):
            log(f"kubeprops: building {name} {release} ({index}/{len(PACKAGES)}) into {folder}")
            _go_build(PACKAGES[name], partial / name, release, folder.parent / "build.log")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
        seconds = round(time.monotonic() - started, 1)
        stamp = {"release": release, "key": folder.parent.name, "inputs": inputs_digest(), "seconds": seconds}
        _write_atomically(folder.parent / "stamp.json", stamp)
        log(f"kubeprops: control plane {release} built in {seconds:.0f} s")
    return folder


def check_release(release: str) -> None:
    """The Go module pins one release; asking for another must fail, not silently build the pinned one."""
    required = f"k8s.io/kubernetes {release}"
    if required not in (GO_MODULE / "go.mod").read_text():
        raise ControlPlaneError(
            f"release {release}: {GO_MODULE / 'go.mod'} does not require {required}; "
            f"use {PINNED_RELEASE} or update go.mod (require and every staging replace line) first"
        )


def ldflags(release: str) -> str:
    """Strip symbols (smaller, faster link) and stamp the version `/version` reports, as upstream does."""
    major, minor = release.lstrip("v").split(".")[:2]
    pkg = "k8s.io/component-base/version"
    stamps = {"gitVersion": release, "gitMajor": major, "gitMinor": minor, "gitTreeState": "clean"}
    return " ".join(["-s", "-w", *(f"-X {pkg}.{k}={v}" for k, v in stamps.items())])


def _go_build(package: str, output: Path, release: str, log_file: Path) -> None:
    # CGO off: static binaries like upstream's release builds, and no C toolchain needed.
    # GOTOOLCHAIN=local: never fetch another Go, so the cache key names the Go that built it.
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local"}
    command = ["go", "build", "-trimpath", f"-ldflags={ldflags(release)}", "-o", str(output), package]
    with log_file.open("a") as sink:
        sink.write(f"$ {' '.join(command)}\n")
        sink.flush()
        done = subprocess.run(command, cwd=GO_MODULE, env=env, stdout=sink, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        tail = "".join(log_file.read_text().splitlines(keepends=True)[-15:])
        raise ControlPlaneError(f"`go build {package}` failed (full log: {log_file}):\n{tail}")


def _write_atomically(path: Path, data: dict[str, object]) -> None:
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)

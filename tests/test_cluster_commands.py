"""Component command lines and config files: the flags the control plane depends on are there."""

import base64
from pathlib import Path

import pytest
import yaml

from kubeprops.cluster.certs import generate_pki
from kubeprops.cluster.commands import Layout, Ports, command_lines, write_configs

PORTS = Ports(etcd_client=41001, etcd_peer=41002, apiserver=41003, controller_manager=41004, scheduler=41005)


@pytest.fixture
def layout(tmp_path):
    return Layout(tmp_path / "cluster", tmp_path / "elsewhere" / "admin.kubeconfig")


@pytest.fixture
def argv(layout):
    return command_lines(Path("/opt/bin"), layout, PORTS)


def flags(argv, component):
    return set(argv[component][1:])


def test_binaries_come_from_the_build_folder(argv):
    assert [a[0] for a in argv.values()] == [
        "/opt/bin/etcd",
        "/opt/bin/kube-apiserver",
        "/opt/bin/kube-controller-manager",
        "/opt/bin/kube-scheduler",
    ]


def test_apiserver_flags(argv, layout):
    got = flags(argv, "kube-apiserver")
    assert {
        "--endpoint-reconciler-type=none",
        "--advertise-address=127.0.0.1",
        "--bind-address=127.0.0.1",
        "--secure-port=41003",
        "--authorization-mode=Node,RBAC",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--etcd-servers=http://127.0.0.1:41001",
        "--service-account-issuer=https://kubernetes.default.svc",
        f"--requestheader-client-ca-file={layout.pki.cert('front-proxy-ca')}",
        "--requestheader-allowed-names=front-proxy-client",
        f"--proxy-client-cert-file={layout.pki.cert('front-proxy-client')}",
        f"--service-account-signing-key-file={layout.pki.key('service-account')}",
        f"--service-account-key-file={layout.pki.service_account_public}",
    } <= got


def test_controller_manager_flags(argv):
    got = flags(argv, "kube-controller-manager")
    assert {
        "--kube-api-qps=200",
        "--kube-api-burst=400",
        "--use-service-account-credentials",
        "--controllers=*",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        "--secure-port=41004",
    } <= got
    assert any(f.startswith("--service-account-private-key-file=") for f in got)
    assert any(f.startswith("--root-ca-file=") for f in got)
    assert any(f.startswith("--flex-volume-plugin-dir=") for f in got)  # else it mkdirs under /usr/libexec


def test_scheduler_flags_and_config(argv, layout):
    assert {"--bind-address=127.0.0.1", "--secure-port=41005"} <= flags(argv, "kube-scheduler")
    generate_pki(layout.pki.folder)
    write_configs(layout, PORTS)
    config = yaml.safe_load((layout.config / "scheduler.yaml").read_text())
    assert config["leaderElection"] == {"leaderElect": False}
    assert config["clientConnection"]["qps"] == 200


def test_etcd_listens_on_loopback_only(argv, layout):
    got = flags(argv, "etcd")
    assert {
        "--listen-client-urls=http://127.0.0.1:41001",
        "--listen-peer-urls=http://127.0.0.1:41002",
        f"--data-dir={layout.etcd_data}",
    } <= got


def test_every_file_a_component_uses_is_inside_the_cluster_folder(argv, layout):
    for command in argv.values():
        for flag in command[1:]:
            value = flag.partition("=")[2]
            if value.startswith("/"):
                assert Path(value).is_relative_to(layout.dir), flag


def test_admin_kubeconfig_is_self_contained(layout):
    generate_pki(layout.pki.folder)
    write_configs(layout, PORTS)
    config = yaml.safe_load(layout.kubeconfig.read_text())
    assert config["current-context"] == "kubeprops-local"
    cluster = config["clusters"][0]["cluster"]
    assert cluster["server"] == "https://127.0.0.1:41003"
    assert base64.b64decode(cluster["certificate-authority-data"]) == layout.pki.cert("ca").read_bytes()
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-certificate-data"]) == layout.pki.cert("admin").read_bytes()
    assert layout.kubeconfig.stat().st_mode & 0o077 == 0
    component = yaml.safe_load(layout.component_kubeconfig("controller-manager").read_text())
    assert component["users"][0]["user"]["client-certificate"] == str(layout.pki.cert("controller-manager"))

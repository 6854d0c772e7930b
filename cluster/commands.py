"""Where a cluster's files live, its config files, and the command line of each component.

Pure functions of the layout and the ports, so tests check the flags without starting anything.
The flags follow upstream's hack/local-up-cluster.sh (v1.35) minus what needs a kubelet or a cloud,
plus what this machine needs: everything on 127.0.0.1 and a faster controller-manager client.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import attrs
import yaml

from .certs import FRONT_PROXY_CLIENT, LOOPBACK, Pki

SERVICE_CLUSTER_IP_RANGE = "10.0.0.0/24"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc"
CONTEXT = "kubeprops-local"
#: Client rate of controller-manager and scheduler. The default 20 qps makes a 200-replica scale-up
#: take ~10 s of client-side throttling, which would time real clusters, not controllers.
KUBE_API_QPS = 200
KUBE_API_BURST = 400
#: Start order; `down` stops in reverse.
COMPONENTS = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler")


@attrs.frozen
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int
    controller_manager: int
    scheduler: int


@attrs.frozen
class Layout:
    """Every path under the cluster folder; only `kubeconfig` (the admin one) may live elsewhere."""

    dir: Path
    kubeconfig: Path

    @property
    def state_file(self) -> Path:
        return self.dir / "cluster.json"

    @property
    def pki(self) -> Pki:
        return Pki(self.dir / "certs")

    @property
    def etcd_data(self) -> Path:
        return self.dir / "etcd"

    @property
    def config(self) -> Path:
        return self.dir / "config"

    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    @property
    def scratch(self) -> Path:
        """Where components put files they would otherwise write under /var/run or /usr/libexec."""
        return self.dir / "scratch"

    def log(self, component: str) -> Path:
        return self.logs / f"{component}.log"

    def component_kubeconfig(self, user: str) -> Path:
        return self.config / f"{user}.kubeconfig"


def server_url(ports: Ports) -> str:
    return f"https://{LOOPBACK}:{ports.apiserver}"


def kubeconfig(pki: Pki, server: str, user: str, *, embed: bool) -> dict[str, object]:
    """A kubeconfig for one of the client certificates; `embed` makes it self-contained (portable)."""
    if embed:
        cluster = {"server": server, "certificate-authority-data": _b64(pki.cert("ca"))}
        creds = {"client-certificate-data": _b64(pki.cert(user)), "client-key-data": _b64(pki.key(user))}
    else:
        cluster = {"server": server, "certificate-authority": str(pki.cert("ca"))}
        creds = {"client-certificate": str(pki.cert(user)), "client-key": str(pki.key(user))}
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": cluster}],
        "users": [{"name": f"{CONTEXT}-{user}", "user": creds}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": f"{CONTEXT}-{user}"}}],
        "current-context": CONTEXT,
    }


def scheduler_config(layout: Layout) -> dict[str, object]:
    # The config file rather than the deprecated --kubeconfig/--leader-elect flags, as upstream does.
    return {
        "apiVersion": "kubescheduler.config.k8s.io/v1",
        "kind": "KubeSchedulerConfiguration",
        "clientConnection": {
            "kubeconfig": str(layout.component_kubeconfig("scheduler")),
            "qps": KUBE_API_QPS,
            "burst": KUBE_API_BURST,
        },
        "leaderElection": {"leaderElect": False},
    }


def write_configs(layout: Layout, ports: Ports) -> None:
    layout.config.mkdir(parents=True, exist_ok=True)
    server = server_url(ports)
    for user in ("controller-manager", "scheduler"):
        _dump(layout.component_kubeconfig(user), kubeconfig(layout.pki, server, user, embed=False))
    _dump(layout.config / "scheduler.yaml", scheduler_config(layout))
    layout.kubeconfig.parent.mkdir(parents=True, exist_ok=True)
    _dump(layout.kubeconfig, kubeconfig(layout.pki, server, "admin", embed=True))


def command_lines(bin_dir: Path, layout: Layout, ports: Ports) -> dict[str, list[str]]:
    return {
        "etcd": [str(bin_dir / "etcd"), *etcd_flags(layout, ports)],
        "kube-apiserver": [str(bin_dir / "kube-apiserver"), *apiserver_flags(layout, ports)],
        "kube-controller-manager": [
            str(bin_dir / "kube-controller-manager"),
            *controller_manager_flags(layout, ports),
        ],
        "kube-scheduler": [str(bin_dir / "kube-scheduler"), *scheduler_flags(layout, ports)],
    }


def etcd_flags(layout: Layout, ports: Ports) -> list[str]:
    client = f"http://{LOOPBACK}:{ports.etcd_client}"
    peer = f"http://{LOOPBACK}:{ports.etcd_peer}"
    return [
        "--name=kubeprops",
        f"--data-dir={layout.etcd_data}",
        f"--listen-client-urls={client}",
        f"--advertise-client-urls={client}",
        # Peer URLs too: etcd's default peer listener is :2380 on every interface.
        f"--listen-peer-urls={peer}",
        f"--initial-advertise-peer-urls={peer}",
        f"--initial-cluster=kubeprops={peer}",
        "--log-level=warn",
        # A throwaway test store: durability across power loss buys nothing, fsync latency costs.
        "--unsafe-no-fsync",
    ]


def apiserver_flags(layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    return [
        f"--etcd-servers=http://{LOOPBACK}:{ports.etcd_client}",
        f"--bind-address={LOOPBACK}",
        f"--advertise-address={LOOPBACK}",
        f"--secure-port={ports.apiserver}",
        # With a loopback advertise address the default lease reconciler fails to write the
        # `kubernetes` Endpoints; nothing in-cluster needs them here.
        "--endpoint-reconciler-type=none",
        "--authorization-mode=Node,RBAC",
        f"--client-ca-file={pki.cert('ca')}",
        f"--tls-cert-file={pki.cert('apiserver')}",
        f"--tls-private-key-file={pki.key('apiserver')}",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
        f"--service-account-key-file={pki.service_account_public}",
        f"--service-account-signing-key-file={pki.key('service-account')}",
        # The requestheader (front-proxy) set: it lands in kube-system/extension-apiserver-authentication,
        # which the controller-manager and scheduler read; without it they log CA-bundle errors.
        f"--requestheader-client-ca-file={pki.cert('front-proxy-ca')}",
        f"--requestheader-allowed-names={FRONT_PROXY_CLIENT}",
        "--requestheader-username-headers=X-Remote-User",
        "--requestheader-group-headers=X-Remote-Group",
        "--requestheader-extra-headers-prefix=X-Remote-Extra-",
        f"--proxy-client-cert-file={pki.cert(FRONT_PROXY_CLIENT)}",
        f"--proxy-client-key-file={pki.key(FRONT_PROXY_CLIENT)}",
        f"--cert-dir={layout.scratch / 'kube-apiserver'}",  # unused while --tls-* are given
    ]


def controller_manager_flags(layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    config = layout.component_kubeconfig("controller-manager")
    return [
        f"--kubeconfig={config}",
        f"--authentication-kubeconfig={config}",
        f"--authorization-kubeconfig={config}",
        # Each controller acts as its own service account, so RBAC denials show up as they would upstream.
        "--use-service-account-credentials",
        "--controllers=*",
        "--leader-elect=false",
        f"--kube-api-qps={KUBE_API_QPS}",
        f"--kube-api-burst={KUBE_API_BURST}",
        f"--service-account-private-key-file={pki.key('service-account')}",
        f"--root-ca-file={pki.cert('ca')}",
        f"--cluster-signing-cert-file={pki.cert('ca')}",
        f"--cluster-signing-key-file={pki.key('ca')}",
        f"--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={ports.controller_manager}",
        f"--tls-cert-file={pki.cert('controller-manager-serving')}",
        f"--tls-private-key-file={pki.key('controller-manager-serving')}",
        f"--cert-dir={layout.scratch / 'kube-controller-manager'}",
        # Default /usr/libexec/kubernetes/kubelet-plugins/volume/exec/, which it creates if missing.
        f"--flex-volume-plugin-dir={layout.scratch / 'flexvolume'}",
    ]


def scheduler_flags(layout: Layout, ports: Ports) -> list[str]:
    pki = layout.pki
    config = layout.component_kubeconfig("scheduler")
    return [
        f"--config={layout.config / 'scheduler.yaml'}",
        f"--authentication-kubeconfig={config}",
        f"--authorization-kubeconfig={config}",
        f"--bind-address={LOOPBACK}",
        f"--secure-port={ports.scheduler}",
        f"--tls-cert-file={pki.cert('scheduler-serving')}",
        f"--tls-private-key-file={pki.key('scheduler-serving')}",
        f"--cert-dir={layout.scratch / 'kube-scheduler'}",
    ]


def _b64(path: Path) -> str:
    return base64.b64encode(path.read_bytes()).decode()


def _dump(path: Path, data: dict[str, object]) -> None:
    # Kubeconfigs carry private keys: owner-only from creation.
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
        yaml.safe_dump(data, handle, sort_keys=False)

"""The certificates and keys of a throwaway control plane, made with `cryptography` in a few milliseconds.

Two CAs as in kubeadm: the cluster CA signs every serving and client certificate; the front-proxy CA
signs only the apiserver's aggregation client, because the apiserver trusts requestheader identities
from any certificate that CA signs. ECDSA P-256 everywhere: generation is instant and every component
(TLS and service-account tokens, ES256) accepts it.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
from pathlib import Path

import attrs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

#: The first address of --service-cluster-ip-range (10.0.0.0/24): the `kubernetes` Service's ClusterIP.
SERVICE_IP = "10.0.0.1"
APISERVER_DNS = (
    "localhost",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
)
LOOPBACK = "127.0.0.1"
FRONT_PROXY_CLIENT = "front-proxy-client"
VALIDITY = datetime.timedelta(days=365)

#: client certificate name -> (CN, organisations): the identities RBAC's bootstrap policy knows.
CLIENTS = {
    "admin": ("kubeprops-admin", ("system:masters",)),
    "controller-manager": ("system:kube-controller-manager", ()),
    "scheduler": ("system:kube-scheduler", ()),
}

Key = ec.EllipticCurvePrivateKey


@attrs.frozen
class Pki:
    """Where the files are: `<folder>/<name>.crt` and `<folder>/<name>.key`."""

    folder: Path

    def cert(self, name: str) -> Path:
        return self.folder / f"{name}.crt"

    def key(self, name: str) -> Path:
        return self.folder / f"{name}.key"

    @property
    def service_account_public(self) -> Path:
        return self.folder / "service-account.pub"


def generate_pki(folder: Path) -> Pki:
    pki = Pki(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ca = _write(pki, "ca", *_self_signed("kubeprops-ca"))
    proxy_ca = _write(pki, "front-proxy-ca", *_self_signed("kubeprops-front-proxy-ca"))
    apiserver = _issue(ca, "kube-apiserver", server=True, dns=APISERVER_DNS, ips=(LOOPBACK, SERVICE_IP))
    _write(pki, "apiserver", *apiserver)
    _write(pki, FRONT_PROXY_CLIENT, *_issue(proxy_ca, FRONT_PROXY_CLIENT, client=True))
    for name, (cn, orgs) in CLIENTS.items():
        _write(pki, name, *_issue(ca, cn, orgs=orgs, client=True))
    # Serving certificates of our CA for the controller-manager and scheduler, so health checks
    # verify TLS and the components never write self-signed ones into their working directory.
    for name in ("controller-manager", "scheduler"):
        _write(pki, f"{name}-serving", *_issue(ca, name, server=True, dns=("localhost",), ips=(LOOPBACK,)))
    sa_key = ec.generate_private_key(ec.SECP256R1())
    _private(pki.key("service-account"), sa_key)
    pki.service_account_public.write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return pki


def load_cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _self_signed(cn: str) -> tuple[x509.Certificate, Key]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = _name(cn)
    builder = _base(name, name, key.public_key()).add_extension(
        x509.BasicConstraints(ca=True, path_length=None), critical=True
    )
    builder = builder.add_extension(_usage(cert_sign=True), critical=True)
    return builder.sign(key, hashes.SHA256()), key


def _issue(
    issuer: tuple[x509.Certificate, Key],
    cn: str,
    *,
    orgs: tuple[str, ...] = (),
    server: bool = False,
    client: bool = False,
    dns: tuple[str, ...] = (),
    ips: tuple[str, ...] = (),
) -> tuple[x509.Certificate, Key]:
    ca_cert, ca_key = issuer
    key = ec.generate_private_key(ec.SECP256R1())
    builder = _base(_name(cn, orgs), ca_cert.subject, key.public_key())
    builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
    builder = builder.add_extension(_usage(cert_sign=False), critical=True)
    purposes = [ExtendedKeyUsageOID.SERVER_AUTH] * server + [ExtendedKeyUsageOID.CLIENT_AUTH] * client
    builder = builder.add_extension(x509.ExtendedKeyUsage(purposes), critical=False)
    builder = builder.add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
    )
    if dns or ips:
        names = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def _base(
    subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    # Backdated an hour so a skewed clock in a component does not reject a certificate made just now.
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def _name(cn: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in orgs]
    return x509.Name([*attributes, x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=cert_sign,
        crl_sign=cert_sign,
        encipher_only=False,
        decipher_only=False,
    )


def _write(pki: Pki, name: str, cert: x509.Certificate, key: Key) -> tuple[x509.Certificate, Key]:
    pki.cert(name).write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    _private(pki.key(name), key)
    return cert, key


def _private(path: Path, key: Key) -> None:
    # Private keys are readable by the owner only, created so rather than chmod-ed afterwards.
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(pem)

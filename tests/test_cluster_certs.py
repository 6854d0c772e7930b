"""The generated PKI: who signs what, which names the serving certificate covers, who the clients are."""

import ipaddress
import stat

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from kubeprops.cluster.certs import generate_pki, load_cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return generate_pki(tmp_path_factory.mktemp("pki"))


def names(cert, oid):
    return [a.value for a in cert.subject.get_attributes_for_oid(oid)]


def usages(cert):
    return set(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)


def test_apiserver_serving_cert_covers_loopback_service_ip_and_in_cluster_names(pki):
    cert = load_cert(pki.cert("apiserver"))
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert set(san.get_values_for_type(x509.IPAddress)) >= {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("10.0.0.1"),
    }
    assert set(san.get_values_for_type(x509.DNSName)) >= {
        "localhost",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
    }
    assert usages(cert) == {ExtendedKeyUsageOID.SERVER_AUTH}


@pytest.mark.parametrize(
    ("name", "cn", "orgs"),
    [
        ("admin", "kubeprops-admin", ["system:masters"]),
        ("controller-manager", "system:kube-controller-manager", []),
        ("scheduler", "system:kube-scheduler", []),
        ("front-proxy-client", "front-proxy-client", []),
    ],
)
def test_client_identities(pki, name, cn, orgs):
    cert = load_cert(pki.cert(name))
    assert names(cert, NameOID.COMMON_NAME) == [cn]
    assert names(cert, NameOID.ORGANIZATION_NAME) == orgs
    assert usages(cert) == {ExtendedKeyUsageOID.CLIENT_AUTH}


@pytest.mark.parametrize(
    "name",
    [
        "apiserver",
        "admin",
        "controller-manager",
        "scheduler",
        "controller-manager-serving",
        "scheduler-serving",
    ],
)
def test_cluster_ca_signs_serving_and_client_certs(pki, name):
    load_cert(pki.cert(name)).verify_directly_issued_by(load_cert(pki.cert("ca")))


def test_only_the_front_proxy_ca_signs_the_front_proxy_client(pki):
    # The apiserver trusts X-Remote-User from any cert of the requestheader CA: it must sign nothing else.
    proxy_ca = load_cert(pki.cert("front-proxy-ca"))
    load_cert(pki.cert("front-proxy-client")).verify_directly_issued_by(proxy_ca)
    with pytest.raises(ValueError):
        load_cert(pki.cert("admin")).verify_directly_issued_by(proxy_ca)
    assert load_cert(pki.cert("front-proxy-ca")).subject != load_cert(pki.cert("ca")).subject


def test_cas_are_cas_and_leaves_are_not(pki):
    for name, is_ca in (("ca", True), ("front-proxy-ca", True), ("apiserver", False), ("admin", False)):
        assert (
            load_cert(pki.cert(name)).extensions.get_extension_for_class(x509.BasicConstraints).value.ca
            is is_ca
        )


def test_service_account_key_pair_matches(pki):
    private = serialization.load_pem_private_key(pki.key("service-account").read_bytes(), password=None)
    public = serialization.load_pem_public_key(pki.service_account_public.read_bytes())
    assert private.public_key().public_numbers() == public.public_numbers()


def test_private_keys_are_owner_only(pki):
    keys = list(pki.folder.glob("*.key"))
    assert len(keys) == 10
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key

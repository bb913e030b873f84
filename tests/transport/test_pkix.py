"""PKIX validation of a presented chain: trusted CA, dates, and the MX host name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, load_pem_private_key
from cryptography.x509.oid import ExtendedKeyUsageOID

from sealgate.transport.pkix import pkix_problem, trust_anchors
from tests.lab.mx_lab import self_signed

NOW = datetime.now(UTC)
MX = "mx1.example"


@pytest.fixture(scope="module")
def root() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def intermediate(root: trustme.CA) -> trustme.CA:
    return root.create_child_ca()


@pytest.fixture(scope="module")
def ca_file(root: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pkix") / "root.pem"
    root.cert_pem.write_to_path(str(path))
    return str(path)


def _chain(leaf: trustme.LeafCert) -> list[bytes]:
    """DER, leaf first, as a server presents it (leaf + intermediates, no root)."""
    return [_der(blob.bytes()) for blob in leaf.cert_chain_pems]


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(Encoding.DER)


def test_valid_chain_naming_the_host_passes(intermediate: trustme.CA, ca_file: str) -> None:
    assert pkix_problem(_chain(intermediate.issue_cert(MX)), MX, ca_file=ca_file, now=NOW) is None


def test_host_name_compares_without_case_and_trailing_dot(
    intermediate: trustme.CA, ca_file: str
) -> None:
    chain = _chain(intermediate.issue_cert(MX))
    assert pkix_problem(chain, "MX1.Example.", ca_file=ca_file, now=NOW) is None


def test_leaf_of_the_root_itself_passes(root: trustme.CA, ca_file: str) -> None:
    assert pkix_problem(_chain(root.issue_cert(MX)), MX, ca_file=ca_file, now=NOW) is None


def test_expired_certificate_fails(intermediate: trustme.CA, ca_file: str) -> None:
    leaf = intermediate.issue_cert(
        MX, not_before=NOW - timedelta(days=30), not_after=NOW - timedelta(days=1)
    )
    assert pkix_problem(_chain(leaf), MX, ca_file=ca_file, now=NOW) == "certificate has expired"


def test_certificate_not_yet_valid_fails(intermediate: trustme.CA, ca_file: str) -> None:
    leaf = intermediate.issue_cert(MX, not_before=NOW + timedelta(days=1))
    problem = pkix_problem(_chain(leaf), MX, ca_file=ca_file, now=NOW)
    assert problem is not None and "not yet valid" in problem


def test_wrong_name_fails(intermediate: trustme.CA, ca_file: str) -> None:
    chain = _chain(intermediate.issue_cert("mx2.example"))
    assert pkix_problem(chain, MX, ca_file=ca_file, now=NOW) == f"certificate does not name {MX}"


def test_wildcard_matches_one_left_most_label_only(intermediate: trustme.CA, ca_file: str) -> None:
    chain = _chain(intermediate.issue_cert("*.example"))
    assert pkix_problem(chain, MX, ca_file=ca_file, now=NOW) is None
    problem = pkix_problem(chain, "a.mx1.example", ca_file=ca_file, now=NOW)
    assert problem == "certificate does not name a.mx1.example"


def test_self_signed_certificate_fails(ca_file: str) -> None:
    pems, _ = self_signed(MX)
    chain = [_der(pem) for pem in pems]
    assert pkix_problem(chain, MX, ca_file=ca_file, now=NOW) == "self-signed certificate"


def test_unknown_ca_fails(ca_file: str) -> None:
    stranger = trustme.CA().create_child_ca()
    problem = pkix_problem(_chain(stranger.issue_cert(MX)), MX, ca_file=ca_file, now=NOW)
    assert problem == "unable to get local issuer certificate"


def test_missing_intermediate_fails(intermediate: trustme.CA, ca_file: str) -> None:
    leaf_only = _chain(intermediate.issue_cert(MX))[:1]
    problem = pkix_problem(leaf_only, MX, ca_file=ca_file, now=NOW)
    assert problem == "unable to get local issuer certificate"


def test_certificate_for_clients_only_fails(intermediate: trustme.CA, ca_file: str) -> None:
    """As OpenSSL's sslserver purpose: an extendedKeyUsage must allow serverAuth."""
    issuer = x509.load_pem_x509_certificate(intermediate.cert_pem.bytes())
    issuer_key = load_pem_private_key(intermediate.private_key_pem.bytes(), password=None)
    assert isinstance(issuer_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(issuer.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(MX)]), critical=True)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(aki, critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(issuer_key, hashes.SHA256())
    )
    chain = [leaf.public_bytes(Encoding.DER), issuer.public_bytes(Encoding.DER)]
    problem = pkix_problem(chain, MX, ca_file=ca_file, now=NOW)
    assert problem == "certificate is not for TLS servers (no serverAuth extendedKeyUsage)"


def test_no_certificate_fails(ca_file: str) -> None:
    assert pkix_problem([], MX, ca_file=ca_file, now=NOW) == "no certificate presented"


def test_garbage_certificate_fails(ca_file: str) -> None:
    problem = pkix_problem([b"not a certificate"], MX, ca_file=ca_file, now=NOW)
    assert problem == "certificate cannot be parsed"


def test_unreadable_ca_file_fails_closed(intermediate: trustme.CA, tmp_path: Path) -> None:
    chain = _chain(intermediate.issue_cert(MX))
    problem = pkix_problem(chain, MX, ca_file=str(tmp_path / "missing.pem"), now=NOW)
    assert problem is not None and problem.startswith("cannot read CA bundle")


def test_empty_ca_file_trusts_nothing(intermediate: trustme.CA, tmp_path: Path) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("")
    chain = _chain(intermediate.issue_cert(MX))
    assert pkix_problem(chain, MX, ca_file=str(empty), now=NOW) == "no trusted CA certificates"


def test_system_store_is_used_without_ca_file(intermediate: trustme.CA) -> None:
    """None means the system CA store, which does not know the test CA."""
    if not trust_anchors(None):
        pytest.skip("no system CA store on this machine")
    problem = pkix_problem(_chain(intermediate.issue_cert(MX)), MX, ca_file=None, now=NOW)
    assert problem == "unable to get local issuer certificate"


def test_ca_bundle_with_several_roots(
    root: trustme.CA, intermediate: trustme.CA, tmp_path: Path
) -> None:
    other = trustme.CA()
    bundle = tmp_path / "bundle.pem"
    bundle.write_bytes(other.cert_pem.bytes() + root.cert_pem.bytes())
    assert len(trust_anchors(str(bundle))) == 2
    chain = _chain(intermediate.issue_cert(MX))
    assert pkix_problem(chain, MX, ca_file=str(bundle), now=NOW) is None

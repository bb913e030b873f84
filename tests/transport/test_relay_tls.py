"""The relay's certificate is verified as OpenSSL does (transport/relay_tls.py)."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from sealgate.transport.relay_tls import relay_problem


def _der(cert: Path) -> bytes:
    return x509.load_pem_x509_certificate(cert.read_bytes()).public_bytes(Encoding.DER)


def test_a_pinned_self_signed_relay_certificate_verifies_by_name_and_address(
    tls_files: tuple[Path, Path],
) -> None:
    cert = tls_files[0]
    for host in ("localhost", "127.0.0.1"):
        assert relay_problem([_der(cert)], host, ca_file=str(cert)) is None


def test_a_relay_certificate_that_names_another_host_fails(tls_files: tuple[Path, Path]) -> None:
    cert = tls_files[0]
    problem = relay_problem([_der(cert)], "127.0.0.2", ca_file=str(cert))
    assert problem == "certificate verify failed: certificate does not name 127.0.0.2"


def test_the_system_store_does_not_know_a_self_signed_certificate(
    tls_files: tuple[Path, Path],
) -> None:
    problem = relay_problem([_der(tls_files[0])], "localhost", ca_file=None)
    assert problem is not None and problem.startswith("certificate verify failed: self-signed")


def test_no_certificate_is_no_verification() -> None:
    assert relay_problem([], "relay.example", ca_file=None) is not None

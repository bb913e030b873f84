"""Verify the configured relay's certificate as OpenSSL does (`[delivery] relay_starttls`).

The relay is one server an admin chose, often with a private CA or a pinned self-signed
certificate in `relay_ca_file`, and before the one SMTP client it was verified by Python's
`ssl` (OpenSSL). So it keeps OpenSSL's chain rules here, through pyOpenSSL's X509Store,
rather than the Web PKI profile `pkix.py` holds recipient MX hosts to. The name check is
Python's: the relay's host name against the DNS subjectAltNames (RFC 6125, left-most
wildcard), an IP literal against the IP subjectAltNames; no fallback to the subject CN.

Blocking (reads the CA bundle); the caller runs it in its thread pool.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Sequence

from cryptography import x509
from OpenSSL import crypto

from sealgate.transport.dane import name_matches


def relay_problem(chain: Sequence[bytes], host: str, *, ca_file: str | None) -> str | None:
    """None when `chain` (DER, leaf first) verifies to `ca_file` (None: the system store)
    and names `host`; otherwise why not, starting "certificate verify failed"."""
    if not chain:
        return "certificate verify failed: no certificate presented"
    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain]
    except ValueError:
        return "certificate verify failed: certificate cannot be parsed"
    try:
        store = _store(ca_file)
    except (OSError, crypto.Error) as error:
        return f"certificate verify failed: cannot read CA bundle: {error}"
    context = crypto.X509StoreContext(
        store,
        crypto.X509.from_cryptography(certs[0]),
        [crypto.X509.from_cryptography(cert) for cert in certs[1:]],
    )
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as error:
        return f"certificate verify failed: {error}"
    if not _names(certs[0], host):
        return f"certificate verify failed: certificate does not name {host}"
    return None


def _store(ca_file: str | None) -> crypto.X509Store:
    store = crypto.X509Store()
    if ca_file:
        store.load_locations(ca_file)
    else:
        defaults = ssl.get_default_verify_paths()
        store.load_locations(defaults.cafile, defaults.capath)
    return store


def _names(leaf: x509.Certificate, host: str) -> bool:
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return False
    name = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return any(name_matches(pattern, name) for pattern in san.get_values_for_type(x509.DNSName))
    return address in san.get_values_for_type(x509.IPAddress)

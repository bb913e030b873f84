"""PKIX: does a presented chain validate to a trusted CA and name the MX host? (Postfix `verify`)

Uses `cryptography.x509.verification` (RFC 5280 path building, RFC 6125 DNS-ID matching with
the left-most-label wildcard). Its default end-entity profile is the CA/Browser Forum's, which
is stricter than what mail servers are held to and than OpenSSL's checks in Postfix: it
rejects a critical subjectAltName next to a non-empty subject and a critical extendedKeyUsage,
both common in private and enterprise CAs (trustme's certificates have both). So the leaf
profile is relaxed on exactly those two: subjectAltName must be present (any criticality) and
extendedKeyUsage, when present (any criticality), must allow serverAuth, as OpenSSL's
"sslserver" purpose does. Everything else stays the Web PKI profile, so these still fail
where OpenSSL would pass (documented limits): a leaf named only by its subject CN, without a
DNS subjectAltName (RFC 6125 allows the fallback, Postfix still does it, public CAs stopped in
2017); intermediates without authorityKeyIdentifier or keyUsage; RSA keys under 2048 bits.

When validation fails, the reason is told as OpenSSL would ("certificate has expired",
"self-signed certificate", "unable to get local issuer certificate", ...), found by checking
the chain in that order; the verifier stays the only judge of success. `ca_file=None` reads
the system store where OpenSSL finds it (`ssl.get_default_verify_paths()`); parsed bundles are
cached per file path, modification time and size.
"""

from __future__ import annotations

import functools
import os
import re
import ssl
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509 import DNSName
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from sealgate.transport.dane import name_matches

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)
NOT_FOR_SERVERS = "certificate is not for TLS servers (no serverAuth extendedKeyUsage)"
_SERVER_PURPOSES = (ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE)


def pkix_problem(
    chain: Sequence[bytes], host: str, *, ca_file: str | None, now: datetime
) -> str | None:
    """None when `chain` (DER, leaf first) validates to a trust anchor and names `host`.

    `ca_file` is a PEM bundle of trust anchors; None means the system CA store.
    Otherwise a short reason, e.g. "certificate does not name mx1.example".
    """
    if not chain:
        return "no certificate presented"
    try:
        certs = [x509.load_der_x509_certificate(der) for der in chain]
    except ValueError:
        return "certificate cannot be parsed"
    try:
        anchors = trust_anchors(ca_file)
    except OSError as error:
        return f"cannot read CA bundle: {error.strerror or error}"
    if not anchors:
        return "no trusted CA certificates"
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    name = host.rstrip(".").lower()
    try:
        subject = DNSName(name)
    except ValueError:
        return f"{host!r} is not a DNS name"
    leaf, intermediates = certs[0], certs[1:]
    try:
        verifier = (
            PolicyBuilder()
            .store(Store(list(anchors)))
            .time(moment)
            .extension_policies(ca_policy=_CA_POLICY, ee_policy=_LEAF_POLICY)
            .build_server_verifier(subject)
        )
        verifier.verify(leaf, intermediates)
    except VerificationError as error:
        return _explain(certs, name, anchors, moment, error)
    return None


def trust_anchors(ca_file: str | None) -> tuple[x509.Certificate, ...]:
    """The CA certificates of a PEM bundle, or of the system store; cached per file version."""
    paths = [Path(ca_file)] if ca_file is not None else _system_paths()
    found: list[x509.Certificate] = []
    for path in paths:
        if path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.is_file():
                    found.extend(_bundle(entry))
        else:
            found.extend(_bundle(path))
    unique = {cert.fingerprint(hashes.SHA256()): cert for cert in found}
    return tuple(unique.values())


def _system_paths() -> list[Path]:
    """The system store as OpenSSL finds it (SSL_CERT_FILE/SSL_CERT_DIR, then defaults)."""
    defaults = ssl.get_default_verify_paths()
    if defaults.cafile:
        return [Path(defaults.cafile)]
    if defaults.capath and os.path.isdir(defaults.capath):
        return [Path(defaults.capath)]
    return []


def _bundle(path: Path) -> tuple[x509.Certificate, ...]:
    stat = path.stat()
    return _load_bundle(str(path), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _load_bundle(path: str, mtime_ns: int, size: int) -> tuple[x509.Certificate, ...]:
    """Parse one PEM file; certificates `cryptography` cannot parse are skipped, not fatal."""
    certs: list[x509.Certificate] = []
    for block in _PEM.findall(Path(path).read_bytes()):
        try:
            with warnings.catch_warnings():
                # Old roots with non-positive serials: still anchors, as OpenSSL keeps them.
                warnings.simplefilter("ignore", CryptographyDeprecationWarning)
                certs.append(x509.load_pem_x509_certificate(block))
        except ValueError:
            continue
    return tuple(certs)


def _server_purpose(
    policy: Policy, cert: x509.Certificate, usage: x509.ExtendedKeyUsage | None
) -> None:
    """As OpenSSL's "sslserver" purpose: an extendedKeyUsage, if any, must allow serverAuth."""
    if usage is not None and not any(purpose in usage for purpose in _SERVER_PURPOSES):
        raise ValueError(NOT_FOR_SERVERS)


_CA_POLICY = ExtensionPolicy.webpki_defaults_ca()
_LEAF_POLICY = (
    ExtensionPolicy.webpki_defaults_ee()
    .require_present(x509.SubjectAlternativeName, Criticality.AGNOSTIC, None)
    .may_be_present(x509.ExtendedKeyUsage, Criticality.AGNOSTIC, _server_purpose)
)


def _explain(
    certs: Sequence[x509.Certificate],
    host: str,
    anchors: Sequence[x509.Certificate],
    now: datetime,
    error: VerificationError,
) -> str:
    """Why validation failed, in OpenSSL's words where one fits."""
    leaf = certs[0]
    if len(certs) == 1 and _signed_by(leaf, leaf) and leaf not in anchors:
        return "self-signed certificate"
    for depth, cert in enumerate(certs):
        what = "certificate" if depth == 0 else f"certificate at depth {depth}"
        if now > cert.not_valid_after_utc:
            return f"{what} has expired"
        if now < cert.not_valid_before_utc:
            return f"{what} is not yet valid"
    if not any(name_matches(pattern, host) for pattern in _dns_names(leaf)):
        return f"certificate does not name {host}"
    if not _reaches_anchor(certs, anchors):
        top = certs[-1]
        if top.issuer == top.subject and _signed_by(top, top):
            return "self-signed certificate in certificate chain"
        return "unable to get local issuer certificate"
    if NOT_FOR_SERVERS in str(error):
        return NOT_FOR_SERVERS
    detail = str(error).split(" (encountered processing", 1)[0]
    return f"certificate chain does not validate: {detail.removeprefix('validation failed: ')}"


def _dns_names(cert: x509.Certificate) -> list[str]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    return san.get_values_for_type(x509.DNSName)


def _reaches_anchor(certs: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate]) -> bool:
    """Whether some issuer path (names and signatures only) leads from the leaf to an anchor."""
    pool = list(certs[1:])
    current = certs[0]
    for _ in range(len(certs) + 1):
        if any(anchor == current for anchor in anchors):
            return True
        if any(_signed_by(current, anchor) for anchor in anchors):
            return True
        parents = [cert for cert in pool if cert is not current and _signed_by(current, cert)]
        if not parents:
            return False
        current = parents[0]
        pool.remove(current)
    return False


def _signed_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject:
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True

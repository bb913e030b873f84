"""DANE for SMTP: does a presented certificate chain match a host's TLSA records? (pure)

RFC 6698 defines TLSA, RFC 7671 the operational rules, RFC 7672 what SMTP keeps of them:
- Only DANE-TA(2) and DANE-EE(3) are usable; PKIX-TA(0)/PKIX-EE(1) records are ignored, as are
  unknown selectors/matching types and digests of the wrong length. A TLSA RRset without usable
  records means "mandatory TLS, no authentication" (RFC 7672 §2.2): `no usable records`.
- DANE-EE(3) pins the leaf certificate or key; names and dates are ignored (RFC 7672 §3.1.1).
- DANE-TA(2) pins a CA certificate or key in the chain (or, with matching type Full(0), one
  given only in DNS); the chain from the leaf up to it must verify by signature, every
  certificate below it must be within its dates at `now` and every intermediate must be a
  CA, and the leaf must name one of `names` (RFC 7672 §3.2.2-3.2.3).
- Digest agility as OpenSSL's `dane_match` (RFC 7671 §9): for one usage and selector, records
  with a weaker digest than the strongest present are ignored; Full(0) is no digest and stays.
- Preference as OpenSSL: a DANE-EE match wins, then the DANE-TA match nearest the leaf.

Uses `cryptography` only; no I/O and no clock: the caller passes the chain and `now`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, load_der_public_key
from cryptography.x509.oid import NameOID

from sealgate.transport.tlsa import MatchingType, Selector, TLSARecord, Usage

_DIGESTS: dict[int, Callable[[bytes], bytes]] = {
    MatchingType.FULL: lambda selected: selected,
    MatchingType.SHA256: lambda selected: hashlib.sha256(selected).digest(),
    MatchingType.SHA512: lambda selected: hashlib.sha512(selected).digest(),
}
_DIGEST_SIZES = {MatchingType.SHA256: 32, MatchingType.SHA512: 64}
# OpenSSL's default matching-type ordinals: a higher one is the stronger digest.
_STRENGTH = {MatchingType.FULL: 0, MatchingType.SHA256: 1, MatchingType.SHA512: 2}
NO_USABLE_RECORDS = "no usable records"


@dataclass(frozen=True)
class DaneVerdict:
    """The outcome of matching: `depth` is 0 for DANE-EE, the trust anchor's depth for DANE-TA."""

    matched: bool
    usable_records: int
    matched_record: TLSARecord | None
    depth: int | None
    reason: str


@dataclass(frozen=True)
class _Anchor:
    """A DANE-TA candidate: chain[0..top] must verify up to it; `in_chain` if chain[top] is it."""

    depth: int
    record: TLSARecord
    top: int
    in_chain: bool


def is_usable(record: TLSARecord) -> bool:
    """Whether SMTP may use this record at all (RFC 7672 §3.1, RFC 7671 §9 lengths)."""
    if record.usage not in (Usage.DANE_TA, Usage.DANE_EE):
        return False
    if record.selector not in (Selector.CERT, Selector.SPKI) or record.mtype not in _DIGESTS:
        return False
    size = _DIGEST_SIZES.get(MatchingType(record.mtype))
    return len(record.data) == size if size is not None else len(record.data) > 0


def usable_records(records: Sequence[TLSARecord]) -> list[TLSARecord]:
    return [record for record in records if is_usable(record)]


def apply_digest_agility(records: Sequence[TLSARecord]) -> list[TLSARecord]:
    """Drop digests weaker than the strongest one published for the same usage and selector."""
    strongest: dict[tuple[int, int], int] = {}
    for record in records:
        key = (record.usage, record.selector)
        strongest[key] = max(strongest.get(key, 0), _STRENGTH[MatchingType(record.mtype)])
    return [
        record
        for record in records
        if record.mtype == MatchingType.FULL
        or _STRENGTH[MatchingType(record.mtype)] == strongest[(record.usage, record.selector)]
    ]


def match_chain(
    records: Sequence[TLSARecord],
    chain: Sequence[x509.Certificate],
    *,
    names: Sequence[str],
    now: datetime,
) -> DaneVerdict:
    """Match `chain` (leaf first, as presented) against a host's TLSA RRset, by SMTP's rules."""
    usable = usable_records(records)
    if not usable:
        return DaneVerdict(False, 0, None, None, NO_USABLE_RECORDS)
    if not chain:
        return DaneVerdict(False, len(usable), None, None, "no certificate presented")
    active = apply_digest_agility(usable)
    for record in active:
        if record.usage == Usage.DANE_EE and _matches(record, chain[0]):
            return DaneVerdict(True, len(usable), record, 0, "DANE-EE(3) matches the leaf")
    problems: list[str] = []
    for anchor in _anchors([r for r in active if r.usage == Usage.DANE_TA], chain):
        problem = _path_problem(chain, anchor, now)
        if problem is not None:
            problems.append(f"depth {anchor.depth}: {problem}")
            continue
        if not leaf_matches_names(chain[0], names):
            wanted = ", ".join(names) or "(none)"
            reason = f"DANE-TA(2) anchor at depth {anchor.depth}, but leaf names none of {wanted}"
            return DaneVerdict(False, len(usable), None, None, reason)
        reason = f"DANE-TA(2) matches at depth {anchor.depth}"
        return DaneVerdict(True, len(usable), anchor.record, anchor.depth, reason)
    reason = "; ".join(problems) if problems else "no usable record matches the chain"
    return DaneVerdict(False, len(usable), None, None, reason)


def _anchors(records: Sequence[TLSARecord], chain: Sequence[x509.Certificate]) -> list[_Anchor]:
    """DANE-TA candidates: matches in the chain by depth, then anchors given only in DNS."""
    found = [
        _Anchor(depth, record, depth, in_chain=True)
        for depth in range(1, len(chain))
        for record in records
        if _matches(record, chain[depth])
    ]
    for record in records:
        if record.mtype != MatchingType.FULL:
            continue
        for index, cert in enumerate(chain):
            # As OpenSSL reports it: a DNS certificate sits above what it signed, a bare key
            # at the depth of the certificate it signed.
            if record.selector == Selector.CERT and _issued_by_der(cert, record.data):
                found.append(_Anchor(index + 1, record, index, in_chain=False))
            elif record.selector == Selector.SPKI and _signed_by_key(cert, record.data):
                found.append(_Anchor(index, record, index, in_chain=False))
    return found


def _path_problem(chain: Sequence[x509.Certificate], anchor: _Anchor, now: datetime) -> str | None:
    """Why the chain below `anchor` is not a valid path (signatures, CA flags, dates), or None."""
    for index in range(anchor.top):
        if not _issued_by(chain[index], chain[index + 1]):
            return f"certificate at depth {index} is not signed by the one above it"
    # Everything below the trust anchor is checked; the anchor itself is trusted as published
    # (RFC 5914: a trust anchor is a name and a key, its dates and flags are not constraints).
    below = anchor.top if anchor.in_chain else anchor.top + 1
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    for index in range(below):
        cert = chain[index]
        if index > 0 and not _is_ca(cert):
            return f"certificate at depth {index} is not a CA"
        if not cert.not_valid_before_utc <= moment <= cert.not_valid_after_utc:
            return f"certificate at depth {index} is outside its validity period"
    return None


def selected_bytes(cert: x509.Certificate, selector: int) -> bytes | None:
    """The bytes a selector picks: the certificate's DER, or its SubjectPublicKeyInfo DER."""
    if selector == Selector.CERT:
        return cert.public_bytes(Encoding.DER)
    return _spki_der(cert.tbs_certificate_bytes)


def _matches(record: TLSARecord, cert: x509.Certificate) -> bool:
    selected = selected_bytes(cert, record.selector)
    return selected is not None and _DIGESTS[record.mtype](selected) == record.data


def _spki_der(tbs: bytes) -> bytes | None:
    """SubjectPublicKeyInfo exactly as encoded in the certificate (no re-encoding of the key)."""
    inner = _der_element(tbs, 0)
    if inner is None:
        return None
    offset = inner[1]
    fields: list[tuple[int, int]] = []
    while offset < inner[2] and len(fields) < 7:
        element = _der_element(tbs, offset)
        if element is None:
            return None
        fields.append((offset, element[2]))
        offset = element[2]
    # The version field [0] is optional (v1 certificates): SPKI is the 7th or 6th field.
    if fields and tbs[fields[0][0]] == 0xA0:
        fields = fields[1:]
    if len(fields) < 6:
        return None
    start, end = fields[5]
    return tbs[start:end]


def _der_element(der: bytes, offset: int) -> tuple[int, int, int] | None:
    """(tag offset, content start, content end) of the DER element at `offset`, or None."""
    if offset + 2 > len(der):
        return None
    length = der[offset + 1]
    start = offset + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or start + count > len(der):
            return None
        length = int.from_bytes(der[start : start + count], "big")
        start += count
    end = start + length
    return (offset, start, end) if end <= len(der) else None


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _issued_by_der(cert: x509.Certificate, issuer_der: bytes) -> bool:
    try:
        issuer = x509.load_der_x509_certificate(issuer_der)
    except ValueError:
        return False
    return _issued_by(cert, issuer)


def _signed_by_key(cert: x509.Certificate, spki_der: bytes) -> bool:
    """Whether a bare public key (a DANE-TA SPKI given in DNS) made the certificate's signature."""
    try:
        key = load_der_public_key(spki_der)
        tbs, signature = cert.tbs_certificate_bytes, cert.signature
        if isinstance(key, rsa.RSAPublicKey):
            scheme = cert.signature_algorithm_parameters
            pad = scheme if isinstance(scheme, padding.PSS) else padding.PKCS1v15()
            key.verify(signature, tbs, pad, _hash(cert))
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, tbs, ec.ECDSA(_hash(cert)))
        elif isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            key.verify(signature, tbs)
        elif isinstance(key, dsa.DSAPublicKey):
            key.verify(signature, tbs, _hash(cert))
        else:
            return False
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _hash(cert: x509.Certificate) -> hashes.HashAlgorithm:
    algorithm = cert.signature_hash_algorithm
    if algorithm is None:
        raise ValueError("signature algorithm has no separate hash")
    return algorithm


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def certificate_names(cert: x509.Certificate) -> list[str]:
    """DNS-IDs of the certificate; the subject CN only when there is no SAN dNSName."""
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = san.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        dns_names = []
    except ValueError:
        return []
    if dns_names:
        return dns_names
    common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    return [attribute.value for attribute in common if isinstance(attribute.value, str)]


def leaf_matches_names(cert: x509.Certificate, names: Sequence[str]) -> bool:
    presented = certificate_names(cert)
    return any(name_matches(pattern, name) for pattern in presented for name in names)


def name_matches(pattern: str, name: str) -> bool:
    """RFC 6125 DNS-ID match; "*" only as the whole left-most label, over one label."""
    pattern, name = pattern.rstrip(".").lower(), name.rstrip(".").lower()
    if not pattern or not name:
        return False
    if pattern == name:
        return "*" not in pattern
    if not pattern.startswith("*.") or "*" in pattern[2:] or "." not in pattern[2:]:
        return False
    label, _, rest = name.partition(".")
    return bool(label) and rest == pattern[2:]

"""DANE matching rules for SMTP (RFC 6698, 7671, 7672) with certificates made in the test."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509.oid import NameOID

from sealgate.transport.dane import (
    NO_USABLE_RECORDS,
    apply_digest_agility,
    certificate_names,
    match_chain,
    name_matches,
)
from sealgate.transport.tlsa import TLSARecord

NOW = datetime(2026, 6, 1, tzinfo=UTC)
MX = "mx.example.net"
Key = ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _cert(
    subject: str,
    key: Key,
    issuer: tuple[str, Key] | None = None,
    *,
    ca: bool = False,
    dns: tuple[str, ...] = (),
    valid: tuple[datetime, datetime] = (NOW - timedelta(days=30), NOW + timedelta(days=30)),
) -> x509.Certificate:
    issuer_name, issuer_key = issuer if issuer is not None else (subject, key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(valid[0])
        .not_valid_after(valid[1])
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns:
        san = x509.SubjectAlternativeName([x509.DNSName(name) for name in dns])
        builder = builder.add_extension(san, critical=False)
    algorithm = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return builder.sign(issuer_key, algorithm)


@dataclass(frozen=True)
class Pki:
    ca: x509.Certificate
    leaf: x509.Certificate
    expired_wrong_name: x509.Certificate  # issued by the CA, expired, names another host
    forged: x509.Certificate  # claims the CA as issuer, signed by another key
    under_non_ca: tuple[x509.Certificate, x509.Certificate]  # (leaf, its non-CA issuer)
    ed_ca: x509.Certificate
    ed_leaf: x509.Certificate


@pytest.fixture(scope="module")
def pki() -> Pki:
    ca_key, leaf_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    ca = _cert("Test CA", ca_key, ca=True)
    issuer = ("Test CA", ca_key)
    old = (NOW - timedelta(days=400), NOW - timedelta(days=1))
    non_ca = _cert("not a ca", other_key, issuer, dns=("not-a-ca.example.net",))
    ed_key = ed25519.Ed25519PrivateKey.generate()
    return Pki(
        ca=ca,
        leaf=_cert("leaf", leaf_key, issuer, dns=(MX,)),
        expired_wrong_name=_cert("other", leaf_key, issuer, dns=("other.example",), valid=old),
        forged=_cert("leaf", leaf_key, ("Test CA", other_key), dns=(MX,)),
        under_non_ca=(_cert("leaf", leaf_key, ("not a ca", other_key), dns=(MX,)), non_ca),
        ed_ca=_cert("Ed CA", ed_key, ca=True),
        ed_leaf=_cert("ed leaf", leaf_key, ("Ed CA", ed_key), dns=(MX,)),
    )


def _rr(usage: int, selector: int, mtype: int, cert: x509.Certificate) -> TLSARecord:
    if selector == 0:
        selected = cert.public_bytes(Encoding.DER)
    else:
        selected = cert.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    digest = {0: selected, 1: hashlib.sha256(selected).digest()}
    data = digest.get(mtype) or hashlib.sha512(selected).digest()
    return TLSARecord(usage, selector, mtype, data)


WRONG_256 = b"\x01" * 32
WRONG_512 = b"\x02" * 64


# (id, records, chain, names, expected (matched, depth, usable), words in the reason)
def _table(
    p: Pki,
) -> list[
    tuple[
        str, list[TLSARecord], list[x509.Certificate], list[str], tuple[bool, int | None, int], str
    ]
]:  # noqa: E501
    chain = [p.leaf, p.ca]
    return [
        ("ee-spki-sha256-ignores-name-and-expiry", [_rr(3, 1, 1, p.expired_wrong_name)],
         [p.expired_wrong_name, p.ca], [MX], (True, 0, 1), "DANE-EE(3)"),
        ("ee-cert-sha512", [_rr(3, 0, 2, p.leaf)], chain, [], (True, 0, 1), "DANE-EE(3)"),
        ("ee-spki-full", [_rr(3, 1, 0, p.leaf)], [p.leaf], [MX], (True, 0, 1), "DANE-EE(3)"),
        ("ee-wrong-digest", [TLSARecord(3, 1, 1, WRONG_256)], chain, [MX], (False, None, 1),
         "no usable record matches"),
        ("ta-depth-1-name-ok", [_rr(2, 0, 1, p.ca)], chain, ["other.example", MX],
         (True, 1, 1), "depth 1"),
        ("ta-depth-1-name-wrong", [_rr(2, 0, 1, p.ca)], chain, ["other.example"],
         (False, None, 1), "names none of"),
        ("ta-name-check-is-case-insensitive", [_rr(2, 1, 2, p.ca)], chain, ["MX.Example.NET."],
         (True, 1, 1), "depth 1"),
        ("ta-leaf-expired", [_rr(2, 1, 1, p.ca)], [p.expired_wrong_name, p.ca],
         ["other.example"], (False, None, 1), "validity"),
        ("ta-forged-signature", [_rr(2, 1, 1, p.ca)], [p.forged, p.ca], [MX],
         (False, None, 1), "not signed"),
        ("ta-intermediate-not-a-ca", [_rr(2, 1, 1, p.ca)], [*p.under_non_ca, p.ca], [MX],
         (False, None, 1), "not a CA"),
        ("ta-never-matches-the-leaf", [_rr(2, 1, 1, p.leaf)], chain, [MX],
         (False, None, 1), "no usable record matches"),
        ("ta-cert-from-dns", [_rr(2, 0, 0, p.ca)], [p.leaf], [MX], (True, 1, 1), "depth 1"),
        ("ta-key-from-dns", [_rr(2, 1, 0, p.ca)], [p.leaf], [MX], (True, 0, 1), "depth 0"),
        ("ta-ed25519-key-from-dns", [_rr(2, 1, 0, p.ed_ca)], [p.ed_leaf], [MX],
         (True, 0, 1), "depth 0"),
        ("ta-ed25519-in-chain", [_rr(2, 0, 1, p.ed_ca)], [p.ed_leaf, p.ed_ca], [MX],
         (True, 1, 1), "depth 1"),
        ("ee-beats-ta", [_rr(2, 0, 1, p.ca), _rr(3, 1, 1, p.leaf)], chain, [MX],
         (True, 0, 2), "DANE-EE(3)"),
        ("pkix-records-ignored", [_rr(0, 0, 1, p.ca), _rr(1, 1, 1, p.leaf)], chain, [MX],
         (False, None, 0), NO_USABLE_RECORDS),
        ("pkix-ignored-beside-dane", [_rr(1, 1, 1, p.leaf), TLSARecord(3, 1, 1, WRONG_256)],
         chain, [MX], (False, None, 1), "no usable record matches"),
        ("agility-wrong-sha512-hides-right-sha256",
         [TLSARecord(3, 1, 2, WRONG_512), _rr(3, 1, 1, p.leaf)], chain, [MX],
         (False, None, 2), "no usable record matches"),
        ("agility-ta-wrong-sha512-hides-right-sha256",
         [TLSARecord(2, 0, 2, WRONG_512), _rr(2, 0, 1, p.ca)], chain, [MX],
         (False, None, 2), "no usable record matches"),
        ("agility-is-per-selector", [TLSARecord(3, 0, 2, WRONG_512), _rr(3, 1, 1, p.leaf)],
         chain, [MX], (True, 0, 2), "DANE-EE(3)"),
        ("agility-is-per-usage", [TLSARecord(2, 1, 2, WRONG_512), _rr(3, 1, 1, p.leaf)],
         chain, [MX], (True, 0, 2), "DANE-EE(3)"),
        ("agility-keeps-full", [TLSARecord(3, 1, 2, WRONG_512), _rr(3, 1, 0, p.leaf)],
         chain, [MX], (True, 0, 2), "DANE-EE(3)"),
        ("malformed-lengths-ignored",
         [TLSARecord(3, 1, 1, _rr(3, 1, 1, p.leaf).data[:31]),
          TLSARecord(3, 1, 2, _rr(3, 1, 1, p.leaf).data), TLSARecord(3, 1, 0, b"")],
         chain, [MX], (False, None, 0), NO_USABLE_RECORDS),
        ("unknown-selector-and-mtype-ignored",
         [TLSARecord(3, 2, 1, WRONG_256), TLSARecord(3, 1, 3, WRONG_256),
          TLSARecord(4, 1, 1, WRONG_256)], chain, [MX], (False, None, 0), NO_USABLE_RECORDS),
        ("malformed-beside-good", [TLSARecord(3, 1, 2, WRONG_256), _rr(3, 1, 1, p.leaf)],
         chain, [MX], (True, 0, 1), "DANE-EE(3)"),
        ("no-chain", [_rr(3, 1, 1, p.leaf)], [], [MX], (False, None, 1), "no certificate"),
    ]  # fmt: skip


def test_match_chain_table(pki: Pki) -> None:
    for case, records, chain, names, expected, words in _table(pki):
        verdict = match_chain(records, chain, names=names, now=NOW)
        got = (verdict.matched, verdict.depth, verdict.usable_records)
        assert got == expected, f"{case}: {verdict.reason}"
        assert words in verdict.reason, case
        assert (verdict.matched_record is not None) == verdict.matched, case
        if verdict.matched:
            assert verdict.matched_record in records, case


def test_ta_dates_are_checked_at_now_not_today(pki: Pki) -> None:
    records = [_rr(2, 1, 1, pki.ca)]
    later = NOW + timedelta(days=31)
    assert match_chain(records, [pki.leaf, pki.ca], names=[MX], now=NOW).matched
    assert not match_chain(records, [pki.leaf, pki.ca], names=[MX], now=later).matched
    naive = NOW.replace(tzinfo=None)
    assert match_chain(records, [pki.leaf, pki.ca], names=[MX], now=naive).matched


def test_digest_agility_keeps_only_the_strongest_digest() -> None:
    records = [TLSARecord(3, 1, m, b"x") for m in (0, 1, 2)] + [TLSARecord(2, 1, 1, b"y")]
    kept = [(r.usage, r.mtype) for r in apply_digest_agility(records)]
    assert kept == [(3, 0), (3, 2), (2, 1)]


@pytest.mark.parametrize(
    ("pattern", "name", "expected"),
    [
        ("mx.example.net", "mx.example.net", True),
        ("MX.example.net.", "mx.EXAMPLE.net", True),
        ("*.example.net", "mx.example.net", True),
        ("*.example.net", "a.mx.example.net", False),
        ("*.example.net", "example.net", False),
        ("mx*.example.net", "mx1.example.net", False),
        ("mx.*.net", "mx.example.net", False),
        ("*.net", "example.net", False),
        ("*", "mx", False),
        ("", "", False),
    ],
)
def test_name_matches(pattern: str, name: str, expected: bool) -> None:
    assert name_matches(pattern, name) is expected


def test_common_name_only_without_san_dns_names() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    assert certificate_names(_cert(MX, key)) == [MX]
    assert certificate_names(_cert(MX, key, dns=("other.example",))) == ["other.example"]


@pytest.mark.parametrize(
    ("text", "record"),
    [
        ("3 1 1 0A0b", TLSARecord(3, 1, 1, b"\x0a\x0b")),
        ("2 0 2 0a 0b\t0c", TLSARecord(2, 0, 2, b"\x0a\x0b\x0c")),
    ],
)
def test_tlsa_record_from_text(text: str, record: TLSARecord) -> None:
    assert TLSARecord.from_text(text) == record
    assert TLSARecord.from_text(record.to_text()) == record


@pytest.mark.parametrize("text", ["3 1 1", "3 1 x 00", "3 1 1 0g", "3 1 1 abc", "256 1 1 00"])
def test_tlsa_record_from_text_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        TLSARecord.from_text(text)


def test_matching_core_stays_pure() -> None:
    """dane.py and tlsa.py take values and return values: no network, TLS, DNS or clock."""
    import ast
    from pathlib import Path

    import sealgate.transport.dane as dane
    import sealgate.transport.tlsa as tlsa

    forbidden = {"asyncio", "socket", "ssl", "dns", "time", "random", "secrets"}
    for module in (dane, tlsa):
        tree = ast.parse(Path(str(module.__file__)).read_text())
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        assert not imported & forbidden, module.__name__
        assert ".now(" not in Path(str(module.__file__)).read_text()

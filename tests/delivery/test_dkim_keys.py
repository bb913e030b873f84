"""DKIM keys per claimed domain: made once, two algorithms, sealed; the records to publish."""

from __future__ import annotations

import base64
from datetime import datetime

import pytest
from sqlalchemy import select

from sealgate.delivery.dkim_keys import (
    DKIM_KEY_PURPOSE,
    DnsRecord,
    LookupFailed,
    SealedKeyError,
    check_record,
    domain_keys,
    ensure_domain_keys,
    ensure_org_keys,
    open_private_key,
    records_for,
    selector_for,
    spf_mechanism,
)
from sealgate.directory import DirectoryError, create_org
from sealgate.store.schema import DkimKeyRow

NOW = datetime(2026, 11, 25, 15, 0)


def _seal_key(runtime) -> bytes:
    return runtime.subkey(DKIM_KEY_PURPOSE)


def _rows(runtime) -> list[DkimKeyRow]:
    with runtime.db.begin() as session:
        return list(session.scalars(select(DkimKeyRow).order_by(DkimKeyRow.id)))


def test_a_claimed_domain_gets_one_ed25519_and_one_rsa_key_with_dated_selectors(runtime, sender):
    with runtime.db.begin() as session:
        keys = ensure_domain_keys(session, _seal_key(runtime), "Hospital.Example", NOW)
    assert [(k.domain, k.selector, k.algorithm) for k in keys] == [
        ("hospital.example", "sg202611e", "ed25519"),
        ("hospital.example", "sg202611r", "rsa"),
    ]
    rows = _rows(runtime)
    assert [(r.algorithm, r.active, r.public_record) for r in rows] == [
        ("ed25519-sha256", True, keys[0].public_record),
        ("rsa-sha256", True, keys[1].public_record),
    ]
    assert keys[1].public_record.startswith("v=DKIM1; k=rsa; p=")


def test_keys_are_made_once_and_then_read(runtime, sender):
    with runtime.db.begin() as session:
        first = ensure_domain_keys(session, _seal_key(runtime), "hospital.example", NOW)
    with runtime.db.begin() as session:
        again = ensure_domain_keys(session, _seal_key(runtime), "hospital.example", NOW)
        read = domain_keys(session, _seal_key(runtime), "hospital.example")
    assert again == first == read
    assert len(_rows(runtime)) == 2


def test_an_unclaimed_domain_gets_no_keys(runtime, sender):
    with runtime.db.begin() as session:
        assert ensure_domain_keys(session, _seal_key(runtime), "nobody.example", NOW) == []
        assert ensure_domain_keys(session, _seal_key(runtime), "not a domain", NOW) == []
    assert _rows(runtime) == []


def test_private_keys_are_never_stored_in_the_clear(runtime, sender):
    with runtime.db.begin() as session:
        keys = ensure_domain_keys(session, _seal_key(runtime), "hospital.example", NOW)
    for row, key in zip(_rows(runtime), keys, strict=True):
        stored = row.private_key_sealed
        assert "PRIVATE KEY" not in stored
        body = b"".join(key.private_key_pem.splitlines()[1:-1])  # the PEM's base64 lines
        assert body.decode() not in stored and base64.b64decode(body) not in stored.encode()
        assert b"PRIVATE KEY" not in base64.b64decode(stored)
        pem = open_private_key(_seal_key(runtime), row.domain, row.selector, stored)
        assert pem == key.private_key_pem


def test_a_sealed_key_opens_only_for_its_own_domain_selector_and_master_key(runtime, sender):
    with runtime.db.begin() as session:
        ensure_domain_keys(session, _seal_key(runtime), "hospital.example", NOW)
    ed_row, rsa_row = _rows(runtime)
    with pytest.raises(SealedKeyError):
        open_private_key(
            _seal_key(runtime), ed_row.domain, rsa_row.selector, ed_row.private_key_sealed
        )
    with pytest.raises(SealedKeyError):
        open_private_key(
            runtime.subkey("totp"), ed_row.domain, ed_row.selector, ed_row.private_key_sealed
        )


def test_org_keys_cover_every_claimed_domain(runtime, sender):
    with runtime.db.begin() as session:
        clinic = create_org(session, "Clinic", ["clinic.example", "zkh.example"])
    with runtime.db.begin() as session:
        keys = ensure_org_keys(session, _seal_key(runtime), "Clinic", NOW)
    assert sorted(keys) == ["clinic.example", "zkh.example"]
    assert all(len(domain_keys) == 2 for domain_keys in keys.values())
    assert {row.org_id for row in _rows(runtime)} == {clinic.id}
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match="no organisation"):
        ensure_org_keys(session, _seal_key(runtime), "Nope", NOW)


def test_selectors_are_dated_by_month_and_algorithm() -> None:
    assert selector_for("ed25519", datetime(2027, 1, 3)) == "sg202701e"
    assert selector_for("rsa", datetime(2027, 12, 31)) == "sg202712r"


def test_spf_names_the_relay_when_there_is_one_else_the_gateway_host() -> None:
    assert spf_mechanism("mail.gateway.example") == "a:mail.gateway.example"
    assert spf_mechanism("mail.gateway.example", "192.0.2.25") == "ip4:192.0.2.25"
    assert spf_mechanism("mail.gateway.example", "[2001:db8::25]") == "ip6:2001:db8::25"
    assert spf_mechanism("mail.gateway.example", "smtp.relay.example") == "a:smtp.relay.example"


def test_records_are_dkim_per_key_then_spf_then_dmarc(runtime, sender):
    with runtime.db.begin() as session:
        keys = ensure_domain_keys(session, _seal_key(runtime), "hospital.example", NOW)
    records = records_for("hospital.example", keys, "a:mail.gateway.example")
    assert [(r.purpose, r.name, r.type) for r in records] == [
        ("dkim", "sg202611e._domainkey.hospital.example", "TXT"),
        ("dkim", "sg202611r._domainkey.hospital.example", "TXT"),
        ("spf", "hospital.example", "TXT"),
        ("dmarc", "_dmarc.hospital.example", "TXT"),
    ]
    assert records[0].value == keys[0].public_record
    assert records[2].value == "v=spf1 a:mail.gateway.example ~all"
    assert records[3].value == ("v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@hospital.example")


DKIM = DnsRecord("d.example", "s._domainkey.d.example", "TXT", "v=DKIM1; k=ed25519; p=AbC=", "dkim")
SPF = DnsRecord("d.example", "d.example", "TXT", "v=spf1 a:mail.gw.example ~all", "spf")
DMARC = DnsRecord("d.example", "_dmarc.d.example", "TXT", "v=DMARC1; p=quarantine", "dmarc")


@pytest.mark.parametrize(
    "record, published, status",
    [
        (DKIM, ["v=DKIM1; k=ed25519; p=AbC="], "ok"),
        (DKIM, ["v=DKIM1;k=ed25519;  p=A bC= "], "ok"),  # whitespace in tags is folding
        (DKIM, [], "missing"),
        (DKIM, ["v=DKIM1; k=ed25519; p=XyZ="], "different"),
        (DKIM, ["v=DKIM1; p=AbC="], "different"),  # k= defaults to rsa
        (SPF, ["v=spf1 include:_spf.other.example a:mail.gw.example -all"], "ok"),
        (SPF, ["google-site-verification=x"], "missing"),
        (SPF, ["v=spf1 -all"], "different"),
        (SPF, ["v=spf1 a:mail.gw.example ~all", "v=spf1 -all"], "different"),
        (DMARC, ["v=DMARC1; p=reject"], "ok"),
        (DMARC, [], "missing"),
    ],
)
def test_check_compares_what_dns_publishes(record, published, status) -> None:
    check = check_record(record, lambda name: published if name == record.name else [])
    assert (check.status, check.found) == (status, tuple(published))


def test_a_dns_failure_is_an_error_not_missing() -> None:
    def failing(name: str) -> list[str]:
        raise LookupFailed(name)

    assert check_record(DKIM, failing).status == "error"

"""DKIM keys of claimed domains, and the DNS records an admin publishes for them.

Every domain an organisation claimed gets two signing keys: ed25519-sha256 (RFC 8463) and
rsa-sha256 with 2048 bits (RFC 6376 / RFC 8301), so that mail is signed twice and each
receiver finds a signature it can check. Keys are made the first time they are needed (the
first mail from the domain, or `sealgate dns-records`), never by hand.

Selectors are dated, `sg<YYYYMM>e` for ed25519 and `sg<YYYYMM>r` for rsa (e.g. `sg202611e`):
a later key for the same domain gets a new name, so a rotated key can be published next to
the old one while mail signed with the old one is still in flight.

The private key PEM is sealed at rest: base64(nonce ‖ AES-256-GCM(PEM)) under
`rt.subkey("dkim")`, with "domain/selector" as associated data, so a sealed key copied to
another row does not open. Functions here take that subkey as `seal_key` and a session; they
hand out `delivery.dkim.DkimKey` values, never rows.

The keys live in delivery, next to the signer that uses them, not in directory: directory
is below delivery (delivery reads organisations from it), and a key module there that builds
`DkimKey` values closed the cycle directory -> delivery -> worker -> signing -> directory.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

import dns.exception
import dns.name
import dns.rdtypes.ANY.TXT
import dns.resolver
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.delivery.dkim import Algorithm, DkimKey, dns_record, generate_key, key_from_pem
from sealgate.directory import DirectoryError, claimable_domain, find_org
from sealgate.store import DkimKeyRow, Domain
from sealgate.transport import blocking_resolver

DKIM_KEY_PURPOSE = "dkim"

# Signing order: ed25519 first (its signature on top), rsa second.
ALGORITHMS: tuple[Algorithm, ...] = ("ed25519", "rsa")
ALGORITHM_NAMES: dict[Algorithm, str] = {"ed25519": "ed25519-sha256", "rsa": "rsa-sha256"}
_BY_NAME: dict[str, Algorithm] = {name: algorithm for algorithm, name in ALGORITHM_NAMES.items()}
_SELECTOR_SUFFIX: dict[Algorithm, str] = {"ed25519": "e", "rsa": "r"}
_NONCE_BYTES = 12


class SealedKeyError(Exception):
    """A stored private key does not open: altered, or sealed under another master key."""


def selector_for(algorithm: Algorithm, now: datetime) -> str:
    """The dated selector of a key made at `now`: `sg202611e` (ed25519), `sg202611r` (rsa)."""
    return f"sg{now:%Y%m}{_SELECTOR_SUFFIX[algorithm]}"


def _aad(domain: str, selector: str) -> bytes:
    return f"sealgate-dkim:{domain}/{selector}".encode("ascii")


def seal_private_key(seal_key: bytes, domain: str, selector: str, pem: bytes) -> str:
    """The text stored in `DkimKeyRow.private_key_sealed`."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(seal_key).encrypt(nonce, pem, _aad(domain, selector))
    return base64.b64encode(nonce + sealed).decode("ascii")


def open_private_key(seal_key: bytes, domain: str, selector: str, sealed: str) -> bytes:
    """The PEM inside `sealed`; `SealedKeyError` when it does not open for this domain/selector."""
    try:
        raw = base64.b64decode(sealed, validate=True)
        return AESGCM(seal_key).decrypt(
            raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(domain, selector)
        )
    except (binascii.Error, ValueError, InvalidTag):
        raise SealedKeyError(f"DKIM key {selector} of {domain} does not open") from None


def _unsealed(seal_key: bytes, row: DkimKeyRow) -> DkimKey:
    pem = open_private_key(seal_key, row.domain, row.selector, row.private_key_sealed)
    return key_from_pem(row.domain, row.selector, pem)


def _active_rows(session: Session, domain: str) -> dict[Algorithm, DkimKeyRow]:
    """The newest active key per algorithm of `domain`."""
    rows = session.scalars(
        select(DkimKeyRow)
        .where(DkimKeyRow.domain == domain, DkimKeyRow.active.is_(True))
        .order_by(DkimKeyRow.created_at, DkimKeyRow.id)
    )
    return {_BY_NAME[row.algorithm]: row for row in rows if row.algorithm in _BY_NAME}


def domain_keys(session: Session, seal_key: bytes, domain: str) -> list[DkimKey]:
    """The active keys of `domain` in signing order (ed25519, rsa); none are made here."""
    rows = _active_rows(session, domain)
    return [_unsealed(seal_key, rows[a]) for a in ALGORITHMS if a in rows]


def ensure_domain_keys(
    session: Session, seal_key: bytes, domain: str, now: datetime
) -> list[DkimKey]:
    """The keys of `domain`, making the missing ones; [] when no organisation claimed it.

    Two processes making keys for the same domain at once collide on (domain, selector): the
    loser's transaction fails with IntegrityError and a retry reads the winner's keys.
    """
    try:
        name = claimable_domain(domain)
    except DirectoryError:
        return []
    claim = session.scalar(select(Domain).where(Domain.name == name))
    if claim is None:
        return []
    rows = _active_rows(session, name)
    for algorithm in ALGORITHMS:
        if algorithm in rows:
            continue
        key = generate_key(name, selector_for(algorithm, now), algorithm)
        row = DkimKeyRow(
            org_id=claim.org_id,
            domain=name,
            selector=key.selector,
            algorithm=ALGORITHM_NAMES[algorithm],
            private_key_sealed=seal_private_key(seal_key, name, key.selector, key.private_key_pem),
            public_record=key.public_record,
            created_at=now,
            active=True,
        )
        session.add(row)
        rows[algorithm] = row
    session.flush()
    return [_unsealed(seal_key, rows[a]) for a in ALGORITHMS]


def ensure_org_keys(
    session: Session, seal_key: bytes, org_name: str, now: datetime
) -> dict[str, list[DkimKey]]:
    """{domain: keys} for every domain `org_name` claimed, making missing keys."""
    org = find_org(session, org_name)
    return {domain: ensure_domain_keys(session, seal_key, domain, now) for domain in org.domains}


# -- the records to publish ----------------------------------------------------------------

Purpose = Literal["dkim", "spf", "dmarc"]


@dataclass(frozen=True)
class DnsRecord:
    """One TXT record an admin publishes for a domain (`value` unsplit, without quotes)."""

    domain: str
    name: str
    type: str
    value: str
    purpose: Purpose

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def spf_mechanism(helo_name: str, relay_host: str = "") -> str:
    """The SPF mechanism that authorises the host mail leaves from.

    The gateway knows two things of itself: the relay it hands mail to (`[delivery] relay`,
    whose address is then what receivers see) and its own host name (`[delivery] helo_name`,
    which must resolve to its public address). An IP becomes ip4:/ip6:, a name a:NAME.
    """
    host = (relay_host or helo_name).strip("[]").rstrip(".").lower()
    if ":" in host:
        return f"ip6:{host}"
    if host.replace(".", "").isdigit() and host.count(".") == 3:
        return f"ip4:{host}"
    return f"a:{host}"


def records_for(domain: str, keys: Sequence[DkimKey], spf_mechanism: str) -> list[DnsRecord]:
    """The DKIM records of `keys`, an SPF and a DMARC suggestion for `domain`."""
    records = []
    for key in keys:
        name, value = dns_record(key)
        records.append(DnsRecord(domain, name, "TXT", value, "dkim"))
    records.append(DnsRecord(domain, domain, "TXT", f"v=spf1 {spf_mechanism} ~all", "spf"))
    records.append(
        DnsRecord(
            domain,
            f"_dmarc.{domain}",
            "TXT",
            f"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@{domain}",
            "dmarc",
        )
    )
    return records


def org_records(
    session: Session, seal_key: bytes, org_name: str, helo_name: str, relay: str, now: datetime
) -> list[DnsRecord]:
    """The records of every domain of `org_name` (`sealgate dns-records`, the REST API),
    making the DKIM keys it does not have yet. `relay` is `[delivery] relay` (HOST:PORT)."""
    keys = ensure_org_keys(session, seal_key, org_name, now)
    mechanism = spf_mechanism(helo_name, relay.rpartition(":")[0] if relay else "")
    return [
        record
        for domain, domain_keys in keys.items()
        for record in records_for(domain, domain_keys, mechanism)
    ]


# -- checking what is published ------------------------------------------------------------

Status = Literal["ok", "missing", "different", "error"]


class LookupFailed(Exception):
    """The TXT look-up gave no answer (SERVFAIL, time-out): neither published nor absent."""


# A TXT look-up: the record texts (strings of one record joined) at a name, [] when the name
# has none (NXDOMAIN or no TXT); raises LookupFailed otherwise.
TxtLookup = Callable[[str], list[str]]


@dataclass(frozen=True)
class RecordCheck:
    record: DnsRecord
    status: Status
    found: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {**self.record.to_json(), "status": self.status, "found": list(self.found)}


def _tags(text: str) -> dict[str, str]:
    tags: dict[str, str] = {}
    for part in text.split(";"):
        name, sep, value = part.partition("=")
        if sep:
            tags[name.strip().lower()] = "".join(value.split())
    return tags


def _dkim_matches(expected: str, found: str) -> bool:
    want, have = _tags(expected), _tags(found)
    return have.get("k", "rsa").lower() == want["k"].lower() and have.get("p") == want["p"]


def _status(record: DnsRecord, found: list[str]) -> Status:
    if record.purpose == "dkim":
        if not found:
            return "missing"
        return "ok" if any(_dkim_matches(record.value, text) for text in found) else "different"
    tag = "v=spf1" if record.purpose == "spf" else "v=dmarc1"
    relevant = [text for text in found if text.lower().split(";")[0].split(" ")[0] == tag]
    if not relevant:
        return "missing"
    if len(relevant) > 1:  # two SPF or DMARC records make both void (RFC 7208 §4.5)
        return "different"
    if record.purpose == "spf":
        mechanism = record.value.split()[1].lower()
        return "ok" if mechanism in relevant[0].lower().split() else "different"
    return "ok"


def check_record(record: DnsRecord, lookup: TxtLookup) -> RecordCheck:
    """Compare one record with what DNS has.

    DKIM: ok when a TXT record at the name has the same key type and public key. SPF: ok when
    the domain's one SPF record contains the gateway's mechanism. DMARC: ok when the domain has
    one DMARC record (its policy is the admin's choice). `error` when DNS did not answer.
    """
    try:
        found = lookup(record.name)
    except LookupFailed:
        return RecordCheck(record, "error", ())
    return RecordCheck(record, _status(record, found), tuple(found))


def resolver_txt_lookup(resolver_address: str, timeout: float = 5.0) -> TxtLookup:
    """A `TxtLookup` asking `[transport] resolver` ("IP", "IP:PORT"; "" = the system's).

    Names are asked as absolute names, never with the system's search domains appended.
    EDNS with a 1232-byte payload lets a 2048-bit rsa record come back over UDP.
    """
    resolver = blocking_resolver(resolver_address, timeout)

    def lookup(name: str) -> list[str]:
        try:
            answer = resolver.resolve(dns.name.from_text(name), "TXT", search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as error:
            raise LookupFailed(f"{name}: {type(error).__name__}") from None
        return [
            b"".join(rdata.strings).decode("utf-8", "replace")
            for rdata in answer
            if isinstance(rdata, dns.rdtypes.ANY.TXT.TXT)
        ]

    return lookup

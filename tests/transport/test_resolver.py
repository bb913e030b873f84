"""DNSSEC status of look-ups, against a real lab: unbound validating zones that nsd serves."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sealgate.transport.dnssec import Dnssec
from sealgate.transport.resolver import Resolver, parse_address, tlsa_name
from sealgate.transport.tlsa import TLSARecord
from tests.lab.dns_lab import NEGATIVE_TTL, DnsLab, LabZone, missing_tools
from tests.lab.loopback import DEAD_NAMESERVER, lab_address

TLSA_DIGEST = hashlib.sha256(b"mx1 public key").hexdigest()
ZONES = [
    LabZone(
        "secure.lab.",
        [
            "secure.lab. 300 IN MX 10 mx1.secure.lab.",
            "mx1.secure.lab. 300 IN A 127.1.2.10",
            f"_25._tcp.mx1.secure.lab. 300 IN TLSA 3 1 1 {TLSA_DIGEST}",
            "_25._tcp.mx1.secure.lab. 300 IN TLSA 2 0 1 " + "cd" * 32,
            "alias.secure.lab. 300 IN CNAME mx1.secure.lab.",
            "outside.secure.lab. 300 IN CNAME mx.insecure.lab.",
            # A signed MX RRset whose host lives in an unsigned zone.
            "mixed.secure.lab. 300 IN MX 10 mx.insecure.lab.",
        ],
    ),
    LabZone(
        "insecure.lab.",
        [
            "insecure.lab. 300 IN MX 10 mx.insecure.lab.",
            "mx.insecure.lab. 300 IN A 127.1.2.11",
        ],
        posture="insecure",
    ),
    LabZone(
        "bogus.lab.",
        ["bogus.lab. 300 IN MX 10 mx.bogus.lab.", "mx.bogus.lab. 300 IN A 127.1.2.12"],
        posture="bogus",
    ),
    LabZone("dead.lab.", ["dead.lab. 300 IN MX 10 mx.dead.lab."], posture="dead"),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnsLab]:
    missing = missing_tools()
    if missing:
        pytest.skip(f"DNS lab needs {', '.join(missing)} (apt-get install unbound nsd ldnsutils)")
    dns_lab = DnsLab(Path(tmp_path_factory.mktemp("dns-lab")), ZONES)
    dns_lab.start()
    yield dns_lab
    dns_lab.stop()


@pytest.fixture
def resolver(lab: DnsLab) -> Resolver:
    return Resolver(lab.resolver_address, timeout=5.0)


async def test_signed_answer_is_secure(resolver: Resolver) -> None:
    answer = await resolver.lookup("secure.lab", "MX")
    assert (answer.name, answer.rdtype, answer.rcode) == ("secure.lab.", "MX", "NOERROR")
    assert answer.status is Dnssec.SECURE
    assert answer.records == ("10 mx1.secure.lab.",)
    assert 0 < answer.ttl <= 300
    assert not answer.failed


async def test_unsigned_answer_is_insecure(resolver: Resolver) -> None:
    answer = await resolver.lookup("insecure.lab.", "MX")
    assert answer.status is Dnssec.INSECURE
    assert answer.records == ("10 mx.insecure.lab.",)
    assert not answer.failed


async def test_failed_validation_is_bogus_and_fails_closed(resolver: Resolver) -> None:
    answer = await resolver.lookup("bogus.lab.", "MX")
    assert answer.status is Dnssec.BOGUS
    assert answer.rcode == "SERVFAIL"
    assert answer.records == ()
    assert answer.ttl == 0
    assert answer.failed


async def test_unanswered_delegation_is_indeterminate_and_fails_closed(lab: DnsLab) -> None:
    started = time.monotonic()
    answer = await Resolver(lab.resolver_address, timeout=1.5).lookup("dead.lab.", "MX")
    assert answer.status is Dnssec.INDETERMINATE
    assert answer.rcode in ("TIMEOUT", "SERVFAIL")
    assert answer.records == ()
    assert answer.failed
    assert time.monotonic() - started < 4


async def test_unreachable_resolver_is_indeterminate() -> None:
    started = time.monotonic()
    resolver = Resolver(f"{lab_address(DEAD_NAMESERVER)}:53", timeout=1.0)
    answer = await resolver.lookup("secure.lab.", "MX")
    assert (answer.status, answer.rcode) == (Dnssec.INDETERMINATE, "TIMEOUT")
    assert answer.failed
    assert time.monotonic() - started < 3


async def test_nxdomain_in_signed_zone_is_authenticated_denial(resolver: Resolver) -> None:
    answer = await resolver.lookup("nowhere.secure.lab.", "A")
    assert (answer.rcode, answer.status) == ("NXDOMAIN", Dnssec.SECURE)
    assert answer.records == ()
    assert 0 < answer.ttl <= NEGATIVE_TTL
    assert not answer.failed


async def test_nxdomain_in_unsigned_zone_is_insecure(resolver: Resolver) -> None:
    answer = await resolver.lookup("nowhere.insecure.lab.", "A")
    assert (answer.rcode, answer.status) == ("NXDOMAIN", Dnssec.INSECURE)
    assert not answer.failed


async def test_nodata_has_no_records_and_the_negative_ttl(resolver: Resolver) -> None:
    answer = await resolver.lookup("mx1.secure.lab.", "AAAA")
    assert (answer.rcode, answer.status, answer.records) == ("NOERROR", Dnssec.SECURE, ())
    assert 0 < answer.ttl <= NEGATIVE_TTL


async def test_tlsa_lookup_returns_the_records(resolver: Resolver) -> None:
    answer = await resolver.lookup(tlsa_name("mx1.secure.lab"), "TLSA")
    assert answer.status is Dnssec.SECURE
    records = {TLSARecord.from_text(text) for text in answer.records}
    assert records == {
        TLSARecord(3, 1, 1, bytes.fromhex(TLSA_DIGEST)),
        TLSARecord(2, 0, 1, bytes.fromhex("cd" * 32)),
    }


async def test_each_lookup_carries_its_own_status(resolver: Resolver) -> None:
    mx = await resolver.lookup("mixed.secure.lab.", "MX")
    address = await resolver.lookup("mx.insecure.lab.", "A")
    assert (mx.status, mx.records) == (Dnssec.SECURE, ("10 mx.insecure.lab.",))
    assert (address.status, address.records) == (Dnssec.INSECURE, ("127.1.2.11",))


async def test_cname_chain_status_covers_the_whole_chain(resolver: Resolver) -> None:
    inside = await resolver.lookup("alias.secure.lab.", "A")
    outside = await resolver.lookup("outside.secure.lab.", "A")
    assert (inside.status, inside.records) == (Dnssec.SECURE, ("127.1.2.10",))
    assert (outside.status, outside.records) == (Dnssec.INSECURE, ("127.1.2.11",))


async def test_answers_from_a_non_validating_server_are_never_secure(lab: DnsLab) -> None:
    # nsd is authoritative for the signed zone but does not validate, so it sets no AD bit.
    answer = await Resolver(lab.nameserver, timeout=2.0).lookup("secure.lab.", "MX")
    assert (answer.status, answer.records) == (Dnssec.INSECURE, ("10 mx1.secure.lab.",))


async def test_names_are_absolute_without_search_domains(resolver: Resolver) -> None:
    # "mx1" alone must not become "mx1.secure.lab." through a search list; the lab knows
    # no names outside "lab.", so the top-level "mx1." does not exist.
    answer = await resolver.lookup("mx1", "A")
    assert (answer.name, answer.rcode, answer.records) == ("mx1.", "NXDOMAIN", ())


def test_tlsa_name_is_port_and_protocol_below_the_host() -> None:
    assert tlsa_name("mx.example.net") == "_25._tcp.mx.example.net."
    assert tlsa_name("mx.example.net.", 587) == "_587._tcp.mx.example.net."


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
    ],
)
def test_resolver_address_is_ip_with_optional_port(address: str, expected: tuple) -> None:
    assert parse_address(address) == expected


def test_resolver_address_must_be_an_ip() -> None:
    with pytest.raises(ValueError):
        Resolver("resolver.example:53")

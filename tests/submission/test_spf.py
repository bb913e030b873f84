"""SPF checks through a real DNS server on 127.0.0.1 (tests/delivery/dns_zone.py).

The vectors in test_spf_vectors.py cover SPF semantics; these cover the resolver plumbing:
that `check_spf(resolver_address=...)` really asks that server over UDP, that a SERVFAIL
becomes temperror, and that only "pass" authorises.
"""

from __future__ import annotations

import asyncio
import threading

import pytest
import spf

from sealgate.submission.spf import (
    SpfResult,
    check_spf,
    evaluate,
    spf_authorises,
)
from sealgate.transport.resolver import parse_address
from tests.delivery.dns_zone import DnsZone


@pytest.fixture
def zone(zone: DnsZone) -> DnsZone:
    zone.add("spf.example.test", "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
    zone.add("soft.example.test", "TXT", '"v=spf1 ip4:192.0.2.1 ~all"')
    zone.add("nospf.example.test", "TXT", '"just some text"')
    zone.add("via-a.example.test", "TXT", '"v=spf1 a:mail.via-a.example.test -all"')
    zone.add("mail.via-a.example.test", "A", "127.0.0.3")
    zone.add("include-broken.example.test", "TXT", '"v=spf1 include:broken.example.test -all"')
    zone.servfail.add("broken.example.test")
    return zone


async def _check(zone: DnsZone, client_ip: str, mail_from: str) -> SpfResult:
    return await asyncio.to_thread(
        check_spf,
        client_ip,
        mail_from,
        "client",
        resolver_address=f"127.0.0.1:{zone.port}",
        timeout=3.0,
    )


async def test_listed_ip_passes_and_authorises(zone: DnsZone) -> None:
    result = await _check(zone, "127.0.0.1", "alice@spf.example.test")
    assert result.result == "pass"
    assert result.domain == "spf.example.test"
    assert spf_authorises(result)


async def test_unlisted_ip_fails(zone: DnsZone) -> None:
    result = await _check(zone, "127.0.0.2", "alice@spf.example.test")
    assert result.result == "fail"
    assert not spf_authorises(result)


async def test_a_mechanism_resolves_through_the_same_server(zone: DnsZone) -> None:
    assert (await _check(zone, "127.0.0.3", "bob@via-a.example.test")).result == "pass"
    assert (await _check(zone, "127.0.0.1", "bob@via-a.example.test")).result == "fail"


async def test_softfail_does_not_authorise(zone: DnsZone) -> None:
    result = await _check(zone, "127.0.0.1", "alice@soft.example.test")
    assert result.result == "softfail"
    assert not spf_authorises(result)


async def test_no_spf_record_is_none(zone: DnsZone) -> None:
    assert (await _check(zone, "127.0.0.1", "alice@nospf.example.test")).result == "none"
    assert (await _check(zone, "127.0.0.1", "alice@unknown.example.test")).result == "none"


async def test_servfail_is_temperror_and_not_authorised(zone: DnsZone) -> None:
    result = await _check(zone, "127.0.0.1", "alice@broken.example.test")
    assert result.result == "temperror"
    assert not spf_authorises(result)


async def test_servfail_inside_include_is_temperror(zone: DnsZone) -> None:
    result = await _check(zone, "127.0.0.1", "alice@include-broken.example.test")
    assert result.result == "temperror"
    assert not spf_authorises(result)


async def test_unanswering_resolver_is_temperror() -> None:
    # A bound UDP port that never answers: the check must end as temperror within its timeout.
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    port = transport.get_extra_info("sockname")[1]
    try:
        result = await asyncio.to_thread(
            check_spf,
            "127.0.0.1",
            "alice@spf.example.test",
            "client",
            resolver_address=f"127.0.0.1:{port}",
            timeout=0.5,
        )
    finally:
        transport.close()
    assert result.result == "temperror"
    assert not spf_authorises(result)


async def test_empty_mail_from_checks_the_helo_name(zone: DnsZone) -> None:
    result = await asyncio.to_thread(
        check_spf,
        "127.0.0.1",
        "",
        "spf.example.test",
        resolver_address=f"127.0.0.1:{zone.port}",
        timeout=3.0,
    )
    assert (result.result, result.domain) == ("pass", "spf.example.test")


def test_unparsable_client_ip_is_permerror() -> None:
    result = check_spf(
        "not-an-ip", "alice@spf.example.test", "client", resolver_address="127.0.0.1"
    )
    assert result.result == "permerror"
    assert not spf_authorises(result)


@pytest.mark.parametrize(
    "outcome", ["fail", "softfail", "neutral", "none", "permerror", "temperror"]
)
def test_only_pass_authorises(outcome: str) -> None:
    assert not spf_authorises(SpfResult(outcome, ""))  # type: ignore[arg-type]
    assert spf_authorises(SpfResult("pass", ""))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("::1", ("::1", 53)),
        ("[::1]:5353", ("::1", 5353)),
        ("[2001:db8::1]", ("2001:db8::1", 53)),
    ],
)
def test_parse_resolver_address(text: str, expected: tuple[str, int]) -> None:
    assert parse_address(text) == expected


@pytest.mark.parametrize("text", ["resolver.example", "127.0.0.1:0", "127.0.0.1:x", "[::1]x"])
def test_parse_resolver_address_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_address(text)


def test_lookup_is_per_call_and_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent checks in different threads each see only their own lookup, and pyspf's hook
    falls back to the previous one outside a check."""

    def zone_for(ip: str):
        def lookup(name, qtype, strict=True, timeout=None):
            if qtype == "TXT" and name == "race.example.test":
                return [((name, qtype), (f"v=spf1 ip4:{ip} -all".encode(),))]
            return []

        return lookup

    results: dict[str, str] = {}
    barrier = threading.Barrier(8)

    def run(index: int) -> None:
        ip = f"192.0.2.{index + 1}"
        barrier.wait()
        for _ in range(20):
            outcome = evaluate(ip, "a@race.example.test", "h", zone_for(ip)).result
            if outcome != "pass":
                results[ip] = outcome
                return
        results[ip] = "pass"

    threads = [threading.Thread(target=run, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert set(results.values()) == {"pass"}
    assert spf.DNSLookup.__name__ == "_dispatching_lookup"
    asked: list[str] = []
    monkeypatch.setattr(
        "sealgate.submission.spf._previous_hook",
        lambda name, qtype, strict=True, timeout=30.0: asked.append(name) or [],
    )
    assert spf.DNSLookup("outside.example.test", "TXT") == []
    assert asked == ["outside.example.test"]

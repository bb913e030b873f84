"""DNS look-ups that carry their DNSSEC status, as Postfix's `smtp_dns_support_level = dnssec`.

sealgate does not validate signatures itself: like Postfix, it trusts the AD bit of a
validating resolver it talks to over a trusted path (loopback or a local network). Each
look-up asks with EDNS0 DO and AD set and turns the reply into a plain `DnsAnswer`:

    NOERROR / NXDOMAIN with AD      -> SECURE       (also authenticated denial)
    NOERROR / NXDOMAIN without AD   -> INSECURE
    SERVFAIL, and a CD query answers -> BOGUS        (signed, but validation failed)
    SERVFAIL, and the CD query fails -> INDETERMINATE
    no reply in time, no server     -> INDETERMINATE (rcode "TIMEOUT")

Callers must fail closed on `DnsAnswer.failed`: a bogus or indeterminate answer never becomes
a weaker (or a "no records") result.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.resolver

from sealgate.transport.dnssec import Dnssec

DNS_PORT = 53
# Large enough for signed TLSA and DNSKEY answers, small enough to avoid IP fragmentation
# (the DNS flag day 2020 value); longer replies come back truncated and are asked over TCP.
EDNS_PAYLOAD = 1232
# One try waits at most this long before dnspython asks again, within the look-up's timeout.
TRY_TIMEOUT = 2.0


@dataclass(frozen=True)
class DnsAnswer:
    """One look-up's outcome: records as text, the rcode, its DNSSEC status and cache TTL."""

    name: str
    rdtype: str
    status: Dnssec
    rcode: str  # "NOERROR" | "NXDOMAIN" | "SERVFAIL" | "TIMEOUT"
    records: tuple[str, ...] = ()
    ttl: int = 0
    # Where a CNAME chain led ("" when the name had no CNAME): the TLSA base domain candidate.
    canonical_name: str = ""

    @property
    def failed(self) -> bool:
        """No usable answer (SERVFAIL or timeout): the caller must defer, never downgrade."""
        return self.status in (Dnssec.BOGUS, Dnssec.INDETERMINATE)


class Resolver:
    """A stub resolver for one validating resolver ("IP", "IP:PORT") or, with "", the system's.

    No search domains and no cache: every name is absolute, and caching with the answers'
    TTLs belongs to the caller (the probe cache).
    """

    def __init__(self, address: str = "", *, timeout: float = 5.0) -> None:
        self.address = address
        self.timeout = timeout
        self._validating = _stub(address, timeout, dns.flags.RD | dns.flags.AD)
        # The same question with checking disabled tells a bogus answer from a broken server.
        self._unchecked = _stub(address, timeout, dns.flags.RD | dns.flags.CD)

    async def lookup(self, name: str, rdtype: str) -> DnsAnswer:
        qname = dns.name.from_text(name)
        rdtype = rdtype.upper()
        reply = await _ask(self._validating, qname, rdtype)
        if isinstance(reply, dns.message.QueryMessage):
            return _answer(qname.to_text(), rdtype, reply)
        status = Dnssec.INDETERMINATE
        if reply == "SERVFAIL":
            unchecked = await _ask(self._unchecked, qname, rdtype)
            if isinstance(unchecked, dns.message.QueryMessage):
                status = Dnssec.BOGUS
        return DnsAnswer(qname.to_text(), rdtype, status, reply)


def tlsa_name(host: str, port: int = 25) -> str:
    """The owner name of a host's TLSA records for SMTP (RFC 7672 §2.2): `_25._tcp.host.`."""
    return f"_{port}._tcp.{host.rstrip('.')}."


def parse_address(text: str) -> tuple[str, int]:
    """ "IP", "IP:PORT", "[IPv6]:PORT" or a bare IPv6 address -> (ip, port); port defaults to 53."""
    text = text.strip()
    host, port = text, DNS_PORT
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"bad resolver address {text!r}")
            port = int(rest[1:])
    elif text.count(":") == 1:
        host, _, port_text = text.partition(":")
        port = int(port_text)
    ipaddress.ip_address(host)  # raises ValueError for a name or garbage
    if not 0 < port < 65536:
        raise ValueError(f"bad resolver port in {text!r}")
    return host, port


def blocking_resolver(address: str | None, timeout: float) -> dns.resolver.Resolver:
    """A blocking dnspython resolver asking only `address` ("" or None: the system's), with
    no search domains, for libraries that call back synchronously (pyspf, TXT checks)."""
    if not address:
        resolver = dns.resolver.Resolver()
    else:
        host, port = parse_address(address)
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [host]
        resolver.port = port
    resolver.search = []
    resolver.lifetime = timeout
    resolver.timeout = min(resolver.timeout, timeout)
    resolver.use_edns(0, 0, EDNS_PAYLOAD)
    return resolver


def _stub(address: str, timeout: float, flags: int) -> dns.asyncresolver.Resolver:
    if address:
        resolver = dns.asyncresolver.Resolver(configure=False)
        host, port = parse_address(address)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        resolver = dns.asyncresolver.Resolver()
    resolver.search = []
    resolver.cache = None
    resolver.flags = flags
    resolver.use_edns(0, dns.flags.DO, EDNS_PAYLOAD)
    resolver.timeout = min(TRY_TIMEOUT, timeout)
    resolver.lifetime = timeout
    return resolver


async def _ask(
    resolver: dns.asyncresolver.Resolver, qname: dns.name.Name, rdtype: str
) -> dns.message.QueryMessage | str:
    """The NOERROR or NXDOMAIN reply, or "SERVFAIL" / "TIMEOUT" when there is none."""
    try:
        answer = await resolver.resolve(qname, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN as error:
        response: dns.message.QueryMessage = error.kwargs["responses"][qname]
        return response
    except dns.resolver.NoNameservers as error:
        # A reply that came with a bad rcode sits in the error list; socket errors do not.
        replied = any(response is not None for *_, response in error.kwargs["errors"])
        return "SERVFAIL" if replied else "TIMEOUT"
    except dns.exception.Timeout:
        return "TIMEOUT"
    except dns.exception.DNSException:
        # YXDOMAIN, a CNAME chain too long, a malformed reply: nothing to judge.
        return "SERVFAIL"
    return answer.response


def _answer(name: str, rdtype: str, reply: dns.message.QueryMessage) -> DnsAnswer:
    chain = reply.resolve_chaining()
    secure = bool(reply.flags & dns.flags.AD)
    return DnsAnswer(
        name=name,
        rdtype=rdtype,
        status=Dnssec.SECURE if secure else Dnssec.INSECURE,
        rcode=dns.rcode.to_text(reply.rcode()),
        records=tuple(rdata.to_text() for rdata in chain.answer or ()),
        ttl=chain.minimum_ttl,
        canonical_name=_expanded(name, chain.canonical_name),
    )


def _expanded(name: str, canonical: dns.name.Name) -> str:
    expanded = canonical.to_text(omit_final_dot=True).lower()
    return "" if expanded == name.rstrip(".").lower() else expanded

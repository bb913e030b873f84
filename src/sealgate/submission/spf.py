"""SPF evaluation for SPF-authenticated submission (RFC 7208), through pyspf.

A client that does not AUTH may submit when its IP address passes SPF for the sender's
domain (issue 4, point 4). The SPF logic itself is pyspf's (`spf` module, 2.0.14); this
module only decides *which DNS resolver pyspf asks* and turns its answer into an `SpfResult`
that fails closed: only "pass" authorises, so a temperror (SERVFAIL, timeout) never lets a
client in.

Pointing pyspf at a resolver: pyspf resolves every name through the module global
`spf.DNSLookup(name, qtype, strict, timeout)` (its documented test hook), and its dnspython
backend asks dnspython's process-wide default resolver. Rather than reconfiguring that default
resolver (which would leak into every other DNS user of the process and race between threads),
`spf.DNSLookup` is replaced once by a dispatcher that reads the lookup for the current call
from a `ContextVar`. `evaluate` sets the variable for the duration of one check and resets it
afterwards, so each check — in whichever thread runs it — uses its own dnspython `Resolver`,
and nothing configured for a call outlives it. Outside a check the dispatcher forwards to
whatever hook was installed before, so other pyspf users in the process see no change.

The check is blocking (pyspf is synchronous); callers run it with `asyncio.to_thread`.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

import dns.exception
import dns.resolver
import spf  # type: ignore[import-untyped]  # pyspf ships no type information

from sealgate.transport import blocking_resolver as make_resolver

log = logging.getLogger(__name__)

SpfOutcome = Literal["pass", "fail", "softfail", "neutral", "none", "permerror", "temperror"]
_OUTCOMES: frozenset[str] = frozenset(
    ("pass", "fail", "softfail", "neutral", "none", "permerror", "temperror")
)

# pyspf's hook signature: (name, qtype, strict, timeout) -> iterable of ((name, qtype), value),
# with TXT values as tuples of bytes, A/AAAA as addresses, MX as (preference, exchange).
DnsLookup = Callable[[str, str, bool, float], Iterable[tuple[tuple[str, str], Any]]]


@dataclass(frozen=True)
class SpfResult:
    """pyspf's verdict for one (client IP, sender) pair.

    `domain` is the identity SPF checked (the MAIL FROM domain, or the HELO name when MAIL FROM
    is empty); the caller must still check that it is the `From:` domain it authorises.
    """

    result: SpfOutcome
    explanation: str
    domain: str = ""


def spf_authorises(result: SpfResult) -> bool:
    """Only an SPF pass admits an unauthenticated client; every other result, temperror included,
    refuses (fail closed: a DNS failure must never turn into an accepted submission)."""
    return result.result == "pass"


_current_lookup: contextvars.ContextVar[DnsLookup | None] = contextvars.ContextVar(
    "sealgate_spf_lookup", default=None
)
_previous_hook: DnsLookup | None = None


def _dispatching_lookup(
    name: str, qtype: str, strict: bool = True, timeout: float = 30.0
) -> Iterable[tuple[tuple[str, str], Any]]:
    lookup = _current_lookup.get()
    if lookup is None:
        assert _previous_hook is not None
        lookup = _previous_hook
    return lookup(name, qtype, strict, timeout)


def _install_dispatcher() -> None:
    """Make pyspf's DNS hook consult `_current_lookup` (idempotent)."""
    global _previous_hook
    current = cast(DnsLookup, spf.DNSLookup)
    if current is not _dispatching_lookup:
        _previous_hook = current
        spf.DNSLookup = _dispatching_lookup


def resolver_lookup(resolver: dns.resolver.Resolver) -> DnsLookup:
    """A pyspf lookup hook that asks `resolver` (like pyspf's own dnspython hook, which only
    ever asks dnspython's default resolver). Any DNS failure other than "no such name" /
    "no such record" becomes an SPF TempError."""

    def lookup(
        name: str, qtype: str, strict: bool = True, timeout: float = 30.0
    ) -> list[tuple[tuple[str, str], Any]]:
        try:
            answer = resolver.resolve(name, qtype, lifetime=timeout, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except dns.exception.DNSException as error:
            raise spf.TempError(f"DNS {type(error).__name__}") from error
        records: list[tuple[tuple[str, str], Any]] = []
        for rdata in answer:
            if qtype in ("A", "AAAA"):
                records.append(((name, qtype), rdata.address))
            elif qtype == "MX":
                records.append(((name, qtype), (rdata.preference, rdata.exchange)))
            elif qtype == "PTR":
                records.append(((name, qtype), rdata.target.to_text(True)))
            elif qtype in ("TXT", "SPF"):
                records.append(((name, qtype), tuple(rdata.strings)))
        return records

    return lookup


def evaluate(
    client_ip: str, mail_from: str, helo: str, lookup: DnsLookup, *, timeout: float = 10.0
) -> SpfResult:
    """Run pyspf for one check with every DNS question answered by `lookup`.

    `timeout` bounds the whole check (pyspf's `querytime`, RFC 7208 §4.6.4), not each query.
    """
    _install_dispatcher()
    token = _current_lookup.set(lookup)
    try:
        try:
            query = spf.query(i=client_ip, s=mail_from, h=helo, querytime=timeout)
        except spf.PermError as error:  # an unparsable client IP
            return SpfResult("permerror", f"SPF Permanent Error: {error}")
        outcome, _code, explanation = query.check()
    finally:
        _current_lookup.reset(token)
    if outcome not in _OUTCOMES:  # pyspf's lax/legacy results; never authorise them
        outcome = "permerror"
    return SpfResult(cast(SpfOutcome, outcome), str(explanation), str(query.o or ""))


def check_spf(
    client_ip: str,
    mail_from: str,
    helo: str,
    *,
    resolver_address: str | None = None,
    timeout: float = 10.0,
) -> SpfResult:
    """SPF result for `client_ip` sending as `mail_from` (HELO `helo`), asking `resolver_address`
    ("IP" or "IP:PORT"; the system resolver when None). Blocking: run it in a thread."""
    resolver = make_resolver(resolver_address, timeout)
    result = evaluate(client_ip, mail_from, helo, resolver_lookup(resolver), timeout=timeout)
    log.info("spf %s for domain %s from %s", result.result, result.domain, client_ip)
    return result

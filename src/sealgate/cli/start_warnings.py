"""What `serve` warns about at start: settings that work but leak or hurt delivery.

- an `http://` portal base URL: links, cookies and codes would travel in the clear;
- (cli/serve.py) a HELO name that is no FQDN while mail goes out by MX;
- a resolver that does not validate DNSSEC: no DANE, no "secure" answer, so every
  transport level rests on PKIX alone and DANE-only domains cannot be reached by direct
  delivery.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sealgate.transport import Dnssec, Resolver

RESOLVER_CHECK_TIMEOUT = 3.0
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")


def base_url_warning(base_url: str) -> str | None:
    """Why the portal's public address is unsafe, or None (https, or loopback for a test)."""
    parts = urlsplit(base_url)
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and (parts.hostname or "") in LOOPBACK:
        return (
            f"[web] base_url is {base_url!r}: plain HTTP on loopback, for a test only; "
            "recipients need an https:// address behind a TLS reverse proxy"
        )
    return (
        f"[web] base_url is {base_url!r}, not https://: links, session cookies and codes "
        "would cross the network in the clear; put the portal behind HTTPS and set base_url"
    )


async def resolver_warning(address: str) -> str | None:
    """Ask the resolver for the signed root's SOA: without the AD bit it does not validate."""
    resolver = Resolver(address, timeout=RESOLVER_CHECK_TIMEOUT)
    name = repr(address) if address else "the system resolver"
    try:
        answer = await resolver.lookup(".", "SOA")
    except Exception as error:  # a start warning must never stop the start
        return f"[transport] resolver {name} could not be asked ({type(error).__name__})"
    if answer.status is Dnssec.SECURE:
        return None
    if answer.rcode == "TIMEOUT":
        return f"[transport] resolver {name} did not answer; DNS look-ups will defer mail"
    return (
        f"[transport] resolver {name} does not validate DNSSEC (no AD bit on the root's "
        "SOA): DANE cannot be proved and direct delivery to DANE domains will fall back; "
        "use a validating resolver (unbound) on loopback"
    )

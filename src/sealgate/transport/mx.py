"""Which hosts take mail for a domain, in the order to try them (RFC 5321 section 5.1)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MxHost:
    name: str  # lowercase, no trailing dot
    preference: int
    implicit: bool = False  # no MX records: the domain itself (RFC 5321 section 5.1)


def mx_hosts(
    domain: str, records: Iterable[tuple[int, str]], salt: str = ""
) -> list[MxHost] | None:
    """Order a domain's MX records (preference, exchange) into the hosts to try.

    No records: the implicit MX, the domain itself. A single "." exchange: null MX (RFC 7505),
    the domain accepts no mail, and the answer is None. Hosts of equal preference are spread by
    a hash of `salt` (RFC 5321 asks for random order there; a salt keeps this function pure and
    its result reproducible).
    """
    normalised = [(pref, exchange.rstrip(".").lower()) for pref, exchange in records]
    if not normalised:
        return [MxHost(domain.rstrip(".").lower(), 0, implicit=True)]
    if len(normalised) == 1 and normalised[0][1] == "":
        return None

    def spread(host: str) -> bytes:
        return hashlib.sha256(f"{salt}:{host}".encode()).digest()

    # A "." among real exchanges is a misconfiguration (RFC 7505 section 3); skip it.
    usable = sorted((pref, spread(host), host) for pref, host in normalised if host)
    hosts: list[MxHost] = []
    for pref, _, host in usable:
        if all(known.name != host for known in hosts):
            hosts.append(MxHost(host, pref))
    return hosts

"""Transport: what level of transport security a recipient domain's mail servers reach.

Receives: recipient domains (from policy fact gathering and delivery).
Hands off: a `TransportLevel` per domain, or None when unknown (= requirement not met).
Trust: talks to DNS and remote SMTP servers; a failed or forged answer never yields a
stronger level than was proven (fail closed). This version has no probe yet: the provider
answers "unknown" unless an admin assumes a level (`sealgate explain --assume-level`); the
pure TLSA matching (`dane.py`, RFC 7672 rules, tested on OpenSSL's vectors) is in place.
"""

from sealgate.transport.dane import NO_USABLE_RECORDS, DaneVerdict, match_chain
from sealgate.transport.levels import TransportLevel
from sealgate.transport.provider import AssumedLevels, TransportFacts, UnknownTransport
from sealgate.transport.tlsa import TLSARecord

__all__ = [
    "NO_USABLE_RECORDS",
    "AssumedLevels",
    "DaneVerdict",
    "TLSARecord",
    "TransportFacts",
    "TransportLevel",
    "UnknownTransport",
    "match_chain",
]

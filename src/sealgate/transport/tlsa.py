"""The TLSA record (RFC 6698 §2) as a plain value, in DNS presentation format both ways. (pure)

The resolver turns DNS answers into these; `transport/dane.py` matches them against a chain.
Field values outside the known code points are kept (a record we cannot use is still a
record the zone published); `dane.usable_records` decides what counts.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass
from enum import IntEnum


class Usage(IntEnum):
    """Certificate usage (RFC 7218 acronyms); SMTP uses only DANE-TA and DANE-EE."""

    PKIX_TA = 0
    PKIX_EE = 1
    DANE_TA = 2
    DANE_EE = 3


class Selector(IntEnum):
    """Which part of a certificate is matched: the whole DER or its SubjectPublicKeyInfo."""

    CERT = 0
    SPKI = 1


class MatchingType(IntEnum):
    """How the selected bytes are compared: exactly, or by SHA-256 / SHA-512 digest."""

    FULL = 0
    SHA256 = 1
    SHA512 = 2


@dataclass(frozen=True)
class TLSARecord:
    """One TLSA RR: `usage selector mtype data` (data as raw bytes, not hex)."""

    usage: int
    selector: int
    mtype: int
    data: bytes

    @classmethod
    def from_text(cls, text: str) -> TLSARecord:
        """Parse presentation format, e.g. "3 1 1 0a1b…"; the hex may contain spaces."""
        fields = text.split()
        if len(fields) < 4:
            raise ValueError(f"TLSA record needs usage, selector, mtype and data: {text!r}")
        try:
            usage, selector, mtype = (int(field, 10) for field in fields[:3])
        except ValueError:
            raise ValueError(f"TLSA usage/selector/mtype must be integers: {text!r}") from None
        if not all(0 <= number <= 255 for number in (usage, selector, mtype)):
            raise ValueError(f"TLSA usage/selector/mtype must be 0..255: {text!r}")
        try:
            data = binascii.unhexlify("".join(fields[3:]))
        except (binascii.Error, ValueError):
            raise ValueError(f"TLSA data is not hex: {text!r}") from None
        return cls(usage, selector, mtype, data)

    def to_text(self) -> str:
        return f"{self.usage} {self.selector} {self.mtype} {self.data.hex().upper()}"

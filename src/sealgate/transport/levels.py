"""Transport security levels, weakest to strongest, as an ordered scale (Postfix TLS_LEV_*).

"At least PKIX" is `level >= TransportLevel.PKIX`; a stronger level satisfies a weaker minimum.
"""

from __future__ import annotations

from enum import IntEnum


class TransportLevel(IntEnum):
    NONE = 0  # no STARTTLS, or TLS below 1.2
    TLS = 1  # STARTTLS with TLS >= 1.2
    PKIX = 2  # TLS + a certificate valid for the MX host from a trusted CA
    PANE = 3  # PKIX + DNSSEC-validated MX and address records
    DANE = 4  # DNSSEC + matching TLSA records (RFC 7672)

    def to_text(self) -> str:
        return self.name.lower()

    @classmethod
    def from_text(cls, text: str) -> TransportLevel:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            names = ", ".join(level.to_text() for level in cls)
            raise ValueError(f"unknown transport level {text!r} (one of {names})") from None

"""Where policy gets transport facts: the level a recipient domain's mail servers reach now."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from sealgate.transport.levels import TransportLevel


class TransportFacts(Protocol):
    def level(self, domain: str) -> TransportLevel | None:
        """The guaranteed level for mail to `domain`, or None when unknown (= not met)."""
        ...


class UnknownTransport:
    """Until probing exists every domain is unknown, so no transport requirement is met."""

    def level(self, domain: str) -> TransportLevel | None:
        return None


class AssumedLevels:
    """Levels an admin states (`--assume-level DOMAIN=LEVEL`), over another provider."""

    def __init__(self, levels: Mapping[str, TransportLevel], fallback: TransportFacts) -> None:
        self.levels = {domain.lower(): level for domain, level in levels.items()}
        self.fallback = fallback

    def level(self, domain: str) -> TransportLevel | None:
        return self.levels.get(domain.lower(), self.fallback.level(domain))

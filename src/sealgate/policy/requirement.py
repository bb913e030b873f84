"""What a direct delivery must prove on its connection: the level its method demands.

Policy chose the method on the level a probe saw; delivery enforces this minimum again on the
connection that carries the mail (SPEC: "at delivery time, not only at probe time").
"""

from __future__ import annotations

from dataclasses import dataclass

from sealgate.policy.facts import MessageFacts, Method
from sealgate.policy.rules import IDD_MINIMUM, NTA7516_MINIMUM, transport_security_minimum
from sealgate.transport.levels import TransportLevel

_TLS13 = "+tls1.3"


@dataclass(frozen=True)
class Requirement:
    level: TransportLevel
    tls13: bool = False  # the direct-delivery header asked for TLS 1.3

    def to_text(self) -> str:
        return self.level.to_text() + (_TLS13 if self.tls13 else "")

    @classmethod
    def from_text(cls, text: str) -> Requirement:
        level, tls13 = text.removesuffix(_TLS13), text.endswith(_TLS13)
        return cls(TransportLevel.from_text(level), tls13)

    def met_by(self, level: TransportLevel, tls_version: str | None) -> bool:
        if level < self.level:
            return False
        return not self.tls13 or tls_version == "TLSv1.3"


def requirement_for(method: Method, message: MessageFacts) -> Requirement | None:
    """The minimum for a direct method, or None for a method that delivers no content.

    Transport security compliance demands the stronger of the organisation's minimum and a
    `zivver-direct-delivery` header's (SPEC.md "Direct delivery").
    """
    if method == Method.NTA7516:
        return Requirement(NTA7516_MINIMUM)
    if method == Method.IDD:
        return Requirement(IDD_MINIMUM)
    if method == Method.DIRECT_DELIVERY and message.direct_delivery is not None:
        header = message.direct_delivery
        return Requirement(header.minimum, header.tls_version == "1.3")
    minimum = transport_security_minimum(message)
    if method == Method.TRANSPORT_SECURITY and minimum is not None:
        # The header is a floor for the whole message, its TLS version included.
        floor = message.direct_delivery
        return Requirement(minimum, floor is not None and floor.tls_version == "1.3")
    return None

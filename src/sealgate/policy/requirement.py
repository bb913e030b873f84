"""What the connection that carries a mail must prove: every outbound job carries one.

Two kinds, so the one SMTP client is called the same way for every job:

- At a level (direct deliveries): the minimum their method demands. Policy chose the method
  on the level a probe saw; delivery enforces it again on the connection that carries the
  mail (SPEC: "at delivery time, not only at probe time").
- Opportunistic DANE (RFC 7672; every other mail: notifications, code mails, DSNs, notices):
  no floor, but a host with a DNSSEC-secure usable TLSA RRset must match it. Stored as NULL
  in the job's `required_level` column, text "opportunistic".
"""

from __future__ import annotations

from dataclasses import dataclass

from sealgate.policy.facts import MessageFacts, Method
from sealgate.policy.rules import IDD_MINIMUM, NTA7516_MINIMUM, transport_security_minimum
from sealgate.transport import TransportLevel

_TLS13 = "+tls1.3"
_OPPORTUNISTIC = "opportunistic"


@dataclass(frozen=True)
class Requirement:
    level: TransportLevel
    tls13: bool = False  # the direct-delivery header asked for TLS 1.3
    # RFC 7672 opportunistic DANE instead of a level (then `level` is NONE).
    opportunistic: bool = False

    @classmethod
    def opportunistic_dane(cls) -> Requirement:
        """The requirement of mail that holds no content: DANE where published, else may."""
        return cls(TransportLevel.NONE, opportunistic=True)

    @classmethod
    def from_column(cls, required_level: str | None) -> Requirement:
        """A job's requirement from its `required_level` column (NULL: opportunistic DANE)."""
        return cls.opportunistic_dane() if required_level is None else cls.from_text(required_level)

    def to_column(self) -> str | None:
        return None if self.opportunistic else self.to_text()

    def to_text(self) -> str:
        if self.opportunistic:
            return _OPPORTUNISTIC
        return self.level.to_text() + (_TLS13 if self.tls13 else "")

    @classmethod
    def from_text(cls, text: str) -> Requirement:
        if text.strip().lower() == _OPPORTUNISTIC:
            return cls.opportunistic_dane()
        level, tls13 = text.removesuffix(_TLS13), text.endswith(_TLS13)
        return cls(TransportLevel.from_text(level), tls13)

    def met_by(self, level: TransportLevel, tls_version: str | None) -> bool:
        """Whether a connection at `level` meets a level requirement; opportunistic DANE
        has no floor (its TLSA rule is per host, `delivery/tls_policy.py`)."""
        if self.opportunistic:
            return True
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

"""Split a message's recipients into conversations: To and Cc share one, each Bcc stands alone.

The envelope (RCPT TO) says who is delivered to; the To and Cc headers only say who may see
each other. A Bcc recipient is an envelope recipient named in neither header, and gets a
conversation of its own so that nobody learns of them through a shared thread. Someone named
in To or Cc but absent from the envelope is not delivered to: the sending system chose not to.
Pure: addresses in, plan out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from sealgate.mail import address_key

Role = Literal["to", "cc", "bcc"]
Kind = Literal["to_cc", "bcc"]


@dataclass(frozen=True)
class Addressee:
    """One envelope recipient, with the role the headers give it."""

    address: str
    role: Role


@dataclass(frozen=True)
class PlannedConversation:
    """The recipients who share one conversation of a message."""

    kind: Kind
    addressees: tuple[Addressee, ...]


def _key(address: str) -> str:
    """Addresses compare by `mail.address_key`: the local part without regard to case (as
    mail systems treat them in practice), the domain by its A-label."""
    return address_key(address)


def _keys(addresses: Iterable[str]) -> set[str]:
    return {_key(address) for address in addresses if _key(address)}


def _unique_envelope(envelope: Iterable[str]) -> list[str]:
    """Envelope recipients in order, each once (the first spelling wins), empty ones dropped."""
    seen: set[str] = set()
    unique: list[str] = []
    for address in envelope:
        key = _key(address)
        if key and key not in seen:
            seen.add(key)
            unique.append(address.strip().strip("<>"))
    return unique


def split_conversations(
    to: Sequence[str], cc: Sequence[str], envelope: Sequence[str]
) -> tuple[PlannedConversation, ...]:
    """The conversations of one message: first the To/Cc one (if any), then one per Bcc.

    Every envelope recipient lands in exactly one conversation, under its envelope spelling.
    An address in both To and Cc counts as To.
    """
    to_keys, cc_keys = _keys(to), _keys(cc)
    shared: list[Addressee] = []
    alone: list[PlannedConversation] = []
    for address in _unique_envelope(envelope):
        key = _key(address)
        if key in to_keys:
            shared.append(Addressee(address, "to"))
        elif key in cc_keys:
            shared.append(Addressee(address, "cc"))
        else:
            alone.append(PlannedConversation("bcc", (Addressee(address, "bcc"),)))
    if shared:
        return (PlannedConversation("to_cc", tuple(shared)), *alone)
    return tuple(alone)

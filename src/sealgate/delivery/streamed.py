"""A queued mail too large to hold in memory, as the worker hands it to the SMTP client.

A direct delivery can carry a message of 50 MB or more (attachments under 10 MB travel
inline). Holding it whole, and again signed and again CRLF-converted, cost several times
its size (issue 13). So a mail queued as a vault blob is read twice, never held: once to
compute its DKIM body hash (signing.sign_streamed; a damaged blob fails here, before a byte
is sent), then once per SMTP session to send it (session.py, smtp_data.py). What the
session needs to know before DATA (8-bit content, the header section for SMTPUTF8 and a
DSN) is gathered in the first pass. Mails sealed in their job row stay bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field


@dataclass(frozen=True)
class StreamedMail:
    """The DKIM-Signature headers to put in front, and the mail, re-read on each send."""

    signatures: bytes
    read: Callable[[], Iterable[bytes]] = field(repr=False)
    headers: bytes = field(repr=False)  # dsn.header_block of the signed mail
    eight_bit: bool = False  # any octet above 127 anywhere in the mail
    size: int = 0  # of the mail as read, without the signatures

    def pieces(self) -> Iterator[bytes]:
        """The signed mail, piece by piece: the signatures, then the blob as it decrypts."""
        if self.signatures:
            yield self.signatures
        yield from self.read()


__all__ = ["StreamedMail"]

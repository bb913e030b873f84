"""A submission's raw message, read from its vault blob as a stream.

Intake needs the header section at once (control headers, To, Cc, the language) and the rest
only to make the readable form, which `mime_stream` builds piece by piece. So the blob is
decrypted as it is read: first up to the end of the header section, then the rest straight
through the MIME walk, so a message of any size is never in memory whole. A blob that fails
to decrypt, at its start or halfway, raises `RawUnreadable`, and the submission is marked
`corrupt` as before.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import chain

from sealgate.intake.control_headers import strip_control_headers
from sealgate.intake.mime import parse_mime, readable_from
from sealgate.intake.mime_stream import SkeletonWalk
from sealgate.intake.readable import ReadableMessage
from sealgate.mail import HeaderSection, parse_header_section
from sealgate.vault import Vault, VaultCorrupt

log = logging.getLogger("sealgate.intake")

# An empty line may be somewhere in what has been read: only then is it parsed again.
_MAYBE_BLANK_LINE = re.compile(rb"(?:^|\r\n|\n|\r)(?:\r\n|\n|\r)")


class RawUnreadable(Exception):
    """The raw message's blob is missing, altered or truncated (the text names only why)."""


def _plain(vault: Vault, blob_id: str) -> Iterator[bytes]:
    try:
        yield from vault.stream(blob_id)
    except (VaultCorrupt, FileNotFoundError, ValueError) as exc:
        raise RawUnreadable(type(exc).__name__) from None


def read_readable_raw(vault: Vault, blob_id: str) -> bytearray:
    """The whole message without its control headers, gathered into one buffer as it is
    decrypted: the message once in memory (for a direct delivery's rewrite), not the raw
    message, then its segments' join, then a stripped copy. RawUnreadable when the blob is
    missing or fails to decrypt."""
    raw = RawMessage.open(vault, blob_id)
    readable = bytearray(strip_control_headers(raw.head, raw.section))
    for segment in raw.rest():
        readable += segment
    return readable


class RawMessage:
    """The header section of a raw message, read, and the rest of it, still to be read."""

    def __init__(self, vault: Vault, blob_id: str, head: bytes, rest: Iterator[bytes]) -> None:
        self.vault, self.blob_id = vault, blob_id
        self.head = head
        self._rest = rest
        self.section = parse_header_section(head)

    @classmethod
    def open(cls, vault: Vault, blob_id: str) -> RawMessage:
        """Read the blob up to the end of its header section (all of it when it has none)."""
        stream = _plain(vault, blob_id)
        head = bytearray()
        for segment in stream:
            head += segment
            if _MAYBE_BLANK_LINE.search(head) and parse_header_section(bytes(head)).end < len(head):
                break
        return cls(vault, blob_id, bytes(head), stream)

    def rest(self) -> Iterator[bytes]:
        """The segments after the ones `open` read (once)."""
        return self._rest

    def whole(self) -> bytes:
        """The whole message without its control headers, read again from the blob: for a
        message whose structure the walk cannot read, shown as the email package reads it."""
        raw = b"".join(_plain(self.vault, self.blob_id))
        return strip_control_headers(raw)

    def readable(self, section: HeaderSection, vault: Vault) -> ReadableMessage:
        """The readable form of the message without its control headers (`section` is its
        header section); large attachments decoded straight into blobs of their own."""
        chunks = chain([strip_control_headers(self.head, section)], self._rest)
        try:
            skeleton = SkeletonWalk(vault).run(chunks)
        except RawUnreadable:
            raise
        except Exception:  # the walk tripped over something: read the message whole instead
            log.warning("intake: streamed MIME walk failed for blob %s; read whole", self.blob_id)
            whole = self.whole()
            return readable_from(parse_mime(whole), whole, vault)
        return readable_from(
            parse_mime(skeleton.data),
            skeleton.data,
            vault,
            skeleton=skeleton,
            original=self.whole,
        )

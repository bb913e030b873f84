"""The one header-section parser: fields, their unfolded values, and where the section ends.

Python's `email` parser ends the header section at the first line it does not take for a
field, and it does not take `From : x` (RFC 5322 4.5: blanks before the colon) for one, while
a lenient reader downstream may. A check that asked it for From could therefore miss a
second From field. Every check reads headers here instead, one way:

- a field starts with a name of printable ASCII except colon (RFC 5322 ftext), optional
  blanks, then a colon; names compare case-insensitively;
- a line starting with a blank continues the field before it (folding);
- the section ends exactly at the first empty line, or at the end of the data;
- a line that is none of these (no colon, an empty or non-ASCII name, an mbox `From ` line, a
  continuation before any field) is kept as a *stray* line and does not end the section.
  A mail client never sends one; submission refuses such a message, and intake, which must
  cope with whatever was stored, still sees every field after it.

Lines end in CRLF, LF or a lone CR, as the email package splits them, so that what this
parser calls the header section is never smaller than what any reader downstream could take
for one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.headerregistry import Address
from email.policy import default as default_policy

# One physical line with its ending (CRLF, LF or a lone CR).
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")
# The start of a field: ftext name (printable ASCII but colon), optional blanks, a colon.
_FIELD_START = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:")
_BLANKS = (b" ", b"\t")


@dataclass(frozen=True)
class HeaderField:
    """One field as it stands in the message: its name and its raw lines (folds included).

    `name` is None for a stray line (neither a field nor a continuation) and whatever
    continuation lines follow it.
    """

    name: str | None
    source: bytes

    @property
    def key(self) -> str | None:
        """The name in lower case, for comparing (field names are case-insensitive)."""
        return self.name.lower() if self.name is not None else None

    @property
    def value(self) -> str:
        """The unfolded value: line breaks removed (RFC 5322 2.2.3), outer blanks trimmed.

        Bytes that are not UTF-8 become U+FFFD; a header under SMTPUTF8 is UTF-8 (RFC 6532).
        """
        _, _, raw_value = self.source.partition(b":")
        unfolded = raw_value.replace(b"\r", b"").replace(b"\n", b"")
        return unfolded.decode("utf-8", errors="replace").strip(" \t")

    def canonical(self) -> bytes:
        """The field with no blanks between name and colon, so every parser reads it alike.

        RFC 5322 4.5 says `name WSP* :` means `name:`; the value and its folds are kept
        byte for byte. A stray line is returned as it is.
        """
        if self.name is None:
            return self.source
        _, _, rest = self.source.partition(b":")
        return self.name.encode("ascii") + b":" + rest


@dataclass(frozen=True)
class HeaderSection:
    """The top-level header section of a message.

    `end` is the offset of the empty line that ends the section (or the length of the data
    when there is none): `raw[end:]` is that empty line and the body.
    """

    fields: tuple[HeaderField, ...]
    end: int

    def get_all(self, name: str) -> tuple[HeaderField, ...]:
        """Every field of that name, in any spelling of its case, in order."""
        key = name.lower()
        return tuple(field for field in self.fields if field.key == key)

    def values(self, name: str) -> tuple[str, ...]:
        return tuple(field.value for field in self.get_all(name))

    @property
    def stray(self) -> tuple[HeaderField, ...]:
        """The lines that are neither a field nor a continuation of one."""
        return tuple(field for field in self.fields if field.name is None)


def _lines(raw: bytes) -> Iterator[tuple[int, bytes]]:
    position = 0
    while position < len(raw):
        line = _LINE.match(raw, position)
        assert line is not None  # the pattern matches the empty string
        yield position, line.group()
        position = line.end()


def parse_header_section(raw: bytes) -> HeaderSection:
    """Split the header section of `raw` into fields; see the module docstring for the rules."""
    fields: list[HeaderField] = []
    for position, text in _lines(raw):
        if text.strip(b"\r\n") == b"":
            return HeaderSection(tuple(fields), position)
        if text[:1] in _BLANKS and fields:
            fields[-1] = HeaderField(fields[-1].name, fields[-1].source + text)
            continue
        start = _FIELD_START.match(text)
        if start is not None:
            fields.append(HeaderField(start.group(1).decode("ascii"), text))
        else:
            fields.append(HeaderField(None, text))
    return HeaderSection(tuple(fields), len(raw))


def field_addresses(value: str) -> list[str]:
    """The addr-specs of the mailboxes in one address field's value (From, Sender, To, …).

    The email library parses this single value; what it cannot read, a group with no members,
    and a mailbox without a domain each count as one empty address, which can never match an
    account, so that a broken field is never taken for an absent one.
    """
    try:
        header = default_policy.header_factory("from", value)
        mailboxes: tuple[Address, ...] = header.addresses
    except Exception:  # a value too broken for the parser is as good as an empty one
        mailboxes = ()
    found = [mailbox.addr_spec if mailbox.domain else "" for mailbox in mailboxes]
    return found or [""]

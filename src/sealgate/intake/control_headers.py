"""The zivver-* control headers: read them from a raw message, and cut them out of it.

A sender's mail system sets these headers to steer the policy for one message; they are
instructions to the gateway, not part of the message, so nothing stored for reading and
nothing delivered may carry them. This module only keeps their raw values; their grammar
and effect belong to `policy/`. Pure: bytes in, values out.

The header section is found the way a lenient reader would find it, and a field name may be
followed by blanks before its colon (RFC 5322 obsolete syntax), so that the part we strip is
never smaller than what any downstream parser could take for a control header.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

ACCESS_RIGHT = "zivver-access-right"
DIRECT_DELIVERY = "zivver-direct-delivery"
MINIMUM_RECIPIENT_VERIFICATION = "zivver-minimum-recipient-verification"
CONTROL_HEADER_NAMES = frozenset({ACCESS_RIGHT, DIRECT_DELIVERY, MINIMUM_RECIPIENT_VERIFICATION})

# One physical line with its ending (CRLF, LF or a lone CR, as the email package splits them).
_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)?")
# The start of a header field: printable ASCII except colon, optional blanks, then a colon.
# The name may be empty, because the email package also reads ": x" as a header line.
_FIELD_START = re.compile(rb"([\x21-\x39\x3b-\x7e]*)[ \t]*:")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")


@dataclass(frozen=True)
class ControlHeaders:
    """The raw values of the control headers of one message, every occurrence, in order.

    Each field is a tuple because a header may be repeated; what a repeated
    `zivver-direct-delivery` means is for the policy grammar to decide (fail closed).
    An empty tuple means the header was absent; `("",)` means present but empty.
    """

    access_rights: tuple[str, ...] = ()
    direct_delivery: tuple[str, ...] = ()
    minimum_recipient_verification: tuple[str, ...] = ()

    @property
    def present(self) -> bool:
        return bool(
            self.access_rights or self.direct_delivery or self.minimum_recipient_verification
        )

    def to_json(self) -> dict[str, list[str]]:
        return {
            ACCESS_RIGHT: list(self.access_rights),
            DIRECT_DELIVERY: list(self.direct_delivery),
            MINIMUM_RECIPIENT_VERIFICATION: list(self.minimum_recipient_verification),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> ControlHeaders:
        def values(name: str) -> tuple[str, ...]:
            raw = data.get(name, [])
            if not isinstance(raw, list | tuple):
                raise ValueError(f"{name}: expected a list of strings")
            return tuple(str(value) for value in raw)

        return cls(
            access_rights=values(ACCESS_RIGHT),
            direct_delivery=values(DIRECT_DELIVERY),
            minimum_recipient_verification=values(MINIMUM_RECIPIENT_VERIFICATION),
        )


@dataclass(frozen=True)
class _Field:
    """One header field as it stands in the message: its name (None if none) and its lines."""

    name: str | None
    source: bytes


def _header_fields(raw: bytes) -> tuple[list[_Field], int]:
    """Cut the header section into fields; also return where the rest of the message starts.

    The section ends at the first empty line (kept with the rest) or at the first line that
    is neither a field start nor a continuation, as the email package's parser decides.
    """
    fields: list[_Field] = []
    position = 0
    while position < len(raw):
        line = _LINE.match(raw, position)
        assert line is not None  # the pattern matches the empty string
        text = line.group()
        if text.strip(b"\r\n") == b"":
            break
        start = _FIELD_START.match(text)
        if text[:1] in (b" ", b"\t"):
            if fields:
                fields[-1] = _Field(fields[-1].name, fields[-1].source + text)
            else:
                fields.append(_Field(None, text))
        elif text.startswith(b"From "):
            # An mbox envelope line: the email package skips it and goes on reading headers.
            fields.append(_Field(None, text))
        elif start is not None:
            fields.append(_Field(start.group(1).decode("ascii").lower(), text))
        else:
            break
        position = line.end()
    return fields, position


def _value(source: bytes) -> str:
    """The unfolded value of a field: line breaks removed, outer blanks trimmed.

    Bytes that are not UTF-8 and control characters (NUL, …) become U+FFFD: they can be
    no valid value, and must not reach a database column or a log line as they are.
    """
    _, _, value = source.partition(b":")
    unfolded = value.replace(b"\r", b"").replace(b"\n", b"")
    text = unfolded.decode("utf-8", errors="replace").strip(" \t")
    return _CONTROL_CHARACTERS.sub("\ufffd", text)


def _control_fields(raw: bytes) -> Iterator[_Field]:
    fields, _ = _header_fields(raw)
    return (field for field in fields if field.name in CONTROL_HEADER_NAMES)


def parse_control_headers(raw: bytes) -> ControlHeaders:
    """The control headers of the message's top-level header section (never of its parts)."""
    found: dict[str, list[str]] = {name: [] for name in CONTROL_HEADER_NAMES}
    for field in _control_fields(raw):
        assert field.name is not None
        found[field.name].append(_value(field.source))
    return ControlHeaders(
        access_rights=tuple(found[ACCESS_RIGHT]),
        direct_delivery=tuple(found[DIRECT_DELIVERY]),
        minimum_recipient_verification=tuple(found[MINIMUM_RECIPIENT_VERIFICATION]),
    )


def strip_control_headers(raw: bytes) -> bytes:
    """The message with every control header field removed, continuation lines included.

    Everything else is kept byte for byte, so the body and its MIME structure are untouched.
    """
    fields, body_start = _header_fields(raw)
    kept = b"".join(field.source for field in fields if field.name not in CONTROL_HEADER_NAMES)
    return kept + raw[body_start:]

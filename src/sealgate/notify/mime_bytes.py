"""(pure) A text + HTML mail written straight to bytes, as `email` would write it.

Route writes one notification per recipient, and building each with `EmailMessage`
(`set_content`, `add_alternative`, a header object per field, then the generator) cost about
3 ms a recipient, most of it in the `email` package's header machinery. The fields that are
the same for every recipient of a message (From, Subject) are folded by that machinery once
and kept; a plain ASCII address, a date and a Message-ID need no folding; the two parts get
the transfer encoding `email`'s own heuristic picks (7bit or 8bit for short lines, else
quoted-printable). Anything else (a To that is not a plain address) is folded by `email`,
so what comes out always parses back to the same mail (tests/notify/test_mime_bytes.py).
"""

from __future__ import annotations

import binascii
import re
import secrets
from collections.abc import Sequence
from email import policy as email_policy
from email.headerregistry import Address as HeaderAddress
from functools import lru_cache

# As `email.message.EmailMessage.as_bytes` writes: "\n" line ends, 78-character lines.
_POLICY = email_policy.default
_UTF8_POLICY = email_policy.default.clone(utf8=True)
_MAX_LINE: int = _POLICY.max_line_length or 78
# An address that needs neither folding nor quoting in a To field of its own.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _fold(name: str, value: str | HeaderAddress, utf8: bool) -> bytes:
    """As `EmailMessage.__setitem__` then the generator: a line break in a text value is a
    ValueError (no header injection), the rest folded by the policy."""
    if isinstance(value, str) and len(value.splitlines()) > 1:
        raise ValueError("Header values may not contain linefeed or carriage return characters")
    policy = _UTF8_POLICY if utf8 else _POLICY
    header = policy.header_factory(name, value)
    line: str = header.fold(policy=policy)
    return line.encode("utf-8" if utf8 else "ascii")


@lru_cache(maxsize=1024)
def folded(name: str, value: str, utf8: bool = False) -> bytes:
    """One header field as `email`'s default policy folds it (encoded-words for non-ASCII
    text unless `utf8`), with its line end. Cached: a message's Subject is the same for
    each of its recipients."""
    return _fold(name, value, utf8)


@lru_cache(maxsize=1024)
def named_address_field(
    name: str, display_name: str, username: str, domain: str, utf8: bool = False
) -> bytes:
    """A field holding one address with a display name (a From), folded as `folded`."""
    address = HeaderAddress(display_name=display_name, username=username, domain=domain)
    return _fold(name, address, utf8)


def address_field(name: str, address: str, utf8: bool = False) -> bytes:
    """A field holding one bare address (a notification's To)."""
    if len(name) + len(address) + 2 <= _MAX_LINE and _PLAIN_ADDRESS.fullmatch(address):
        return f"{name}: {address}\n".encode("ascii")
    return _fold(name, address, utf8)


def plain_field(name: str, value: str, utf8: bool = False) -> bytes:
    """A field whose value is usually short ASCII (Date, Message-ID, ...); anything else is
    folded by `email`."""
    line = f"{name}: {value}\n"
    if len(line) - 1 > _MAX_LINE or not line.isascii() or len(value.splitlines()) > 1:
        return _fold(name, value, utf8)
    return line.encode("ascii")


def encoded_body(text: str) -> tuple[str, bytes]:
    """The transfer encoding `email` would choose for `text` as UTF-8, and the body so.

    As `email.contentmanager`: lines normalised to "\\n"; 7bit when ASCII and every line
    fits, 8bit when only non-ASCII, else quoted-printable.
    """
    lines = text.encode("utf-8").splitlines()
    body = b"\n".join(lines) + b"\n"
    if max((len(line) for line in lines), default=0) <= _MAX_LINE:
        return ("7bit" if body.isascii() else "8bit"), body
    encoded = binascii.b2a_qp(body, istext=True, header=False)
    return "quoted-printable", encoded if encoded.endswith(b"\n") else encoded + b"\n"


def _part(subtype: str, text: str) -> bytes:
    encoding, body = encoded_body(text)
    head = (
        f'Content-Type: text/{subtype}; charset="utf-8"\nContent-Transfer-Encoding: {encoding}\n\n'
    )
    return head.encode("ascii") + body


def alternative(headers: Sequence[bytes], text: str, html: str, language: str) -> bytes:
    """The whole mail: `headers` (each a folded field), then MIME-Version, a
    multipart/alternative of `text` and `html` (UTF-8), and Content-Language."""
    parts = (_part("plain", text), _part("html", html))
    boundary = "=" * 15 + secrets.token_hex(12) + "=="
    while any(boundary.encode("ascii") in part for part in parts):
        boundary = "=" * 15 + secrets.token_hex(12) + "=="  # pragma: no cover
    separator = f"--{boundary}\n".encode("ascii")
    return b"".join(
        (
            *headers,
            b"MIME-Version: 1.0\n",
            b"Content-Type: multipart/alternative;\n",
            f' boundary="{boundary}"\n'.encode("ascii"),
            plain_field("Content-Language", language),
            b"\n",
            separator,
            parts[0],
            b"\n",
            separator,
            parts[1],
            b"\n",
            f"--{boundary}--\n".encode("ascii"),
        )
    )

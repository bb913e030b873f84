"""RFC 3461 section 4 xtext (pure): how ENVID, ORCPT and AUTH values travel in SMTP and DSNs.

xtext is printable ASCII except "+" and "=", and "+" followed by two upper-case hex digits
for any other octet. Submission decodes what a client sent; a DSN encodes it again
(RFC 3464 section 2.2.1, 2.3.2: Original-Envelope-Id and Original-Recipient carry xtext).
"""

from __future__ import annotations

import re

_HEXCHAR = re.compile(r"\+([0-9A-Fa-f]{2})")


def is_xtext(text: str) -> bool:
    """True when `text` is xtext (hex digits accepted in either case, as Postfix does)."""
    rest = _HEXCHAR.sub("", text)
    return all("!" <= char <= "~" and char not in "+=" for char in rest)


def decode_xtext(text: str) -> str:
    """The value `text` encodes; the octets are read as UTF-8. Check `is_xtext` first."""
    octets = bytearray()
    position = 0
    for match in _HEXCHAR.finditer(text):
        octets += text[position : match.start()].encode("ascii")
        octets.append(int(match.group(1), 16))
        position = match.end()
    octets += text[position:].encode("ascii")
    return octets.decode("utf-8", errors="replace")


def encode_xtext(text: str) -> str:
    """`text` as xtext; non-ASCII characters as their UTF-8 octets."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        out.append(char if "!" <= char <= "~" and char not in "+=" else f"+{byte:02X}")
    return "".join(out)

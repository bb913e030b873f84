"""The bytes of SMTP DATA for a mail read in pieces (pure): what smtplib's `data()` sends.

smtplib's `data()` wants the whole message in memory. A direct mail of 50 MB is instead sent
as it is read from the vault, so this does, piece by piece, exactly what the whole-message
path does (session.py): every line end made CRLF (a bare LF and a lone CR too, RFC 5321
§2.3.8), a "." at the start of a line doubled (§4.5.2), a CRLF added when the mail does not
end with one, then the ".CRLF" that ends DATA. However the mail is cut into pieces, the
bytes on the wire are the same (tests/delivery/test_smtp_data.py).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable

CRLF = b"\r\n"
# The same line ends as session._crlf: CRLF, a bare LF, a CR not before an LF.
_EOL = re.compile(rb"\r\n|\n|\r(?!\n)")
_DOT_AFTER_LF = re.compile(rb"\n\.")


def data_pieces(pieces: Iterable[bytes | bytearray]) -> Generator[bytes, None, None]:
    """The DATA bytes of the mail `pieces` make up, ending with the final ".CRLF".

    A CR at the end of a piece waits for the next one: only then is it known whether it
    starts a CRLF or stands alone. Whether a piece starts a line follows from the previous.
    """
    held = b""
    line_start = True
    last_two = b""
    for piece in pieces:
        text = held + bytes(piece)
        held = b""
        if text.endswith(b"\r"):
            text, held = text[:-1], b"\r"
        if not text:
            continue
        text = _DOT_AFTER_LF.sub(b"\n..", _EOL.sub(CRLF, text))
        if line_start and text.startswith(b"."):
            text = b"." + text
        line_start = text.endswith(b"\n")
        last_two = (last_two + text)[-2:]
        yield text
    if held:  # a lone CR at the very end is a line end too
        last_two = CRLF
        yield CRLF
    yield (b"" if last_two == CRLF else CRLF) + b"." + CRLF

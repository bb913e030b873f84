"""A mail as a mail program writes it with a signature logo: text + HTML with a cid: picture.

multipart/alternative(text/plain, multipart/related(text/html, image/png)), a remote tracking
picture in the HTML, and one real attachment. The picture is a valid PNG so that a browser
draws it.
"""

from __future__ import annotations

import struct
import zlib
from email.message import EmailMessage

LOGO_CID = "logo-1234@hospital.example"
TRACKER = "https://tracker.example/pixel.gif"


def png(width: int = 8, height: int = 6) -> bytes:
    """A small opaque red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + b"\xff\x00\x00" * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


LOGO = png()


def signature_mail(*, sender: str = '"Dr. A. Arts" <alice@hospital.example>') -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "bob@example.org"
    mail["Subject"] = "Your results"
    mail["Date"] = "Wed, 02 Dec 2026 09:30:00 +0100"
    mail.set_content("Dear Bob,\nyour results are attached.\n")
    mail.add_alternative(
        "<p>Dear Bob, your <b>results</b> are attached.</p>"
        f'<p><img src="cid:{LOGO_CID}" alt="Hospital logo" width="8" height="6"></p>'
        f'<p><img src="{TRACKER}" alt=""></p>',
        subtype="html",
    )
    html_part = mail.get_payload()[1]
    html_part.add_related(LOGO, maintype="image", subtype="png", cid=f"<{LOGO_CID}>")
    mail.add_attachment(
        b"%PDF-1.7 letter", maintype="application", subtype="pdf", filename="letter.pdf"
    )
    return mail

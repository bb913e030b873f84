"""A direct delivery re-encodes a part with a line over 998 octets instead of splitting it
(issue 8 item 15): every outbound line is short, the decoded content is the same."""

from __future__ import annotations

import os
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sealgate.delivery.direct_mail import MAX_LINE, direct_mail

# 100 KB of unwrapped HTML on one line, with non-ASCII text and trailing spaces inside.
HTML_LINE = (
    b"<html><body>"
    + b"".join(b"<p>R\xc3\xa9sultat %d = ok  </p>" % i for i in range(4000))
    + b"</body></html>"
)
assert len(HTML_LINE) > 100_000


def _parse(raw: bytes) -> EmailMessage:
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _longest_line(raw: bytes) -> int:
    return max(len(line) for line in raw.split(b"\r\n"))


def _multipart(html_cte: bytes = b"8bit", attachment: bytes = b"") -> bytes:
    return (
        b"From: Alice Arts <alice@hospital.example>\r\n"
        b"To: bob@example.org\r\n"
        b"Subject: Report\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b1"\r\n'
        b"\r\n"
        b"--b1\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"\r\n"
        b"Short text stays as it is.\r\n"
        b"--b1\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: " + html_cte + b"\r\n"
        b"\r\n" + HTML_LINE + b"\r\n" + attachment + b"--b1--\r\n"
    )


def test_a_100_kb_single_line_html_part_is_re_encoded_not_split() -> None:
    """Issue 8 item 15: the HTML part leaves as quoted-printable, every line <= 998 octets,
    and decodes to exactly the bytes the sender wrote."""
    raw = _multipart()
    out = direct_mail(raw, link=None)
    assert _longest_line(out) <= MAX_LINE
    html, text = None, None
    for part in _parse(out).walk():
        if part.get_content_type() == "text/html":
            html = part
        elif part.get_content_type() == "text/plain":
            text = part
    assert html is not None and text is not None
    assert html["Content-Transfer-Encoding"] == "quoted-printable"
    assert html.get_payload(decode=True) == HTML_LINE
    assert text.get_payload(decode=True) == b"Short text stays as it is."
    # Everything before the HTML part, and its other header fields, are unchanged.
    head = raw[: raw.index(b"Content-Transfer-Encoding: 8bit")]
    assert out.startswith(head)


def test_a_long_line_attachment_is_base64_and_decodes_the_same() -> None:
    """Issue 8 item 15: a non-text part with a long line is re-encoded as base64."""
    data = os.urandom(3000).replace(b"\r", b"").replace(b"\n", b"")
    attachment = (
        b"--b1\r\n"
        b"Content-Type: application/octet-stream\r\n"
        b'Content-Disposition: attachment; filename="data.bin"\r\n'
        b"Content-Transfer-Encoding: binary\r\n"
        b"\r\n" + data + b"\r\n"
    )
    out = direct_mail(_multipart(attachment=attachment), link=None)
    assert _longest_line(out) <= MAX_LINE
    [part] = [p for p in _parse(out).walk() if p.get_filename() == "data.bin"]
    assert part["Content-Transfer-Encoding"] == "base64"
    assert part.get_payload(decode=True) == data


def test_a_single_part_message_with_a_long_line_keeps_its_headers() -> None:
    """Issue 8 item 15: a whole message that is one long HTML line, without MIME headers."""
    raw = (
        b"From: alice@hospital.example\r\nTo: bob@example.org\r\nSubject: x\r\n"
        b"Content-Type: text/html; charset=utf-8\r\n\r\n" + HTML_LINE + b"\r\n"
    )
    out = direct_mail(raw, link=None)
    assert _longest_line(out) <= MAX_LINE
    parsed = _parse(out)
    assert parsed["Subject"] == "x" and parsed["MIME-Version"] == "1.0"
    assert parsed.get_payload(decode=True) == HTML_LINE + b"\r\n"


def test_short_lines_and_quoted_printable_parts_travel_byte_identical() -> None:
    """Only a part with an over-long line changes; a message without one is the same bytes."""
    raw = _multipart().replace(HTML_LINE, b"<p>short</p>")
    assert direct_mail(raw, link=None) == raw

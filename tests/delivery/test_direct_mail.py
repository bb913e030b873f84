"""The mail a direct delivery carries: large attachments behind a link, the rest untouched.

Messages are built here byte by byte, so each test knows exactly which bytes must survive.
"""

from __future__ import annotations

import base64
import os
import quopri
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from sealgate.delivery.direct_mail import (
    LARGE_ATTACHMENT,
    LargeAttachment,
    direct_mail,
    needs_link,
    plan_direct_mail,
)
from sealgate.intake.control_headers import strip_control_headers

LINK = "https://portal.example/m/Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXhx"
CRLF = b"\r\n"
HEAD = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"To: bob@clinic.example\r\n"
    b"Subject: Scans\r\n"
    b"Message-ID: <1@hospital.example>\r\n"
    b"MIME-Version: 1.0\r\n"
)
TEXT = b'Content-Type: text/plain; charset="utf-8"\r\n\r\nDear Bob,\r\nthe scans.\r\n'


def attachment(
    data: bytes, filename: bytes = b'"scan.bin"', content_type: bytes = b"application/pdf"
) -> bytes:
    """An attachment part, base64 in lines of 76 as mail programs write it.

    `filename` is the parameter's value, or the whole parameter when it starts with "filename".
    """
    body = base64.encodebytes(data).replace(b"\n", CRLF)
    parameter = filename if filename.startswith(b"filename") else b"filename=" + filename
    return (
        b"Content-Type: " + content_type + CRLF
        + b"Content-Disposition: attachment; " + parameter + CRLF
        + b"Content-Transfer-Encoding: base64\r\n\r\n"
        + body
    )  # fmt: skip


def multipart(boundary: bytes, *parts: bytes, subtype: bytes = b"mixed") -> tuple[bytes, bytes]:
    """(headers, body) of a multipart entity with these parts."""
    headers = b"Content-Type: multipart/" + subtype + b'; boundary="' + boundary + b'"\r\n'
    body = b"This is a multi-part message in MIME format.\r\n"
    for part in parts:
        body += b"--" + boundary + CRLF + part + CRLF
    return headers, body + b"--" + boundary + b"--\r\n"


def message(*parts: bytes, head: bytes = HEAD) -> bytes:
    headers, body = multipart(b"outer-1", *parts)
    return head + headers + CRLF + body


def parse(raw: bytes) -> EmailMessage:
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(mail, EmailMessage)
    return mail


def link_parts(raw: bytes) -> list[str]:
    return [
        part.get_content()
        for part in parse(raw).walk()
        if part.get_content_type() == "text/plain" and LINK in part.get_content()
    ]


def test_an_attachment_of_10_mb_becomes_a_download_link():
    big = attachment(os.urandom(LARGE_ATTACHMENT), b'"scan.pdf"')
    small = attachment(b"%PDF small", b'"letter.pdf"')
    raw = message(TEXT, big, small)
    out = direct_mail(raw, link=LINK)
    start = raw.index(big)
    before, after = raw[:start], raw[start + len(big) :]
    assert out.startswith(before) and out.endswith(after)
    assert len(out) < 2000
    middle = parse(out).get_payload()[1]
    assert middle.get_content_type() == "text/plain"
    assert middle.get_content_disposition() == "inline"
    notice = middle.get_content()
    assert '"scan.pdf"' in notice and "10.0 MB" in notice and LINK in notice


@pytest.mark.parametrize("size", [LARGE_ATTACHMENT - 1, LARGE_ATTACHMENT - 10 * 1024])
def test_an_attachment_under_10_mb_stays_byte_identical(size: int):
    raw = message(TEXT, attachment(os.urandom(size)))
    plan = plan_direct_mail(raw)
    assert not plan.needs_link and plan.large == ()
    assert direct_mail(raw, link=None) == raw
    assert direct_mail(raw, link=LINK) == raw


def test_a_plain_message_stays_byte_identical_and_needs_no_link():
    raw = HEAD + b"Content-Type: text/plain\r\n\r\nJust text.\r\n"
    assert needs_link(raw) is False
    assert direct_mail(raw, link=None) == raw


def test_a_long_text_body_always_travels():
    """The message's own text is not an attachment, however long it is."""
    raw = HEAD + b"Content-Type: text/plain\r\n\r\n" + b"line of text\r\n" * 1000
    assert direct_mail(raw, link=None, threshold=1000) == raw


@pytest.mark.parametrize("extra", [0, 1, 2])
def test_the_threshold_counts_decoded_bytes(extra: int):
    """base64 is 4/3 larger on the wire; only the decoded size counts, to the byte."""
    threshold = 3000 + extra
    at = message(TEXT, attachment(os.urandom(threshold)))
    under = message(TEXT, attachment(os.urandom(threshold - 1)))
    assert plan_direct_mail(at, threshold).large[0].size == threshold
    assert needs_link(under, threshold) is False


def test_quoted_printable_and_8bit_attachments_are_measured_decoded():
    qp = quopri.encodestring(b"=\xff" * 2000).replace(b"\n", CRLF)
    part = (
        b'Content-Type: text/csv\r\nContent-Disposition: attachment; filename="a.csv"\r\n'
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n" + qp
    )
    plain = b'Content-Type: text/csv; name="b.csv"\r\n\r\n' + b"x" * 3999
    [found] = plan_direct_mail(message(TEXT, part), threshold=4000).large
    assert found.size == 4000 and found.filename == "a.csv"
    assert needs_link(message(TEXT, plain), threshold=4000) is False
    assert plan_direct_mail(message(TEXT, plain), threshold=3999).large[0].filename == "b.csv"


def test_nested_multiparts_are_searched_and_their_structure_kept():
    big = attachment(os.urandom(5000), b'"deep.bin"', b"application/octet-stream")
    image = attachment(os.urandom(100), b'"logo.png"', b"image/png")
    html = b"Content-Type: text/html\r\n\r\n<p>Dear Bob</p>\r\n"
    alt_headers, alt_body = multipart(b"alt-2", TEXT, html, subtype=b"alternative")
    inner_headers, inner_body = multipart(b"inner-3", image, big)
    raw = message(alt_headers + CRLF + alt_body, inner_headers + CRLF + inner_body)
    out = direct_mail(raw, link=LINK, threshold=5000)
    start = raw.index(big)
    assert out.startswith(raw[:start]) and out.endswith(raw[start + len(big) :])
    shape = [part.get_content_type() for part in parse(out).walk()]
    assert shape == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "multipart/mixed",
        "image/png",
        "text/plain",
    ]
    assert len(link_parts(out)) == 1


def test_every_large_attachment_gets_its_own_link_part():
    one, two = attachment(os.urandom(3000), b'"a.bin"'), attachment(os.urandom(3000), b'"b.bin"')
    out = direct_mail(message(TEXT, one, two), link=LINK, threshold=3000)
    notices = link_parts(out)
    assert len(notices) == 2 and '"a.bin"' in notices[0] and '"b.bin"' in notices[1]


@pytest.mark.parametrize(
    "filename",
    [
        b"filename*=utf-8''Jaarverslag%20%E2%82%AC%20M%C3%A4rz.pdf",  # RFC 2231
        b'"=?utf-8?q?Jaarverslag_=E2=82=AC_M=C3=A4rz=2Epdf?="',  # RFC 2047, as some programs do
        '"Jaarverslag € März.pdf"'.encode(),  # raw UTF-8 (RFC 6532)
    ],
)
def test_a_non_ascii_filename_survives(filename: bytes):
    raw = message(TEXT, attachment(os.urandom(3000), filename))
    [found] = plan_direct_mail(raw, threshold=3000).large
    assert found == LargeAttachment("Jaarverslag € März.pdf", "application/pdf", 3000)
    out = direct_mail(raw, link=LINK, threshold=3000)
    assert out.isascii(), "the link part must be 7-bit safe"
    [notice] = link_parts(out)
    assert '"Jaarverslag € März.pdf"' in notice


def test_control_headers_are_never_delivered():
    """Intake strips them from the readable message; nothing here brings them back."""
    controls = (
        b"zivver-direct-delivery: tls tls1.2 auth certificate-validation\r\n"
        b"ZIVVER-Access-Right: bob@clinic.example sms\r\n +31612345678\r\n"
        b"zivver-minimum-recipient-verification: email-verification\r\n"
    )
    raw = message(TEXT, attachment(os.urandom(3000)), head=controls + HEAD)
    readable = strip_control_headers(raw)
    for threshold in (3000, LARGE_ATTACHMENT):
        out = direct_mail(readable, link=LINK, threshold=threshold)
        assert b"zivver" not in out.lower()
        assert parse(out)["Subject"] == "Scans"


def test_a_large_attachment_without_a_link_is_refused():
    raw = message(TEXT, attachment(os.urandom(3000)))
    with pytest.raises(ValueError, match="needs a download link"):
        direct_mail(raw, link=None, threshold=3000)


def test_a_message_that_is_one_attachment_keeps_its_own_headers():
    raw = HEAD + attachment(os.urandom(3000), b'"whole.pdf"')
    out = direct_mail(raw, link=LINK, threshold=3000)
    mail = parse(out)
    assert out.startswith(HEAD)
    assert (mail["From"], mail["Subject"]) == ("Alice Arts <alice@hospital.example>", "Scans")
    assert mail.get_content_type() == "text/plain" and LINK in mail.get_content()
    assert len(mail.get_all("Content-Type")) == 1
    assert len(mail.get_all("MIME-Version")) == 1


def test_a_forwarded_message_is_one_attachment():
    inner = b"From: x@y.example\r\nSubject: old\r\n\r\n" + b"z" * 4000 + CRLF
    forwarded = b"Content-Type: message/rfc822\r\n\r\n" + inner
    out = direct_mail(message(TEXT, forwarded), link=LINK, threshold=4000)
    [notice] = link_parts(out)
    assert "message/rfc822" in notice
    assert b"Subject: old" not in out


def test_lf_line_endings_are_kept():
    raw = message(TEXT, attachment(os.urandom(3000))).replace(CRLF, b"\n")
    out = direct_mail(raw, link=LINK, threshold=3000)
    assert b"\r" not in out and len(link_parts(out)) == 1


def test_a_missing_closing_delimiter_ends_the_last_part_at_the_end():
    raw = message(TEXT, attachment(os.urandom(3000))).removesuffix(b"--outer-1--\r\n")
    out = direct_mail(raw, link=LINK, threshold=3000)
    assert len(link_parts(out)) == 1 and out.endswith(LINK.encode() + b"\r\n")


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("nl", 'De bijlage "scan.pdf" (5.9 KB) is te groot om per e-mail te versturen.'),
        ("de", 'Der Anhang "scan.pdf" (5.9 KB) ist zu groß für den Versand per E-Mail.'),
        (None, 'The attachment "scan.pdf" (5.9 KB) is too large to send by email.'),
    ],
)
def test_the_download_link_part_speaks_the_message_language(language: str | None, words: str):
    raw = message(TEXT, attachment(os.urandom(6000), b'"scan.pdf"'))
    out = plan_direct_mail(raw, threshold=5000).render(LINK, language)
    [notice] = link_parts(out)
    assert words in " ".join(notice.split())
    assert f"\n\n{LINK}\n" in notice.replace("\r\n", "\n")
    assert max(len(line) for line in notice.splitlines() if line != LINK) <= 72


@pytest.mark.parametrize(
    ("account", "words"),
    [
        (True, "Download it securely with the link below: you log in to your account."),
        (False, "you first confirm that this email address is yours with a code that you will"),
    ],
)
def test_the_download_link_part_says_how_it_opens_and_until_when(account: bool, words: str):
    from datetime import datetime

    raw = message(TEXT, attachment(os.urandom(6000), b'"scan.pdf"'))
    out = plan_direct_mail(raw, threshold=5000).render(
        LINK, "en", account=account, until=datetime(2027, 3, 3, 9, 0)
    )
    [notice] = link_parts(out)
    flat = " ".join(notice.split())
    assert words in flat
    assert ("log in" in flat) is account
    assert "The link works until 3 March 2027, 09:00 UTC." in flat
    assert "until" not in " ".join(
        link_parts(plan_direct_mail(raw, threshold=5000).render(LINK, "en"))[0].split()
    )

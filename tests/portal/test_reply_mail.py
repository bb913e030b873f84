"""The reply's MIME message: headers decided by the server, nothing injectable by the form."""

from __future__ import annotations

from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser

import pytest

from sealgate.portal.reply_mail import (
    MAX_REFERENCES,
    ReplyFile,
    ReplyHeaders,
    build_reply,
    message_ids,
    reply_subject,
    safe_media_type,
)

NOW = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)
HEADERS = ReplyHeaders(
    sender="bob@example.org",
    to=("alice@hospital.example",),
    cc=("carol@example.net",),
    subject="Lab results",
    original_message_id="<m1@hospital.example>",
    message_id_domain="portal.example",
)


def parsed(raw: bytes):  # type: ignore[no-untyped-def]
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Lab results", "Re: Lab results"),
        ("Re: Lab results", "Re: Lab results"),
        ("RE:Lab", "RE:Lab"),
        ("", "Re:"),
        ("two\r\nlines", "Re: two lines"),
    ],
)
def test_reply_subject(subject, expected):
    assert reply_subject(subject) == expected


def test_the_headers_and_parts():
    raw = build_reply(HEADERS, "Thanks!", (ReplyFile("a.pdf", "application/pdf", b"%PDF"),), NOW)
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    mail = parsed(raw)
    assert mail["From"] == "bob@example.org"
    assert mail["To"] == "alice@hospital.example" and mail["Cc"] == "carol@example.net"
    assert mail["Subject"] == "Re: Lab results"
    assert mail["In-Reply-To"] == mail["References"] == "<m1@hospital.example>"
    assert mail["Message-ID"].endswith("@portal.example>")
    assert mail["Date"] == "Thu, 03 Dec 2026 07:00:00 +0000"
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and body.get_content().strip() == "Thanks!"
    (attachment,) = mail.iter_attachments()
    assert attachment.get_filename() == "a.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF"


def test_a_filename_cannot_inject_headers_or_paths():
    evil = ReplyFile('..\\x/evil\r\nBcc: mallory@evil.example".pdf', "text/html", b"<p>")
    mail = parsed(build_reply(HEADERS, "x", (evil,), NOW))
    assert mail["Bcc"] is None
    (attachment,) = mail.iter_attachments()
    assert "/" not in attachment.get_filename() and "\n" not in attachment.get_filename()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("image/png", ("image", "png")),
        ("TEXT/Plain; charset=utf-8", ("text", "plain")),
        ("message/rfc822", ("application", "octet-stream")),
        ("multipart/mixed; boundary=x", ("application", "octet-stream")),
        ("", ("application", "octet-stream")),
        ("nonsense", ("application", "octet-stream")),
    ],
)
def test_safe_media_type(given, expected):
    assert safe_media_type(given) == expected


def test_references_keep_the_newest_ancestors():
    ancestors = tuple(f"<a{i}@x>" for i in range(40))
    headers = ReplyHeaders(**{**HEADERS.__dict__, "original_references": ancestors})
    mail = parsed(build_reply(headers, "x", (), NOW))
    names = message_ids(mail["References"])
    assert len(names) == MAX_REFERENCES
    assert names[-1] == "<m1@hospital.example>" and names[-2] == "<a39@x>"

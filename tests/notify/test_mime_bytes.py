"""The notification written straight to bytes is the mail `EmailMessage` would have built.

The reference below is how notifications were composed before (compose.py's `_base` and
`_render`, which the account and device mails still use); both are parsed and compared
field by field and part by part, for plain and non-ASCII senders, recipients and subjects,
long lines (quoted-printable) and every language.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage

import pytest

from sealgate.locale import _, use_language
from sealgate.notify import HowToOpen, MailBrand, compose_notification
from sealgate.notify.compose import PROOFS, _address, _base, _render, notification_bytes
from sealgate.notify.mime_bytes import address_field, encoded_body, plain_field

NOW = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)
UNTIL = datetime(2027, 3, 3, 9, 0)
LINK = "https://portal.example/m/" + "A" * 43


def _reference(**kw: object) -> EmailMessage:
    """The notification as `EmailMessage` composed it."""
    how = kw.get("how") or HowToOpen()
    assert isinstance(how, HowToOpen)
    proof = how.proof if how.proof in PROOFS else "email_code"
    sender_name, sender_address = str(kw["sender_name"]), str(kw["sender_address"])
    org, subject = str(kw["org_name"]), kw.get("subject")
    from sealgate.locale import long_when

    with use_language(kw.get("language")):  # type: ignore[arg-type]
        title = _(
            "Secure message from %(sender)s (%(org)s)",
            sender=sender_name or sender_address,
            org=org,
        )
        if subject:
            title = _("%(title)s: %(subject)s", title=title, subject=subject)
        mail = _base(
            from_=_address(sender_name, sender_address),
            sender=None,
            to=str(kw["recipient"]),
            subject=title,
            now=NOW,
        )
        mail["Sealgate-Proof"] = proof
        return _render(
            mail,
            "notification",
            kw.get("brand") or MailBrand(),  # type: ignore[arg-type]
            org,
            sender_name=sender_name,
            sender_address=sender_address,
            org=org,
            link=LINK,
            proof=proof,
            phone=how.phone,
            hint=how.hint,
            subject=subject or "",
            until=long_when(UNTIL),
        )


def _fields(mail: EmailMessage) -> dict[str, str]:
    skip = {"message-id", "content-type"}
    return {key.lower(): str(value) for key, value in mail.items() if key.lower() not in skip}


CASES = [
    {"language": "en"},
    {"language": "nl", "subject": "Uitslag bloedonderzoek"},
    {"language": "de", "subject": "Größe " * 20, "sender_name": "Jürgen Müller"},
    {"language": None, "recipient": "zoë@exämple.org"},
    {"language": "nl", "sender_address": "arts@zïekenhuis.example", "sender_name": ""},
    {"language": "en", "how": HowToOpen("sms_code", "+31 6 ****1234")},
    {"language": "de", "how": HowToOpen("access_code", hint="Ihr Geburtsdatum, " * 8)},
    {
        "language": "en",
        "how": HowToOpen("account"),
        "brand": MailBrand("Call 0800", "Footer", "#000000"),
    },
    {
        "language": "en",
        "recipient": "a.very.long.local.part.that.goes.on@" + "sub." * 12 + "example",
    },
    {"language": "nl", "org_name": 'Kliniek "Noord" <Zorg>'},
]


@pytest.mark.parametrize("case", CASES)
def test_the_bytes_parse_to_the_mail_email_would_build(case: dict[str, object]) -> None:
    kw: dict[str, object] = {
        "sender_name": "Alice Arts",
        "sender_address": "alice@hospital.example",
        "recipient": "bob@example.org",
        "org_name": "Hospital Noord",
        **case,
    }
    raw = notification_bytes(link=LINK, now=NOW, until=UNTIL, **kw)  # type: ignore[arg-type]
    utf8 = not (str(kw["sender_address"]).isascii() and str(kw["recipient"]).isascii())
    policy = email_policy.default.clone(utf8=True) if utf8 else email_policy.default
    # Both as a reader gets them: parsed from their bytes.
    reference = message_from_bytes(_reference(**kw).as_bytes(), policy=policy)
    parsed = message_from_bytes(raw, policy=policy)
    assert isinstance(parsed, EmailMessage) and isinstance(reference, EmailMessage)
    assert _fields(parsed) == _fields(reference)
    assert parsed.get_content_type() == "multipart/alternative"
    assert parsed["Message-ID"].endswith(reference["Message-ID"].rpartition("@")[2])
    for subtype in ("plain", "html"):
        mine, theirs = parsed.get_body((subtype,)), reference.get_body((subtype,))
        assert mine is not None and theirs is not None
        assert mine.get_content() == theirs.get_content()
        assert mine.get_content_type() == theirs.get_content_type()
        assert mine.get_content_charset() == theirs.get_content_charset()
    # Every line fits SMTP's limit, and only a UTF-8 mail has raw non-ASCII headers.
    head = raw.partition(b"\n\n")[0]
    assert utf8 or head.isascii()
    assert max(len(line) for line in raw.splitlines()) <= 998


def test_compose_notification_is_the_parsed_bytes() -> None:
    mail = compose_notification(
        sender_name="Alice",
        sender_address="alice@hospital.example",
        recipient="bob@example.org",
        link=LINK,
        now=NOW,
        org_name="Hospital Noord",
        until=UNTIL,
    )
    assert mail["To"] == "bob@example.org"
    assert LINK in mail.get_body(("plain",)).get_content()


def test_the_body_encoding_is_the_one_email_picks() -> None:
    assert encoded_body("plain\n")[0] == "7bit"
    assert encoded_body("grün\n")[0] == "8bit"
    encoding, body = encoded_body("x" * 200 + "\n")
    assert encoding == "quoted-printable"
    assert max(len(line) for line in body.splitlines()) <= 76


def test_unusual_fields_are_folded_by_email() -> None:
    assert address_field("To", "bob@example.org") == b"To: bob@example.org\n"
    assert address_field("To", '"odd name"@example.org').startswith(b"To: ")
    with pytest.raises(ValueError, match="linefeed"):
        plain_field("X", "a\nb")

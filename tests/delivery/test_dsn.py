"""The DSN is an RFC 3464 report that names the recipient and the reason, and no content."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sealgate.delivery.dsn import (
    DeliveryFailure,
    compose_dsn,
    header_block,
    streamed_header_block,
)
from sealgate.notify import compose_notification

NOW = datetime(2026, 3, 1, 10, 0, 0)
LINK = "https://gw.example/m/secret-token-value"


FAILED_MAIL = compose_notification(
    sender_name="Alice Arts",
    sender_address="alice@hospital.example",
    recipient="bob@example.org",
    link=LINK,
    now=NOW,
    org_name="Hospital",
    until=datetime(2027, 3, 3),
).as_bytes()


def _report(*, expired: bool = False, kind: str = "notification") -> EmailMessage:
    failure = DeliveryFailure(
        job_id="0123abcd",
        kind=kind,
        recipient="bob@example.org",
        status="4.4.7" if expired else "5.1.1",
        diagnostic="smtp; 550 5.1.1 no such user" if not expired else "smtp; 451 4.3.0 later",
        arrival=datetime(2026, 2, 24, 9, 0, 0),
        last_attempt=NOW,
        original_headers=FAILED_MAIL,
        expired=expired,
    )
    dsn = compose_dsn(
        failure,
        to="alice@hospital.example",
        system_from="noreply@gw.example",
        reporting_mta="gw.example",
        now=NOW,
        message_id="<dsn-1@gw.example>",
    )
    parsed = BytesParser(policy=policy.default).parsebytes(dsn.as_bytes())
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_dsn_is_a_multipart_report_with_three_parts() -> None:
    dsn = _report()
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    kinds = [part.get_content_type() for part in dsn.iter_parts()]
    assert kinds == ["text/plain", "message/delivery-status", "text/rfc822-headers"]


def test_dsn_envelope_headers() -> None:
    dsn = _report()
    assert dsn["From"].addresses[0].addr_spec == "noreply@gw.example"
    assert str(dsn["To"]) == "alice@hospital.example"
    assert dsn["Message-ID"] == "<dsn-1@gw.example>"
    assert dsn["Date"].datetime.utcoffset().total_seconds() == 0
    assert dsn["Auto-Submitted"] == "auto-replied"
    original_id = BytesParser(policy=policy.default).parsebytes(FAILED_MAIL)["Message-ID"]
    assert dsn["In-Reply-To"] == original_id


def test_delivery_status_fields() -> None:
    status = list(_report().iter_parts())[1]
    per_message, per_recipient = status.get_payload()
    assert per_message["Reporting-MTA"] == "dns; gw.example"
    assert per_message["Arrival-Date"].startswith("Tue, 24 Feb 2026 09:00:00 +0000")
    assert per_recipient["Final-Recipient"] == "rfc822; bob@example.org"
    assert per_recipient["Action"] == "failed"
    assert per_recipient["Status"] == "5.1.1"
    assert per_recipient["Diagnostic-Code"] == "smtp; 550 5.1.1 no such user"


def test_human_part_says_what_failed_and_why() -> None:
    text = list(_report().iter_parts())[0].get_content()
    assert "a notification of a secure message to bob@example.org could not be delivered" in text
    assert "550 5.1.1 no such user" in text
    expired = list(_report(expired=True).iter_parts())[0].get_content()
    assert "delivery time ran out" in expired
    code = list(_report(kind="code").iter_parts())[0].get_content()
    assert "verification code" in code


def test_only_headers_of_the_failed_mail_no_content() -> None:
    dsn = _report()
    raw = dsn.as_bytes()
    assert b"secret-token-value" not in raw
    body_of_failed = BytesParser(policy=policy.default).parsebytes(FAILED_MAIL)
    text_of_failed = body_of_failed.get_body(("plain",)).get_content()
    assert text_of_failed.strip().splitlines()[0].encode() not in raw
    headers = list(dsn.iter_parts())[2].get_content()
    assert "Subject: Secure message from Alice Arts" in headers
    assert "Content-Type: multipart/alternative" in headers


def test_header_block_stops_at_the_first_empty_line() -> None:
    assert header_block(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore") == b"A: 1\nB: 2\n"
    assert header_block(b"A: 1\n") == b"A: 1\n"


def test_streamed_header_block_reads_only_up_to_the_empty_line() -> None:
    """Cancelling a queued 50 MB mail reads its head for the DSN, not the whole blob."""
    read: list[bytes] = []

    def pieces():
        for piece in (b"A: 1\r\nB:", b" 2\r\n", b"\r\nbody", b"never read"):
            read.append(piece)
            yield piece

    assert streamed_header_block(pieces()) == b"A: 1\nB: 2\n"
    assert read == [b"A: 1\r\nB:", b" 2\r\n", b"\r\nbody"]
    endless = (b"X: " + b"y" * 1000 + b"\r\n" for _ in range(10**6))
    assert len(streamed_header_block(endless, limit=10_000)) <= 10_001

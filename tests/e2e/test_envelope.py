"""The envelope end to end, over real sockets: smtplib + STARTTLS + AUTH -> sealgate serve ->
SMTP sink. The null sender (issue 8 item 11) and DSN requests (item 12)."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.policy import SMTP

import pytest

from sealgate.config import split_hostport
from tests.conftest import make_settings
from tests.e2e.mailflow import message_to, parse, running_gateway, wait_for_mail
from tests.lab.smtp_sink import ReceivedMail, SmtpSink


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender):
    settings = make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}",
        SEALGATE_DELIVERY__HELO_NAME="gw.hospital.example",
    )
    async with running_gateway(settings) as rt:
        yield rt


def _submit(port: int, sender, mail_from: str, raw: bytes, rcpt: str, rcpt_options: list[str]):
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(sender.username, sender.password)
        smtp.sendmail(
            mail_from, [rcpt], raw, mail_options=["ENVID=Case+2BExact"], rcpt_options=rcpt_options
        )


async def _send(gateway, sender, rcpt: str, rcpt_options: list[str], mail_from=None, raw=None):
    port = split_hostport(gateway.settings.submission.listen)[1]
    if raw is None:
        raw = message_to(sender.address, rcpt, "Lab results", "Secret body.").as_bytes(policy=SMTP)
    mail_from = sender.address if mail_from is None else mail_from
    await asyncio.to_thread(_submit, port, sender, mail_from, raw, rcpt, rcpt_options)


def _reports(sink: SmtpSink, to: str, action: str) -> list[ReceivedMail]:
    return sink.matching(
        lambda mail: to in mail.rcpt_tos and f"Action: {action}".encode() in mail.content
    )


async def test_notify_success_sends_a_relayed_dsn(gateway, sink, sender):
    """Issue 8 item 12: NOTIFY=SUCCESS gets a "relayed" DSN when the next hop takes the
    notification; ENVID and ORCPT come back, no content does."""
    await _send(
        gateway, sender, "bob@example.org", ["NOTIFY=SUCCESS", "ORCPT=rfc822;Bob@Example.org"]
    )
    report = await wait_for_mail(sink, sender.address, "relayed")
    [received] = _reports(sink, sender.address, "relayed")
    assert received.mail_from == ""
    status = received.content.decode()
    assert "Original-Envelope-Id: Case+2BExact" in status
    assert "Original-Recipient: rfc822; Bob@Example.org" in status
    assert "Reporting-MTA: dns; gw.hospital.example" in status
    assert "Secret body" not in status
    assert report.get_content_type() == "multipart/report"


async def test_notify_never_suppresses_the_failure_report(gateway, sink, sender):
    """Issue 8 item 12: NOTIFY=NEVER on a recipient the next hop refuses: no DSN at all."""
    sink.fail_next(550, "5.1.1 no such user", at="RCPT")
    await _send(gateway, sender, "nobody@example.org", ["NOTIFY=NEVER"])
    # A second message without NOTIFY fails too and does get its report: the proof that the
    # first one's report had its chance to arrive and did not.
    sink.fail_next(550, "5.1.1 no such user", at="RCPT")
    await _send(gateway, sender, "ghost@example.org", [])
    await wait_for_mail(sink, sender.address, "ghost@example.org")
    failed = _reports(sink, sender.address, "failed")
    assert [b"ghost@example.org" in mail.content for mail in failed] == [True]


async def test_notify_delay_sends_one_delayed_dsn(gateway, sink, sender):
    """Issue 8 item 12: NOTIFY=DELAY gets one "delayed" DSN after the first deferral, not
    one per deferral; the notification still arrives once the next hop takes it."""
    sink.fail_next(451, "4.3.0 try again later", count=2, at="RCPT")
    await _send(gateway, sender, "bob@example.org", ["NOTIFY=DELAY,FAILURE"])
    await wait_for_mail(sink, "bob@example.org", "Secure message from")
    # The second refusal may hit the delayed DSN itself, which then waits for its retry.
    await sink.wait_for(lambda mail: b"Action: delayed" in mail.content, timeout=20)
    delayed = _reports(sink, sender.address, "delayed")
    assert len(delayed) == 1
    assert b"Will-Retry-Until:" in delayed[0].content
    assert _reports(sink, sender.address, "relayed") == []


async def test_null_sender_message_is_notified_under_the_organisation(gateway, sink, sender):
    """Issue 8 item 11: a null-sender message (the organisation's own bounce for an external
    sender) goes through policy like any other: the recipient gets a notification that names
    the organisation, sent with the null sender so that it cannot bounce in a loop."""
    raw = message_to("MAILER-DAEMON@hospital.example", "bob@example.org", "Undelivered", "x")
    del raw["From"]
    raw["From"] = "Mail Delivery System <MAILER-DAEMON@hospital.example>"
    await _send(gateway, sender, "bob@example.org", [], mail_from="", raw=raw.as_bytes(policy=SMTP))
    notification = await wait_for_mail(sink, "bob@example.org", "Secure message from Hospital")
    [received] = sink.matching(lambda mail: "bob@example.org" in mail.rcpt_tos)
    assert received.mail_from == ""
    assert "MAILER-DAEMON@hospital.example" in str(parse(received.content)["From"])
    assert "Hospital" in str(notification["Subject"])


async def test_notification_to_an_internationalised_address_carries_raw_utf8(gateway, sink, sender):
    """Issue 8 item 14: a notification to zoë@exämple.org carried
    `To: =?utf-8?q?zo=C3=AB?=@…` (encoded-words inside an address, forbidden by RFC 2047
    section 5); now its headers are raw UTF-8 (RFC 6532), sent with SMTPUTF8 to a next hop
    that offers it."""
    rcpt = "zoë@exämple.org"
    port = split_hostport(gateway.settings.submission.listen)[1]
    raw = message_to(sender.address, rcpt, "Lab results", "Secret body.")
    raw = raw.as_bytes(policy=SMTP.clone(utf8=True))

    def submit() -> None:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.starttls(context=context)
            smtp.login(sender.username, sender.password)
            smtp.sendmail(sender.address, [rcpt], raw, mail_options=["SMTPUTF8"])

    await asyncio.to_thread(submit)
    [received] = await sink.wait_for(lambda mail: rcpt in mail.rcpt_tos, timeout=20)
    head = received.content.split(b"\r\n\r\n", 1)[0]
    assert "To: zoë@exämple.org".encode() in head
    assert b"=?utf-8?" not in head.split(b"Subject:")[0]
    assert b"From: Alice Arts <alice@hospital.example>" in head

"""Issue 8, "How it is checked": real Postfix relays to sealgate, end to end.

A private Postfix 3.x instance (tests/lab/postfix_lab.py) takes mail from Python's smtplib on
its own loopback address and relays it to a running sealgate with SASL over STARTTLS at
`smtp_tls_security_level = secure`, as an organisation's MTA does. Each test then follows the
mail through sealgate: the notification in the sink, the content in the portal (and in the
vault, byte for byte), the Postfix log (`status=sent`, a verified TLS session) and the
submission row (`authenticated_as` the credential Postfix holds).
"""

from __future__ import annotations

import asyncio
import re
import smtplib
from collections.abc import Callable, Iterator
from email import message_from_string
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import httpx
import pytest
import trustme
from sqlalchemy import select

from sealgate.config import split_hostport
from sealgate.intake import ReadableMessage
from sealgate.store import Message, Recipient, Submission
from tests.conftest import make_settings
from tests.e2e.mailflow import Browser, follow, link_in, parse, running_gateway, text_of
from tests.lab.postfix_lab import PostfixLab, missing_postfix
from tests.lab.smtp_sink import ReceivedMail, SmtpSink

pytestmark = pytest.mark.skipif(
    bool(missing_postfix()),
    reason=f"Postfix lab missing: {', '.join(missing_postfix())} (scripts/test installs it)",
)

ALICE = "alice@hospital.example"


# The gateway, with a submission certificate Postfix can verify, and Postfix in front of it.


@pytest.fixture
def submission_ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def tls_files(tmp_path: Path, submission_ca: trustme.CA) -> tuple[Path, Path]:
    """sealgate's submission certificate, issued by the lab CA for the relay host 127.0.0.1."""
    leaf = submission_ca.issue_cert("127.0.0.1", "localhost")
    folder = tmp_path / "tls"
    folder.mkdir()
    cert, key = folder / "cert.pem", folder / "key.pem"
    cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(key))
    return cert, key


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, sink, sender):
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    async with running_gateway(settings) as rt:
        yield rt


@pytest.fixture
def postfix(gateway, sender, tmp_path, submission_ca) -> Iterator[PostfixLab]:
    ca_file = tmp_path / "lab-ca.pem"
    submission_ca.cert_pem.write_to_path(str(ca_file))
    port = split_hostport(gateway.settings.submission.listen)[1]
    with PostfixLab(port, sender.username, sender.password, ca_file) as lab:
        yield lab


# What the tests do.


def _relay(
    postfix: PostfixLab,
    rcpts: list[str],
    raw: bytes,
    mail_options: list[str],
    rcpt_options: list[str],
) -> None:
    with smtplib.SMTP(
        postfix.address, postfix.port, source_address=(postfix.address, 0), timeout=30
    ) as smtp:
        refused = smtp.sendmail(ALICE, rcpts, raw, mail_options, rcpt_options)
    assert not refused


async def relay(
    postfix: PostfixLab,
    rcpts: list[str],
    raw: bytes,
    mail_options: tuple[str, ...] = (),
    rcpt_options: tuple[str, ...] = (),
) -> None:
    """Submit `raw` to Postfix's smtpd, as an application on the organisation's network does."""
    await asyncio.to_thread(_relay, postfix, rcpts, raw, list(mail_options), list(rcpt_options))


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode()


async def until(check: Callable[[], Any], what: str, timeout: float = 40) -> Any:
    """Poll `check` (in a thread: it may read files or the database) until it is truthy."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


def arrived(sink: SmtpSink, predicate: Callable[[ReceivedMail], bool]) -> list[ReceivedMail]:
    return [mail for mail in sink.messages if predicate(mail)]


async def notification_for(sink: SmtpSink, rcpt: str, postfix: PostfixLab) -> ReceivedMail:
    """The notification sealgate sent to `rcpt`; fails at once if Postfix gave the mail up."""

    def found() -> list[ReceivedMail] | str:
        log = postfix.log().splitlines()
        bounced = [line for line in log if f"to=<{rcpt}>" in line and "status=bounced" in line]
        if bounced:
            return "\n".join(bounced)
        return arrived(sink, lambda m: rcpt in m.rcpt_tos and b"Secure message from" in m.content)

    try:
        outcome = await until(found, f"the notification to {rcpt}")
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; Postfix log:\n{postfix.log()}") from None
    assert not isinstance(outcome, str), f"sealgate refused what Postfix relayed:\n{outcome}"
    (mail,) = outcome
    return mail


async def read_in_portal(sink: SmtpSink, notification: ReceivedMail, rcpt: str) -> httpx.Response:
    """Open the link, ask for a code by email, enter it: the read page."""
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await browser.request("GET", link_in(parse(notification.content)))
        assert landing.status_code == 200
        asked = await follow(browser, await browser.submit_form(landing))
        (code_mail,) = await until(
            lambda: arrived(
                sink,
                lambda m: (
                    rcpt in m.rcpt_tos
                    and b"code" in m.content.lower()
                    and b"Secure message from" not in m.content
                ),
            ),
            f"the code mail to {rcpt}",
        )
        code = re.search(r"\b(\d{6})\b", text_of(code_mail.message)).group(1)
        page = await follow(browser, await browser.submit_form(asked, code=code))
        assert page.status_code == 200
        return page


def stored_message(gateway, rcpt: str) -> ReadableMessage:
    """What intake keeps for the portal, decrypted from the vault."""
    with gateway.db.begin() as session:
        recipient = session.scalars(select(Recipient).where(Recipient.address == rcpt)).one()
        message = session.get(Message, recipient.message_id)
        assert message is not None
        blob_id = message.content_blob_id
    return ReadableMessage.from_json(gateway.vault.get_bytes(blob_id))


def received_by_sealgate(gateway) -> bytes:
    """The one message sealgate accepted, as it came off the wire (the submission blob)."""
    (row,) = submissions(gateway)
    return gateway.vault.get_bytes(row.blob_id)


def submissions(gateway) -> list[Submission]:
    with gateway.db.begin() as session:
        rows = session.scalars(select(Submission).order_by(Submission.received_at)).all()
        session.expunge_all()
        return list(rows)


async def assert_relayed_with_tls_and_sasl(
    postfix: PostfixLab, gateway, sender, sent: int = 1
) -> None:
    """Postfix's log says sent over a verified TLS session; sealgate saw the SASL login."""
    port = split_hostport(gateway.settings.submission.listen)[1]
    hop = rf"127\.0\.0\.1\[127\.0\.0\.1\]:{port}"

    def sent_lines() -> list[str]:
        # postlogd writes the log a moment after the event: wait for the lines.
        return re.findall(rf"relay={hop},.*status=sent", postfix.log())

    try:
        await until(lambda: len(sent_lines()) >= sent, f"{sent} status=sent lines", timeout=20)
    except AssertionError as timed_out:
        raise AssertionError(f"{timed_out}; Postfix log:\n{postfix.log()}") from None
    log = postfix.log()
    assert len(sent_lines()) == sent, log
    assert re.search(rf"Verified TLS connection established to {hop}: TLSv1\.[23] ", log), log
    rows = submissions(gateway)
    assert rows and all(row.authenticated_as == sender.username for row in rows)
    assert all(row.client_address == postfix.address for row in rows)


# The cases of issue 8.


async def test_plain_mail_through_postfix_reaches_the_portal(gateway, postfix, sink, sender):
    """Issue 8 (how it is checked): plain mail relayed by Postfix (SASL, TLS secure) arrives,
    and the recipient reads the original content in the portal."""
    mail = EmailMessage()
    mail["From"] = f"Alice Arts <{ALICE}>"
    mail["To"] = "bob@example.org"
    mail["Subject"] = "Lab results via Postfix"
    mail.set_content("Dear Bob,\nyour lab results are ready.\n")
    await relay(
        postfix, ["bob@example.org"], mail.as_bytes(policy=mail.policy.clone(linesep="\r\n"))
    )

    notification = await notification_for(sink, "bob@example.org", postfix)
    assert b"your lab results" not in notification.content
    page = await read_in_portal(sink, notification, "bob@example.org")
    assert "Lab results via Postfix" in page.text and "your lab results are ready." in page.text
    stored = stored_message(gateway, "bob@example.org")
    assert stored.subject == "Lab results via Postfix"
    assert stored.text.replace("\r\n", "\n") == "Dear Bob,\nyour lab results are ready.\n"
    await until(lambda: postfix.queue_is_empty(), "Postfix's queue to empty")
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender)


EIGHT_BIT_TEXT = "Grüße aus Köln: ½ Liter für 3 €, naïve café.\n"


async def test_8bit_body_through_postfix_arrives_unchanged(gateway, postfix, sink, sender):
    """Issue 8 (how it is checked): an 8-bit body (BODY=8BITMIME) keeps its bytes; Postfix
    need not downgrade it because sealgate offers 8BITMIME."""
    raw = crlf(
        f"From: Alice Arts <{ALICE}>\n"
        "To: carol@example.org\n"
        "Subject: Eight bit body\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n"
        "\n" + EIGHT_BIT_TEXT
    )
    await relay(postfix, ["carol@example.org"], raw, mail_options=("BODY=8BITMIME",))

    notification = await notification_for(sink, "carol@example.org", postfix)
    page = await read_in_portal(sink, notification, "carol@example.org")
    assert "Grüße aus Köln: ½ Liter für 3 €, naïve café." in page.text
    assert stored_message(gateway, "carol@example.org").text.replace("\r\n", "\n") == EIGHT_BIT_TEXT
    assert EIGHT_BIT_TEXT.replace("\n", "\r\n").encode() in received_by_sealgate(gateway)
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender)


ZOE = "zoë@example.org"
UTF8_SUBJECT = "Résultats für Zoë — 検査結果"


async def test_smtputf8_recipient_and_subject_through_postfix(gateway, postfix, sink, sender):
    """Issue 8 item 14 via Postfix: SMTPUTF8 mail to zoë@… with a UTF-8 Subject is accepted,
    the notification goes to the UTF-8 address with raw UTF-8 headers (RFC 6532, no
    encoded-words inside the address), and the portal shows the Subject as written."""
    raw = (
        f"From: Alice Arts <{ALICE}>\r\n"
        f"To: Zoë <{ZOE}>\r\n"
        f"Subject: {UTF8_SUBJECT}\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Bonjour Zoë, voici vos résultats.\r\n"
    ).encode()
    await relay(postfix, [ZOE], raw, mail_options=("SMTPUTF8", "BODY=8BITMIME"))

    notification = await notification_for(sink, ZOE, postfix)
    headers = notification.content.split(b"\r\n\r\n", 1)[0]
    to_header = re.search(rb"(?im)^To:(.*(?:\r\n[ \t].*)*)", headers).group(1)
    assert ZOE.encode() in to_header, to_header
    assert b"=?" not in to_header, to_header
    # The email package reads 8-bit header bytes as surrogates; RFC 6532 headers are UTF-8 text.
    decoded = message_from_string(notification.content.decode("utf-8"), policy=default_policy)
    assert decoded["To"].addresses[0].addr_spec == ZOE
    page = await read_in_portal(sink, notification, ZOE)
    assert UTF8_SUBJECT in page.text and "Bonjour Zoë, voici vos résultats." in page.text
    assert stored_message(gateway, ZOE).subject == UTF8_SUBJECT
    assert f"Subject: {UTF8_SUBJECT}\r\n".encode() in received_by_sealgate(gateway)
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender)


LONG_HTML = (
    "<html><body><table>"
    + "".join(
        f'<tr><td class="c{i % 7}">Row {i}: value {i * 37 % 1000}</td><td>ok</td></tr>'
        for i in range(2000)
    )
)[: 100 * 1024 - len("</table></body></html>")] + "</table></body></html>"


async def test_a_100kb_html_line_through_postfix_is_stored_byte_identical(
    gateway, postfix, sink, sender
):
    """Issue 8 item 15 via Postfix: an application's unwrapped HTML (one 100 KB line) is
    accepted and the stored HTML is the original, byte for byte."""
    assert len(LONG_HTML) == 100 * 1024 and "\n" not in LONG_HTML
    raw = crlf(
        f"From: Alice Arts <{ALICE}>\n"
        "To: dave@example.org\n"
        "Subject: Monthly report\n"
        "MIME-Version: 1.0\n"
        "Content-Type: text/html; charset=utf-8\n"
        "Content-Transfer-Encoding: 7bit\n"
        "\n" + LONG_HTML + "\n"
    )
    await relay(postfix, ["dave@example.org"], raw)

    notification = await notification_for(sink, "dave@example.org", postfix)
    assert b"\r\n" + LONG_HTML.encode() + b"\r\n" in received_by_sealgate(gateway)
    stored = stored_message(gateway, "dave@example.org")
    assert stored.html is not None
    assert stored.html.rstrip("\r\n").encode() == LONG_HTML.encode()
    page = await read_in_portal(sink, notification, "dave@example.org")
    assert "Monthly report" in page.text
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender)


async def test_110_recipients_through_postfix_all_accepted(gateway, postfix, sink, sender):
    """Issue 8 (how it is checked): sealgate takes 100 recipients per transaction and says
    452 to the rest; Postfix delivers those in another transaction, and all 110 are notified."""
    rcpts = [f"r{n:03}@example.org" for n in range(110)]
    raw = crlf(
        f"From: Alice Arts <{ALICE}>\n"
        "To: undisclosed-recipients:;\n"
        "Subject: Ward newsletter\n"
        "\n"
        "News for every ward.\n"
    )
    await relay(postfix, rcpts, raw)

    def all_accepted() -> bool:
        if sum(len(row.rcpt_to) for row in submissions(gateway)) >= 110:
            return True
        postfix.flush()
        return False

    try:
        await until(all_accepted, "sealgate to accept all 110 recipients", timeout=120)
    except AssertionError as exc:
        counts = [len(row.rcpt_to) for row in submissions(gateway)]
        log = postfix.log()
        raise AssertionError(f"{exc}; submissions {counts}; Postfix log:\n{log}") from None
    rows = submissions(gateway)
    assert sorted(len(row.rcpt_to) for row in rows) == [10, 100]
    assert sorted(r for row in rows for r in row.rcpt_to) == rcpts
    assert re.search(r"452 4\.5\.3", postfix.log()), postfix.log()
    await until(lambda: postfix.queue_is_empty(), "Postfix's queue to empty")
    notified = await until(
        lambda: (
            {
                r
                for m in arrived(sink, lambda m: b"Secure message from" in m.content)
                for r in m.rcpt_tos
            }
            >= set(rcpts)
        ),
        "the 110 notifications",
    )
    assert notified
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender, sent=110)


async def test_dsn_notify_success_through_postfix_reaches_the_sender(
    gateway, postfix, sink, sender
):
    """Issue 8 item 12 via Postfix: NOTIFY=SUCCESS given to Postfix travels to sealgate (which
    advertises DSN), and sealgate's success DSN for the notification reaches the sender."""
    raw = crlf(
        f"From: Alice Arts <{ALICE}>\n"
        "To: erin@example.org\n"
        "Subject: Please confirm\n"
        "\n"
        "Tell me when this arrived.\n"
    )
    await relay(
        postfix,
        ["erin@example.org"],
        raw,
        mail_options=("RET=HDRS", "ENVID=lab-envid-42"),
        rcpt_options=("NOTIFY=SUCCESS,FAILURE", "ORCPT=rfc822;erin@example.org"),
    )

    await notification_for(sink, "erin@example.org", postfix)

    def dsn_or_postfix_notice() -> list[ReceivedMail] | bool:
        # Postfix reports "relayed" itself when the next hop does not take NOTIFY (no DSN).
        dsns = arrived(sink, lambda m: ALICE in m.rcpt_tos and m.mail_from == "")
        return dsns or "sender delivery status notification" in postfix.log()

    await until(dsn_or_postfix_notice, "a success DSN", timeout=30)
    dsns = arrived(sink, lambda m: ALICE in m.rcpt_tos and m.mail_from == "")
    assert len(dsns) == 1, (
        f"no DSN from sealgate to {ALICE}; the sink has "
        f"{[(m.mail_from, m.rcpt_tos) for m in sink.messages]}; Postfix log:\n{postfix.log()}"
    )
    (dsn,) = dsns
    report = dsn.message
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    status = dsn.content.decode(errors="replace")
    assert re.search(r"(?im)^Action:\s*(relayed|delivered)\s*$", status), status
    assert re.search(r"(?im)^Status:\s*2\.\d+\.\d+", status), status
    assert re.search(r"(?im)^Original-Envelope-Id:\s*lab-envid-42", status), status
    assert re.search(r"(?im)^(Final|Original)-Recipient:\s*rfc822;\s*erin@example\.org", status)
    # sealgate took on the duty to report: Postfix did not send its own "relayed" notice.
    assert "sender delivery status notification" not in postfix.log(), postfix.log()
    await assert_relayed_with_tls_and_sasl(postfix, gateway, sender)


async def test_postfix_at_tls_secure_refuses_a_certificate_of_another_ca(gateway, sender, tmp_path):
    """The lab's control: with a CA that did not sign sealgate's certificate, Postfix at
    `secure` defers the mail instead of sending it, so the cases above prove a verified hop."""
    other_ca = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(other_ca))
    port = split_hostport(gateway.settings.submission.listen)[1]
    with PostfixLab(port, sender.username, sender.password, other_ca) as postfix:
        await relay(postfix, ["frank@example.org"], crlf("Subject: x\n\nUnverified hop.\n"))
        deferred = await until(
            lambda: postfix.wait_for_log(r"to=<frank@example\.org>.*status=deferred", timeout=0),
            "Postfix to defer the mail",
        )
    assert "dsn=4.7.5" in deferred[0] and "Server certificate not verified" in deferred[0]
    assert submissions(gateway) == []

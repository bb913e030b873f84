"""Proof of delivery end to end: submit over STARTTLS + AUTH → notification over STARTTLS →
link → code → read → download; `sealgate message evidence` then shows every step, per
recipient, and `--verify` holds until one event is changed in the database."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, text

from sealgate.bootstrap import Runtime
from sealgate.config import split_hostport
from sealgate.store import EvidenceEvent, Message, Recipient
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.conftest import make_settings
from tests.e2e.mailflow import Browser, link_in, running_gateway, submit, text_of, wait_for_mail
from tests.e2e.test_whole_path import ATTACHMENT_PDF, secure_message
from tests.lab.smtp_sink import SmtpSink

BOB = "bob@example.org"
RCPTS = [BOB, "carol@example.net"]


@pytest.fixture
async def tls_sink(tls_files: tuple[Path, Path]) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(tls=tls_files)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def gateway(tmp_path, database_url, tls_files, tls_sink, sender):
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=tls_sink.address
    )
    async with running_gateway(settings) as rt:
        yield rt


async def _read_and_download(sink: SmtpSink) -> None:
    """Bob opens his link, asks for a code, types it, reads, downloads the PDF."""
    notification = await wait_for_mail(sink, BOB, "Secure message from")
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await browser.request("GET", link_in(notification))
        asked = await browser.submit_form(landing)
        if asked.status_code == 303:
            asked = await browser.request("GET", str(asked.url.join(asked.headers["location"])))
        code_mail = await wait_for_mail(sink, BOB, "code")
        match = re.search(r"\b(\d{6})\b", text_of(code_mail))
        assert match
        verified = await browser.submit_form(asked, code=match.group(1))
        page = await browser.request("GET", str(verified.url.join(verified.headers["location"])))
        assert page.status_code == 200
        [pdf] = re.findall(r'href="([^"]*/attachments/0)"', page.text)
        body = (await browser.request("GET", str(page.url.join(pdf)))).content
        assert body == ATTACHMENT_PDF


async def _events_settled(rt: Runtime, message_id: str, wanted: int) -> None:
    """Wait until the delivery attempts of all `wanted` mails are recorded (the sink has the
    mail a moment before the worker commits its outcome)."""
    for _ in range(200):
        with rt.db.begin() as session:
            attempts = session.scalars(
                select(EvidenceEvent.id).where(
                    EvidenceEvent.message_id == message_id,
                    EvidenceEvent.kind == "delivery_attempt",
                )
            ).all()
        if len(attempts) >= wanted:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("delivery attempts were not recorded")


async def test_the_whole_path_is_evidence_that_verifies(
    gateway: Runtime, tls_sink: SmtpSink, sender, tls_files, tmp_path
) -> None:
    port = split_hostport(gateway.settings.submission.listen)[1]
    mail = secure_message(
        sender.address, zivver_minimum_recipient_verification="email-verification"
    )
    await asyncio.to_thread(submit, port, sender.username, sender.password, mail, RCPTS)
    await _read_and_download(tls_sink)
    with gateway.db.begin() as session:
        message = session.scalars(select(Message)).one()
        message_id, submission_id = message.id, message.submission_id
    # Two notifications and Bob's code mail.
    await _events_settled(gateway, message_id, 3)

    config = write_config(gateway.settings, tmp_path / "sealgate.toml")
    shown = await asyncio.to_thread(
        sealgate, "message", "evidence", submission_id, "--json", "--config", str(config)
    )
    assert shown.returncode == 0, shown.stderr
    report = json.loads(shown.stdout)
    events = report["events"]
    assert report["message_id"] == message_id and report["head"] == events[-1]["hash"]

    accepted = events[0]
    assert accepted["kind"] == "accepted" and accepted["recipient"] is None
    assert accepted["details"]["submission_id"] == submission_id
    assert accepted["details"]["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert accepted["details"]["authentication"] == "smtp_auth"

    bob = [e for e in events if e["recipient"] == BOB]
    kinds = [e["kind"] for e in bob]
    assert kinds[0] == "decided" and kinds[-2:] == ["opened", "downloaded"]
    assert sorted(kinds[1:-2]) == ["code_sent", "delivery_attempt", "delivery_attempt", "verified"]
    mails = {e["details"]["mail"]: e["details"] for e in bob if e["kind"] == "delivery_attempt"}
    leaf = hashlib.sha256(ssl.PEM_cert_to_DER_cert(tls_files[0].read_text())).hexdigest()
    for details in mails.values():
        assert details["result"] == "delivered" and details["reply"].startswith("250")
        assert details["tls_version"] in ("TLSv1.2", "TLSv1.3")
        assert details["certificate_sha256"] == leaf
    assert set(mails) == {"notification", "code"}
    verified = next(e for e in bob if e["kind"] == "verified")
    assert verified["details"] == {"method": "email_verification", "outcome": "ok"}
    assert bob[-1]["details"]["sha256"] == hashlib.sha256(ATTACHMENT_PDF).hexdigest()
    # Nothing of the content: not the subject, the body or an attachment's name.
    assert "Lab results" not in shown.stdout and "results.pdf" not in shown.stdout

    verdict = await asyncio.to_thread(
        sealgate, "message", "evidence", message_id, "--verify", "--config", str(config)
    )
    assert verdict.returncode == 0, verdict.stderr
    assert verdict.stdout.strip() == f"chain intact ({len(events)} events, head {report['head']})"

    # Someone with database access makes Bob look as if he never downloaded anything.
    with gateway.db.begin() as session:
        downloaded = session.scalars(
            select(EvidenceEvent).where(
                EvidenceEvent.message_id == message_id, EvidenceEvent.kind == "downloaded"
            )
        ).one()
        seq = downloaded.seq
        session.execute(
            text("UPDATE evidence_events SET details = :d WHERE id = :id"),
            {
                "d": json.dumps({"index": 0, "size": 0, "sha256": "0" * 64, "via": "link"}),
                "id": downloaded.id,
            },
        )
        assert session.get_one(Recipient, downloaded.recipient_id).address == BOB
    broken = await asyncio.to_thread(
        sealgate, "message", "evidence", message_id, "--verify", "--config", str(config)
    )
    assert broken.returncode == 1
    assert f"chain broken at event {seq} (downloaded)" in broken.stderr

"""`sealgate-language` over real SMTP: refused at DATA when invalid, else the notification's
language, before the organisation's default (issue 11 item 3, SPEC.md "Extension headers")."""

from __future__ import annotations

import asyncio
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from sqlalchemy import func, select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.directory import set_org_language
from sealgate.store import Message, OutboundJob, Submission
from sealgate.submission import SubmissionServer
from sealgate.transport import AssumedLevels, UnknownTransport
from sealgate.transport.cache import CachedProbes
from tests.conftest import Sender
from tests.route.pipeline import process_incoming
from tests.submission.smtp_client import connect_auth, message, reply

BOB = "bob@example.org"


def _send(rt: Runtime, sender: Sender, extra: str) -> str:
    with connect_auth(rt.settings, sender) as client:
        client.mail(sender.address)
        client.rcpt(BOB)
        return reply(*client.data(message(to=BOB, extra=extra)))


def _notification(rt: Runtime) -> EmailMessage:
    """Route what was submitted and return the one notification it queued (then forget it)."""
    probes = CachedProbes(AssumedLevels({}, UnknownTransport()), rt.db)
    assert process_incoming(rt, probes) == 1
    with rt.db.begin() as session:
        (job,) = session.scalars(select(OutboundJob).where(OutboundJob.kind == "notification"))
        raw = queued_mail(rt.vault, job)
        session.delete(job)
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(mail, EmailMessage)
    return mail


async def test_an_invalid_language_is_refused_at_data_naming_the_header(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    answers = {
        value: await asyncio.to_thread(_send, runtime, sender, extra)
        for value, extra in (
            ("fr", "sealgate-language: fr\r\n"),
            ("empty", "sealgate-language:\r\n"),
            ("two", "sealgate-language: nl\r\nSealgate-Language: de\r\n"),
        )
    }
    assert answers["fr"] == (
        '550 5.6.0 The sealgate-language header has an unknown language "fr": '
        "it must read nl|en|de."
    )
    assert answers["empty"].startswith("550 5.6.0 The sealgate-language header has an unknown")
    assert answers["two"] == (
        "550 5.6.0 Two sealgate-language headers ask for different languages: give one header."
    )
    with runtime.db.begin() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


async def test_the_header_chooses_the_language_and_is_stripped(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    answer = await asyncio.to_thread(_send, runtime, sender, "Sealgate-Language:  NL \r\n")
    assert answer.startswith("250 2.0.0"), answer
    mail = await asyncio.to_thread(_notification, runtime)
    assert mail["Subject"] == f"Beveiligd bericht van {sender.name} ({sender.org})"
    assert mail["Content-Language"] == "nl"
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "U heeft een beveiligd bericht ontvangen van" in " ".join(text.split())
    assert '<html lang="nl">' in html and "Beveiligd bericht openen" in html
    with runtime.db.begin() as session:
        (stored,) = session.scalars(select(Message))
        assert stored.control_headers["sealgate-language"] == "nl"
        (submission,) = session.scalars(select(Submission))
    readable = runtime.vault.get_bytes(stored.content_blob_id)
    assert b"sealgate-language" not in readable.lower()
    assert submission.state == "done"


async def test_without_the_header_the_organisation_default_applies(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    with runtime.db.begin() as session:
        set_org_language(session, sender.org, "nl")
    assert (await asyncio.to_thread(_send, runtime, sender, "")).startswith("250 2.0.0")
    mail = await asyncio.to_thread(_notification, runtime)
    assert mail["Subject"] == f"Beveiligd bericht van {sender.name} ({sender.org})"
    # The header wins over the organisation's default.
    extra = "sealgate-language: de\r\n"
    assert (await asyncio.to_thread(_send, runtime, sender, extra)).startswith("250 2.0.0")
    mail = await asyncio.to_thread(_notification, runtime)
    assert mail["Subject"] == f"Sichere Nachricht von {sender.name} ({sender.org})"
    assert "Sichere Nachricht öffnen" in mail.get_body(("html",)).get_content()

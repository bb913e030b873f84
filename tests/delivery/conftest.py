"""Fixtures for delivery: a real SMTP sink on loopback, and settings that relay to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings
from sealgate.delivery.queue import enqueue
from sealgate.notify import compose_notification
from sealgate.store import OutboundJob, utcnow
from tests.conftest import make_settings
from tests.lab.smtp_sink import SmtpSink

SECRET_LINK = "http://127.0.0.1:8080/m/the-secret-link-token"


@pytest.fixture
async def sink(tmp_path: Path) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(folder=tmp_path / "sink")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], sink: SmtpSink
) -> Settings:
    """The shared `runtime` fixture, relaying to the sink."""
    return make_settings(tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=sink.address)


@contextmanager
def runtime_with(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], **env: str
) -> Iterator[Runtime]:
    """A runtime with extra SEALGATE_* settings, for tests that need a special relay."""
    rt = open_runtime(make_settings(tmp_path, database_url, tls_files, **env), create=True)
    try:
        yield rt
    finally:
        rt.close()


def notification(recipient: str = "bob@example.org") -> EmailMessage:
    return compose_notification(
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        recipient=recipient,
        link=SECRET_LINK,
        now=utcnow(),
        org_name="Hospital",
        until=datetime(2027, 3, 3),
    )


def large_mail(size: int) -> EmailMessage:
    """A mail over `size` bytes, From and To as a notification's."""
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@hospital.example", "bob@example.org", "Big"
    mail.set_content("y" * size)
    return mail


def queue_mail(
    rt: Runtime,
    mail: EmailMessage | bytes,
    *,
    kind: str = "notification",
    mail_from: str = "alice@hospital.example",
    rcpt_to: str = "bob@example.org",
    expiry: timedelta = timedelta(days=5),
) -> str:
    with rt.db.begin() as session:
        job = enqueue(
            session,
            rt.vault,
            kind=kind,
            mail=mail,
            mail_from=mail_from,
            rcpt_to=rcpt_to,
            now=utcnow(),
            expiry=expiry,
        )
        return job.id


def job_row(rt: Runtime, job_id: str) -> OutboundJob:
    with rt.db.begin() as session:
        job = session.get(OutboundJob, job_id)
        assert job is not None
        return job


def all_jobs(rt: Runtime) -> list[OutboundJob]:
    with rt.db.begin() as session:
        return list(session.query(OutboundJob).order_by(OutboundJob.created_at))

"""Each delivery attempt becomes an evidence event of its message, with its connection."""

from __future__ import annotations

import hashlib
import ssl
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.delivery import deliver_due, enqueue
from sealgate.evidence import Event, load, verify
from sealgate.store import Recipient, utcnow
from tests.conftest import Sender, make_settings
from tests.delivery.conftest import notification
from tests.lab.smtp_sink import SmtpSink
from tests.portal.recipients import Spec, store_for


@pytest.fixture
async def tls_sink(tmp_path: Path, tls_files: tuple[Path, Path]) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(tls=tls_files, folder=tmp_path / "sink")
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], tls_sink: SmtpSink
) -> Settings:
    """The shared `runtime` relaying to the STARTTLS sink (opportunistic, as notifications)."""
    return make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=tls_sink.address
    )


def _queue_for(rt: Runtime, recipient_id: str) -> str:
    with rt.db.begin() as session:
        recipient = session.get_one(Recipient, recipient_id)
        job = enqueue(
            session,
            rt.vault,
            kind="notification",
            mail=notification(recipient.address),
            mail_from="alice@hospital.example",
            rcpt_to=recipient.address,
            now=utcnow(),
            expiry=timedelta(days=5),
            recipient_id=recipient.id,
        )
        return job.id


def _attempts(rt: Runtime, recipient_id: str) -> list[Event]:
    with rt.db.begin() as session:
        message_id = session.get_one(Recipient, recipient_id).message_id
        assert verify(session, message_id) is None
        return [e for e in load(session, message_id) if e.kind == "delivery_attempt"]


def _leaf_sha256(cert: Path) -> str:
    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(cert.read_text())).hexdigest()


async def test_a_delivered_notification_records_host_tls_certificate_and_reply(
    runtime: Runtime, sender: Sender, tls_sink: SmtpSink, tls_files: tuple[Path, Path]
) -> None:
    pat = store_for(runtime, sender, [Spec("pat@example.org")])["pat@example.org"]
    job_id = _queue_for(runtime, pat.recipient_id)
    assert await deliver_due(runtime) == 1
    [event] = _attempts(runtime, pat.recipient_id)
    details = event.details
    assert event.recipient == "pat@example.org"
    assert (details["job_id"], details["mail"], details["result"]) == (
        job_id,
        "notification",
        "delivered",
    )
    assert (details["to"], details["attempt"]) == ("pat@example.org", 1)
    assert details["ip"] == "127.0.0.1" and details["port"] == tls_sink.port
    assert details["tls_version"] in ("TLSv1.2", "TLSv1.3") and details["cipher"]
    assert details["certificate_sha256"] == _leaf_sha256(tls_files[0])
    assert details["reply"].startswith("250")
    # The mail itself (its link) is never evidence.
    assert "/m/" not in str(details)


async def test_a_deferral_records_the_remote_reply_and_the_next_attempt(
    runtime: Runtime, sender: Sender, tls_sink: SmtpSink
) -> None:
    pat = store_for(runtime, sender, [Spec("pat@example.org")])["pat@example.org"]
    tls_sink.fail_next(451, "4.3.0 try again later", at="RCPT")
    _queue_for(runtime, pat.recipient_id)
    await deliver_due(runtime)
    [event] = _attempts(runtime, pat.recipient_id)
    assert event.details["result"] == "deferred"
    assert event.details["reply"] == "451 4.3.0 try again later"
    assert event.details["next_attempt_at"].endswith("Z")
    assert event.details["tls_version"]

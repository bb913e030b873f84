"""SPF-authorised submission: a client that does not AUTH may submit when its address passes
SPF for the MAIL FROM domain and an organisation claimed that domain; otherwise 530 5.7.0.
The same From:-must-be-an-account rule applies. DNS comes from a server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender, make_settings
from tests.delivery.dns_zone import DnsZone
from tests.submission.smtp_client import connect_tls, message, reply


@pytest.fixture
def zone(zone: DnsZone) -> DnsZone:
    zone.add("hospital.example.", "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
    zone.add("clinic.example.", "TXT", '"v=spf1 ip4:192.0.2.1 -all"')
    zone.servfail.add("broken.example.")
    return zone


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], zone: DnsZone
) -> Settings:
    return make_settings(
        tmp_path, database_url, tls_files, SEALGATE_TRANSPORT__RESOLVER=f"127.0.0.1:{zone.port}"
    )


def _transaction(settings: Settings, mail_from: str, raw: bytes) -> list[str]:
    with connect_tls(settings) as client:
        answers = [reply(*client.mail(mail_from))]
        if answers[0].startswith("250"):
            answers.append(reply(*client.rcpt("bob@example.org")))
            answers.append(reply(*client.data(raw)))
        return answers


async def test_spf_pass_for_a_claimed_domain_submits_without_auth(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    answers = await asyncio.to_thread(_transaction, runtime.settings, sender.address, message())
    assert answers[:2] == [r.S250_SENDER_OK, r.S250_RECIPIENT_OK]
    assert answers[2].startswith("250 2.0.0 Ok: queued as ")
    with runtime.db.begin() as session:
        (row,) = session.scalars(select(Submission)).all()
    assert row.authenticated_as == "spf:hospital.example"


async def test_spf_pass_still_requires_the_from_header_account(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    raw = message(sender="mallory@hospital.example")
    answers = await asyncio.to_thread(_transaction, runtime.settings, sender.address, raw)
    assert answers[-1] == r.S550_FROM_HEADER_NOT_ACCOUNT


@pytest.mark.parametrize(
    "mail_from",
    [
        "alice@clinic.example",  # SPF fails: the record allows another address
        "alice@broken.example",  # SERVFAIL: temperror, fail closed
        "alice@unclaimed.example",  # no organisation claimed the domain
    ],
)
async def test_without_spf_pass_authentication_is_required(
    server: SubmissionServer, runtime: Runtime, sender: Sender, mail_from: str
) -> None:
    from sealgate.directory import create_org

    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example", "broken.example"])
    answers = await asyncio.to_thread(_transaction, runtime.settings, mail_from, message())
    assert answers == [r.S530_AUTH_REQUIRED]

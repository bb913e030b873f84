"""Intake and transport probes: a domain that is slow to probe holds up no other submission."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from sealgate.config import Settings
from sealgate.directory import set_policy
from sealgate.store import OutboundJob, Recipient, Submission
from sealgate.transport import TransportLevel
from sealgate.transport.cache import CachedProbes
from tests.conftest import lab_settings
from tests.route.pipeline import process_incoming

MAIL = b"From: alice@hospital.example\r\nTo: {to}\r\nSubject: Results\r\n\r\nBody.\r\n"


@pytest.fixture
def settings(transport_world, tmp_path, database_url, tls_files) -> Settings:
    return lab_settings(transport_world, tmp_path, database_url, tls_files)


def test_a_submission_waiting_for_a_probe_lets_the_next_one_pass(runtime, sender, submit) -> None:
    with runtime.db.begin() as session:
        set_policy(session, sender.org, tsc="pkix")
    probes = CachedProbes.for_settings(runtime.settings, runtime.db)
    assert asyncio.run(probes.result("pkix.lab")).level == TransportLevel.PKIX  # cached now
    slow = submit(MAIL.replace(b"{to}", b"ann@dead.lab"), ["ann@dead.lab"])
    fast = submit(MAIL.replace(b"{to}", b"bob@pkix.lab"), ["bob@pkix.lab"])

    assert process_incoming(runtime) == 2

    with runtime.db.begin() as session:
        # Intake no longer waits for probes: what waits is the recipient, so "made" is when
        # route queued each submission's job.
        made = {
            submission_id: created
            for submission_id, created in session.execute(
                select(OutboundJob.submission_id, OutboundJob.created_at)
            )
        }
        states = set(session.scalars(select(Submission.state)))
        methods = dict(session.execute(select(Recipient.address, Recipient.method)).all())
    assert made[fast] < made[slow]  # the one behind did not wait for dead.lab's probe
    assert states == {"done"}
    assert methods == {"bob@pkix.lab": "transport_security", "ann@dead.lab": "email_verification"}

"""Rows pseudonymised `policy_pseudonymise_days` after the content went (issue 13 item 4).

Over the real database: no recipient's address, phone, hint or client address is left in
the message's rows, the pseudonyms are stable across messages, evidence still verifies, and
an organisation that switched it off keeps its rows.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.directory import set_policy
from sealgate.evidence import verify
from sealgate.retention import reap
from sealgate.store import Message, OutboundJob, Recipient, Submission, utcnow
from tests.conftest import Sender
from tests.portal.recipients import PHONE, Spec, store_for

DAY = timedelta(days=1)


def _stored(rt: Runtime, sender: Sender) -> str:
    guests = store_for(
        rt,
        sender,
        [
            Spec("bob@example.org", method="sms", phone=PHONE),
            Spec("carol@example.net", method="access_code", access_code="123456", hint="zip"),
        ],
    )
    with rt.db.begin() as session:
        recipient = session.get_one(Recipient, guests["bob@example.org"].recipient_id)
        message_id = recipient.message_id
        submission = session.get_one(Message, message_id).submission_id
        session.execute(
            update(Submission)
            .where(Submission.id == submission)
            .values(
                client_address="192.0.2.7",
                rcpt_to=["bob@example.org", "carol@example.net"],
            )
        )
        session.add(
            OutboundJob(
                id="j" + message_id[:20],
                kind="notification",
                submission_id=submission,
                recipient_id=recipient.id,
                mail_from="noreply@gateway.example",
                rcpt_to="bob@example.org",
                blob_id="",
                state="done",
                last_error="250 2.0.0 ok for bob@example.org",
                next_attempt_at=utcnow(),
                expires_at=utcnow(),
                created_at=utcnow(),
                updated_at=utcnow(),
            )
        )
    return message_id


def _rows(rt: Runtime, message_id: str) -> str:
    """Everything the message's rows hold, as one text to search."""
    with rt.db.begin() as session:
        message = session.get_one(Message, message_id)
        rows = [
            message,
            session.get_one(Submission, message.submission_id),
            *session.scalars(select(Recipient).where(Recipient.message_id == message_id)),
            *session.scalars(
                select(OutboundJob).where(OutboundJob.submission_id == message.submission_id)
            ),
        ]
        return json.dumps(
            [{c.key: getattr(r, c.key) for c in r.__mapper__.column_attrs} for r in rows],
            default=str,
        )


def test_rows_are_pseudonymised_after_the_delay_and_evidence_still_verifies(
    runtime: Runtime, sender: Sender
) -> None:
    first, second = _stored(runtime, sender), _stored(runtime, sender)
    # Links live 90 days, content 30 more: gone at day 121; rows 365 days after that.
    assert reap(runtime, utcnow() + 121 * DAY).to_json()["pseudonymised"] == 0
    assert "bob@example.org" in _rows(runtime, first)
    assert reap(runtime, utcnow() + 480 * DAY).pseudonymised == 0
    assert reap(runtime, utcnow() + 490 * DAY).pseudonymised == 2
    for message_id in (first, second):
        rows = _rows(runtime, message_id)
        for personal in ("bob@example.org", "carol@example.net", PHONE, "zip", "192.0.2.7"):
            assert personal not in rows, personal
        assert "@example.org" in rows and sender.address in rows
    with runtime.db.begin() as session:
        names = [
            sorted(session.scalars(select(Recipient.address).where(Recipient.message_id == m)))
            for m in (first, second)
        ]
        assert names[0] == names[1]  # one person, one pseudonym
        assert verify(session, first) is None
        assert session.get_one(Message, first).pseudonymised_at is not None
    assert reap(runtime, utcnow() + 500 * DAY).pseudonymised == 0


def test_an_organisation_that_switched_it_off_keeps_its_rows(
    runtime: Runtime, sender: Sender
) -> None:
    message_id = _stored(runtime, sender)
    with runtime.db.begin() as session:
        assert set_policy(session, "Hospital", pseudonymise_days="off").pseudonymise_days is None
    reap(runtime, utcnow() + 121 * DAY)
    assert reap(runtime, utcnow() + 3000 * DAY).pseudonymised == 0
    assert "bob@example.org" in _rows(runtime, message_id)

"""The `sealgate-expiry` header over real SMTP: refused at end of DATA when invalid (550
5.6.0 naming it), else the expiry of every recipient's link; the org default otherwise."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import set_policy
from sealgate.intake import process_incoming
from sealgate.store import Message, Recipient, Submission
from sealgate.submission import SubmissionServer
from tests.conftest import Sender
from tests.submission.smtp_client import connect_auth, message, reply

BOB, CAROL = "bob@example.org", "carol@example.net"


def _send(rt: Runtime, sender: Sender, extra: str) -> str:
    with connect_auth(rt.settings, sender) as client:
        client.mail(sender.address)
        client.rcpt(BOB)
        client.rcpt(CAROL)
        return reply(*client.data(message(to=f"{BOB}, {CAROL}", extra=extra)))


def _expiries(rt: Runtime) -> list[tuple[str, timedelta | None]]:
    """(submission id, expires_at - received_at) of each recipient, after intake."""
    assert process_incoming(rt) >= 1
    with rt.db.begin() as session:
        rows = session.execute(
            select(Submission, Recipient)
            .join(Message, Message.submission_id == Submission.id)
            .join(Recipient, Recipient.message_id == Message.id)
            .order_by(Submission.received_at, Recipient.address)
        ).all()
        return [(s.id, r.expires_at - s.received_at if r.expires_at else None) for s, r in rows]


async def test_an_invalid_expiry_header_fails_the_submission_with_550_5_6_0(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    for value in ("soon", "0d", "2020-01-01", "2020-01-01T10:00:00Z", ""):
        answer = await asyncio.to_thread(_send, runtime, sender, f"sealgate-expiry: {value}\r\n")
        assert answer.startswith("550 5.6.0 The sealgate-expiry header is invalid: "), answer
    twice = "sealgate-expiry: 30d\r\nsealgate-expiry: 30d\r\n"
    answer = await asyncio.to_thread(_send, runtime, sender, twice)
    assert answer == "550 5.6.0 A message may carry only one sealgate-expiry header."
    with runtime.db.begin() as session:
        assert session.scalars(select(Submission)).all() == []


async def test_the_header_sets_each_recipients_expiry_and_beats_the_org_default(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    answer = await asyncio.to_thread(_send, runtime, sender, "")
    assert answer.startswith("250 2.0.0"), answer
    assert {delta for _, delta in _expiries(runtime)} == {None}

    with runtime.db.begin() as session:
        set_policy(session, sender.org, expiry_days=7)
    answer = await asyncio.to_thread(_send, runtime, sender, "Sealgate-Expiry: 30d\r\n")
    assert answer.startswith("250 2.0.0"), answer
    answer = await asyncio.to_thread(_send, runtime, sender, "")
    assert answer.startswith("250 2.0.0"), answer
    found = _expiries(runtime)
    assert [delta for _, delta in found[2:]] == [timedelta(days=30)] * 2 + [timedelta(days=7)] * 2
    with runtime.db.begin() as session:
        stored = session.scalars(select(Message).order_by(Message.created_at)).all()
        assert stored[1].control_headers["sealgate-expiry"] == ["30d"]
        assert "sealgate-expiry" not in stored[2].control_headers

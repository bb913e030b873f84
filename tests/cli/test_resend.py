"""`sealgate message resend ID --recipient ADDR`: a new notification queued with a new link,
the command audited, and one-line errors."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from sealgate.audit import entries
from sealgate.store import LinkToken, OutboundJob, Recipient
from tests.portal.recipients import Spec, store_for

BOB = "bob@example.org"


def test_resend_queues_a_new_notification_and_is_audited(cli, runtime, sender):
    guest = store_for(runtime, sender, [Spec(BOB)])[BOB]
    with runtime.db.begin() as session:
        message_id = session.get_one(Recipient, guest.recipient_id).message_id
    result = cli("message", "resend", message_id, "--recipient", "Bob@Example.org", "--json")
    assert result.returncode == 0, result.stderr
    value = json.loads(result.stdout)
    assert value["id"] == message_id and value["recipient"] == BOB
    with runtime.db.begin() as session:
        job = session.get_one(OutboundJob, value["job_id"])
        assert job.kind == "notification" and job.recipient_id == guest.recipient_id
        links = session.scalar(
            select(func.count(LinkToken.id)).where(LinkToken.recipient_id == guest.recipient_id)
        )
        assert links == 2  # the first link stays; the new one is in the new mail
        [entry] = [e for e in entries(session) if e.action == "message.resend"]
    assert entry.actor_kind == "cli" and entry.object_id == message_id
    text = cli("message", "resend", message_id, "--recipient", BOB)
    assert text.returncode == 0 and f"a new notification to {BOB} is queued" in text.stdout


def test_a_direct_delivery_or_a_stranger_is_a_one_line_error(cli, runtime, sender):
    guest = store_for(runtime, sender, [Spec(BOB, delivery="direct")])[BOB]
    with runtime.db.begin() as session:
        message_id = session.get_one(Recipient, guest.recipient_id).message_id
    result = cli("message", "resend", message_id, "--recipient", BOB)
    assert result.returncode == 1
    [line] = result.stderr.strip().splitlines()
    assert line == f"sealgate: error: {BOB} gets no notification (direct)"
    result = cli("message", "resend", message_id, "--recipient", "eve@example.org")
    assert result.returncode == 1 and "no recipient eve@example.org" in result.stderr
    with runtime.db.begin() as session:
        assert not [e for e in entries(session) if e.action == "message.resend"]

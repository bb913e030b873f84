"""A recipient revoked before route decided it gets nothing: no direct copy, no notification."""

from __future__ import annotations

from sqlalchemy import select

from sealgate.directory import add_nta7516_domain, revoke_links, set_policy
from sealgate.intake import process_incoming as intake_incoming
from sealgate.store import Message, OutboundJob, Recipient, utcnow
from tests.cli.test_message import submit
from tests.route.pipeline import process_incoming


def test_revoked_before_routing_nothing_is_sent(runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, sender.org, nta7516=True)
        add_nta7516_domain(session, "example.net")
    submission_id = submit(runtime, sender)
    assert intake_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message_id = session.scalars(
            select(Message.id).where(Message.submission_id == submission_id)
        ).one()
        # bob@example.net would be delivered directly, pat@example.org notified.
        for address in ("bob@example.net", "pat@example.org"):
            revoke_links(session, message_id, utcnow(), address=address)
    process_incoming(runtime)
    with runtime.db.begin() as session:
        rows = {r.address: r for r in session.scalars(select(Recipient))}
        jobs = {job.rcpt_to for job in session.scalars(select(OutboundJob))}
    assert {r.state for r in rows.values()} == {"decided"}
    assert rows["bob@example.net"].delivery == "direct"
    assert rows["pat@example.org"].delivery == "notification"
    assert jobs == {"carol@example.com", "dave@example.org"}

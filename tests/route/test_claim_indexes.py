"""Route's and the probe runner's claims read their states' partial indexes (0008)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from sealgate.bootstrap import Runtime
from sealgate.directory import create_org
from sealgate.route.runner import _claim
from sealgate.store import (
    Conversation,
    Message,
    ProbeRequest,
    Recipient,
    Submission,
    new_id,
    utcnow,
)
from sealgate.transport.probe_runner import _claim as claim_requests
from tests.store.test_claim_indexes import ROWS, _plan, _plans_of, _uses


def _fill(rt: Runtime) -> None:
    """ROWS recipients, one in ten undecided; ROWS probe requests, one in ten waiting."""
    now = utcnow()
    with rt.db.begin() as session:
        org_id = create_org(session, "Hospital", ["hospital.example"]).id
        submission = Submission(
            id=new_id(), org_id=org_id, mail_from="", rcpt_to=[], blob_id="none", size=1
        )
        submission.received_at, submission.state = now, "done"
        message = Message(
            id=new_id(),
            submission_id=submission.id,
            org_id=org_id,
            sender_address="a@hospital.example",
            content_blob_id="none",
            control_headers={},
            created_at=now,
        )
        conversation = Conversation(id=new_id(), message_id=message.id, kind="to_cc")
        for group in ([submission], [message], [conversation]):
            session.add_all(group)
            session.flush()
        states = ("undecided", "decided", "decided", "awaiting_probe", *("decided",) * 6)
        session.execute(
            insert(Recipient),
            [
                {
                    "id": new_id(),
                    "conversation_id": conversation.id,
                    "message_id": message.id,
                    "address": f"r{n}@d{n % 50}.example",
                    "role": "to",
                    "method": "",
                    "delivery": "",
                    "decision": {},
                    "created_at": now - timedelta(seconds=n),
                    "state": states[n % len(states)],
                    "probe_domain": f"d{n % 50}.example",
                }
                for n in range(ROWS)
            ],
        )
        session.execute(
            insert(ProbeRequest),
            [
                {
                    "domain": f"p{n}.example",
                    "state": ("incoming", "active", *("done",) * 8)[n % 10],
                    "requested_at": now - timedelta(seconds=n),
                    "lease_until": now + timedelta(minutes=5),
                }
                for n in range(ROWS)
            ],
        )
    if not rt.db.is_sqlite:
        with rt.db.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE recipients")
            connection.exec_driver_sql("ANALYZE probe_requests")
            connection.commit()


def test_the_route_claim_reads_ix_recipients_undecided(runtime: Runtime) -> None:
    _fill(runtime)
    [plan] = _plans_of(runtime, lambda session: _claim(session, runtime, set(), ()))
    assert _uses(plan, "ix_recipients_undecided"), plan


def test_the_probe_claim_reads_ix_probe_requests_incoming(runtime: Runtime) -> None:
    _fill(runtime)
    plans = _plans_of(runtime, lambda _: claim_requests(runtime, utcnow()))
    assert any(_uses(plan, "ix_probe_requests_incoming") for plan in plans), plans


def test_the_wake_and_the_lease_check_read_their_partial_indexes(runtime: Runtime) -> None:
    """The probe runner's two UPDATEs find their rows through the partial indexes."""
    _fill(runtime)
    wake = (
        "SELECT id FROM recipients WHERE state = 'awaiting_probe' AND probe_domain = 'd3.example'"
    )
    lapsed = (
        "SELECT domain FROM probe_requests WHERE state = 'active' AND lease_until < '2000-01-01'"
    )
    with runtime.db.begin() as session:
        assert "ix_recipients_awaiting_probe" in _plan(session, wake, ())
        assert "ix_probe_requests_active" in _plan(session, lapsed, ())

"""POST /messages/{id}/resend over real HTTP: the helpdesk queues one recipient a new
notification with a new link; a direct delivery, a closed link or a stranger is refused."""

from __future__ import annotations

from sqlalchemy import func, select

from sealgate.admin import Role
from sealgate.audit import newest
from sealgate.store import LinkToken, OutboundJob, Recipient, utcnow
from tests.admin.api.world import ApiWorld
from tests.conftest import Sender
from tests.portal.recipients import Spec, store_for


def _message(world: ApiWorld, *specs: Spec) -> tuple[str, dict[str, str]]:
    org = world.orgs["Hospital"]
    sender = Sender(org.name, org.sender, "Alice", org.username, "")
    guests = store_for(world.rt, sender, list(specs))
    ids = {address: guest.recipient_id for address, guest in guests.items()}
    with world.rt.db.begin() as session:
        message_id = session.get_one(Recipient, next(iter(ids.values()))).message_id
    return message_id, ids


def _counts(world: ApiWorld, recipient_id: str) -> tuple[int, int]:
    with world.rt.db.begin() as session:
        links = session.scalar(
            select(func.count(LinkToken.id)).where(LinkToken.recipient_id == recipient_id)
        )
        jobs = session.scalar(
            select(func.count(OutboundJob.id)).where(
                OutboundJob.recipient_id == recipient_id, OutboundJob.kind == "notification"
            )
        )
    return links or 0, jobs or 0


def test_the_helpdesk_resends_one_recipients_notification(world: ApiWorld) -> None:
    message_id, ids = _message(
        world, Spec("dora@example.org"), Spec("dirk@example.org", delivery="direct")
    )
    before = _counts(world, ids["dora@example.org"])
    with world.client(Role.HELPDESK, "Hospital") as api:
        resent = api.post(f"/messages/{message_id}/resend", json={"recipient": "Dora@Example.org"})
        assert resent.status_code == 200, resent.text
        value = resent.json()
        assert value["id"] == message_id and value["recipient"] == "dora@example.org"
        direct = api.post(f"/messages/{message_id}/resend", json={"recipient": "dirk@example.org"})
        assert direct.status_code == 422 and "no notification" in direct.text
        stranger = api.post(f"/messages/{message_id}/resend", json={"recipient": "x@example.org"})
        assert stranger.status_code == 404
    assert _counts(world, ids["dora@example.org"]) == (before[0] + 1, before[1] + 1)
    with world.rt.db.begin() as session:
        job = session.get_one(OutboundJob, value["job_id"])
        assert job.rcpt_to == "dora@example.org" and job.recipient_id == ids["dora@example.org"]
        [entry] = newest(session, 1, action="api.messages.resend")
    assert entry.object_id == message_id


def test_a_revoked_recipient_gets_no_new_notification(world: ApiWorld) -> None:
    message_id, ids = _message(world, Spec("rita@example.org"))
    with world.rt.db.begin() as session:
        session.get_one(Recipient, ids["rita@example.org"]).revoked_at = utcnow()
    with world.client(Role.HELPDESK, "Hospital") as api:
        refused = api.post(f"/messages/{message_id}/resend", json={"recipient": "rita@example.org"})
    assert refused.status_code == 422 and "closed (revoked)" in refused.text
    with world.client(Role.AUDITOR, "Hospital") as api:
        forbidden = api.post(
            f"/messages/{message_id}/resend", json={"recipient": "rita@example.org"}
        )
    assert forbidden.status_code == 403

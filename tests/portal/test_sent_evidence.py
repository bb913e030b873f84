"""The proof of delivery in the sender's view over HTTP: the page with the head of the chain
and its verdict, the PDF, each view audited, and a changed event shown as a broken chain."""

from __future__ import annotations

from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.evidence import head, load
from sealgate.store import EvidenceEvent
from tests.portal.conftest import BOB, SUBJECT, StoredMessage
from tests.portal.sent import (
    ALICE_PASSWORD,
    audit_actions,
    log_in_sender,
    message_of,
    served_browsers,
)


def _chain_head(rt: Runtime, message_id: str) -> str:
    with rt.db.begin() as session:
        return head(load(session, message_id))


async def test_the_page_shows_every_event_and_the_head_that_verifies(
    runtime, sender, stored: StoredMessage
):
    message_id = message_of(runtime, stored.bob.recipient_id)
    async with served_browsers(runtime, 2) as (alice, bob):
        await bob.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
        await bob.get(f"/m/{stored.bob.token}/read")
        await log_in_sender(alice, sender.address, ALICE_PASSWORD)
        await alice.get(f"/sent/{message_id}")
        await alice.post(f"/sent/{message_id}/revoke", {"recipient": stored.bob.recipient_id})
        page = await alice.get(f"/sent/{message_id}/evidence")
        assert page.status_code == 200
        assert page.headers["cache-control"] == "no-store"
        chain_head = _chain_head(runtime, message_id)
        assert f'<code class="hash">{chain_head}</code>' in page.text
        assert "The chain verifies" in page.text
        for kind in ("code_sent", "verified", "opened", "revoked"):
            assert f"<code>{kind}</code>" in page.text
        assert f"by: account:{sender.address}" in page.text
        assert f'<h2 id="section-2">{BOB}</h2>' in page.text
        # The report holds no content.
        assert SUBJECT not in page.text and "scan.bin" not in page.text

        pdf = await alice.get(f"/sent/{message_id}/evidence.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.headers["content-disposition"] == (
            f'attachment; filename="evidence-{message_id}.pdf"'
        )
        views = [e for e in audit_actions(runtime, "portal.evidence")]
        assert views == [("portal.evidence", sender.address, message_id)] * 2


async def test_a_changed_event_shows_the_chain_broken(runtime, sender, stored: StoredMessage):
    message_id = message_of(runtime, stored.bob.recipient_id)
    async with served_browsers(runtime, 2) as (alice, bob):
        await bob.sign_in(runtime, stored.bob.token, stored.bob.recipient_id)
        with runtime.db.begin() as session:
            first = session.scalars(
                select(EvidenceEvent)
                .where(EvidenceEvent.message_id == message_id)
                .order_by(EvidenceEvent.seq)
            ).first()
            assert first is not None
            session.execute(
                update(EvidenceEvent)
                .where(EvidenceEvent.id == first.id)
                .values(details={**first.details, "channel": "sms"})
            )
            seq, kind = first.seq, first.kind
        await log_in_sender(alice, sender.address, ALICE_PASSWORD)
        page = await alice.get(f"/sent/{message_id}/evidence")
        assert page.status_code == 200
        assert f"The chain is broken at event {seq} ({kind})." in page.text

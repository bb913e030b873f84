"""The sender's side of the portal for tests: the portal served on its port, a logged-in
account, and the rows a test checks after an action."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account
from sealgate.store import AuditEntryRow, EvidenceEvent, Message, Recipient
from tests.portal.account import enrol
from tests.portal.guest import GuestBrowser
from tests.portal.served import served_portal

ALICE_PASSWORD = "alice-pw"
BERT = "bert@hospital.example"
BERT_PASSWORD = "bert-pw"


@asynccontextmanager
async def served_browsers(rt: Runtime, count: int) -> AsyncIterator[list[GuestBrowser]]:
    """`count` browsers on the portal served over HTTP on its loopback port."""
    with served_portal(rt) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield [GuestBrowser(client) for _ in range(count)]


async def log_in_sender(browser: GuestBrowser, email: str, password: str) -> None:
    """Password, then the authenticator app: the account's session is open."""
    _, confirmed = await enrol(browser, email, password)
    assert confirmed.status_code == 303, confirmed.text


def add_colleague(rt: Runtime) -> None:
    """Another account of the sender's own organisation."""
    with rt.db.begin() as session:
        add_account(session, BERT, "Hospital", BERT_PASSWORD, "Bert Bos")


def message_of(rt: Runtime, recipient_id: str) -> str:
    with rt.db.begin() as session:
        return session.get_one(Recipient, recipient_id).message_id


def recipient_row(rt: Runtime, recipient_id: str) -> Recipient:
    with rt.db.begin() as session:
        row = session.get_one(Recipient, recipient_id)
        session.expunge(row)
        return row


def revoked_for_everyone(rt: Runtime, message_id: str) -> bool:
    with rt.db.begin() as session:
        return session.get_one(Message, message_id).revoked_for_everyone


def audit_actions(rt: Runtime, prefix: str) -> list[tuple[str, str, str | None]]:
    """(action, actor id, object id) of the audit entries whose action starts with prefix."""
    with rt.db.begin() as session:
        rows = session.scalars(
            select(AuditEntryRow)
            .where(AuditEntryRow.action.startswith(prefix))
            .order_by(AuditEntryRow.seq)
        ).all()
        return [(row.action, row.actor_id, row.object_id) for row in rows]


def event_kinds(rt: Runtime, message_id: str) -> list[tuple[str, str]]:
    """(kind, recipient address) of the message's evidence events, in chain order."""
    with rt.db.begin() as session:
        rows = session.execute(
            select(EvidenceEvent.kind, EvidenceEvent.recipient)
            .where(EvidenceEvent.message_id == message_id)
            .order_by(EvidenceEvent.seq)
        ).all()
        return [(kind, recipient) for kind, recipient in rows]


def section_of(page: str, address: str) -> str:
    """The part of a sent-message page about one recipient."""
    match = re.search(
        r'<section class="sent-recipient"[^>]*>\s*<h3[^>]*>'
        + re.escape(address)
        + r".*?</section>",
        page,
        re.S,
    )
    assert match, f"no section for {address}"
    return match.group(0)

"""The worker role runs the reaper: `serve --role worker` deletes due content on its own."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import update

from sealgate.bootstrap import Runtime
from sealgate.cli.serve import serve
from sealgate.store import Message, Recipient, utcnow
from tests.conftest import Sender
from tests.portal.recipients import Spec, store_for


def _deleted(rt: Runtime, message_id: str) -> bool:
    with rt.db.begin() as session:
        return session.get_one(Message, message_id).content_deleted_at is not None


async def test_the_worker_role_reaps_due_content(runtime: Runtime, sender: Sender) -> None:
    guests = store_for(runtime, sender, [Spec("bob@example.org")])
    past = utcnow() - timedelta(days=45)
    with runtime.db.begin() as session:
        recipient = session.get_one(Recipient, guests["bob@example.org"].recipient_id)
        recipient.expires_at = past
        message_id = recipient.message_id
        session.execute(update(Message).where(Message.id == message_id).values(created_at=past))
    stop = asyncio.Event()
    task = asyncio.create_task(serve(runtime, ("worker",), stop))
    try:
        for _ in range(200):
            if await asyncio.to_thread(_deleted, runtime, message_id):
                break
            await asyncio.sleep(0.05)
        assert await asyncio.to_thread(_deleted, runtime, message_id)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)

"""The reaper over the real database and the filesystem vault: the bytes are gone from disk
and the portal, over real HTTP, answers 410 "no longer available" (issue 13 item 4)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from sealgate.bootstrap import Runtime
from sealgate.evidence import CONTENT_DELETED, load, verify
from sealgate.retention import reap
from sealgate.store import (
    JobState,
    LinkToken,
    Message,
    OutboundJob,
    Recipient,
    RetentionBlob,
    Submission,
    new_id,
    utcnow,
)
from sealgate.vault import FilesystemBlobStore
from tests.conftest import Sender
from tests.portal.conftest import SUBJECT, StoredMessage, store_message
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, store_for, store_readable
from tests.portal.served import served_portal

GONE = "This message is no longer available"
DAY = timedelta(days=1)


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[GuestBrowser]:
    with served_portal(runtime) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            yield GuestBrowser(client)


def _message(rt: Runtime, recipient_id: str) -> Message:
    with rt.db.begin() as session:
        message = session.get_one(Message, session.get_one(Recipient, recipient_id).message_id)
        session.expunge(message)
        return message


def _blob_files(rt: Runtime, message: Message) -> list[Path]:
    """Every blob file of the message: raw, readable, attachments, queued mails."""
    from sealgate.intake import ReadableMessage

    store = rt.vault.store
    assert isinstance(store, FilesystemBlobStore)
    with rt.db.begin() as session:
        raw = session.get_one(Submission, message.submission_id).blob_id
        jobs = session.scalars(
            select(OutboundJob.blob_id).where(OutboundJob.submission_id == message.submission_id)
        )
        ids = [raw, message.content_blob_id, *(b for b in jobs if b)]
    readable = ReadableMessage.from_json(rt.vault.get_bytes(message.content_blob_id))
    ids += [attachment.blob_id for attachment in readable.attachments]
    paths = [store.path_of(blob_id) for blob_id in ids]
    blobs = Path(rt.settings.data_dir) / "blobs"
    assert all(path.is_file() and path.parent.parent == blobs for path in paths)
    return paths


def _add_job(rt: Runtime, message: Message, recipient_id: str, state: str, at: datetime) -> str:
    """A direct-delivery job of the message, its mail a vault blob; its id."""
    ident = new_id()
    with rt.db.begin() as session:
        session.add(
            OutboundJob(
                id=ident,
                kind="direct",
                submission_id=message.submission_id,
                recipient_id=recipient_id,
                mail_from="alice@hospital.example",
                rcpt_to="bob@example.org",
                blob_id=rt.vault.put_bytes(b"Subject: " + SUBJECT.encode() + b"\r\n\r\nbody"),
                state=state,
                next_attempt_at=at,
                expires_at=at + 5 * DAY,
                created_at=at,
                updated_at=at,
            )
        )
    return ident


async def test_past_retention_the_blobs_are_gone_and_the_portal_answers_410(
    runtime: Runtime, sender: Sender, http: GuestBrowser
) -> None:
    stored: StoredMessage = store_message(runtime, sender)
    bob = stored.bob
    await http.sign_in(runtime, bob.token, bob.recipient_id)
    assert (await http.get(f"/m/{bob.token}/read")).status_code == 200
    message = _message(runtime, bob.recipient_id)
    files = _blob_files(runtime, message)
    assert len(files) == 4  # raw, readable, two attachments

    # The links live 90 days; 30 days after the last ran out the content is due.
    within = reap(runtime, utcnow() + 119 * DAY)
    assert (within.messages, within.blobs) == (0, 0)
    assert all(path.is_file() for path in files)

    result = reap(runtime, utcnow() + 121 * DAY)
    assert result.to_json() == {"messages": 1, "blobs": 4, "pending": 0, "pseudonymised": 0}
    assert not any(path.exists() for path in files)
    after = _message(runtime, bob.recipient_id)
    assert after.content_deleted_at is not None and after.content_blob_id == ""
    with runtime.db.begin() as session:
        assert session.get_one(Submission, message.submission_id).blob_id == ""
        assert session.scalars(select(RetentionBlob)).all() == []
        events = load(session, message.id)
        assert verify(session, message.id) is None
    assert events[-1].kind == CONTENT_DELETED and events[-1].details == {"blobs": 4}

    # Every way in, the signed-in guest's and a fresh one's, says so: 410, no content.
    start = f"/m/{bob.token}"
    for path in (start, f"{start}/read", f"{start}/html", f"{start}/attachments/1"):
        page = await http.get(path)
        assert page.status_code == 410, (path, page.status_code)
        assert GONE in page.text and "Hospital" in page.text
        assert SUBJECT not in page.text
    fresh = await http.get(f"/m/{stored.carol.token}")
    assert fresh.status_code == 410 and GONE in fresh.text
    dutch = await http.client.get(f"/m/{stored.carol.token}", headers={"Accept-Language": "nl"})
    assert dutch.status_code == 410 and "Dit bericht is niet meer beschikbaar" in dutch.text
    # A link past its own lifetime says the same, not that it is not valid.
    assert GONE in (await http.get(f"/m/{stored.expired_token}")).text

    # A second pass finds nothing more to do.
    assert reap(runtime, utcnow() + 200 * DAY).to_json() == {
        "messages": 0,
        "blobs": 0,
        "pending": 0,
        "pseudonymised": 0,
    }


def test_an_expired_message_goes_retention_days_after_its_expiry(
    runtime: Runtime, sender: Sender
) -> None:
    guests = store_for(runtime, sender, [Spec("bob@example.org"), Spec("carol@example.net")])
    bob = guests["bob@example.org"]
    message = _message(runtime, bob.recipient_id)
    files = _blob_files(runtime, message)
    now = utcnow()
    with runtime.db.begin() as session:
        session.execute(
            update(Message).where(Message.id == message.id).values(created_at=now - 60 * DAY)
        )
        session.execute(
            update(Recipient)
            .where(Recipient.message_id == message.id)
            .values(expires_at=now - 29 * DAY)
        )
    assert reap(runtime).messages == 0
    assert all(path.is_file() for path in files)
    with runtime.db.begin() as session:
        session.execute(
            update(Recipient)
            .where(Recipient.message_id == message.id)
            .values(expires_at=now - 31 * DAY)
        )
    assert reap(runtime).to_json() == {"messages": 1, "blobs": 2, "pending": 0, "pseudonymised": 0}
    assert not any(path.exists() for path in files)


def test_the_organisation_sets_its_days(runtime: Runtime, sender: Sender) -> None:
    from sealgate.directory import set_policy

    guests = store_for(runtime, sender, [Spec("bob@example.org")])
    message = _message(runtime, guests["bob@example.org"].recipient_id)
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", retention_days=5)
    assert reap(runtime, utcnow() + 94 * DAY).messages == 0
    assert reap(runtime, utcnow() + 96 * DAY).messages == 1
    assert _message(runtime, guests["bob@example.org"].recipient_id).content_deleted_at
    assert message.content_blob_id


def test_a_direct_delivery_goes_after_its_mail_was_done_and_waits_for_a_queued_one(
    runtime: Runtime, sender: Sender
) -> None:
    guests = store_for(runtime, sender, [Spec("bob@example.org", delivery="direct")])
    bob = guests["bob@example.org"]
    now = utcnow()
    with runtime.db.begin() as session:
        # Direct delivery without large attachments: no portal link.
        session.execute(
            LinkToken.__table__.delete().where(LinkToken.recipient_id == bob.recipient_id)
        )
        session.execute(
            update(Message)
            .where(Message.id == _message(runtime, bob.recipient_id).id)
            .values(created_at=now - 40 * DAY)
        )
    message = _message(runtime, bob.recipient_id)
    done = _add_job(runtime, message, bob.recipient_id, JobState.DONE, now - 31 * DAY)
    waiting = _add_job(runtime, message, bob.recipient_id, JobState.DEFERRED, now - 31 * DAY)
    files = _blob_files(runtime, message)
    assert len(files) == 4  # raw, readable, two queued mails

    assert reap(runtime).messages == 0  # a mail of it still waits: its blob is needed
    assert all(path.is_file() for path in files)
    with runtime.db.begin() as session:
        session.get_one(OutboundJob, waiting).state = JobState.BOUNCED
    assert reap(runtime).to_json() == {"messages": 1, "blobs": 4, "pending": 0, "pseudonymised": 0}
    assert not any(path.exists() for path in files)
    with runtime.db.begin() as session:
        for ident in (done, waiting):
            job = session.get_one(OutboundJob, ident)
            assert (job.blob_id, job.sealed_mail) == ("", None)


def test_an_undecided_recipient_keeps_the_content(runtime: Runtime, sender: Sender) -> None:
    guests = store_for(runtime, sender, [Spec("bob@example.org")])
    bob = guests["bob@example.org"]
    with runtime.db.begin() as session:
        session.get_one(Recipient, bob.recipient_id).state = "undecided"
    assert reap(runtime, utcnow() + 400 * DAY).messages == 0


def test_a_blob_delete_that_fails_is_retried_on_the_next_pass(
    runtime: Runtime, sender: Sender, monkeypatch: pytest.MonkeyPatch
) -> None:
    guests = store_for(runtime, sender, [Spec("bob@example.org")], attachment=b"%PDF-1.7 x")
    message = _message(runtime, guests["bob@example.org"].recipient_id)
    files = _blob_files(runtime, message)
    store = runtime.vault.store
    assert isinstance(store, FilesystemBlobStore)
    real_delete, broken = store.delete, store.path_of(message.content_blob_id).name

    def flaky(blob_id: str) -> None:
        if blob_id == broken:
            raise OSError("the disk is away")
        real_delete(blob_id)

    monkeypatch.setattr(store, "delete", flaky)
    first = reap(runtime, utcnow() + 121 * DAY)
    assert first.to_json() == {"messages": 1, "blobs": 2, "pending": 1, "pseudonymised": 0}
    assert [path.exists() for path in files] == [False, True, False]
    # The row is marked already: the portal shows "no longer available", not an error.
    assert _message(runtime, guests["bob@example.org"].recipient_id).content_deleted_at
    monkeypatch.setattr(store, "delete", real_delete)
    second = reap(runtime, utcnow() + 121 * DAY)
    assert second.to_json() == {"messages": 0, "blobs": 1, "pending": 0, "pseudonymised": 0}
    assert not any(path.exists() for path in files)


def test_message_show_says_the_content_was_deleted(runtime, sender, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.cli.conftest import write_config
    from tests.cli.test_admin import sealgate

    guests = store_for(runtime, sender, [Spec("bob@example.org")])
    message = _message(runtime, guests["bob@example.org"].recipient_id)
    config = str(write_config(settings, tmp_path / "sealgate.toml"))
    shown = json.loads(sealgate("message", "show", message.id, "--json", "--config", config).stdout)
    assert shown["content_deleted_at"] is None
    reap(runtime, utcnow() + 121 * DAY)
    shown = json.loads(sealgate("message", "show", message.id, "--json", "--config", config).stdout)
    assert shown["content_deleted_at"].endswith("Z")
    text = sealgate("message", "show", message.id, "--config", config).stdout
    assert "content deleted " in text and "(retention)" in text


def test_inline_pictures_go_with_the_content(runtime: Runtime, sender: Sender) -> None:
    """A `cid:` picture is its own blob, named only in the readable form, like attachments."""
    from dataclasses import replace

    from sealgate.intake import InlineImage

    stored = store_message(runtime, sender)
    logo = b"\x89PNG\r\n\x1a\n logo"
    picture = InlineImage(
        "logo@x", "logo.png", "image/png", len(logo), runtime.vault.put_bytes(logo)
    )
    readable = replace(stored.readable, attachments=(), inline_images=(picture,))
    guests = store_readable(runtime, sender, readable, [Spec("dave@example.org")])
    store = runtime.vault.store
    assert isinstance(store, FilesystemBlobStore)
    path = store.path_of(picture.blob_id)
    assert path.is_file()

    reap(runtime, utcnow() + 121 * DAY)
    assert _message(runtime, guests["dave@example.org"].recipient_id).content_deleted_at
    assert not path.exists(), "the inline picture's blob outlived the message's content"

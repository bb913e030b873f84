"""The intake runner over a real database and vault: rows, tokens, notifications, failures."""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import func, select

import sealgate.intake.runner
import sealgate.route.rows
from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.intake import ReadableMessage, run_intake
from sealgate.intake import process_incoming as intake_incoming
from sealgate.notify import hash_token
from sealgate.route import route_undecided
from sealgate.store import (
    Conversation,
    LinkToken,
    Message,
    OutboundJob,
    Recipient,
    Submission,
    utcnow,
)
from tests.conftest import TEST_DATABASE, Sender
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming

SECRET_SUBJECT = "Diagnosis for patient 4711"
SECRET_BODY = "The biopsy shows nothing to worry about."
BOB, CAROL, DAVE, ERIN = (
    "bob@clinic.example",
    "carol@clinic.example",
    "dave@lab.example",
    "erin@home.example",
)
RECIPIENTS = [BOB, CAROL, DAVE, ERIN]


def _mail(*, extra: dict[str, str] | None = None) -> bytes:
    mail = EmailMessage()
    mail["From"] = "Alice Arts <alice@hospital.example>"
    mail["To"] = f"Bob <{BOB}>, Frank <frank@clinic.example>"
    mail["Cc"] = CAROL.upper()
    mail["Subject"] = SECRET_SUBJECT
    for name, value in (extra or {}).items():
        mail[name] = value
    mail.set_content(SECRET_BODY)
    mail.add_attachment(b"%PDF secret", maintype="application", subtype="pdf", filename="r.pdf")
    return mail.as_bytes(policy=policy.SMTP)


CONTROLS = {
    "zivver-access-right": f"{BOB} sms +31612345678",
    "zivver-direct-delivery": "tls tls1.2 auth certificate-validation",
    "zivver-minimum-recipient-verification": "email-verification",
}


def _count(rt: Runtime, table: type) -> int:
    with rt.db.begin() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def _state(rt: Runtime, submission_id: str) -> Submission:
    with rt.db.begin() as session:
        return session.get_one(Submission, submission_id)


def test_message_conversations_recipients_and_tokens(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    submission_id = submit(_mail(extra=CONTROLS), RECIPIENTS)
    assert process_incoming(runtime) == 1
    assert _state(runtime, submission_id).state == "done"
    with runtime.db.begin() as session:
        (message,) = session.scalars(select(Message)).all()
        assert message.submission_id == submission_id
        assert (message.sender_address, message.sender_name) == (sender.address, sender.name)
        stored = dict(message.control_headers)
        assert stored.pop("zivver-access-right-sealed")
        assert stored == {
            "zivver-access-right": [{"recipient": BOB, "method": "sms"}],
            "zivver-direct-delivery": [CONTROLS["zivver-direct-delivery"]],
            "zivver-minimum-recipient-verification": ["email-verification"],
        }
        conversations = session.scalars(select(Conversation)).all()
        recipients = session.scalars(select(Recipient)).all()
        tokens = session.scalars(select(LinkToken)).all()
    members: dict[str, list[tuple[str, str]]] = {c.id: [] for c in conversations}
    for recipient in recipients:
        members[recipient.conversation_id].append((recipient.address, recipient.role))
    kinds = sorted((c.kind, sorted(members[c.id])) for c in conversations)
    # frank is in To but not in the envelope: not delivered to.
    assert kinds == [
        ("bcc", [(DAVE, "bcc")]),
        ("bcc", [(ERIN, "bcc")]),
        ("to_cc", [(BOB, "to"), (CAROL, "cc")]),
    ]
    # The access-right header names bob; the others fall through to verification email
    # (the direct-delivery minimum is unknown = not met, and the fallback header allows it).
    for recipient in recipients:
        expected = "access_right_sms" if recipient.address == BOB else "email_verification"
        assert (recipient.method, recipient.delivery) == (expected, "notification")
        assert recipient.decision["trace"][-1]["outcome"] == "applied"
        assert recipient.opened_at is None
        assert recipient.phone == ("+31612345678" if recipient.address == BOB else "")
    assert sorted(t.recipient_id for t in tokens) == sorted(r.id for r in recipients)
    for token in tokens:
        assert re.fullmatch(r"[0-9a-f]{64}", token.token_hash)
        ttl = timedelta(days=runtime.settings.web.link_ttl_days)
        assert abs(token.expires_at - (utcnow() + ttl)) < timedelta(minutes=1)


def test_every_accepted_email_starts_a_new_conversation(runtime: Runtime, submit: Submit) -> None:
    """SPEC: the same mail to the same people twice makes two messages, two conversations."""
    for _ in range(2):
        submit(_mail(), [BOB, CAROL])
    assert process_incoming(runtime) == 2
    with runtime.db.begin() as session:
        messages = session.scalars(select(Message.id)).all()
        conversations = session.scalars(select(Conversation)).all()
    assert len(messages) == 2
    assert sorted(c.message_id for c in conversations) == sorted(messages)


def test_readable_message_has_no_control_headers(runtime: Runtime, submit: Submit) -> None:
    submit(_mail(extra=CONTROLS), RECIPIENTS)
    process_incoming(runtime)
    with runtime.db.begin() as session:
        message = session.scalars(select(Message)).one()
    stored = runtime.vault.get_bytes(message.content_blob_id)
    assert b"zivver" not in stored.lower()
    readable = ReadableMessage.from_json(stored)
    assert readable.subject == SECRET_SUBJECT
    assert readable.text.strip() == SECRET_BODY
    (attachment,) = readable.attachments
    assert runtime.vault.get_bytes(attachment.blob_id) == b"%PDF secret"


def test_one_notification_per_recipient_with_link_and_no_content(
    runtime: Runtime, sender: Sender, submit: Submit
) -> None:
    submission_id = submit(_mail(extra=CONTROLS), RECIPIENTS)
    process_incoming(runtime)
    with runtime.db.begin() as session:
        jobs = session.scalars(select(OutboundJob)).all()
        recipients = {r.id: r for r in session.scalars(select(Recipient))}
        token_of = {t.recipient_id: t.token_hash for t in session.scalars(select(LinkToken))}
    assert sorted(job.rcpt_to for job in jobs) == sorted(RECIPIENTS)
    link = re.compile(re.escape(runtime.settings.web.base_url) + r"/m/([A-Za-z0-9_-]{43})")
    for job in jobs:
        assert (job.kind, job.state, job.mail_from) == ("notification", "incoming", sender.address)
        assert job.submission_id == submission_id
        assert recipients[job.recipient_id].address == job.rcpt_to
        expiry = timedelta(seconds=runtime.settings.delivery.expiry_seconds)
        assert job.expires_at - job.created_at == expiry
        raw = queued_mail(runtime.vault, job)
        mail = BytesParser(policy=policy.default).parsebytes(raw)
        assert mail["Subject"] == f"Secure message from {sender.name} ({sender.org})"
        assert mail["To"] == job.rcpt_to
        text = mail.get_body(("plain",)).get_content()
        html = mail.get_body(("html",)).get_content()
        (token,) = set(link.findall(text))
        assert hash_token(token) == token_of[job.recipient_id]
        for shown in (text, html, str(mail["Subject"]), raw.decode("ascii", "replace")):
            assert SECRET_SUBJECT not in shown
            assert "biopsy" not in shown and "r.pdf" not in shown
            assert "zivver" not in shown.lower()


def test_malformed_mime_is_accepted_and_shown_as_text(runtime: Runtime, submit: Submit) -> None:
    raw = (
        b"From: alice@hospital.example\r\nTo: bob@clinic.example\r\nSubject: x\r\n"
        b'Content-Type: multipart/mixed; boundary="AAA"\r\n\r\n'
        b"--BBB\r\nContent-Type: text/plain\r\n\r\nbroken \xff body\r\n"
    )
    submission_id = submit(raw, [BOB])
    assert process_incoming(runtime) == 1
    assert _state(runtime, submission_id).state == "done"
    with runtime.db.begin() as session:
        message = session.scalars(select(Message)).one()
    readable = ReadableMessage.from_json(runtime.vault.get_bytes(message.content_blob_id))
    assert "broken \ufffd body" in readable.text
    assert _count(runtime, OutboundJob) == 1


def test_unreadable_blob_marks_corrupt_and_the_next_goes_on(
    runtime: Runtime, submit: Submit
) -> None:
    missing = submit(b"whatever", [BOB], blob_id="0" * 32)
    tampered = submit(_mail(), [BOB])
    good = submit(_mail(), [BOB])
    with runtime.db.begin() as session:
        tampered_blob = session.get_one(Submission, tampered).blob_id
    blob_path = Path(runtime.settings.data_dir, "blobs", tampered_blob[:2], tampered_blob)
    data = bytearray(blob_path.read_bytes())
    data[-5] ^= 0xFF
    blob_path.write_bytes(bytes(data))

    assert process_incoming(runtime) == 3
    for submission_id, error in ((missing, "FileNotFoundError"), (tampered, "VaultCorrupt")):
        row = _state(runtime, submission_id)
        assert row.state == "corrupt"
        assert row.error == f"raw message blob unreadable: {error}"
    assert _state(runtime, good).state == "done"
    assert _count(runtime, Message) == 1


def _blob_files(rt: Runtime) -> set[Path]:
    return {p for p in Path(rt.settings.data_dir, "blobs").rglob("*") if p.is_file()}


def test_crash_midway_rolls_back_and_a_rerun_makes_one_message(
    runtime: Runtime, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    submission_id = submit(_mail(extra=CONTROLS), RECIPIENTS)
    before = _blob_files(runtime)
    real_stored_controls = sealgate.intake.runner.stored_controls

    def fail(*args: object, **kwargs: object) -> object:
        # Intake has written the readable form and the attachment by now.
        raise OSError("disk full")

    monkeypatch.setattr(sealgate.intake.runner, "stored_controls", fail)
    assert process_incoming(runtime) == 0
    assert _state(runtime, submission_id).state == "incoming"
    for table in (Message, Conversation, Recipient, LinkToken, OutboundJob):
        assert _count(runtime, table) == 0
    # The blobs the failed pass wrote (readable form, attachment) are gone.
    assert _blob_files(runtime) == before

    monkeypatch.setattr(sealgate.intake.runner, "stored_controls", real_stored_controls)
    assert process_incoming(runtime) == 1
    assert process_incoming(runtime) == 0
    assert _state(runtime, submission_id).state == "done"
    assert _count(runtime, Message) == 1
    assert _count(runtime, OutboundJob) == len(RECIPIENTS)


def test_a_crash_in_route_leaves_recipients_undecided_and_no_blob(
    runtime: Runtime, submit: Submit, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Route's batch is one transaction: a failure keeps no token, no job and no blob of it,
    and the recipients wait `undecided` for the next pass."""
    submit(_mail(), RECIPIENTS)
    assert intake_incoming(runtime) == 1
    before = _blob_files(runtime)
    real_enqueue = sealgate.route.rows.enqueue
    calls = []

    def enqueue_then_fail(*args: object, **kwargs: object) -> object:
        # The batch fails at its third job; alone, the first recipient passes, then none.
        calls.append(1)
        if len(calls) == 3 or len(calls) >= 5:
            raise OSError("disk full")
        return real_enqueue(*args, **kwargs)

    monkeypatch.setattr(sealgate.route.rows, "enqueue", enqueue_then_fail)
    route_undecided(runtime)
    with runtime.db.begin() as session:
        states = sorted(session.scalars(select(Recipient.state)))
    assert states.count("undecided") == len(RECIPIENTS) - 1  # one alone went through
    assert _count(runtime, OutboundJob) == _count(runtime, LinkToken) == 1
    # That one's notification is sealed in its job row (delivery/queue.py): no blob at all.
    assert len(_blob_files(runtime) - before) == 0
    with runtime.db.begin() as session:
        assert session.scalars(select(OutboundJob.sealed_mail)).one() is not None

    monkeypatch.setattr(sealgate.route.rows, "enqueue", real_enqueue)
    assert route_undecided(runtime) == len(RECIPIENTS) - 1
    assert route_undecided(runtime) == 0
    assert _count(runtime, OutboundJob) == len(RECIPIENTS)


def test_invalid_control_headers_hold_the_submission_and_leave_no_blob(
    runtime: Runtime, submit: Submit
) -> None:
    raw = _mail(extra={"zivver-access-right": "nobody@elsewhere.example sms +31612345678"})
    submission_id = submit(raw, [BOB])
    before = _blob_files(runtime)
    process_incoming(runtime)
    row = _state(runtime, submission_id)
    assert row.state == "hold"
    assert row.error.startswith("control headers: ")
    assert _count(runtime, Message) == 0
    # Policy refused before anything was written: no readable form, no attachment blob.
    assert _blob_files(runtime) == before


def test_submissions_are_taken_oldest_first(runtime: Runtime, submit: Submit) -> None:
    first, second = submit(_mail(), [BOB]), submit(_mail(), [CAROL])
    with runtime.db.begin() as session:
        session.get_one(Submission, first).received_at = utcnow() + timedelta(seconds=5)
    assert process_incoming(runtime) == 2
    with runtime.db.begin() as session:
        messages = session.scalars(select(Message).order_by(Message.created_at)).all()
    assert [m.submission_id for m in messages] == [second, first]


@pytest.mark.skipif(TEST_DATABASE == "sqlite", reason="row locks are a PostgreSQL feature")
def test_a_submission_locked_by_another_runner_is_skipped(runtime: Runtime, submit: Submit) -> None:
    submission_id = submit(_mail(), [BOB])
    with runtime.db.begin() as other_runner:
        other_runner.scalars(
            select(Submission).where(Submission.id == submission_id).with_for_update()
        ).one()
        assert process_incoming(runtime) == 0
    assert process_incoming(runtime) == 1


def test_two_runners_at_once_make_one_message_per_submission(
    runtime: Runtime, submit: Submit
) -> None:
    ids = [submit(_mail(), [BOB, DAVE]) for _ in range(6)]
    with ThreadPoolExecutor(2) as pool:
        taken = list(pool.map(lambda _: process_incoming(runtime), range(2)))
    assert sum(taken) == len(ids)
    assert process_incoming(runtime) == 0
    assert {_state(runtime, i).state for i in ids} == {"done"}
    assert _count(runtime, Message) == len(ids)
    assert _count(runtime, OutboundJob) == 2 * len(ids)


async def test_run_intake_polls_until_stopped(runtime: Runtime, submit: Submit) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(run_intake(runtime, stop))
    submission_id = await asyncio.to_thread(submit, _mail(), [BOB])
    for _ in range(200):
        if (await asyncio.to_thread(_state, runtime, submission_id)).state == "done":
            break
        await asyncio.sleep(0.05)
    assert (await asyncio.to_thread(_state, runtime, submission_id)).state == "done"
    stop.set()
    await asyncio.wait_for(task, timeout=5)


def test_logs_carry_ids_not_content(
    runtime: Runtime, submit: Submit, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG", logger="sealgate")
    submission_id = submit(_mail(extra=CONTROLS), RECIPIENTS)
    submit(b"x", [BOB], blob_id="f" * 32)
    process_incoming(runtime)
    assert submission_id in caplog.text
    for secret in (SECRET_SUBJECT, "biopsy", BOB, "zivver", "+3161"):
        assert secret not in caplog.text


def test_odd_bytes_in_control_headers_are_stored(runtime: Runtime, submit: Submit) -> None:
    raw = b"zivver-direct-delivery: tls\x00\xff\r\nTo: bob@clinic.example\r\n\r\nhi\r\n"
    submit(raw, [BOB])
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message = session.scalars(select(Message)).one()
    assert message.control_headers["zivver-direct-delivery"] == ["tls\ufffd\ufffd"]

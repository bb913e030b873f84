"""CLI contract of `sealgate queue list|retry|cancel`: per job id, kind, state, recipient,
attempts, next attempt, last error; retry makes a waiting job due; cancel gives it up."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from sealgate.delivery.queue import claim, enqueue, queued_mail
from sealgate.notify import compose_notification
from sealgate.store import OutboundJob, Recipient, utcnow
from tests.cli.test_message import stored_at

KEYS = {"id", "kind", "state", "recipient", "attempts", "next_attempt_at", "last_error"}


def ok(cli, *args: str):
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(cli, *args: str) -> str:
    result = cli(*args, "--json")
    assert result.returncode == 1 and result.stdout == "", result
    (line,) = result.stderr.splitlines()
    text = cli(*args)
    assert text.stderr.startswith("sealgate: error: ") and len(text.stderr.splitlines()) == 1
    return str(json.loads(line)["error"])


def add_job(
    runtime,
    *,
    state: str = "deferred",
    kind: str = "notification",
    rcpt_to: str = "bob@example.org",
    mail_from: str = "alice@hospital.example",
    dsn: dict | None = None,
    age: int = 0,
    attachment: bytes = b"",
) -> str:
    now = utcnow() - timedelta(minutes=age)
    mail = compose_notification(
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        recipient=rcpt_to,
        link="http://127.0.0.1:8080/m/the-secret-link-token",
        now=now,
        org_name="Hospital",
        until=datetime(2027, 3, 3),
    )
    if attachment:  # past SEALED_MAIL_LIMIT the mail is a vault blob, not sealed in the row
        mail.add_attachment(attachment, maintype="application", subtype="pdf", filename="a.pdf")
    with runtime.db.begin() as session:
        job = enqueue(
            session,
            runtime.vault,
            kind=kind,
            mail=mail,
            mail_from=mail_from,
            rcpt_to=rcpt_to,
            now=now,
            expiry=timedelta(days=5),
            dsn=dsn,
        )
        job.state = state
        if state == "deferred":
            job.attempts = 2
            job.last_error = "451 4.3.0 try later"
            job.next_attempt_at = now + timedelta(hours=1)
        return job.id


def test_list_shows_the_contract_and_only_what_is_queued(cli, runtime):
    waiting = add_job(runtime, age=3)
    fresh = add_job(runtime, state="incoming", kind="code", rcpt_to="pat@example.org", age=2)
    add_job(runtime, state="done", age=1)
    listed = ok(cli, "queue", "list")
    assert [item["id"] for item in listed] == [waiting, fresh]
    assert all(set(item) == KEYS for item in listed)
    assert listed[0] | {"next_attempt_at": None} == {
        "id": waiting,
        "kind": "notification",
        "state": "deferred",
        "recipient": "bob@example.org",
        "attempts": 2,
        "next_attempt_at": None,
        "last_error": "451 4.3.0 try later",
    }
    assert listed[0]["next_attempt_at"] > listed[1]["next_attempt_at"]
    assert [i["id"] for i in ok(cli, "queue", "list", "--kind", "code")] == [fresh]
    assert [i["state"] for i in ok(cli, "queue", "list", "--state", "done")] == ["done"]
    assert [i["id"] for i in ok(cli, "queue", "list", "--limit", "1")] == [waiting]
    text = cli("queue", "list").stdout
    assert waiting in text and "451 4.3.0 try later" in text and "secret-link" not in text


def test_list_refuses_unknown_states_and_kinds(cli):
    for flag, value in (("--state", "lost"), ("--kind", "fax"), ("--limit", "0")):
        result = cli("queue", "list", flag, value, "--json")
        assert result.returncode in (1, 2) and result.stdout == ""
        assert value in json.loads(result.stderr)["error"]


def test_retry_makes_a_deferred_job_due_now(cli, runtime):
    job_id = add_job(runtime)
    with runtime.db.begin() as session:
        assert claim(session, utcnow(), 10, timedelta(minutes=5)) == []
    retried = ok(cli, "queue", "retry", job_id)
    assert (retried["id"], retried["state"], retried["attempts"]) == (job_id, "deferred", 2)
    with runtime.db.begin() as session:
        assert [job.id for job in claim(session, utcnow(), 10, timedelta(minutes=5))] == [job_id]
    assert "due now" in cli("queue", "retry", add_job(runtime)).stdout


@pytest.mark.parametrize("state", ["active", "done", "bounced", "corrupt", "hold"])
def test_retry_refuses_jobs_that_are_not_waiting(cli, runtime, state):
    job_id = add_job(runtime, state=state)
    reason = refused(cli, "queue", "retry", job_id)
    assert f"job {job_id} is {state}" in reason and "only incoming or deferred" in reason


def test_unknown_job_is_refused(cli):
    assert refused(cli, "queue", "retry", "nope") == "no queue job with id 'nope'"
    assert refused(cli, "queue", "cancel", "nope") == "no queue job with id 'nope'"


def _dsn_of(runtime, dsn_id: str):
    with runtime.db.begin() as session:
        job = session.get_one(OutboundJob, dsn_id)
        assert (job.kind, job.mail_from, job.rcpt_to) == ("dsn", "", "alice@hospital.example")
        return message_from_bytes(queued_mail(runtime.vault, job), policy=policy.default)


def test_cancel_bounces_and_tells_the_sender(cli, runtime):
    job_id = add_job(runtime)
    cancelled = ok(cli, "queue", "cancel", job_id)
    assert cancelled["state"] == "bounced"
    assert cancelled["last_error"] == (
        "cancelled by an administrator; last error: 451 4.3.0 try later"
    )
    report = _dsn_of(runtime, cancelled["dsn_job_id"])
    assert str(report["Subject"]).strip().startswith("Undelivered Mail")
    raw = report.as_string()
    assert "Status: 5.0.0" in raw and "Final-Recipient: rfc822; bob@example.org" in raw
    assert "administrator of the mail system stopped" in raw
    assert "the-secret-link-token" not in raw  # headers only, never the body
    assert "is bounced" in refused(cli, "queue", "cancel", job_id)


def test_cancel_of_a_mail_kept_as_a_blob_returns_its_headers(cli, runtime):
    job_id = add_job(runtime, kind="direct", attachment=b"%PDF" * 200_000)
    with runtime.db.begin() as session:
        assert session.get_one(OutboundJob, job_id).blob_id
    report = _dsn_of(runtime, ok(cli, "queue", "cancel", job_id)["dsn_job_id"])
    returned = report.as_string()
    assert "To: bob@example.org" in returned and "%PDF" not in returned


def test_cancel_sends_no_dsn_when_none_is_wanted(cli, runtime):
    never = add_job(runtime, state="incoming", dsn={"notify": ["NEVER"]})
    assert ok(cli, "queue", "cancel", never)["dsn_job_id"] is None
    null_sender = add_job(runtime, mail_from="")
    assert ok(cli, "queue", "cancel", null_sender)["dsn_job_id"] is None
    dsn = add_job(runtime, kind="dsn", state="hold")
    assert ok(cli, "queue", "cancel", dsn)["dsn_job_id"] is None
    with runtime.db.begin() as session:
        assert session.scalar(select(OutboundJob.id).where(OutboundJob.kind == "dsn")) == dsn


@pytest.mark.parametrize("state", ["active", "done", "corrupt"])
def test_cancel_refuses_a_job_being_sent_or_finished(cli, runtime, state):
    job_id = add_job(runtime, state=state)
    reason = refused(cli, "queue", "cancel", job_id)
    assert f"job {job_id} is {state}" in reason
    assert ("being delivered now" in reason) == (state == "active")
    with runtime.db.begin() as session:
        assert session.get_one(OutboundJob, job_id).state == state


def test_cancel_leaves_the_recipient_decided_as_expiry_does(cli, runtime, sender):
    message_id = stored_at(runtime, sender, "2026-01-01T10:00:00", ("erin@example.org",))
    with runtime.db.begin() as session:
        recipient = session.scalar(select(Recipient).where(Recipient.message_id == message_id))
        job = session.scalar(select(OutboundJob).where(OutboundJob.recipient_id == recipient.id))
        state, job_id = recipient.state, job.id
    assert state == "decided"
    cancelled = ok(cli, "queue", "cancel", job_id)
    assert cancelled["state"] == "bounced" and cancelled["dsn_job_id"]
    with runtime.db.begin() as session:
        after = session.scalar(select(Recipient.state).where(Recipient.message_id == message_id))
    assert after == "decided"
    found = ok(cli, "message", "search", "--state", "bounced")
    assert [item["id"] for item in found] == [message_id]

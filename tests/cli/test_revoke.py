"""CLI contract of `message revoke`, `unrevoke` and `expire`, and what `message show` says."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from sealgate.directory import add_nta7516_domain, set_policy
from sealgate.store import Message, Recipient, utcnow
from tests.cli.test_message import submit
from tests.route.pipeline import process_incoming

BOB, PAT, CAROL, DAVE = (
    "bob@example.net",
    "pat@example.org",
    "carol@example.com",
    "dave@example.org",
)
RECIPIENT_KEYS = {
    "address", "method", "delivery", "status", "opened_at", "replied_at", "revoked_at",
    "expires_at",
}  # fmt: skip


@pytest.fixture
def stored(runtime, sender) -> tuple[str, str]:
    """(message id, submission id) of a message to four; bob@example.net is delivered
    directly (its domain is NTA 7516 compliant), the others get notifications."""
    with runtime.db.begin() as session:
        set_policy(session, sender.org, nta7516=True)
        add_nta7516_domain(session, "example.net")
    submission_id = submit(runtime, sender)
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message_id = session.scalar(
            select(Message.id).where(Message.submission_id == submission_id)
        )
    return message_id, submission_id


def ok(cli, *args: str) -> dict:
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(cli, *args: str) -> str:
    result = cli(*args)
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("sealgate: error: ")
    return line


def recipients(cli, ident: str) -> dict[str, dict]:
    shown = ok(cli, "message", "show", ident)
    return {r["address"]: r for c in shown["conversations"] for r in c["recipients"]}


def utc(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text[:-1])


def test_show_gives_each_recipient_the_contract_keys(cli, stored):
    shown = recipients(cli, stored[0])
    assert set(shown) == {BOB, PAT, CAROL, DAVE}
    for entry in shown.values():
        assert set(entry) >= RECIPIENT_KEYS
        assert (entry["replied_at"], entry["revoked_at"], entry["expires_at"]) == (None,) * 3
    assert shown[BOB]["delivery"] == "direct" and shown[PAT]["delivery"] == "notification"
    assert {entry["status"] for entry in shown.values()} == {"queued"}
    assert ok(cli, "message", "show", stored[0])["revoked_for_everyone"] is False


def test_revoke_one_recipient_then_unrevoke(cli, stored):
    message_id, submission_id = stored
    before = utcnow()
    change = ok(cli, "message", "revoke", submission_id, "--recipient", "PAT@Example.org")
    assert change["id"] == message_id and change["skipped"] == []
    [state] = change["recipients"]
    assert state["address"] == PAT and before <= utc(state["revoked_at"]) <= utcnow()
    shown = recipients(cli, message_id)
    assert shown[PAT]["status"] == "revoked" and shown[PAT]["revoked_at"] == state["revoked_at"]
    assert shown[CAROL]["revoked_at"] is None and shown[CAROL]["status"] == "queued"

    undone = ok(cli, "message", "unrevoke", message_id, "--recipient", PAT)
    assert undone["recipients"] == [{"address": PAT, "revoked_at": None, "expires_at": None}]
    assert recipients(cli, message_id)[PAT]["status"] == "queued"


def test_revoking_the_message_skips_and_names_the_direct_recipient(cli, stored):
    change = ok(cli, "message", "revoke", stored[0])
    assert [s["address"] for s in change["recipients"]] == [CAROL, DAVE, PAT]
    assert [s["address"] for s in change["skipped"]] == [BOB]
    assert "delivered directly" in change["skipped"][0]["reason"]
    shown = recipients(cli, stored[0])
    assert shown[BOB]["revoked_at"] is None and shown[BOB]["status"] != "revoked"
    assert {shown[a]["status"] for a in (CAROL, DAVE, PAT)} == {"revoked"}
    text = cli("message", "revoke", stored[0]).stdout
    assert f"{BOB}: skipped, delivered directly" in text
    assert "cannot be revoked" in refused(cli, "message", "revoke", stored[0], "--recipient", BOB)
    # A second revoke keeps the date the link was first withdrawn on.
    again = ok(cli, "message", "revoke", stored[0], "--recipient", PAT)
    assert again["recipients"][0]["revoked_at"] == shown[PAT]["revoked_at"]
    restored = ok(cli, "message", "unrevoke", stored[0])
    assert {s["revoked_at"] for s in restored["recipients"]} == {None}


def test_revoked_for_everyone_cannot_be_undone(cli, stored):
    change = ok(cli, "message", "revoke", stored[0], "--everyone")
    assert change["revoked_for_everyone"] is True and len(change["recipients"]) == 3
    assert ok(cli, "message", "show", stored[0])["revoked_for_everyone"] is True
    assert "revoked for everyone" in cli("message", "show", stored[0]).stdout
    reason = refused(cli, "message", "unrevoke", stored[0])
    assert reason == (
        f"sealgate: error: message {stored[0]} was revoked for everyone, which cannot be undone"
    )
    assert "cannot be undone" in refused(cli, "message", "unrevoke", stored[0], "--recipient", PAT)
    assert recipients(cli, stored[0])[PAT]["status"] == "revoked"


def test_expire_in_at_and_never(cli, stored):
    before = utcnow()
    change = ok(cli, "message", "expire", stored[0], "--in", "30d")
    assert len(change["recipients"]) == 4
    for state in change["recipients"]:
        delta = utc(state["expires_at"]) - before
        assert timedelta(days=30) <= delta <= timedelta(days=30, minutes=5)
    at = ok(cli, "message", "expire", stored[0], "--at", "2099-05-01T12:00:00+02:00",
            "--recipient", CAROL)  # fmt: skip
    assert at["recipients"] == [
        {"address": CAROL, "revoked_at": None, "expires_at": "2099-05-01T10:00:00Z"}
    ]
    shown = recipients(cli, stored[0])
    assert shown[CAROL]["expires_at"] == "2099-05-01T10:00:00Z"
    assert shown[PAT]["expires_at"] == change["recipients"][2]["expires_at"]
    ok(cli, "message", "expire", stored[0], "--never", "--recipient", PAT)
    shown = recipients(cli, stored[0])
    assert shown[PAT]["expires_at"] is None and shown[DAVE]["expires_at"] is not None


def test_a_passed_expiry_shows_as_expired(cli, runtime, stored):
    ok(cli, "message", "expire", stored[0], "--in", "1d", "--recipient", DAVE)
    with runtime.db.begin() as session:
        row = session.scalars(select(Recipient).where(Recipient.address == DAVE)).one()
        row.expires_at = utcnow() - timedelta(seconds=1)
    assert recipients(cli, stored[0])[DAVE]["status"] == "expired"


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["revoke", "0" * 32], "no message or submission with id"),
        (
            ["revoke", "{id}", "--recipient", "eve@example.org"],
            "eve@example.org is not a recipient",
        ),
        (["revoke", "{id}", "--everyone", "--recipient", PAT], "--everyone revokes the message"),
        (["unrevoke", "{id}", "--recipient", BOB], "cannot be revoked"),
        (["expire", "{id}", "--in", "30"], '--in: "30" is not a number of days'),
        (["expire", "{id}", "--in", "0d"], "--in: 0 days is not between 1 and 3650"),
        (["expire", "{id}", "--at", "tomorrow"], '--at: "tomorrow" is not an ISO 8601'),
        (["expire", "{id}", "--at", "2020-01-01"], "--at: 2020-01-01T00:00:00Z lies in the past"),
        (["expire", "{id}", "--never", "--recipient", "x@y.example"], "is not a recipient"),
    ],
)
def test_errors_are_one_line(cli, stored, args, reason):
    line = refused(cli, "message", *(arg.format(id=stored[0]) for arg in args))
    assert reason in line


def test_expire_needs_exactly_one_of_at_in_never(cli, stored):
    for args in ([], ["--never", "--in", "3d"]):
        result = cli("message", "expire", stored[0], *args)
        assert result.returncode == 2 and "sealgate" in result.stderr


def test_the_org_default_reaches_show(cli, runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, sender.org, expiry_days=14)
    submission_id = submit(runtime, sender)
    assert process_incoming(runtime) == 1
    for entry in recipients(cli, submission_id).values():
        assert entry["expires_at"] is not None


def test_each_change_is_an_event_of_the_proof_of_delivery(cli, stored):
    message_id = stored[0]
    ok(cli, "message", "revoke", message_id, "--recipient", PAT)
    ok(cli, "message", "revoke", message_id, "--recipient", PAT)  # already revoked: no event
    ok(cli, "message", "unrevoke", message_id, "--recipient", PAT)
    ok(cli, "message", "expire", message_id, "--at", "2099-01-01", "--recipient", CAROL)
    ok(cli, "message", "revoke", message_id, "--everyone")
    report = ok(cli, "message", "evidence", message_id)
    changes = [
        (e["kind"], e["recipient"], e["details"])
        for e in report["events"]
        if e["kind"] in ("revoked", "unrevoked", "expiry_set")
    ]
    by = changes[0][2]["by"]
    assert by.startswith("cli:")
    assert changes[:3] == [
        ("revoked", PAT, {"by": by, "everyone": False}),
        ("unrevoked", PAT, {"by": by}),
        ("expiry_set", CAROL, {"by": by, "expires_at": "2099-01-01T00:00:00.000000Z"}),
    ]
    # For everyone: each link not directly delivered, then the message itself.
    assert [(k, r) for k, r, _ in changes[3:]] == [
        ("revoked", CAROL),
        ("revoked", DAVE),
        ("revoked", PAT),
        ("revoked", None),
    ]
    assert all(d == {"by": by, "everyone": True} for _, _, d in changes[3:])
    assert ok(cli, "message", "evidence", message_id, "--verify")["intact"] is True

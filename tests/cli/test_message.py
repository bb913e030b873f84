"""CLI contract of `sealgate message show ID` and `message list`: never content."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from sealgate.directory import add_nta7516_domain, find_account, set_policy
from sealgate.store import Message, OutboundJob, Recipient, Submission
from sealgate.submission.commit import AcceptedMessage, commit_submission
from tests.route.pipeline import process_incoming

RAW = (
    b"From: Alice Arts <alice@hospital.example>\r\n"
    b"To: pat@example.org, Bob <bob@example.net>\r\n"
    b"Cc: carol@example.com\r\n"
    b"Subject: Secret lab results\r\n"
    b"\r\n"
    b"The body that must never be shown.\r\n"
)
ENVELOPE = ("pat@example.org", "bob@example.net", "carol@example.com", "dave@example.org")


def submit(runtime, sender, rcpt_to: tuple[str, ...] = ENVELOPE) -> str:
    with runtime.db.begin() as session:
        account = find_account(session, sender.address)
    accepted = AcceptedMessage(
        raw=RAW,
        org_id=account.org_id,
        account_id=account.id,
        mail_from=sender.address,
        rcpt_to=rcpt_to,
        client_address="127.0.0.1",
        authenticated_as=sender.username,
    )
    return commit_submission(runtime, accepted)


@pytest.fixture
def stored(runtime, sender) -> tuple[str, str]:
    """(message id, submission id) of a message intake has processed."""
    submission_id = submit(runtime, sender)
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message_id = session.scalar(
            select(Message.id).where(Message.submission_id == submission_id)
        )
    return message_id, submission_id


def show(cli, ident: str) -> dict:
    result = cli("message", "show", ident, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_show_by_message_id_and_by_submission_id(cli, stored):
    message_id, submission_id = stored
    shown = show(cli, message_id)
    assert show(cli, submission_id) == shown
    assert (shown["id"], shown["submission_id"]) == (message_id, submission_id)
    assert (shown["sender"], shown["org"]) == ("alice@hospital.example", "Hospital")
    assert shown["created"]


def test_conversations_and_decisions_are_those_stored(cli, runtime, stored):
    shown = show(cli, stored[0])
    assert [c["kind"] for c in shown["conversations"]] == ["to_cc", "bcc"]
    assert [
        [(r["address"], r["role"]) for r in c["recipients"]] for c in shown["conversations"]
    ] == [
        [("bob@example.net", "to"), ("pat@example.org", "to"), ("carol@example.com", "cc")],
        [("dave@example.org", "bcc")],
    ]
    with runtime.db.begin() as session:
        rows = {row.id: row for row in session.scalars(select(Recipient))}
        for conversation in shown["conversations"]:
            for recipient in conversation["recipients"]:
                row = rows[recipient["id"]]
                assert recipient["method"] == row.method
                assert recipient["delivery"] == row.delivery
                assert recipient["trace"] == row.decision["trace"] and recipient["trace"]
                assert recipient["opened_at"] is None


def test_outbound_jobs_and_their_states(cli, runtime, stored):
    shown = show(cli, stored[0])
    with runtime.db.begin() as session:
        jobs = {
            job.id: (job.kind, job.state, job.rcpt_to)
            for job in session.scalars(select(OutboundJob))
        }
        session.execute(
            OutboundJob.__table__.update().values(state="deferred", last_error="451 try later")
        )
    assert {job["id"]: (job["kind"], job["state"], job["rcpt_to"]) for job in shown["jobs"]} == jobs
    again = show(cli, stored[0])
    assert {(job["state"], job["last_error"]) for job in again["jobs"]} == {
        ("deferred", "451 try later")
    }


def test_no_content_is_shown(cli, stored):
    for output in (
        cli("message", "show", stored[0], "--json").stdout,
        cli("message", "show", stored[0]).stdout,
    ):
        assert "Secret" not in output and "body" not in output.lower()


def test_text_output_lists_recipients_and_jobs(cli, stored):
    result = cli("message", "show", stored[0])
    assert result.returncode == 0, result.stderr
    assert "dave@example.org [bcc]" in result.stdout and "outbound jobs" in result.stdout


def test_unknown_id_is_refused(cli, stored):
    result = cli("message", "show", "0" * 32)
    assert result.returncode == 1 and "no message or submission" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_submission_not_yet_taken_by_intake_says_so(cli, runtime, sender):
    submission_id = submit(runtime, sender)
    result = cli("message", "show", submission_id)
    assert result.returncode == 1
    assert f"submission {submission_id} is incoming" in result.stderr


def test_a_direct_job_shows_the_level_it_must_prove(cli, runtime, sender) -> None:
    with runtime.db.begin() as session:
        set_policy(session, sender.org, nta7516=True)
        add_nta7516_domain(session, "example.net")
    submission_id = submit(runtime, sender)
    assert process_incoming(runtime) == 1
    shown = json.loads(cli("message", "show", submission_id, "--json").stdout)
    levels = {job["rcpt_to"]: job["required_level"] for job in shown["jobs"]}
    assert levels["bob@example.net"] == "pkix" and levels["pat@example.org"] is None
    text = cli("message", "show", submission_id).stdout
    assert "bob@example.net" in text and "at least PKIX" in text


def stored_at(runtime, sender, received_at: str, rcpt_to: tuple[str, ...] = ENVELOPE) -> str:
    """The message id of a processed submission, its reception time set to `received_at`."""
    submission_id = submit(runtime, sender, rcpt_to)
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        session.get_one(Submission, submission_id).received_at = datetime.fromisoformat(received_at)
        return session.scalar(select(Message.id).where(Message.submission_id == submission_id))


def listed(cli, *args: str) -> list[dict]:
    result = cli("message", "list", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def three(runtime, sender) -> list[str]:
    """Message ids, oldest first: 1 Jan to everyone, 2 Jan to erin only, 3 Jan to everyone."""
    return [
        stored_at(runtime, sender, "2026-01-01T10:00:00"),
        stored_at(runtime, sender, "2026-01-02T10:00:00", ("erin@example.org",)),
        stored_at(runtime, sender, "2026-01-03T10:00:00"),
    ]


def test_list_gives_the_contract_newest_first(cli, runtime, three):
    items = listed(cli)
    assert [item["id"] for item in items] == three[::-1]
    with runtime.db.begin() as session:
        message = session.get_one(Message, three[0])
        submission_id = message.submission_id
    assert items[-1] == {
        "id": three[0],
        "submission_id": submission_id,
        "from": "alice@hospital.example",
        "subject": None,
        "received_at": "2026-01-01T10:00:00Z",
        "recipients": [
            "bob@example.net",
            "pat@example.org",
            "carol@example.com",
            "dave@example.org",
        ],
        "in_reply_to": None,
    }
    assert items[1]["recipients"] == ["erin@example.org"]


def test_list_limit_keeps_the_newest(cli, three):
    assert [item["id"] for item in listed(cli, "--limit", "2")] == three[:0:-1]


def test_list_filters_by_recipient_and_sender_regardless_of_case(cli, runtime, three):
    assert [item["id"] for item in listed(cli, "--to", "Erin@EXAMPLE.org")] == [three[1]]
    assert [item["id"] for item in listed(cli, "--to", "<DAVE@example.org>")] == [
        three[2],
        three[0],
    ]
    with runtime.db.begin() as session:
        session.get_one(Message, three[2]).sender_address = "Zed@Hospital.Example"
    assert [item["id"] for item in listed(cli, "--from", "zed@hospital.EXAMPLE")] == [three[2]]
    assert [item["id"] for item in listed(cli, "--from", "ALICE@hospital.example")] == [
        three[1],
        three[0],
    ]
    assert listed(cli, "--from", "zed@hospital.example", "--to", "erin@example.org") == []


def test_list_since_takes_iso_dates_and_zones(cli, three):
    assert [item["id"] for item in listed(cli, "--since", "2026-01-02")] == three[:0:-1]
    assert [item["id"] for item in listed(cli, "--since", "2026-01-03T11:00:00+02:00")] == [
        three[2]
    ]
    assert listed(cli, "--since", "2026-02-01T00:00:00Z") == []


@pytest.mark.parametrize(
    ("flag", "value", "reason"),
    [
        ("--since", "yesterday", "not an ISO 8601"),
        ("--since", "2026-13-01", "not an ISO 8601"),
        ("--limit", "0", "--limit"),
        ("--limit", "many", "--limit"),
    ],
)
def test_list_refuses_bad_since_and_limit_in_one_line(cli, three, flag, value, reason):
    result = cli("message", "list", flag, value, "--json")
    assert result.returncode == 1 and reason in result.stderr and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_text_is_a_table_without_content(cli, three):
    result = cli("message", "list")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["RECEIVED", "ID", "FROM", "RECIPIENTS"]
    assert lines[1].startswith("2026-01-03T10:00:00") and three[2] in lines[1]
    assert "erin@example.org" in lines[2]
    assert "Secret" not in result.stdout and "body" not in result.stdout.lower()


def test_list_of_nothing_says_so(cli):
    assert listed(cli) == []
    assert cli("message", "list").stdout.strip() == "no messages"

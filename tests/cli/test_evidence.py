"""CLI contract of `sealgate message evidence ID [--json] [--verify]`: the proof of delivery.

The events come from the real stages (submission's row, intake, route); a changed event in
the database makes --verify exit 1 naming it (issue 10, "How it is checked").
"""

from __future__ import annotations

import json

import pypdf
import pytest
from sqlalchemy import select, text

from sealgate.store import Message
from tests.cli.test_message import ENVELOPE, submit
from tests.route.pipeline import process_incoming


@pytest.fixture
def stored(runtime, sender) -> tuple[str, str]:
    """(message id, submission id) of a message that intake and route processed."""
    submission_id = submit(runtime, sender)
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        message_id = session.scalar(
            select(Message.id).where(Message.submission_id == submission_id)
        )
    return message_id, submission_id


def evidence(cli, *args: str) -> dict:
    result = cli("message", "evidence", *args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_json_gives_the_contract_for_message_and_submission_ids(cli, stored):
    message_id, submission_id = stored
    value = evidence(cli, message_id)
    assert evidence(cli, submission_id) == value
    assert set(value) == {"message_id", "head", "events"}
    assert value["message_id"] == message_id
    events = value["events"]
    assert {tuple(sorted(e)) for e in events} == {
        ("at", "details", "hash", "kind", "prev_hash", "recipient", "seq")
    }
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert value["head"] == events[-1]["hash"]
    assert all(e["at"].endswith("Z") for e in events)


def test_accepted_says_how_the_submission_arrived(cli, stored):
    message_id, submission_id = stored
    accepted = evidence(cli, message_id)["events"][0]
    assert (accepted["kind"], accepted["recipient"]) == ("accepted", None)
    details = accepted["details"]
    assert details["submission_id"] == submission_id
    assert details["client_address"] == "127.0.0.1"
    assert details["authentication"] == "smtp_auth"
    assert details["envelope_recipients"] == len(ENVELOPE)


def test_each_recipient_has_its_decision_with_the_trace(cli, stored):
    message_id, _ = stored
    decided = [e for e in evidence(cli, message_id)["events"] if e["kind"] == "decided"]
    assert sorted(e["recipient"] for e in decided) == sorted(ENVELOPE)
    for event in decided:
        details = event["details"]
        assert details["method"] and details["dispatch"] == "notification"
        assert details["trace"] and {"step", "outcome", "reason"} == set(details["trace"][0])


def test_text_is_per_recipient_in_utc_with_the_head_and_no_content(cli, stored):
    message_id, _ = stored
    head = evidence(cli, message_id)["head"]
    result = cli("message", "evidence", message_id)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"head of the chain: {head}" in out
    assert "all times UTC" in out and " UTC  #1 accepted" in out
    for address in ENVELOPE:
        assert f"\n  {address}\n" in out
    assert "Secret lab results" not in out and "must never be shown" not in out


def test_verify_an_intact_chain(cli, stored):
    message_id, _ = stored
    value = evidence(cli, message_id)
    result = cli("message", "evidence", message_id, "--verify")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"chain intact ({len(value['events'])} events, head {value['head']})"
    )


def test_a_changed_event_makes_verify_exit_1_naming_it(cli, runtime, stored):
    message_id, _ = stored
    with runtime.db.begin() as session:
        session.execute(
            text(
                "UPDATE evidence_events SET details = :details"
                " WHERE message_id = :message AND seq = 2"
            ),
            {"details": '{"method": "none"}', "message": message_id},
        )
    result = cli("message", "evidence", message_id, "--verify")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"sealgate: error: chain broken at event 2 (decided) of message {message_id}"
    ]
    as_json = cli("message", "evidence", message_id, "--verify", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["broken"] == {"seq": 2, "kind": "decided"}


def test_a_deleted_event_is_seen_too(cli, runtime, stored):
    message_id, _ = stored
    with runtime.db.begin() as session:
        session.execute(
            text("DELETE FROM evidence_events WHERE message_id = :m AND seq = 2"),
            {"m": message_id},
        )
    result = cli("message", "evidence", message_id, "--verify")
    assert result.returncode == 1 and "chain broken at event 3" in result.stderr


def test_unknown_id_is_one_line_error(cli, stored):
    result = cli("message", "evidence", "nope")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "sealgate: error: no message or submission with id 'nope'"
    ]


def test_pdf_is_written_privately_next_to_the_text_report(cli, stored, tmp_path):
    message_id, _ = stored
    target = tmp_path / "proof.pdf"
    result = cli("message", "evidence", message_id, "--pdf", str(target))
    assert result.returncode == 0, result.stderr
    assert "head of the chain" in result.stdout
    assert target.stat().st_mode & 0o777 == 0o600
    head = evidence(cli, message_id)["head"]
    shown = "".join(page.extract_text() for page in pypdf.PdfReader(target).pages)
    assert head in shown.replace("\n", "") and "pat@example.org" in shown


def test_pdf_to_a_folder_that_does_not_exist_is_one_line_error(cli, stored, tmp_path):
    message_id, _ = stored
    result = cli("message", "evidence", message_id, "--pdf", str(tmp_path / "no" / "x.pdf"))
    assert result.returncode == 1
    assert result.stderr.startswith("sealgate: error: cannot write ")
    assert len(result.stderr.splitlines()) == 1

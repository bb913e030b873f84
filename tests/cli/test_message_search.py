"""CLI contract of `sealgate message search`: list's filters, an end time and a state."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, update

from sealgate.store import OutboundJob, Recipient
from tests.cli.test_message import stored_at


def found(cli, *args: str) -> list[str]:
    result = cli("message", "search", *args, "--json")
    assert result.returncode == 0, result.stderr
    return [item["id"] for item in json.loads(result.stdout)]


@pytest.fixture
def three(runtime, sender) -> list[str]:
    """Message ids, oldest first (1, 2, 3 Jan); every recipient decided, every job done but
    the 2 Jan message's, which bounced; the 3 Jan message's recipients wait for a probe."""
    ids = [
        stored_at(runtime, sender, "2026-01-01T10:00:00"),
        stored_at(runtime, sender, "2026-01-02T10:00:00", ("erin@example.org",)),
        stored_at(runtime, sender, "2026-01-03T10:00:00"),
    ]
    with runtime.db.begin() as session:
        session.execute(update(Recipient).values(state="decided"))
        session.execute(update(OutboundJob).values(state="done"))
        erin = select(Recipient.id).where(Recipient.message_id == ids[1])
        session.execute(
            update(OutboundJob).where(OutboundJob.recipient_id.in_(erin)).values(state="bounced")
        )
        session.execute(
            update(Recipient).where(Recipient.message_id == ids[2]).values(state="awaiting_probe")
        )
    return ids


def test_search_by_job_state_and_by_recipient_state(cli, three):
    assert found(cli, "--state", "bounced") == [three[1]]
    assert found(cli, "--state", "awaiting_probe") == [three[2]]
    assert found(cli, "--state", "decided") == [three[1], three[0]]
    assert found(cli, "--state", "done") == [three[2], three[0]]
    assert found(cli, "--state", "deferred") == []


def test_search_between_since_and_until(cli, three):
    assert found(cli) == three[::-1]
    assert found(cli, "--until", "2026-01-02T10:00:00") == [three[0]]
    assert found(cli, "--since", "2026-01-02", "--until", "2026-01-03") == [three[1]]
    assert found(cli, "--until", "2026-01-03T12:00:00+02:00") == [three[1], three[0]]


def test_search_combines_with_list_filters(cli, three):
    assert found(cli, "--to", "Erin@example.org", "--state", "bounced") == [three[1]]
    assert found(cli, "--to", "dave@example.org", "--state", "bounced") == []
    assert found(cli, "--from", "alice@hospital.example", "--limit", "1") == [three[2]]


def test_search_output_is_that_of_list(cli, three):
    searched = cli("message", "search", "--json")
    listed = cli("message", "list", "--json")
    assert json.loads(searched.stdout) == json.loads(listed.stdout)
    assert cli("message", "search").stdout == cli("message", "list").stdout


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (("--until", "soon"), "--until 'soon' is not an ISO 8601"),
        (("--since", "soon"), "--since 'soon' is not an ISO 8601"),
        (("--limit", "0"), "--limit"),
        (("--state", "lost"), "invalid choice: 'lost'"),
    ],
)
def test_search_refuses_bad_arguments_in_one_json_line(cli, three, args, reason):
    result = cli("message", "search", *args, "--json")
    assert result.returncode in (1, 2) and result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert reason in json.loads(line)["error"]

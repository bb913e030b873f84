"""CLI contract of `sealgate retention run [--json]`: one reaper pass, counts printed."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from sealgate.store import Message, Recipient, utcnow
from tests.portal.recipients import Spec, store_for


def test_retention_run_reports_what_it_removed(cli, runtime, sender) -> None:
    nothing = cli("retention", "run", "--json")
    assert nothing.returncode == 0, nothing.stderr
    assert json.loads(nothing.stdout) == {
        "messages": 0,
        "blobs": 0,
        "pending": 0,
        "pseudonymised": 0,
    }
    guests = store_for(runtime, sender, [Spec("bob@example.org")], attachment=b"%PDF x")
    past = utcnow() - timedelta(days=45)
    with runtime.db.begin() as session:
        recipient = session.get_one(Recipient, guests["bob@example.org"].recipient_id)
        recipient.expires_at = past
        session.execute(
            update(Message).where(Message.id == recipient.message_id).values(created_at=past)
        )
    done = cli("retention", "run")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "content of 1 messages deleted, 3 blobs removed"
    assert json.loads(cli("retention", "run", "--json").stdout)["messages"] == 0
    audit = json.loads(cli("audit", "list", "--json").stdout)
    assert any(entry["action"] == "retention.run" for entry in audit)


def test_retention_run_takes_no_other_arguments(cli) -> None:
    refused = cli("retention", "run", "--days", "3")
    assert refused.returncode == 2 and "unrecognized arguments" in refused.stderr

"""sealgate audit verify|export|list|prune, and the entry every mutating command leaves."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from sealgate.audit import entries
from sealgate.audit.chain import canonical_details, entry_hash
from sealgate.audit.trail import format_at
from sealgate.bootstrap import Runtime
from sealgate.cli.command_audit import REDACTED, cli_actor, command_arguments
from sealgate.store import AuditEntryRow, AuditHead, utcnow
from tests.cli.conftest import write_config
from tests.cli.test_admin import Result, sealgate


@pytest.fixture
def run(settings, runtime, sender, tmp_path):
    config = write_config(settings, tmp_path / "sealgate.toml")

    def run(*args: str, stdin: str = "") -> Result:
        return sealgate(*args, "--config", str(config), stdin=stdin)

    return run


def _stored(rt: Runtime) -> list[dict]:
    with rt.db.begin() as session:
        return [
            {
                "action": e.action,
                "actor": f"{e.actor_kind}:{e.actor_id}",
                "org": e.organisation,
                "target": e.object_id,
                **json.loads(e.details),
            }
            for e in entries(session)
        ]


def test_mutating_commands_are_recorded_with_their_arguments(run, runtime: Runtime) -> None:
    assert run("org", "create", "Clinic", "--domain", "clinic.example").returncode == 0
    added = run("account", "add", "bob@clinic.example", "--org", "Clinic", "--password-stdin",
                stdin="pw-not-recorded\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    assert run("policy", "set", "--org", "Clinic", "--access-code", "off").returncode == 0
    stored = _stored(runtime)
    assert [entry["action"] for entry in stored] == ["org.create", "account.add", "policy.set"]
    assert stored[0]["actor"] == cli_actor() and stored[0]["target"] == "Clinic"
    assert stored[0]["arguments"] == {"domain": ["clinic.example"], "name": "Clinic"}
    assert stored[1]["org"] == "Clinic" and stored[1]["target"] == "bob@clinic.example"
    assert stored[1]["arguments"]["password_stdin"] is True
    assert stored[2]["arguments"]["access_code"] == "off"
    with runtime.db.begin() as session:
        everything = json.dumps([e.details for e in entries(session)])
    assert "pw-not-recorded" not in everything


def test_a_secret_from_stdin_is_not_recorded(run, runtime: Runtime) -> None:
    added = run("contacts", "add", "x@example.org", "--org", "Hospital", "--access-code-stdin",
                "--hint", "our flower", stdin="Tulip-Secret-42\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    (entry,) = _stored(runtime)
    assert entry["action"] == "contacts.add"
    assert entry["arguments"]["hint"] == "our flower"
    assert "Tulip-Secret-42" not in json.dumps(entry)


def test_command_arguments_leave_out_plumbing_and_unset_options() -> None:
    import argparse

    args = argparse.Namespace(command="x", action="y", config="c", json=True, run=print,
                              org="A", label=None, token="t0k3n", password_stdin=False)  # fmt: skip
    assert command_arguments(args) == {"org": "A", "token": REDACTED}


def test_reading_and_failing_commands_leave_nothing(run, runtime: Runtime) -> None:
    assert run("policy", "show", "--org", "Hospital").returncode == 0
    assert run("contacts", "list", "--org", "Hospital").returncode == 0
    assert run("audit", "verify").returncode == 0
    assert run("org", "create", "Hospital", "--domain", "hospital.example").returncode == 1
    assert _stored(runtime) == []


def test_verify_passes_then_names_an_edited_row(run, runtime: Runtime) -> None:
    empty = run("audit", "verify")
    assert empty.returncode == 0 and empty.stdout.startswith("audit trail intact: 0 entries")
    for domain in ("a.example", "b.example", "c.example"):
        assert run("nta7516", "add", domain).returncode == 0
    intact = run("audit", "verify")
    assert intact.returncode == 0
    assert intact.stdout.startswith("audit trail intact: 3 entries, head 3 ")
    with runtime.db.begin() as session:
        session.execute(text("UPDATE audit_entries SET object_id = 'z.example' WHERE seq = 2"))
    broken = run("audit", "verify")
    assert broken.returncode == 1 and broken.stdout == ""
    assert broken.stderr.strip() == (
        "sealgate: error: audit trail broken at entry 2: hash or link does not match"
    )
    as_json = run("audit", "verify", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["broken_seq"] == 2
    assert json.loads(as_json.stdout)["intact"] is False


def test_export_jsonl_and_csv_carry_every_field(run, tmp_path: Path) -> None:
    for domain in ("a.example", "b.example"):
        assert run("nta7516", "add", domain).returncode == 0
    jsonl = run("audit", "export", "--format", "jsonl")
    assert jsonl.returncode == 0, jsonl.stderr
    lines = [json.loads(line) for line in jsonl.stdout.splitlines()]
    assert [line["seq"] for line in lines] == [1, 2]
    assert lines[1]["prev_hash"] == lines[0]["hash"]
    assert lines[0]["details"] == {"arguments": {"domain": "a.example"}}
    assert set(lines[0]) == {"seq", "at", "actor", "client", "organisation", "action",
                             "target", "outcome", "details", "prev_hash", "hash"}  # fmt: skip
    out = tmp_path / "audit.csv"
    written = run("audit", "export", "--format", "csv", "--output", str(out))
    assert written.returncode == 0 and written.stdout == ""
    assert out.stat().st_mode & 0o077 == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [row["hash"] for row in rows] == [line["hash"] for line in lines]
    assert json.loads(rows[0]["details"]) == lines[0]["details"]


def test_export_since_until_and_bad_times(run) -> None:
    assert run("nta7516", "add", "a.example").returncode == 0
    later = (utcnow() + timedelta(minutes=1)).isoformat()
    assert run("audit", "export", "--format", "jsonl", "--since", later).stdout == ""
    until = run("audit", "export", "--format", "jsonl", "--until", later + "+00:00")
    assert len(until.stdout.splitlines()) == 1
    bad = run("audit", "export", "--format", "jsonl", "--since", "yesterday")
    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "sealgate: error: --since 'yesterday' is not an ISO 8601 date or time"
    )
    assert run("audit", "export", "--format", "xml").returncode == 2


def test_list_filters_and_limits(run) -> None:
    for domain in ("a.example", "b.example", "c.example"):
        assert run("nta7516", "add", domain).returncode == 0
    assert run("policy", "set", "--org", "Hospital", "--sms", "off").returncode == 0
    listed = run("audit", "list", "--json", "--limit", "2")
    assert [e["seq"] for e in json.loads(listed.stdout)] == [3, 4]
    policy = json.loads(run("audit", "list", "--json", "--action", "policy").stdout)
    assert [e["action"] for e in policy] == ["policy.set"]
    assert policy[0]["organisation"] == "Hospital"
    nobody = json.loads(run("audit", "list", "--json", "--actor", "guest").stdout)
    assert nobody == []
    mine = json.loads(run("audit", "list", "--json", "--actor", cli_actor()).stdout)
    assert len(mine) == 4
    text_out = run("audit", "list").stdout.splitlines()
    assert len(text_out) == 4 and "nta7516.add" in text_out[0]
    assert run("audit", "list", "--limit", "0").returncode == 1


def _write_old_entries(rt: Runtime, count: int, days_ago: int) -> None:
    """Entries as `record` would have written them `days_ago` days ago (valid hashes)."""
    at = utcnow() - timedelta(days=days_ago)
    with rt.db.begin() as session:
        head = session.get(AuditHead, 1)
        assert head is not None and head.seq == 0
        prev = head.hash
        for seq in range(1, count + 1):
            fields = dict(seq=seq, at=format_at(at), actor_kind="system", actor_id="",
                          action="old.thing", organisation=None, object_id=None, outcome="ok",
                          prev_hash=prev, client=None, details=canonical_details({}))  # fmt: skip
            prev = entry_hash(**fields)
            session.add(AuditEntryRow(**{**fields, "at": at, "hash": prev}))
        head.seq, head.hash = count, prev


def test_prune_deletes_past_retention_and_the_rest_still_verifies(run, runtime) -> None:
    _write_old_entries(runtime, 3, days_ago=2191)
    assert run("nta7516", "add", "a.example").returncode == 0
    pruned = run("audit", "prune", "--json")
    assert pruned.returncode == 0, pruned.stderr
    assert json.loads(pruned.stdout)["pruned"] == 3
    assert json.loads(pruned.stdout)["retention_days"] == 2190
    actions = [entry["action"] for entry in _stored(runtime)]
    assert actions == ["nta7516.add", "audit.prune"]
    intact = run("audit", "verify", "--json")
    assert intact.returncode == 0
    assert json.loads(intact.stdout)["anchor_seq"] == 3

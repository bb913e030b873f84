"""CLI contract of `sealgate token` and `sealgate role`: the secret once, audited, JSON errors."""

from __future__ import annotations

import json

from sealgate.admin import authenticate_token
from sealgate.audit import entries
from sealgate.store import utcnow


def ok(cli, *args: str):
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_token_create_list_revoke(cli, runtime):
    made = ok(cli, "token", "create", "--role", "auditor", "--org", "Hospital", "--name", "nen")
    assert made["token"].startswith("sgt_")
    assert made["role"] == "auditor" and made["org"] == "Hospital"
    assert made["expires_at"].endswith("Z") and made["revoked_at"] is None
    with runtime.db.begin() as session:
        assert authenticate_token(session, made["token"], utcnow()) is not None
    (listed,) = ok(cli, "token", "list")
    assert "token" not in listed and listed["id"] == made["id"]
    assert made["token"] not in cli("token", "list").stdout
    assert ok(cli, "token", "revoke", str(made["id"])) == {"id": made["id"], "revoked": True}
    with runtime.db.begin() as session:
        assert authenticate_token(session, made["token"], utcnow()) is None
        actions = [entry.action for entry in entries(session)]
        recorded = json.dumps([entry.details for entry in entries(session)])
    assert "token.create" in actions and "token.revoke" in actions
    assert made["token"] not in recorded


def test_token_refusals_are_one_line(cli):
    result = cli("token", "create", "--role", "operator", "--org", "Hospital", "--json")
    assert result.returncode != 0
    assert "takes no --org" in json.loads(result.stderr)["error"]
    result = cli("token", "create", "--role", "auditor", "--org", "Nowhere")
    assert result.returncode != 0 and len(result.stderr.strip().splitlines()) == 1


def test_role_grant_list_revoke(cli):
    granted = ok(cli, "role", "grant", "alice@hospital.example", "org-admin")
    assert granted["org"] == "Hospital" and granted["granted_by"].startswith("cli:")
    assert [g["role"] for g in ok(cli, "role", "list", "--org", "Hospital")] == ["org-admin"]
    again = cli("role", "grant", "alice@hospital.example", "org-admin", "--json")
    assert again.returncode != 0 and "already holds" in json.loads(again.stderr)["error"]
    ok(cli, "role", "revoke", "alice@hospital.example", "org-admin")
    assert ok(cli, "role", "list") == []

"""Every mutating call leaves one audit entry in its own transaction, as token:<id>, with
its request but never a secret; a refused call and a plain read leave none."""

from __future__ import annotations

from sealgate.admin import Role, list_tokens
from sealgate.audit import newest, verify
from tests.admin.api.world import ApiWorld


def _entries(world: ApiWorld, action: str) -> list:
    with world.rt.db.begin() as session:
        return newest(session, 100, action=action)


def _token_id(world: ApiWorld, role: Role, org: str | None) -> int:
    with world.rt.db.begin() as session:
        tokens = [t for t in list_tokens(session) if t.role is role and t.org == org]
    return tokens[0].id


def test_a_mutation_is_recorded_with_its_token_and_request(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        created = client.post(f"/orgs/{org.id}/credentials", json={"label": "billing"})
        policy = client.patch(f"/orgs/{org.id}/policy", json={"tsc": "tls"})
    assert created.status_code == 201 and policy.status_code == 200
    password = created.json()["password"]
    [entry] = _entries(world, "api.credentials.create")
    token_id = _token_id(world, Role.ORG_ADMIN, "Hospital")
    assert (entry.actor_kind, entry.actor_id) == ("token", str(token_id))
    assert entry.organisation == "Hospital" and entry.object_id == created.json()["username"]
    assert '"label":"billing"' in entry.details and password not in entry.details
    [change] = _entries(world, "api.policy.update")
    assert '"tsc":"tls"' in change.details and change.client == "127.0.0.1"
    with world.rt.db.begin() as session:
        assert verify(session).intact


def test_secrets_in_requests_are_redacted(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.operator() as client:
        body = {"address": "secret@example.org", "access_code": "tulip-4711", "hint": "flower"}
        assert client.post(f"/orgs/{org.id}/contacts", json=body).status_code == 201
    [entry] = _entries(world, "api.contacts.add")
    assert "tulip-4711" not in entry.details and "(redacted)" in entry.details


def test_refusals_and_reads_leave_no_entry(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.rt.db.begin() as session:
        before = verify(session).entries
    with world.client(Role.AUDITOR, "Hospital") as client:
        assert client.patch(f"/orgs/{org.id}/policy", json={"sms": False}).status_code == 403
        assert client.get(f"/orgs/{org.id}/policy").status_code == 200
    with world.client(Role.ORG_ADMIN, "Clinic") as client:
        assert client.patch(f"/orgs/{org.id}/policy", json={"sms": False}).status_code == 404
    with world.operator() as client:
        assert (
            client.post("/orgs", json={"name": "Hospital", "domains": ["x.example"]}).status_code
            == 409
        )
    with world.rt.db.begin() as session:
        assert verify(session).entries == before


def test_viewing_evidence_and_exporting_the_trail_are_recorded(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.client(Role.AUDITOR, "Hospital") as client:
        assert client.get(f"/messages/{org.message_id}/evidence").status_code == 200
        export = client.get("/audit/export", params={"format": "jsonl"})
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert _entries(world, "api.messages.evidence")[-1].object_id == org.message_id
    assert '"exported"' in _entries(world, "api.audit.export")[-1].details

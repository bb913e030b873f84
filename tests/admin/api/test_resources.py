"""What each resource does, through the API, compared with what the CLI's functions keep."""

from __future__ import annotations

from sqlalchemy import select

from sealgate.admin import Role
from sealgate.store import OutboundJob
from tests.admin.api.world import ApiWorld


def test_accounts_are_invited_listed_disabled_and_enabled(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    base = f"/orgs/{org.id}/accounts"
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        made = client.post(base, json={"email": "Dana@Hospital.example", "name": "Dana"})
        assert made.status_code == 201, made.text
        assert made.json()["email"] == "dana@hospital.example"
        assert made.json()["invitation"]["queued"] is True
        assert client.post(base, json={"email": "dana@hospital.example"}).status_code == 409
        weak = client.post(base, json={"email": "erik@hospital.example", "password": "abc"})
        assert weak.status_code == 422 and "password" in weak.json()["error"]["message"]
        listed = {a["email"]: a for a in client.get(base).json()["items"]}
        assert listed["dana@hospital.example"]["password_set"] is False
        off = client.post(f"{base}/dana@hospital.example/disable")
        assert off.json() == {"email": "dana@hospital.example", "active": False}
        on = client.post(f"{base}/dana@hospital.example/enable")
        assert on.json()["active"] is True
        clinic_sender = world.orgs["Clinic"].sender
        assert client.post(f"{base}/{clinic_sender}/disable").status_code == 404
    with world.rt.db.begin() as session:
        kinds = session.scalars(
            select(OutboundJob.kind).where(OutboundJob.rcpt_to == "dana@hospital.example")
        ).all()
    assert kinds == ["account"]


def test_a_credentials_secret_is_shown_once(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    base = f"/orgs/{org.id}/credentials"
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        made = client.post(base, json={"label": "lab system"}).json()
        assert made["username"].startswith("sg-") and len(made["password"]) >= 20
        listing = client.get(base)
        assert made["password"] not in listing.text
        item = next(i for i in listing.json()["items"] if i["username"] == made["username"])
        assert item == {**item, "label": "lab system", "active": True}
        disabled = client.post(f"{base}/{made['username']}/disable").json()
        assert disabled["active"] is False
        other = world.orgs["Clinic"].username
        assert client.post(f"{base}/{other}/disable").status_code == 404


def test_the_policy_is_patched_like_policy_set(world: ApiWorld) -> None:
    path = f"/orgs/{world.orgs['Clinic'].id}/policy"
    with world.client(Role.POLICY_ADMIN, "Clinic") as client:
        changed = client.patch(path, json={"expiry_days": 30, "tsc": "pkix", "sms": False})
        assert changed.status_code == 200, changed.text
        assert changed.json() | {"expiry_days": 30, "tsc": "pkix", "sms": False} == changed.json()
        assert client.patch(path, json={"expiry_days": None}).json()["expiry_days"] is None
        assert client.get(path).json()["tsc"] == "pkix"
        assert client.patch(path, json={}).status_code == 422
        assert client.patch(path, json={"tsc": "best"}).status_code == 422
        assert (
            client.patch(path, json={"pseudonymise_days": 400}).json()["pseudonymise_days"] == 400
        )


def test_the_nta7516_list_is_read_by_all_and_changed_by_the_operator(world: ApiWorld) -> None:
    with world.operator() as client:
        assert client.post("/nta7516", json={"domain": "Zorg.example"}).status_code == 201
        assert client.post("/nta7516", json={"domain": "not a domain"}).status_code == 422
    with world.client(Role.POLICY_ADMIN, "Hospital") as client:
        items = client.get("/nta7516").json()["items"]
        assert {"domain": "zorg.example"} in items
        assert client.post("/nta7516", json={"domain": "x.example"}).status_code == 403
    with world.operator() as client:
        assert client.delete("/nta7516/zorg.example").json() == {
            "domain": "zorg.example",
            "nta7516": False,
        }
        assert client.delete("/nta7516/zorg.example").status_code == 404


def test_a_message_is_shown_revoked_reopened_and_expired(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    path = f"/messages/{org.message_id}"
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        shown = client.get(path).json()
        [conversation] = shown["conversations"]
        [bob] = conversation["recipients"]
        assert bob["address"] == "bob@example.org" and shown["org"] == "Hospital"
        assert shown["jobs"][0]["id"] == org.job_id
        revoked = client.post(path + "/revoke", json={}).json()
        assert revoked["recipients"][0]["revoked_at"] is not None
        assert client.get(path).json()["conversations"][0]["recipients"][0]["status"] == "revoked"
        assert client.post(path + "/unrevoke").json()["recipients"][0]["revoked_at"] is None
        expired = client.post(path + "/expire", json={"in_days": 7}).json()
        assert expired["recipients"][0]["expires_at"] is not None
        assert client.post(path + "/expire", json={"in_days": 7, "never": True}).status_code == 422
        past = client.post(path + "/expire", json={"at": "2001-01-01"})
        assert past.status_code == 422
        verdict = client.get(path + "/evidence/verify").json()
        assert verdict["intact"] is True and verdict["events"] >= 3
        events = client.get(path + "/evidence").json()["events"]
        assert any("revoked" in event["kind"] for event in events)
        assert client.get(f"/messages/{org.message_id[:-1]}x").status_code == 404


def test_messages_are_found_by_sender_recipient_time_and_state(world: ApiWorld) -> None:
    hospital = world.orgs["Hospital"]
    with world.operator() as client:

        def ids(**params: str) -> list[str]:
            response = client.get("/messages", params=params)
            assert response.status_code == 200, response.text
            return [item["id"] for item in response.json()["items"]]

        assert ids(sender=hospital.sender) == [hospital.message_id]
        assert len(ids(recipient="bob@example.org")) == 2
        assert ids(recipient="nobody@example.org") == []
        assert ids(since="2999-01-01T00:00:00Z") == []
        assert len(ids(until="2999-01-01T00:00:00+01:00")) == 2
        assert len(ids(state="deferred")) >= 1


def test_the_queue_retries_and_cancels(world: ApiWorld) -> None:
    job = world.orgs["Clinic"].job_id
    with world.client(Role.HELPDESK, "Clinic") as client:
        listed = [item["id"] for item in client.get("/queue").json()["items"]]
        assert listed == [job]
        retried = client.post(f"/queue/{job}/retry")
        assert retried.status_code == 200, retried.text
        cancelled = client.post(f"/queue/{job}/cancel").json()
        assert cancelled["state"] == "bounced" and "dsn_job_id" in cancelled
        again = client.post(f"/queue/{job}/cancel")
        assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
        assert client.get("/queue", params={"state": "bounced"}).json()["items"][0]["id"] == job


def test_dns_records_keys_and_their_check(world: ApiWorld) -> None:
    org = f"/orgs/{world.orgs['Hospital'].id}"
    with world.client(Role.POLICY_ADMIN, "Hospital") as client:
        records = client.get(org + "/dns-records").json()["items"]
        assert {r["purpose"] for r in records} == {"dkim", "spf", "dmarc"}
        keys = client.get(org + "/dkim-keys").json()["items"]
        assert {key["algorithm"] for key in keys} == {"ed25519-sha256", "rsa-sha256"}
        check = client.get(org + "/dns-check").json()
        assert check["dkim_published"] is False
        assert {item["status"] for item in check["items"]} == {"missing"}


def test_probes_run_and_are_listed(world: ApiWorld) -> None:
    with world.client(Role.POLICY_ADMIN, "Clinic") as client:
        probe = client.post("/probes", json={"domain": "example.org"})
        assert probe.status_code == 200, probe.text
        assert probe.json()["domain"] == "example.org" and probe.json()["level"] == "none"
        assert client.post("/probes", json={"domain": "not a domain"}).status_code == 422
        assert client.get("/probes").json()["next_cursor"] is None


def test_the_audit_trail_is_queried_exported_and_verified(world: ApiWorld) -> None:
    hospital = world.orgs["Hospital"].id
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        client.patch(f"/orgs/{hospital}/policy", json={"show_subject": True})
    with world.client(Role.AUDITOR, "Clinic") as client:
        seen = client.get("/audit", params={"limit": "200"}).json()["items"]
        assert seen and all(entry["organisation"] == "Clinic" for entry in seen)
    with world.client(Role.AUDITOR, "Hospital") as client:
        found = client.get("/audit", params={"action": "api.policy"}).json()["items"]
        assert found and {entry["action"] for entry in found} == {"api.policy.update"}
        assert all(entry["actor"].startswith("token:") for entry in found)
        csv = client.get("/audit/export", params={"format": "csv"})
        assert csv.headers["content-type"].startswith("text/csv")
        assert csv.text.splitlines()[0].startswith("seq,at,actor")
        verdict = client.get("/audit/verify").json()
        assert verdict["intact"] is True and verdict["entries"] >= len(found)

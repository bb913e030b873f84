"""Contacts and accounts CSV imports (report, then ?confirm=true) and the contacts export,
over real HTTP: rows reported, nothing written until confirmed, the file never in the audit."""

from __future__ import annotations

from sealgate.admin import Role, grants_of
from sealgate.audit import newest
from sealgate.directory import find_account, list_contacts
from tests.admin.api.world import ApiWorld
from tests.portal.account_mail import account_mails

CONTACTS = (
    "email_address;full_name;phone_number;access_code;access_code_hint\n"
    "piet@example.org;Piet Jansen;06 1234 5678;;\n"
    "anna@example.org;Anna de Vries;;tulip-4242;the flower\n"
    "kees@example.org;Kees;12345;;\n"
)


def _book(world: ApiWorld) -> list[str]:
    with world.rt.db.begin() as session:
        return [f"{e.address}/{e.kind}" for e in list_contacts(session, "Hospital")]


def _entries(world: ApiWorld, action: str) -> list:
    with world.rt.db.begin() as session:
        return newest(session, 100, action=action)


def test_contacts_import_reports_then_writes_the_accepted_rows(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    path = f"/orgs/{org.id}/contacts/import"
    with world.client(Role.POLICY_ADMIN, "Hospital") as client:
        report = client.post(path, json={"csv": CONTACTS})
        assert report.status_code == 200, report.text
        value = report.json()
        assert (value["accepted"], value["rejected"], value["written"]) == (2, 1, False)
        assert [row["accepted"] for row in value["rows"]] == [True, True, False]
        assert value["rows"][2]["problem"] == "bad_phone" and value["rows"][2]["line"] == 4
        assert value["rows"][1]["access_code"] is True and "tulip" not in report.text
        assert _book(world) == []

        confirmed = client.post(path, params={"confirm": "true"}, json={"csv": CONTACTS})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["written"] is True
    assert _book(world) == ["anna@example.org/access_code", "piet@example.org/sms"]
    entries = _entries(world, "api.contacts.import")
    assert len(entries) == 2
    for entry in entries:
        assert "tulip-4242" not in entry.details and "piet@example.org" not in entry.details
    assert (
        '"confirm":true' in entries[-1].details and '"written_lines":[2,3]' in entries[-1].details
    )

    with world.client(Role.AUDITOR, "Hospital") as client:
        export = client.get(f"/orgs/{org.id}/contacts/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.text.splitlines() == [
        "email_address,full_name,phone_number,access_code,access_code_hint",
        "anna@example.org,,,,the flower",
        "piet@example.org,,+31612345678,,",
    ]
    assert '"rows":2' in _entries(world, "api.contacts.export")[-1].details


def test_a_file_that_is_no_contacts_csv_is_422_and_writes_nothing(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.operator() as client:
        response = client.post(
            f"/orgs/{org.id}/contacts/import",
            params={"confirm": "true"},
            json={"csv": "name,number\nx,y\n"},
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"
        assert "unknown: name, number" in response.json()["error"]["message"]
        missing = client.post(f"/orgs/{org.id}/contacts/import", json={})
        assert missing.status_code == 422


def test_an_import_body_may_be_larger_than_other_bodies(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    rows = "".join(f"p{n}@example.org,+3161234{n % 10000:04d}\n" for n in range(3000))
    text = "email_address,phone_number\n" + rows
    assert 64 * 1024 < len(text) < 1024 * 1024
    with world.operator() as client:
        report = client.post(f"/orgs/{org.id}/contacts/import", json={"csv": text})
        assert report.status_code == 200, report.text[:300]
        assert report.json()["accepted"] == 3000
        too_big = client.post(
            f"/orgs/{org.id}/contacts/import", json={"csv": "x" * (2 * 1024 * 1024)}
        )
        assert too_big.status_code == 413
        # Other endpoints keep the small limit.
        big_label = client.post(f"/orgs/{org.id}/credentials", json={"label": "x" * 70000})
        assert big_label.status_code == 413


ACCOUNTS = (
    "email_address,full_name,role\n"
    "bob@hospital.example,Bob Bakker,helpdesk\n"
    "carla@hospital.example,Carla Claes,\n"
    "dan@elsewhere.example,Dan,\n"
)


def test_accounts_import_invites_new_accounts_after_confirm(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    path = f"/orgs/{org.id}/accounts/import"
    with world.client(Role.ORG_ADMIN, "Hospital") as client:
        report = client.post(path, json={"csv": ACCOUNTS})
        assert report.status_code == 200, report.text
        value = report.json()
        assert (value["accepted"], value["rejected"], value["written"]) == (2, 1, False)
        assert value["rows"][2]["problem"] == "foreign_domain" and value["invited"] == []
        assert account_mails(world.rt, "bob@hospital.example") == []
        done = client.post(path, params={"confirm": "true"}, json={"csv": ACCOUNTS})
    assert done.status_code == 200, done.text
    assert done.json()["invited"] == ["bob@hospital.example", "carla@hospital.example"]
    assert len(account_mails(world.rt, "bob@hospital.example")) == 1
    with world.rt.db.begin() as session:
        bob = find_account(session, "bob@hospital.example")
        assert bob is not None and bob.display_name == "Bob Bakker"
        assert [g.role.value for g in grants_of(session, bob.id)] == ["helpdesk"]
        assert find_account(session, "dan@elsewhere.example") is None
    entry = _entries(world, "api.accounts.import")[-1]
    assert '"invited":["bob@hospital.example","carla@hospital.example"]' in entry.details
    assert "Bob Bakker" not in entry.details


def test_only_roles_that_may_grant_roles_may_import_accounts(world: ApiWorld) -> None:
    """Only org admins and the operator hold accounts.write today, and both hold roles.write;
    the check is on the capability, so it holds if that ever changes."""
    from sealgate.admin import ALLOWED, Capability

    for holders in ALLOWED.values():
        if Capability.ACCOUNTS_WRITE in holders:
            assert Capability.ROLES_WRITE in holders
    org = world.orgs["Hospital"]
    with world.client(Role.HELPDESK, "Hospital") as client:
        refused = client.post(f"/orgs/{org.id}/accounts/import", json={"csv": ACCOUNTS})
    assert refused.status_code == 403


NASTY = (
    "",
    "\n\n",
    "email_address\n",
    'email_address,phone_number\n"unclosed@example.org,+31612345678\n',
    "email_address,phone_number\r\rx@example.org,1\r",
    "\ufeffemail_address;phone_number\nx@example.org;+31612345678;extra;cells\n",
    "email_address,email_address\nx@example.org,y@example.org\n",
    "email_address,access_code,access_code_hint\n" + "x@example.org," + "c" * 300_000 + ",\n",
    "email_address,phone_number\n" + "\u202e@example.org,+31 6 1234 5678\n",
    "email_address,phone_number\n=cmd|' /C calc'!A0,+31612345678\n",
)


def test_odd_files_are_reported_or_refused_never_a_server_error(world: ApiWorld) -> None:
    org = world.orgs["Hospital"]
    with world.operator() as client:
        for text in NASTY:
            for what in ("contacts", "accounts"):
                response = client.post(f"/orgs/{org.id}/{what}/import", json={"csv": text})
                assert response.status_code in (200, 422), (what, text[:60], response.text)
                assert response.headers["content-type"] == "application/json"

"""CLI contract of `sealgate org list` and `credentials list`: never a secret."""

from __future__ import annotations

import json

from sqlalchemy import select

from sealgate.store import SmtpCredential


def ok(cli, *args: str):
    result = cli(*args, "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_org_list(cli):
    assert ok(cli, "org", "create", "Clinic", "--domain", "b.clinic.example", "--domain",
              "a.clinic.example")["name"] == "Clinic"  # fmt: skip
    assert cli("account", "add", "bob@a.clinic.example", "--org", "Clinic").returncode == 0
    assert cli("account", "add", "eve@a.clinic.example", "--org", "Clinic").returncode == 0
    assert cli("account", "disable", "eve@a.clinic.example").returncode == 0
    listed = ok(cli, "org", "list")
    for item in listed:
        assert item.pop("created")
    assert listed == [
        {
            "name": "Clinic",
            "display_name": None,
            "domains": ["a.clinic.example", "b.clinic.example"],
            "accounts": 2,
            "active_accounts": 1,
        },
        {
            "name": "Hospital",
            "display_name": None,
            "domains": ["hospital.example"],
            "accounts": 1,
            "active_accounts": 1,
        },
    ]
    text = cli("org", "list").stdout.splitlines()
    assert text[0].split() == ["NAME", "ACCOUNTS", "ACTIVE", "DOMAINS"]
    assert text[1].split() == ["Clinic", "2", "1", "a.clinic.example,", "b.clinic.example"]


def test_org_list_of_an_org_without_accounts(cli):
    ok(cli, "org", "create", "Empty", "--domain", "empty.example")
    (empty,) = [item for item in ok(cli, "org", "list") if item["name"] == "Empty"]
    assert (empty["accounts"], empty["active_accounts"]) == (0, 0)


def test_credentials_list_never_shows_a_secret(cli, runtime, sender):
    ok(cli, "org", "create", "Clinic", "--domain", "clinic.example")
    made = ok(cli, "credentials", "create", "--org", "Clinic", "--label", "scanner")
    ok(cli, "credentials", "disable", made["username"])
    everything = ok(cli, "credentials", "list")
    assert [(c["username"], c["org"], c["label"], c["active"]) for c in everything] == [
        (sender.username, "Hospital", "tests", True),
        (made["username"], "Clinic", "scanner", False),
    ]
    assert all(set(c) == {"username", "org", "label", "active", "created"} for c in everything)
    clinic = ok(cli, "credentials", "list", "--org", "Clinic")
    assert [c["username"] for c in clinic] == [made["username"]]
    text = cli("credentials", "list").stdout
    assert made["username"] in text and "disabled" in text
    with runtime.db.begin() as session:
        digests = list(session.scalars(select(SmtpCredential.password_hash)))
    for output in (json.dumps(everything), text):
        for secret in (made["password"], sender.password, *digests):
            assert secret not in output
        assert "hmac-sha256" not in output


def test_credentials_list_of_an_unknown_org(cli):
    result = cli("credentials", "list", "--org", "Nope", "--json")
    assert result.returncode == 1
    assert json.loads(result.stderr) == {"error": "no organisation named 'Nope'"}
    assert cli("credentials", "list", "--org", "Nope").stderr == (
        "sealgate: error: no organisation named 'Nope'\n"
    )


def test_org_list_shows_the_brand_display_name(cli):
    assert cli("org", "brand", "--org", "Hospital", "--display-name", "St. Anna").returncode == 0
    (hospital,) = ok(cli, "org", "list")
    assert hospital["display_name"] == "St. Anna"

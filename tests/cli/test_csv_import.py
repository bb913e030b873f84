"""`sealgate contacts import|export` and `sealgate account import`: report, --confirm, audit."""

from __future__ import annotations

import json

from sealgate.admin import grants_of
from sealgate.audit import entries
from sealgate.directory import find_account, list_contacts
from tests.portal.account_mail import account_mails

CONTACTS = (
    "email_address;full_name;phone_number;access_code;access_code_hint\n"
    "piet@example.org;Piet Jansen;06 1234 5678;;\n"
    "anna@example.org;Anna de Vries;;tulip-4242;the flower\n"
)
BAD_ROW = "kees@example.org;Kees;12345;;\n"


def _contacts(runtime) -> list[str]:
    with runtime.db.begin() as session:
        return [f"{e.address}/{e.kind}" for e in list_contacts(session, "Hospital")]


def _actions(runtime) -> list[str]:
    with runtime.db.begin() as session:
        return [e.action for e in entries(session)]


def test_a_file_with_a_bad_row_is_reported_and_nothing_written(cli, runtime, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(CONTACTS + BAD_ROW, encoding="utf-8-sig")
    result = cli("contacts", "import", "--org", "Hospital", str(path))
    assert result.returncode == 1
    assert "line 4: rejected kees@example.org: not a valid phone number" in result.stdout
    assert "2 accepted, 1 rejected; nothing written" in result.stdout
    assert _contacts(runtime) == [] and "contacts.import" not in _actions(runtime)

    report = json.loads(cli("contacts", "import", "--org", "Hospital", str(path), "--json").stdout)
    assert (report["accepted"], report["rejected"], report["written"]) == (2, 1, False)
    assert report["rows"][2]["problem"] == "bad_phone"

    confirmed = cli("contacts", "import", "--org", "Hospital", str(path), "--confirm", "--json")
    assert confirmed.returncode == 0, confirmed.stderr
    assert json.loads(confirmed.stdout)["written"] is True
    assert _contacts(runtime) == ["anna@example.org/access_code", "piet@example.org/sms"]
    assert _actions(runtime)[-1] == "contacts.import"
    assert "tulip" not in confirmed.stdout


def test_an_all_good_file_reports_exit_0_and_reads_stdin(cli, runtime):
    result = cli("contacts", "import", "--org", "Hospital", "-", stdin=CONTACTS)
    assert result.returncode == 0, result.stderr
    assert "2 accepted; nothing written (add --confirm" in result.stdout
    assert _contacts(runtime) == []


def test_a_file_that_is_no_contacts_csv_is_one_error_line(cli, tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("name,number\nx,y\n")
    result = cli("contacts", "import", "--org", "Hospital", str(path), "--json")
    assert result.returncode == 1 and "unknown: name, number" in json.loads(result.stderr)["error"]
    missing = cli("contacts", "import", "--org", "Hospital", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and missing.stderr.startswith("sealgate: error: cannot read")


def test_export_writes_the_columns_to_stdout_or_a_file(cli, runtime, tmp_path):
    cli("contacts", "import", "--org", "Hospital", "-", "--confirm", stdin=CONTACTS)
    out = cli("contacts", "export", "--org", "Hospital")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [
        "email_address,full_name,phone_number,access_code,access_code_hint",
        "anna@example.org,,,,the flower",
        "piet@example.org,,+31612345678,,",
    ]
    target = tmp_path / "out.csv"
    written = json.loads(
        cli("contacts", "export", "--org", "Hospital", str(target), "--json").stdout
    )
    assert written["rows"] == 2 and "never exported" in written["note"]
    assert target.read_text(encoding="utf-8").replace("\r\n", "\n") == out.stdout.replace(
        "\r\n", "\n"
    )
    assert "contacts.export" not in _actions(runtime), "reading leaves no audit entry"


ACCOUNTS = (
    "email_address,full_name,role\n"
    "bob@hospital.example,Bob Bakker,helpdesk\n"
    "carla@hospital.example,Carla Claes,\n"
)


def test_account_import_invites_each_new_account_after_confirm(cli, runtime, tmp_path):
    path = tmp_path / "accounts.csv"
    path.write_text(ACCOUNTS + "dan@elsewhere.example,Dan,\n")
    report = cli("account", "import", "--org", "Hospital", str(path))
    assert report.returncode == 1
    assert "line 4: rejected dan@elsewhere.example: dan@elsewhere.example is not in a domain" in (
        report.stdout
    )
    assert account_mails(runtime, "bob@hospital.example") == []

    done = cli("account", "import", "--org", "Hospital", str(path), "--confirm", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["invited"] == ["bob@hospital.example", "carla@hospital.example"]
    assert len(account_mails(runtime, "bob@hospital.example")) == 1
    assert len(account_mails(runtime, "carla@hospital.example")) == 1
    with runtime.db.begin() as session:
        bob = find_account(session, "bob@hospital.example")
        assert bob.display_name == "Bob Bakker"
        assert [g.role.value for g in grants_of(session, bob.id)] == ["helpdesk"]
    assert _actions(runtime)[-1] == "account.import"

    # Again: the accounts exist, so nothing is invited twice and the role is not doubled.
    path.write_text(ACCOUNTS)
    again = cli("account", "import", "--org", "Hospital", str(path), "--confirm", "--json")
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["invited"] == []
    assert [r["action"] for r in json.loads(again.stdout)["rows"]] == ["update", "update"]
    assert len(account_mails(runtime, "bob@hospital.example")) == 1

"""CLI contract of the policy commands: policy, nta7516, idd, contacts (text, --json, errors)."""

from __future__ import annotations

import json
import shlex

import pytest
from sqlalchemy import select

from sealgate.directory import verify_password
from sealgate.store import Contact
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate


def ok(cli, *args: str, stdin: str = ""):
    result = cli(*args, "--json", stdin=stdin)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def refused(cli, *args: str, stdin: str = "") -> str:
    """The one line that says why; a usage error (exit 2) has argparse's usage lines above it."""
    result = cli(*args, stdin=stdin)
    assert result.returncode in (1, 2), (result.returncode, result.stdout)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 or len(lines) == 1, result.stderr
    assert lines[-1].startswith("sealgate"), result.stderr
    return lines[-1]


DEFAULT = {
    "org": "Hospital",
    "sms": True,
    "access_code": True,
    "email_verification": True,
    "tsc": "off",
    "nta7516": False,
    "access_code_min_length": 6,
    "expiry_days": None,
    "show_subject": False,
    "retention_days": 30,
    "pseudonymise_days": 365,
    "remember_device_days": None,
}


def test_policy_show_and_set(cli):
    assert ok(cli, "policy", "show", "--org", "Hospital") == DEFAULT
    changed = ok(
        cli,
        "policy",
        "set",
        "--org",
        "Hospital",
        "--sms",
        "off",
        "--tsc",
        "pkix",
        "--nta7516",
        "on",
    )
    assert changed == {**DEFAULT, "sms": False, "tsc": "pkix", "nta7516": True}
    changed = ok(
        cli, "policy", "set", "--org", "Hospital", "--access-code", "off",
        "--email-verification", "off", "--tsc", "off",
    )  # fmt: skip
    expected = {**DEFAULT, "sms": False, "access_code": False, "email_verification": False}
    assert changed == {**expected, "nta7516": True}
    assert ok(cli, "policy", "show", "--org", "Hospital") == changed


def test_show_subject_is_off_by_default_and_switches(cli):
    assert ok(cli, "policy", "show", "--org", "Hospital")["show_subject"] is False
    assert "show subject:        off" in cli("policy", "show", "--org", "Hospital").stdout
    on = ok(cli, "policy", "set", "--org", "Hospital", "--show-subject", "on")
    assert on == {**DEFAULT, "show_subject": True}
    assert "show subject:        on" in cli("policy", "show", "--org", "Hospital").stdout
    off = ok(cli, "policy", "set", "--org", "Hospital", "--show-subject", "off")
    assert off == DEFAULT
    assert "--show-subject" in refused(
        cli, "policy", "set", "--org", "Hospital", "--show-subject", "yes"
    )


def test_policy_text_output(cli):
    result = cli("policy", "show", "--org", "Hospital")
    assert result.returncode == 0
    assert "Email Security Policy of Hospital" in result.stdout
    assert "transport security:  off" in result.stdout


@pytest.mark.parametrize(
    "args, reason",
    [
        (["policy", "show", "--org", "Nope"], "no organisation named 'Nope'"),
        (["policy", "set", "--org", "Nope", "--sms", "on"], "no organisation"),
        (["policy", "set", "--org", "Hospital"], "nothing to change"),
        (["policy", "set", "--org", "Hospital", "--tsc", "ssl"], "invalid choice"),
        (["policy", "set", "--org", "Hospital", "--sms", "yes"], "invalid choice"),
        (["policy", "show"], "--org"),
    ],
)
def test_policy_errors(cli, args, reason):
    assert reason in refused(cli, *args)


def test_access_code_minimum_length_is_set_and_shown(cli):
    """Issue 8 item 8: a per-organisation minimum length for access codes, default 6."""
    changed = ok(cli, "policy", "set", "--org", "Hospital", "--access-code-min-length", "10")
    assert changed == {**DEFAULT, "access_code_min_length": 10}
    assert ok(cli, "policy", "show", "--org", "Hospital")["access_code_min_length"] == 10
    text = cli("policy", "show", "--org", "Hospital").stdout
    assert "access code minimum: 10 characters" in text
    for wrong in ("0", "129"):
        reason = refused(
            cli, "policy", "set", "--org", "Hospital", "--access-code-min-length", wrong
        )
        assert "between 1 and 128" in reason
    assert "invalid int value" in refused(
        cli, "policy", "set", "--org", "Hospital", "--access-code-min-length", "six"
    )


def test_default_expiry_days_is_off_until_set(cli):
    """Issue 10 item 4: an organisation default expiry in days; SPEC.md names none, so off."""
    assert ok(cli, "policy", "show", "--org", "Hospital")["expiry_days"] is None
    assert "default expiry:      off" in cli("policy", "show", "--org", "Hospital").stdout
    changed = ok(cli, "policy", "set", "--org", "Hospital", "--expiry-days", "30")
    assert changed == {**DEFAULT, "expiry_days": 30}
    assert ok(cli, "policy", "show", "--org", "Hospital")["expiry_days"] == 30
    assert "default expiry:      30 days" in cli("policy", "show", "--org", "Hospital").stdout
    assert ok(cli, "policy", "set", "--org", "Hospital", "--expiry-days", "OFF") == DEFAULT
    for wrong, reason in (
        ("0", "off or 1 to 3650 days"),
        ("3651", "off or 1 to 3650 days"),
        ("30d", "not a whole number of days"),
        ("-1", "not a whole number"),
    ):
        assert reason in refused(cli, "policy", "set", "--org", "Hospital", "--expiry-days", wrong)
    assert ok(cli, "policy", "show", "--org", "Hospital")["expiry_days"] is None


def test_retention_days_default_30_set_and_shown(cli):
    """Issue 13 item 4: content is kept 30 days after the last recipient finished, unless
    the organisation sets another number of days (0: at the next reaper pass)."""
    assert "content retention:   30 days" in cli("policy", "show", "--org", "Hospital").stdout
    changed = ok(cli, "policy", "set", "--org", "Hospital", "--retention-days", "7")
    assert changed == {**DEFAULT, "retention_days": 7}
    assert ok(cli, "policy", "show", "--org", "Hospital")["retention_days"] == 7
    assert "content retention:   7 days" in cli("policy", "show", "--org", "Hospital").stdout
    assert (
        ok(cli, "policy", "set", "--org", "Hospital", "--retention-days", "0")["retention_days"]
        == 0
    )
    for wrong, reason in (
        ("-1", "0 to 3650 days"),
        ("3651", "0 to 3650 days"),
        ("x", "invalid int"),
    ):
        assert reason in refused(
            cli, "policy", "set", "--org", "Hospital", "--retention-days", wrong
        )
    assert ok(cli, "policy", "show", "--org", "Hospital")["retention_days"] == 0


def test_remember_device_days_off_by_default_at_most_30_and_audited(cli):
    """Issue 11 item 6: an organisation may allow "remember this device", off by default,
    for at most 30 days; the change is in the audit trail."""
    assert "remember device:     off" in cli("policy", "show", "--org", "Hospital").stdout
    changed = ok(cli, "policy", "set", "--org", "Hospital", "--remember-device-days", "30")
    assert changed == {**DEFAULT, "remember_device_days": 30}
    assert "remember device:     30 days" in cli("policy", "show", "--org", "Hospital").stdout
    for wrong, reason in (("0", "1 to 30 days"), ("31", "1 to 30 days"), ("x", "whole number")):
        assert reason in refused(
            cli, "policy", "set", "--org", "Hospital", "--remember-device-days", wrong
        )
    off = ok(cli, "policy", "set", "--org", "Hospital", "--remember-device-days", "OFF")
    assert off["remember_device_days"] is None
    trail = ok(cli, "audit", "list")
    entries = trail if isinstance(trail, list) else trail["entries"]
    remembered = [e for e in entries if e["action"] == "policy.set" and "remember" in str(e)]
    assert len(remembered) == 2, remembered


def test_contact_access_code_must_meet_the_minimum(cli):
    """Issue 8 item 8: a contact-book access code shorter than the org's minimum is refused
    with one line and a non-zero exit; at the minimum it is accepted."""
    add = ("contacts", "add", "--org", "Hospital", "pat@example.org", "--access-code-stdin")
    reason = refused(cli, *add, stdin="12345\n")
    assert "shorter than the organisation's minimum of 6 characters" in reason
    assert "12345" not in reason
    assert ok(cli, *add, stdin="123456\n")["kind"] == "access_code"
    ok(cli, "policy", "set", "--org", "Hospital", "--access-code-min-length", "8")
    assert "minimum of 8 characters" in refused(cli, *add, stdin="1234567")


def test_nta7516_add_list_remove(cli):
    assert ok(cli, "nta7516", "list") == {"domains": []}
    assert ok(cli, "nta7516", "add", "Clinic.Example") == {
        "domain": "clinic.example",
        "nta7516": True,
    }
    ok(cli, "nta7516", "add", "lab.example")
    assert ok(cli, "nta7516", "list") == {"domains": ["clinic.example", "lab.example"]}
    assert cli("nta7516", "list").stdout.split() == ["clinic.example", "lab.example"]
    assert ok(cli, "nta7516", "remove", "clinic.example")["nta7516"] is False
    assert ok(cli, "nta7516", "list") == {"domains": ["lab.example"]}


def test_nta7516_errors(cli):
    ok(cli, "nta7516", "add", "clinic.example")
    assert "already listed" in refused(cli, "nta7516", "add", "clinic.example")
    assert "not listed" in refused(cli, "nta7516", "remove", "lab.example")
    assert "not a domain" in refused(cli, "nta7516", "add", "bob@lab.example")


def test_idd_enable_disable(cli):
    on = ok(cli, "idd", "enable", "--org", "Hospital", "--domain", "hospital.example")
    assert on == {"org": "Hospital", "domain": "hospital.example", "idd": True}
    off = ok(cli, "idd", "disable", "--org", "Hospital", "--domain", "hospital.example")
    assert off == {**on, "idd": False}


def test_idd_needs_a_domain_the_org_claimed(cli):
    assert ok(cli, "org", "create", "Clinic", "--domain", "clinic.example")["name"] == "Clinic"
    reason = refused(cli, "idd", "enable", "--org", "Hospital", "--domain", "clinic.example")
    assert "domain clinic.example is not claimed by organisation 'Hospital'" in reason
    assert "not claimed" in refused(
        cli, "idd", "enable", "--org", "Hospital", "--domain", "else.example"
    )
    assert "no organisation" in refused(
        cli, "idd", "disable", "--org", "Nope", "--domain", "hospital.example"
    )


def test_contacts_add_list_remove(cli, runtime):
    sms = ok(cli, "contacts", "add", "--org", "Hospital", "Pat@Example.org", "--sms", "06 12345678")
    assert {k: sms[k] for k in ("address", "kind", "phone", "owner", "opened")} == {
        "address": "pat@example.org",
        "kind": "sms",
        "phone": "+31612345678",
        "owner": None,
        "opened": False,
    }
    ok(
        cli, "contacts", "add", "--org", "Hospital", "--owner", "alice@hospital.example",
        "pat@example.org", "--access-code-stdin", "--hint", "a flower", stdin="tulip-42\n",
    )  # fmt: skip
    shared = ok(cli, "contacts", "list", "--org", "Hospital")
    assert [(c["kind"], c["phone"]) for c in shared["contacts"]] == [("sms", "+31612345678")]
    personal = ok(cli, "contacts", "list", "--org", "Hospital", "--owner", "alice@hospital.example")
    assert [(c["kind"], c["hint"], c["owner"]) for c in personal["contacts"]] == [
        ("access_code", "a flower", "alice@hospital.example")
    ]
    text = cli("contacts", "list", "--org", "Hospital", "--owner", "alice@hospital.example").stdout
    assert "a flower" in text and "never opened" in text
    # Neither listing shows the code or its hash.
    for output in (json.dumps(shared), json.dumps(personal), text):
        assert "tulip-42" not in output and "argon2" not in output
    with runtime.db.begin() as session:
        assert session.scalar(
            select(Contact.code_hash).where(Contact.kind == "access_code")
        ).startswith("$argon2id$")
    removed = ok(cli, "contacts", "remove", "--org", "Hospital", "pat@example.org", "--kind", "sms")
    assert removed["removed"] == 1
    assert ok(cli, "contacts", "list", "--org", "Hospital")["contacts"] == []


def test_contacts_add_again_replaces(cli):
    ok(cli, "contacts", "add", "--org", "Hospital", "pat@example.org", "--sms", "0612345678")
    ok(cli, "contacts", "add", "--org", "Hospital", "pat@example.org", "--sms", "0687654321")
    listed = ok(cli, "contacts", "list", "--org", "Hospital")["contacts"]
    assert [c["phone"] for c in listed] == ["+31687654321"]


@pytest.mark.parametrize(
    "args, reason",
    [
        ("add --org Hospital p@example.org --sms 12345", "phone number"),
        ("add --org Hospital p@example.org", "one of the arguments --sms"),
        ("add --org Hospital p@example.org --sms 0612345678 --access-code-stdin", "not allowed"),
        ("add --org Hospital p@example.org --sms 0612345678 --hint h", "--hint"),
        ("add --org Hospital p@example.org --access-code-stdin", "no access code on standard"),
        ("add --org Hospital not-an-address --sms 0612345678", "not an email"),
        (
            "add --org Hospital --owner eve@else.example p@example.org --sms 0612345678",
            "is not an account of organisation 'Hospital'",
        ),
        ("add --org Nope p@example.org --sms 0612345678", "no organisation"),
        ("list --org Hospital --owner eve@hospital.example", "not an account"),
        ("remove --org Hospital p@example.org", "no entry for p@example.org"),
        ("remove --org Hospital p@example.org --kind fax", "invalid choice"),
    ],
)
def test_contacts_errors(cli, args, reason):
    assert reason in refused(cli, "contacts", *shlex.split(args))


def test_access_code_on_the_command_line_is_refused(cli, runtime):
    """Issue 12 item 5: the old flag put the code in the shell history; it is refused and
    names the flag to use, and nothing is stored."""
    reason = refused(cli, "contacts", "add", "--org", "Hospital", "p@example.org",
                     "--access-code", "tulip-42")  # fmt: skip
    assert "--access-code-stdin" in reason and "tulip-42" not in reason
    with runtime.db.begin() as session:
        assert session.scalar(select(Contact.id)) is None


def test_access_code_stdin_reads_one_line_only(cli, runtime):
    entry = ok(
        cli, "contacts", "add", "--org", "Hospital", "p@example.org", "--access-code-stdin",
        stdin="tulip-42\r\nsecond line\n",
    )  # fmt: skip
    assert entry["kind"] == "access_code" and "tulip-42" not in json.dumps(entry)
    with runtime.db.begin() as session:
        stored = session.scalar(select(Contact.code_hash))
    assert verify_password(stored, "tulip-42")


def test_default_phone_region_comes_from_the_config(cli, tmp_path, settings):
    config = write_config(settings, tmp_path / "us.toml")
    config.write_text(config.read_text() + '[policy]\ndefault_phone_region = "US"\n')
    result = sealgate(
        "contacts", "add", "--org", "Hospital", "pat@example.org", "--sms", "(202) 555-0143",
        "--config", str(config), "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["phone"] == "+12025550143"


def test_pseudonymise_days_take_a_number_or_off(cli):
    assert ok(cli, "policy", "set", "--org", "Hospital", "--pseudonymise-days", "30") == {
        **DEFAULT,
        "pseudonymise_days": 30,
    }
    off = ok(cli, "policy", "set", "--org", "Hospital", "--pseudonymise-days", "off")
    assert off["pseudonymise_days"] is None
    assert "pseudonymise rows:   off" in cli("policy", "show", "--org", "Hospital").stdout
    for bad in ("0", "soon", "4000"):
        result = cli("policy", "set", "--org", "Hospital", "--pseudonymise-days", bad, "--json")
        assert result.returncode != 0 and "pseudonymis" in json.loads(result.stderr)["error"]

"""`sealgate account …`: invitations, resets, reset-2fa, enable, list, password rules."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select

from sealgate.store import Account, AccountToken, OutboundJob, PortalSession, utcnow
from tests.cli.conftest import write_config
from tests.cli.test_admin import sealgate
from tests.portal.account_mail import account_mails, link_path

BOB = "bob@hospital.example"


@pytest.fixture
def cli(settings, runtime, sender, tmp_path):
    """`sealgate ARGS --config FILE` on the runtime with org Hospital and alice; with stdin."""
    config = write_config(settings, tmp_path / "sealgate.toml")

    def run(*args: str, stdin: str = ""):
        return sealgate(*args, "--config", str(config), stdin=stdin)

    return run


def _json(result) -> dict:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_add_without_password_queues_an_invitation(cli, runtime):
    added = _json(cli("account", "add", BOB, "--org", "Hospital", "--name", "Bob B", "--json"))
    assert added["email"] == BOB and added["active"] is True
    assert added["invitation"]["queued"] is True and "link" not in added["invitation"]
    [mail] = account_mails(runtime, BOB)
    assert mail["Subject"] == "Hospital: set up your account for secure mail"
    assert "Hospital" in str(mail["From"]) and mail["To"] == BOB
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "Dear Bob B," in text and "Hospital has made an account for you" in text
    assert "works once, until" in text
    token = link_path(mail).rpartition("/")[2]
    # The secret is in the mail only: not in the output, not in the database.
    assert token not in json.dumps(added)
    with runtime.db.begin() as session:
        [row] = session.scalars(select(AccountToken)).all()
        assert row.purpose == "invite" and token not in row.token_hash
        assert row.expires_at - row.created_at == timedelta(days=7)
        [job] = session.scalars(select(OutboundJob).where(OutboundJob.kind == "account")).all()
        assert job.state == "incoming"


def test_print_link_shows_the_link_once(cli, runtime):
    result = cli("account", "add", BOB, "--org", "Hospital", "--print-link")
    assert result.returncode == 0, result.stderr
    path = link_path(account_mails(runtime, BOB)[-1])
    assert path in result.stdout and "shown once" in result.stdout
    as_json = _json(cli("account", "reset-password", BOB, "--print-link", "--json"))
    assert as_json["reset"]["link"].endswith(link_path(account_mails(runtime, BOB)[-1]))


def test_password_stdin_keeps_working_and_follows_the_rules(cli, runtime):
    refused = cli("account", "add", BOB, "--org", "Hospital", "--password-stdin", stdin="short\n")
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        "sealgate: error: --password-stdin: The password must have at least 12 characters."
    )
    common = cli(
        "account", "add", BOB, "--org", "Hospital", "--password-stdin", stdin="qazwsxedcrfv\n"
    )
    assert common.returncode == 1 and "most common passwords" in common.stderr
    assert len(common.stderr.strip().splitlines()) == 1
    added = _json(
        cli(
            "account",
            "add",
            BOB,
            "--org",
            "Hospital",
            "--password-stdin",
            "--json",
            stdin="a long enough passphrase\n",
        )
    )
    assert "invitation" not in added and account_mails(runtime, BOB) == []
    both = cli(
        "account",
        "add",
        "c@hospital.example",
        "--org",
        "Hospital",
        "--password-stdin",
        "--print-link",
        stdin="a long enough passphrase\n",
    )
    assert both.returncode == 1 and "--print-link" in both.stderr


def test_reset_password_mails_a_link_and_keeps_the_old_password(cli, runtime):
    with runtime.db.begin() as session:
        before = session.scalar(
            select(Account.password_hash).where(Account.email == "alice@hospital.example")
        )
    reset = _json(cli("account", "reset-password", "alice@hospital.example", "--json"))
    assert reset["reset"]["queued"] is True and "link" not in reset["reset"]
    [mail] = account_mails(runtime, "alice@hospital.example")
    assert mail["Subject"] == "Hospital: choose a new password"
    with runtime.db.begin() as session:
        after = session.scalar(
            select(Account.password_hash).where(Account.email == "alice@hospital.example")
        )
        token = session.scalars(select(AccountToken)).one()
    assert before == after and token.expires_at - token.created_at == __import__(
        "datetime"
    ).timedelta(minutes=60)


def test_reset_2fa_clears_the_factor_ends_sessions_and_logs(cli, runtime, caplog):
    with runtime.db.begin() as session:
        alice = session.scalars(
            select(Account).where(Account.email == "alice@hospital.example")
        ).one()
        alice.totp_enabled, alice.totp_secret, alice.recovery_codes = True, "sealed", ["h"]
        now = utcnow()
        session.add(
            PortalSession(
                session_hash="a" * 64, account_id=alice.id, created_at=now, expires_at=now
            )
        )
        alice_id = alice.id
    with caplog.at_level(logging.INFO, logger="sealgate.directory"):
        done = _json(cli("account", "reset-2fa", "alice@hospital.example", "--json"))
    assert done["totp_enrolled"] is False
    assert f"account.reset_2fa account_id={alice_id}" in caplog.text
    with runtime.db.begin() as session:
        alice = session.get(Account, alice_id)
        assert (alice.totp_enabled, alice.totp_secret, alice.recovery_codes) == (False, "", None)
        assert session.scalars(select(PortalSession)).all() == []


def test_a_reset_before_any_password_is_an_invitation(cli, runtime):
    cli("account", "add", BOB, "--org", "Hospital")
    assert cli("account", "reset-password", BOB).returncode == 0
    first, second = account_mails(runtime, BOB)
    assert first["Subject"] == second["Subject"] == "Hospital: set up your account for secure mail"
    # Only the latest link works.
    with runtime.db.begin() as session:
        assert len(session.scalars(select(AccountToken)).all()) == 1


def test_disable_enable_and_list(cli, runtime):
    cli("account", "add", BOB, "--org", "Hospital")
    assert _json(cli("account", "disable", BOB, "--json"))["active"] is False
    refused = cli("account", "reset-password", BOB)
    assert refused.returncode == 1 and "disabled" in refused.stderr
    assert _json(cli("account", "enable", BOB, "--json"))["active"] is True
    listed = _json(cli("account", "list", "--org", "Hospital", "--json"))
    assert listed == [
        {
            "email": "alice@hospital.example",
            "org": "Hospital",
            "name": "Alice Arts",
            "active": True,
            "password_set": True,
            "totp_enrolled": False,
        },
        {
            "email": BOB,
            "org": "Hospital",
            "name": "",
            "active": True,
            "password_set": False,
            "totp_enrolled": False,
        },
    ]
    text = cli("account", "list")
    assert (
        text.returncode == 0
        and "bob@hospital.example\tHospital\t-\tactive\tpassword not set" in text.stdout
    )
    nope = cli("account", "list", "--org", "Nope")
    assert nope.returncode == 1 and "no organisation" in nope.stderr


def test_errors_are_one_line(cli):
    for args in (
        ["enable", "nobody@hospital.example"],
        ["reset-2fa", "nobody@hospital.example"],
        ["reset-password", "nobody@hospital.example"],
    ):
        result = cli("account", *args)
        assert result.returncode == 1 and "no account" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

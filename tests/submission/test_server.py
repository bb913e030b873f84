"""The submission server over real sockets: TLS, AUTH, envelope and content rules, commit."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
import time

import pytest
from sqlalchemy import select, text

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org, disable_account
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import (
    RawSession,
    client_context,
    connect,
    connect_auth,
    connect_tls,
    message,
    plain_auth,
    reply,
    send_data,
)


def _rows(rt: Runtime) -> list[Submission]:
    with rt.db.begin() as session:
        return list(session.scalars(select(Submission)))


def _queue_id(text: str) -> str:
    prefix = r.S250_QUEUED.format(queue_id="")
    assert text.startswith(prefix), text
    return text[len(prefix) :]


# Acceptance and the commit.


async def test_accepted_message_is_committed_byte_identical(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    raw = message(to="bob@example.org", body="Hello.\r\n.leading dot\r\n\xe9t\xe9 8-bit\r\n")

    def submit() -> str:
        with connect_auth(runtime.settings, sender) as client:
            assert reply(*client.mail(sender.address, ["BODY=8BITMIME"])) == r.S250_SENDER_OK
            assert reply(*client.rcpt("bob@example.org")) == r.S250_RECIPIENT_OK
            assert reply(*client.rcpt("carol@example.net")) == r.S250_RECIPIENT_OK
            return reply(*client.data(raw))

    queue_id = _queue_id(await asyncio.to_thread(submit))
    [row] = _rows(runtime)
    assert row.id == queue_id
    assert row.state == "incoming"
    assert row.mail_from == "alice@hospital.example"
    assert row.rcpt_to == ["bob@example.org", "carol@example.net"]
    assert row.authenticated_as == sender.username
    assert row.client_address == "127.0.0.1"
    # How it arrived, kept as evidence (sealgate.evidence "accepted").
    assert row.tls_version in ("TLSv1.2", "TLSv1.3") and row.tls_cipher
    assert row.size == len(raw)
    assert runtime.vault.get_bytes(row.blob_id) == raw

    # The same through AUTH LOGIN and smtplib's sendmail (which declares SIZE=).
    def submit_with_login() -> tuple[dict[str, tuple[int, bytes]], str]:
        with connect_tls(runtime.settings) as client:
            client.user, client.password = sender.username, sender.password
            assert reply(*client.auth("LOGIN", client.auth_login)) == r.S235_AUTH_OK
            again = reply(*client.docmd("AUTH", "PLAIN " + plain_auth("x", "y")))
            return client.sendmail(sender.address, ["bob@example.org"], message()), again

    assert await asyncio.to_thread(submit_with_login) == ({}, r.S503_ALREADY_AUTHENTICATED)
    assert len(_rows(runtime)) == 2


async def test_ehlo_advertises_extensions(server: SubmissionServer, runtime: Runtime) -> None:
    def ehlo() -> tuple[dict[str, str], dict[str, str]]:
        with connect(runtime.settings) as client:
            before = dict(client.esmtp_features)
            client.starttls(context=client_context(runtime.settings))
            client.ehlo()
            return before, dict(client.esmtp_features)

    before, after = await asyncio.to_thread(ehlo)
    assert "starttls" in before and "auth" not in before
    assert "starttls" not in after
    assert after["auth"].split() == ["LOGIN", "PLAIN"]
    assert after["size"] == str(50 * 1024 * 1024)
    for extension in ("8bitmime", "smtputf8", "enhancedstatuscodes"):
        assert extension in after


# TLS.


async def test_mail_and_auth_before_starttls_are_refused(
    server: SubmissionServer, runtime: Runtime
) -> None:
    def plaintext() -> list[str]:
        with connect(runtime.settings) as client:
            return [
                reply(*client.docmd("MAIL", "FROM:<alice@hospital.example>")),
                reply(*client.docmd("AUTH", "PLAIN " + plain_auth("sg-user", "secret"))),
                reply(*client.docmd("RCPT", "TO:<bob@example.org>")),
            ]

    assert await asyncio.to_thread(plaintext) == [r.S530_STARTTLS_FIRST] * 3


async def test_tls_1_1_is_refused_and_1_2_accepted(
    server: SubmissionServer, runtime: Runtime
) -> None:
    def handshake(maximum: ssl.TLSVersion) -> str:
        context = client_context(runtime.settings)
        # Let this client really offer the old version, so it is the server that refuses.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = maximum
        client = connect(runtime.settings)
        try:
            client.starttls(context=context)
        except (ssl.SSLError, ConnectionError):
            return "refused"
        else:
            return str(client.sock.version())
        finally:
            client.close()

    assert await asyncio.to_thread(handshake, ssl.TLSVersion.TLSv1_1) == "refused"
    assert await asyncio.to_thread(handshake, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"


# AUTH.


async def test_mail_without_auth_is_refused(server: SubmissionServer, runtime: Runtime) -> None:
    def unauthenticated() -> str:
        with connect_tls(runtime.settings) as client:
            return reply(*client.mail("alice@hospital.example"))

    assert await asyncio.to_thread(unauthenticated) == r.S530_AUTH_REQUIRED


async def test_bad_credentials_and_mechanisms(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    def attempts() -> list[str]:
        with connect_tls(runtime.settings) as client:
            wrong = reply(*client.docmd("AUTH", "PLAIN " + plain_auth(sender.username, "no")))
            mechanism = reply(*client.docmd("AUTH", "CRAM-MD5"))
            client.user, client.password = "nobody", "wrong"
            try:
                client.auth("LOGIN", client.auth_login)
            except smtplib.SMTPAuthenticationError as error:
                login = reply(error.smtp_code, error.smtp_error)
            return [wrong, mechanism, login]

    assert await asyncio.to_thread(attempts) == [
        r.S535_AUTH_FAILED,
        r.S504_AUTH_MECHANISM,
        r.S535_AUTH_FAILED,
    ]


@pytest.mark.submission_env(
    SEALGATE_SUBMISSION__AUTH_MAX_FAILURES=2, SEALGATE_SUBMISSION__AUTH_LOCKOUT_SECONDS=60
)
async def test_failures_slow_down_then_lock_the_client_out(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    def attack() -> tuple[list[str], list[float], str]:
        answers, delays = [], []
        with connect_tls(runtime.settings) as client:
            for _ in range(3):
                started = time.monotonic()
                bad = plain_auth(sender.username, "guess")
                answers.append(reply(*client.docmd("AUTH", "PLAIN " + bad)))
                delays.append(time.monotonic() - started)
        # The right password does not help during the lockout, on a new connection either.
        with connect_tls(runtime.settings) as client:
            good = plain_auth(sender.username, sender.password)
            return answers, delays, reply(*client.docmd("AUTH", "PLAIN " + good))

    answers, delays, later = await asyncio.to_thread(attack)
    assert answers == [r.S535_AUTH_FAILED, r.S535_AUTH_FAILED, r.S454_AUTH_LOCKED_USER]
    assert 0.4 < delays[0] < delays[1]
    assert delays[2] < 0.4
    assert later == r.S454_AUTH_LOCKED_USER


# MAIL FROM and the From header.


async def test_mail_from_must_be_an_active_account_of_the_org(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    with runtime.db.begin() as session:
        add_account(session, "gone@hospital.example", "Hospital")
        disable_account(session, "gone@hospital.example")
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carl@clinic.example", "Clinic")

    def senders() -> list[str]:
        with connect_auth(runtime.settings, sender) as client:
            answers = []
            for address in (
                "nobody@hospital.example",
                "gone@hospital.example",
                "carl@clinic.example",
                "not-an-address",
            ):
                answers.append(reply(*client.mail(address)))
                client.rset()
            return answers

    assert await asyncio.to_thread(senders) == [
        r.S550_MAIL_FROM_NOT_ACCOUNT,
        r.S550_MAIL_FROM_NOT_ACCOUNT,
        r.S550_MAIL_FROM_NOT_ACCOUNT,
        r.S501_BAD_SENDER_SYNTAX,
    ]


async def test_from_header_must_be_an_active_account_of_the_org(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carl@clinic.example", "Clinic")
    cases = {
        "missing": (message(sender=""), r.S550_FROM_HEADER_MISSING),
        "unknown": (message(sender="mallory@hospital.example"), r.S550_FROM_HEADER_NOT_ACCOUNT),
        "other-org": (message(sender="carl@clinic.example"), r.S550_FROM_HEADER_NOT_ACCOUNT),
        "two-headers": (
            message(extra="From: alice@hospital.example\r\n"),
            r.S550_FROM_HEADER_NOT_SINGLE,
        ),
        "two-addresses": (
            message(sender="alice@hospital.example, bob@hospital.example"),
            r.S550_FROM_HEADER_NOT_SINGLE,
        ),
        "in-body-only": (
            b"Subject: no From here\r\n\r\nFrom: alice@hospital.example\r\n",
            r.S550_FROM_HEADER_MISSING,
        ),
    }

    def submit() -> dict[str, str]:
        answers = {}
        with connect_auth(runtime.settings, sender) as client:
            for name, (raw, _) in cases.items():
                client.mail(sender.address)
                client.rcpt("bob@example.org")
                answers[name] = reply(*client.data(raw))
        return answers

    assert await asyncio.to_thread(submit) == {name: case[1] for name, case in cases.items()}
    assert _rows(runtime) == []


async def test_invalid_access_right_header_fails_the_submission_with_550_5_6_0(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """zivver-access-right that cannot be applied is refused at end of DATA, never downgraded."""
    cases = {
        "not-a-recipient": "zivver-access-right: eve@example.org sms +31612345678\r\n",
        "bad-phone": "zivver-access-right: bob@example.org sms 12\r\n",
        "empty-code": "zivver-access-right: bob@example.org access-code\r\n",
        "conflict": (
            "zivver-access-right: bob@example.org access-code 1234\r\n"
            "zivver-access-right: bob@example.org sms +31612345678\r\n"
        ),
    }

    def submit() -> dict[str, str]:
        answers = {}
        with connect_auth(runtime.settings, sender) as client:
            for name, extra in cases.items():
                client.mail(sender.address)
                client.rcpt("bob@example.org")
                answers[name] = reply(*client.data(message(extra=extra)))
        return answers

    answers = await asyncio.to_thread(submit)
    for name, answer in answers.items():
        assert answer.startswith("550 5.6.0 ") and "zivver-access-right" in answer, name
    assert _rows(runtime) == []


async def test_valid_access_right_header_is_accepted(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    extra = "zivver-access-right: bob@example.org sms +31 6 12345678\r\n"

    def submit() -> str:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return reply(*client.data(message(extra=extra)))

    assert (await asyncio.to_thread(submit)).startswith("250 2.0.0")


# Limits.


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_MESSAGE_SIZE=2000)
async def test_size_is_advertised_and_enforced(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    big = message(body=("y" * 70 + "\r\n") * 40)

    def submit() -> tuple[str, str, str]:
        with connect_auth(runtime.settings, sender) as client:
            advertised = client.esmtp_features["size"]
            declared = reply(*client.mail(sender.address, ["SIZE=5000"]))
            client.rset()
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            return advertised, declared, reply(*client.data(big))

    assert await asyncio.to_thread(submit) == ("2000", r.S552_TOO_BIG, r.S552_TOO_BIG)
    assert _rows(runtime) == []


@pytest.mark.submission_env(SEALGATE_SUBMISSION__MAX_RECIPIENTS=3)
async def test_recipient_count_and_syntax(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    def recipients() -> list[str]:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            answers = [reply(*client.rcpt(f"r{n}@example.org")) for n in range(4)]
            client.rset()
            client.mail(sender.address)
            for address in ("no-domain", "a@@example.org", "a@localhost", "a@[192.0.2.1]"):
                answers.append(reply(*client.docmd("RCPT", f"TO:<{address}>")))
            client.command_encoding = "utf-8"  # smtplib would refuse to send it otherwise
            answers.append(reply(*client.docmd("RCPT", "TO:<jos\xe9@example.org>")))
            return answers

    assert await asyncio.to_thread(recipients) == [
        r.S250_RECIPIENT_OK,
        r.S250_RECIPIENT_OK,
        r.S250_RECIPIENT_OK,
        r.S452_TOO_MANY_RECIPIENTS,
        *[r.S501_BAD_RECIPIENT_SYNTAX] * 4,
        r.S553_UTF8_NOT_DECLARED,
    ]


async def test_smtputf8_addresses(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    raw = message(to="jos\xe9@b\xfccher.example", body="Gr\xfc\xdfe\r\n")

    def submit() -> str:
        with connect_auth(runtime.settings, sender) as client:
            assert reply(*client.mail(sender.address, ["SMTPUTF8", "BODY=8BITMIME"])) == (
                r.S250_SENDER_OK
            )
            assert reply(*client.rcpt("jos\xe9@b\xfccher.example")) == r.S250_RECIPIENT_OK
            return reply(*client.data(raw))

    _queue_id(await asyncio.to_thread(submit))
    [row] = _rows(runtime)
    assert row.rcpt_to == ["jos\xe9@b\xfccher.example"]
    assert runtime.vault.get_bytes(row.blob_id) == raw


# Bare CR / LF (SMTP smuggling).


async def test_bare_newlines_in_data_are_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    bodies = {
        "bare-lf": b"a\nb\r\n",
        "bare-cr": b"a\rb\r\n",
        "lf-before-crlf": b"ends with bare LF\n\r\n",
        "cr-before-crlf": b"ends with bare CR\r\r\n",
    }
    # <LF>.<CR><LF> (a smuggled end of data) is refused at once and closes the session:
    # test_data_server.py.

    def submit() -> dict[str, tuple[str, str]]:
        answers = {}
        with connect_auth(runtime.settings, sender) as client:
            for name, body in bodies.items():
                client.mail(sender.address)
                client.rcpt("bob@example.org")
                refused = send_data(client, message().replace(b"Hello Bob.\r\n", body))
                # The session is still in step: nothing smuggled became a command.
                answers[name] = (refused, reply(*client.noop()))
        return answers

    answers = await asyncio.to_thread(submit)
    assert answers == {name: (r.S550_BARE_NEWLINE, r.S250_OK) for name in bodies}
    assert _rows(runtime) == []

    # Once more over a socket driven by hand: no client library between the test and the wire.
    def submit_raw() -> tuple[str, str]:
        session = RawSession(runtime.settings)
        try:
            session.starttls()
            session.login(sender)
            assert session.command(f"MAIL FROM:<{sender.address}>") == r.S250_SENDER_OK
            assert session.command("RCPT TO:<bob@example.org>") == r.S250_RECIPIENT_OK
            assert session.command("DATA") == r.S354_START_DATA
            session.send_bytes(message().replace(b"Hello Bob.\r\n", b"a\nb\r\n") + b".\r\n")
            refused = session.read_reply()
            # A clean message in the same session is accepted.
            session.command(f"MAIL FROM:<{sender.address}>")
            session.command("RCPT TO:<bob@example.org>")
            session.command("DATA")
            session.send_bytes(message() + b".\r\n")
            return refused, session.read_reply()
        finally:
            session.close()

    refused, accepted = await asyncio.to_thread(submit_raw)
    assert refused == r.S550_BARE_NEWLINE
    assert [row.id for row in _rows(runtime)] == [_queue_id(accepted)]


# Timeouts and stopping.


@pytest.mark.submission_env(SEALGATE_SUBMISSION__IDLE_TIMEOUT=0.5)
async def test_idle_timeout(server: SubmissionServer, runtime: Runtime) -> None:
    def idle() -> tuple[str, bool]:
        session = RawSession(runtime.settings)
        try:
            session.starttls()
            return session.read_reply(), session.at_eof()
        finally:
            session.close()

    assert await asyncio.to_thread(idle) == (r.S421_IDLE_TIMEOUT, True)


@pytest.mark.submission_env(
    SEALGATE_SUBMISSION__IDLE_TIMEOUT=5, SEALGATE_SUBMISSION__SESSION_TIMEOUT=1
)
async def test_session_timeout_despite_activity(server: SubmissionServer, runtime: Runtime) -> None:
    def busy() -> tuple[list[str], bool]:
        session = RawSession(runtime.settings)
        answers = []
        try:
            for _ in range(20):
                answers.append(session.command("NOOP"))
                # Read the server's 421 as soon as it comes, before sending into a closed socket.
                if answers[-1] != r.S250_OK or session.readable_within(0.2):
                    break
            if answers[-1] == r.S250_OK:
                answers.append(session.read_reply())
            return answers, session.at_eof()
        finally:
            session.close()

    answers, closed = await asyncio.to_thread(busy)
    assert answers[:-1] == [r.S250_OK] * (len(answers) - 1) and 3 <= len(answers) <= 8
    assert answers[-1] == r.S421_SESSION_TIMEOUT and closed


async def test_stop_says_goodbye_to_open_sessions(runtime: Runtime) -> None:
    submission = SubmissionServer(runtime)
    await submission.start()
    session = await asyncio.to_thread(RawSession, runtime.settings)
    await submission.stop()
    assert await asyncio.to_thread(session.read_reply) == r.S421_SHUTTING_DOWN
    assert await asyncio.to_thread(session.at_eof)
    session.close()


# Other commands and replies.


async def test_other_commands_answer_with_enhanced_codes(
    server: SubmissionServer, runtime: Runtime
) -> None:
    def transcript() -> list[str]:
        with connect_tls(runtime.settings) as client:
            return [
                reply(*client.noop()),
                reply(*client.rset()),
                reply(*client.docmd("HELP")),
                reply(*client.docmd("VRFY", "alice@hospital.example")),
                reply(*client.docmd("EXPN", "staff")),
                reply(*client.docmd("RCPT", "TO:<bob@example.org>")),
                reply(*client.docmd("DATA")),
                reply(*client.docmd("BOGUS")),
                reply(*client.quit()),
            ]

    assert await asyncio.to_thread(transcript) == [
        r.S250_OK,
        r.S250_OK,
        r.S214_HELP,
        r.S502_VRFY_DISABLED,
        r.S502_EXPN_DISABLED,
        r.S503_NEED_MAIL,
        r.S503_NEED_RCPT,
        r.S500_UNRECOGNISED,
        r.S221_BYE,
    ]


# The commit.


async def test_database_failure_answers_451_and_leaves_nothing(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    blobs = runtime.settings.data_dir / "blobs"

    def submit_while_the_table_is_gone() -> str:
        with connect_auth(runtime.settings, sender) as client:
            client.mail(sender.address)
            client.rcpt("bob@example.org")
            with runtime.db.engine.begin() as connection:
                connection.execute(text("ALTER TABLE submissions RENAME TO submissions_away"))
            try:
                return reply(*client.data(message()))
            finally:
                with runtime.db.engine.begin() as connection:
                    connection.execute(text("ALTER TABLE submissions_away RENAME TO submissions"))

    assert await asyncio.to_thread(submit_while_the_table_is_gone) == r.S451_LOCAL_ERROR
    assert _rows(runtime) == []
    assert [path for path in blobs.rglob("*") if path.is_file()] == []

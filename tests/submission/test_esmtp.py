"""MAIL and RCPT parameters as real clients send them (esmtp_params.py), over real sockets:
AUTH=<> (issue 8 item 10), the null sender (item 11), DSN parameters (item 12), PIPELINING
(item 13)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from sealgate.submission.esmtp_params import (
    MailParameters,
    ParameterError,
    RcptParameters,
    dsn_request,
    parse_mail_parameters,
    parse_rcpt_parameters,
)
from tests.conftest import Sender, make_settings
from tests.delivery.dns_zone import DnsZone
from tests.submission.smtp_client import (
    RawSession,
    connect_auth,
    connect_tls,
    message,
    reply,
)


@pytest.fixture
def zone(zone: DnsZone) -> DnsZone:
    zone.add("mta.hospital.example.", "TXT", '"v=spf1 ip4:127.0.0.1 -all"')
    zone.add("mta.clinic.example.", "TXT", '"v=spf1 ip4:192.0.2.1 -all"')
    return zone


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], zone: DnsZone
) -> Settings:
    return make_settings(
        tmp_path, database_url, tls_files, SEALGATE_TRANSPORT__RESOLVER=f"127.0.0.1:{zone.port}"
    )


def _rows(rt: Runtime) -> list[Submission]:
    with rt.db.begin() as session:
        return list(session.scalars(select(Submission)))


# The grammar, without a socket.


def test_mail_parameters_typed_and_case_exact() -> None:
    """Issue 8 item 12: keywords and RET are case-insensitive, ENVID keeps its case (xtext)."""
    parsed = parse_mail_parameters("size=123 body=8bitmime SMTPUTF8 ret=hdrs ENVID=Ab+2Bc AUTH=<>")
    assert parsed == MailParameters(
        size=123, body="8BITMIME", smtputf8=True, auth="", ret="HDRS", envid="Ab+c"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FOO=1", r.S555_MAIL_PARAMETERS),
        ("RET=ALL", r.S501_RET_VALUE),
        ("BODY=BINARYMIME", r.S501_BODY_VALUE),
        ("SMTPUTF8=yes", r.S501_SMTPUTF8_ARGUMENT),
        ("SIZE=12k", r.S501_SIZE_VALUE),
        ("ENVID=" + "x" * 101, r.S501_ENVID_VALUE),
        ("ENVID=a+zz", r.S501_ENVID_VALUE),
        ("RET=FULL RET=HDRS", r.S501_PARAMETER_REPEATED),
        ("=x", r.S501_SYNTAX_MAIL),
    ],
)
def test_mail_parameters_refused_with_their_reply(text: str, expected: str) -> None:
    with pytest.raises(ParameterError) as refused:
        parse_mail_parameters(text)
    assert refused.value.reply == expected


def test_rcpt_parameters_notify_and_orcpt() -> None:
    """Issue 8 item 12: NOTIFY is a list or NEVER; ORCPT's xtext is decoded, case kept."""
    parsed = parse_rcpt_parameters("notify=success,Delay ORCPT=rfc822;Bob+2BX@Example.org")
    assert parsed == RcptParameters(
        notify=("SUCCESS", "DELAY"), orcpt=("rfc822", "Bob+X@Example.org")
    )
    assert parse_rcpt_parameters("NOTIFY=NEVER").notify == ("NEVER",)
    assert parse_rcpt_parameters("ORCPT=utf-8;zo\\x{EB}@example.org").orcpt == (
        "utf-8",
        "zoë@example.org",
    )
    for bad in ("NOTIFY=NEVER,SUCCESS", "NOTIFY=SOMETIMES", "ORCPT=rfc822", "ORCPT=;a@b"):
        with pytest.raises(ParameterError):
            parse_rcpt_parameters(bad)


def test_dsn_request_only_when_asked() -> None:
    assert dsn_request(MailParameters(size=1), {"bob@x.org": RcptParameters()}) is None
    request = dsn_request(
        MailParameters(envid="E1"), {"Bob@X.org": RcptParameters(notify=("NEVER",))}
    )
    assert request == {
        "ret": None,
        "envid": "E1",
        "recipients": {"bob@x.org": {"notify": ["NEVER"], "orcpt": None}},
    }


# Over the socket.


async def test_auth_empty_parameter_after_authenticating_is_accepted(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 10: Sendmail and Exim send `MAIL FROM:<a@b> AUTH=<>` (RFC 4954 section 5)
    after AUTH; aiosmtpd answered 555."""

    def submit() -> list[str]:
        with connect_auth(runtime.settings, sender) as client:
            answers = [reply(*client.docmd("MAIL", f"FROM:<{sender.address}> AUTH=<>"))]
            client.rset()
            xtext = sender.address.replace("@", "+40")
            answers.append(reply(*client.docmd("MAIL", f"FROM:<{sender.address}> AUTH={xtext}")))
            answers.append(reply(*client.rcpt("bob@example.org")))
            answers.append(reply(*client.data(message())))
            return answers

    answers = await asyncio.to_thread(submit)
    assert answers[:3] == [r.S250_SENDER_OK, r.S250_SENDER_OK, r.S250_RECIPIENT_OK]
    assert answers[3].startswith("250 2.0.0 Ok: queued as ")


async def test_dsn_parameters_are_stored_with_the_submission(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 12: RET, ENVID (case-exact), NOTIFY and ORCPT are accepted and stored."""

    def submit() -> list[str]:
        with connect_auth(runtime.settings, sender) as client:
            return [
                reply(*client.docmd("MAIL", f"FROM:<{sender.address}> RET=HDRS ENVID=Qx+2B7")),
                reply(
                    *client.docmd(
                        "RCPT", "TO:<Bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob@x.org"
                    )
                ),
                reply(*client.docmd("RCPT", "TO:<carol@example.net> NOTIFY=never")),
                reply(*client.docmd("RCPT", "TO:<dave@example.com> NOTIFY=maybe")),
                reply(*client.data(message())),
            ]

    answers = await asyncio.to_thread(submit)
    assert answers[:4] == [
        r.S250_SENDER_OK,
        r.S250_RECIPIENT_OK,
        r.S250_RECIPIENT_OK,
        r.S501_NOTIFY_VALUE,
    ]
    [row] = _rows(runtime)
    assert row.dsn == {
        "ret": "HDRS",
        "envid": "Qx+7",
        "recipients": {
            "bob@example.org": {"notify": ["SUCCESS", "FAILURE"], "orcpt": ["rfc822", "Bob@x.org"]},
            "carol@example.net": {"notify": ["NEVER"], "orcpt": None},
        },
    }


async def test_ehlo_advertises_dsn_and_pipelining_and_a_pipelined_batch_works(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 13: PIPELINING (RFC 2920) is advertised, and MAIL, RCPT, RCPT, DATA sent
    in one write get their four replies in order."""

    def session() -> tuple[list[str], list[str], str]:
        raw = RawSession(runtime.settings)
        try:
            raw.starttls()
            raw.login(sender)
            raw.send_bytes(b"EHLO client.example\r\n")
            lines = []
            while not (line := raw.read_line().decode()).startswith("250 "):
                lines.append(line)
            raw.send_bytes(
                f"MAIL FROM:<{sender.address}>\r\n"
                "RCPT TO:<bob@example.org> NOTIFY=FAILURE\r\n"
                "RCPT TO:<carol@example.net>\r\n"
                "DATA\r\n".encode()
            )
            batch = [raw.read_reply() for _ in range(4)]
            raw.send_bytes(message() + b".\r\n")
            return lines, batch, raw.read_reply()
        finally:
            raw.close()

    ehlo, batch, queued = await asyncio.to_thread(session)
    assert "250-PIPELINING" in ehlo and "250-DSN" in ehlo
    assert batch == [r.S250_SENDER_OK, r.S250_RECIPIENT_OK, r.S250_RECIPIENT_OK, r.S354_START_DATA]
    assert queued.startswith("250 2.0.0 Ok: queued as ")


def _null_sender_session(settings: Settings, sender: Sender | None, helo: str, raw: bytes):
    with connect_tls(settings) as client:
        client.ehlo(helo)
        if sender is not None:
            client.login(sender.username, sender.password)
        answers = [reply(*client.docmd("MAIL", "FROM:<>"))]
        if answers[0].startswith("250"):
            answers.append(reply(*client.rcpt("bob@example.org")))
            answers.append(reply(*client.data(raw)))
        return answers


BOUNCE = message(sender="MAILER-DAEMON@hospital.example", body="Your mail bounced.\r\n")


async def test_null_sender_from_an_authenticated_client_is_accepted(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 11: `MAIL FROM:<>` (the organisation's own bounces) got 501; now an
    authenticated client may send it, under the organisation's identity (no account)."""
    answers = await asyncio.to_thread(
        _null_sender_session, runtime.settings, sender, "client.example", BOUNCE
    )
    assert answers[:2] == [r.S250_SENDER_OK, r.S250_RECIPIENT_OK]
    assert answers[2].startswith("250 2.0.0 Ok: queued as ")
    [row] = _rows(runtime)
    assert row.mail_from == "" and row.account_id is None


async def test_null_sender_from_must_be_in_a_domain_of_the_organisation(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 11: the null sender cannot be used to send as someone else's domain."""
    foreign = message(sender="MAILER-DAEMON@other.example")
    answers = await asyncio.to_thread(
        _null_sender_session, runtime.settings, sender, "client.example", foreign
    )
    assert answers[2] == r.S550_NULL_SENDER_FROM_DOMAIN
    assert _rows(runtime) == []


async def test_null_sender_authorised_by_spf_of_the_helo_name(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 11: without AUTH, SPF checks the HELO identity for the null sender
    (RFC 7208 section 2.4); a HELO host in a claimed domain that passes may send."""
    answers = await asyncio.to_thread(
        _null_sender_session, runtime.settings, None, "mta.hospital.example", BOUNCE
    )
    assert answers[2].startswith("250 2.0.0 Ok: queued as ")
    [row] = _rows(runtime)
    assert row.authenticated_as == "spf:mta.hospital.example" and row.account_id is None


async def test_null_sender_without_auth_or_spf_pass_is_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 11: a HELO name whose SPF does not pass, or that no organisation claims,
    gets 530 for MAIL FROM:<>."""
    for helo in ("mta.clinic.example", "client.example"):
        answers = await asyncio.to_thread(
            _null_sender_session, runtime.settings, None, helo, BOUNCE
        )
        assert answers == [r.S530_AUTH_REQUIRED]


async def test_mail_and_rcpt_lines_may_grow_by_what_dsn_and_auth_add(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 12: RFC 3461 section 5 lets MAIL grow by ENVID/RET and RCPT by
    NOTIFY/ORCPT beyond 512 octets; a second session opening meanwhile changes nothing."""
    envid = "E" * 100
    auth = "a" * 400 + "+40hospital.example"
    orcpt = "rfc822;" + "b" * 60 + "@" + "c" * 400 + ".example"

    def submit() -> list[str]:
        with connect_auth(runtime.settings, sender) as client:
            other = connect_tls(runtime.settings)  # a new session between EHLO and MAIL
            other.quit()
            mail = f"FROM:<{sender.address}> SIZE=100 RET=FULL ENVID={envid} AUTH={auth}"
            rcpt = f"TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT={orcpt}"
            assert len(mail) > 512 and len(rcpt) > 512
            return [reply(*client.docmd("MAIL", mail)), reply(*client.docmd("RCPT", rcpt))]

    assert await asyncio.to_thread(submit) == [r.S250_SENDER_OK, r.S250_RECIPIENT_OK]

"""Header checks over real SMTP sessions: one header parser decides From, Sender and the rest."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import add_account, create_org, disable_account
from sealgate.store import Submission
from sealgate.submission import SubmissionServer
from sealgate.submission import replies as r
from tests.conftest import Sender
from tests.submission.smtp_client import connect_auth, reply

BOB = "bob@example.org"


def _head(*lines: str) -> bytes:
    return ("".join(line + "\r\n" for line in lines) + "\r\nHello.\r\n").encode()


def _submit_all(rt: Runtime, sender: Sender, cases: dict[str, bytes]) -> dict[str, str]:
    """Each message in its own transaction of one authenticated session; name -> reply."""
    answers = {}
    with connect_auth(rt.settings, sender) as client:
        for name, raw in cases.items():
            client.mail(sender.address)
            client.rcpt(BOB)
            answers[name] = reply(*client.data(raw))
    return answers


def _submitted(rt: Runtime) -> int:
    with rt.db.begin() as session:
        return len(list(session.scalars(select(Submission))))


async def test_obsolete_from_field_cannot_smuggle_a_second_sender(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 3: `From : bob@other-org` next to `From: alice@own-org` is refused.

    Python's parser ended the header section at the obsolete field, so only alice's From was
    checked; a lenient reader downstream shows bob as the sender.
    """
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carl@clinic.example", "Clinic")
    cases = {
        "after": _head(f"From: {sender.address}", "From : carl@clinic.example", f"To: {BOB}"),
        "before": _head("From : carl@clinic.example", f"From: {sender.address}", f"To: {BOB}"),
        "tab": _head(f"From: {sender.address}", "From\t: carl@clinic.example", f"To: {BOB}"),
        "alone-other-org": _head("From  : carl@clinic.example", f"To: {BOB}"),
    }
    answers = await asyncio.to_thread(_submit_all, runtime, sender, cases)
    assert answers == {
        "after": r.S550_FROM_HEADER_NOT_SINGLE,
        "before": r.S550_FROM_HEADER_NOT_SINGLE,
        "tab": r.S550_FROM_HEADER_NOT_SINGLE,
        "alone-other-org": r.S550_FROM_HEADER_NOT_ACCOUNT,
    }
    assert _submitted(runtime) == 0


async def test_obsolete_syntax_alone_is_accepted(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 3: `From : alice@own-org` is one valid From field (RFC 5322 4.5)."""
    cases = {"obsolete": _head(f"From : {sender.address}", f"To : {BOB}", "Subject : x")}
    [answer] = (await asyncio.to_thread(_submit_all, runtime, sender, cases)).values()
    assert answer.startswith("250 2.0.0"), answer


async def test_two_from_fields_in_any_spelling_are_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 3: one From field, whatever the case of its name; the same address twice
    is still two fields."""
    cases = {
        "case": _head(f"FROM: {sender.address}", f"from: {sender.address}", f"To: {BOB}"),
        "folded": _head(f"From:\r\n {sender.address}", f"fRoM : {sender.address}"),
    }
    answers = await asyncio.to_thread(_submit_all, runtime, sender, cases)
    assert answers == {name: r.S550_FROM_HEADER_NOT_SINGLE for name in cases}
    assert _submitted(runtime) == 0


async def test_sender_field_must_be_an_active_account_of_the_org(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 3: a Sender field names an active account of the same organisation."""
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        add_account(session, "carl@clinic.example", "Clinic")
        add_account(session, "dora@hospital.example", "Hospital")
        add_account(session, "gone@hospital.example", "Hospital")
        disable_account(session, "gone@hospital.example")
    frm = f"From: {sender.address}"
    cases = {
        "other-org": _head(frm, "Sender: carl@clinic.example"),
        "other-org-obsolete": _head(frm, "SENDER : carl@clinic.example"),
        "inactive": _head(frm, "Sender: gone@hospital.example"),
        "unknown": _head(frm, "Sender: nobody@hospital.example"),
        "two-fields": _head(frm, "Sender: dora@hospital.example", "sender: dora@hospital.example"),
        "two-addresses": _head(frm, "Sender: dora@hospital.example, alice@hospital.example"),
        "garbage": _head(frm, "Sender: not an address"),
        "colleague": _head(frm, "Sender: Dora <DORA@hospital.example>"),
    }
    answers = await asyncio.to_thread(_submit_all, runtime, sender, cases)
    colleague = answers.pop("colleague")
    assert colleague.startswith("250 2.0.0"), colleague
    assert answers == {name: r.S550_SENDER_HEADER_NOT_ACCOUNT for name in answers}
    assert _submitted(runtime) == 1


async def test_a_line_that_is_no_field_is_refused(
    server: SubmissionServer, runtime: Runtime, sender: Sender
) -> None:
    """Issue 8 item 3: a header line that is neither field nor continuation would end the
    section for one reader and not for another, so the message is refused (550 5.6.0)."""
    frm = f"From: {sender.address}"
    cases = {
        "no-colon": _head(frm, "this is no header", "From: carl@clinic.example"),
        "empty-name": _head(frm, ": value"),
        "mbox-line": _head("From alice Mon Jan  1 00:00:00 2024", frm),
        "leading-fold": _head(" folded", frm),
    }
    answers = await asyncio.to_thread(_submit_all, runtime, sender, cases)
    assert answers == {name: r.S550_HEADER_SECTION_MALFORMED for name in cases}
    assert r.S550_HEADER_SECTION_MALFORMED.startswith("550 5.6.0 ")
    assert _submitted(runtime) == 0

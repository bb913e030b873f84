"""Replies and errors are classified fail-closed: only 5xx is permanent, 2xx delivered."""

from __future__ import annotations

import smtplib
import ssl

import aiosmtplib
import pytest

from sealgate.delivery.outcome import (
    Delivered,
    PermanentFailure,
    TemporaryFailure,
    diagnostic,
    enhanced_status,
    from_exception,
    from_reply,
)


@pytest.mark.parametrize(
    ("code", "text", "expected"),
    [
        (250, "2.0.0 Ok: queued", Delivered(250, "2.0.0 Ok: queued")),
        (550, "5.1.1 no such user", PermanentFailure(550, "5.1.1 no such user", "5.1.1")),
        (554, "rejected", PermanentFailure(554, "rejected", "5.0.0")),
        (451, "4.3.0 try later", TemporaryFailure(451, "4.3.0 try later", "4.3.0")),
        (421, "closing", TemporaryFailure(421, "closing", "4.0.0")),
        (354, "go ahead", TemporaryFailure(354, "go ahead", "4.0.0")),
    ],
)
def test_from_reply(code: int, text: str, expected: object) -> None:
    assert from_reply(code, text) == expected


def test_enhanced_status_must_match_the_reply_class() -> None:
    assert enhanced_status(550, "5.7.1 denied") == "5.7.1"
    assert enhanced_status(550, "4.7.1 odd server") is None
    assert enhanced_status(550, "no status here") is None
    assert enhanced_status(452, "4.5.3 too many") == "4.5.3"
    assert from_reply(550, "4.7.1 odd server").status == "5.0.0"


def test_smtp_reply_exceptions_are_classified_by_their_code() -> None:
    assert isinstance(
        from_exception(aiosmtplib.SMTPRecipientRefused(550, "5.1.1 unknown", "x@y")),
        PermanentFailure,
    )
    refused = from_exception(aiosmtplib.SMTPDataError(452, "4.3.1 full"))
    assert refused == TemporaryFailure(452, "4.3.1 full", "4.3.1")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (aiosmtplib.SMTPConnectError("refused"), "4.4.1"),
        (ConnectionRefusedError(111, "Connection refused"), "4.4.1"),
        (aiosmtplib.SMTPReadTimeoutError("timed out"), "4.4.2"),
        (TimeoutError(), "4.4.2"),
        (ssl.SSLError(1, "handshake failure"), "4.4.1"),
        (aiosmtplib.SMTPException("STARTTLS extension not supported"), "4.0.0"),
        (RuntimeError("surprise"), "4.0.0"),
    ],
)
def test_everything_else_is_temporary(error: Exception, status: str) -> None:
    outcome = from_exception(error)
    assert isinstance(outcome, TemporaryFailure)
    assert outcome.code is None and outcome.status == status


def test_a_2xx_inside_an_error_is_not_a_delivery() -> None:
    assert isinstance(
        from_exception(aiosmtplib.SMTPResponseException(250, "ok?")), TemporaryFailure
    )


def test_describe_and_diagnostic() -> None:
    assert (
        PermanentFailure(550, "5.1.1 no  such\nuser", "5.1.1").describe()
        == "550 5.1.1 no such user"
    )
    assert PermanentFailure(554, "go away").describe() == "554 5.0.0 go away"
    assert TemporaryFailure(None, "refused", "4.4.1").describe() == "4.4.1 refused"
    assert diagnostic(550, "5.1.1", "5.1.1 unknown") == "smtp; 550 5.1.1 unknown"
    assert diagnostic(None, "4.4.1", "refused") == "X-Sealgate; 4.4.1 refused"


def test_smtplib_reply_exceptions_are_classified_by_their_reply() -> None:
    refused = from_exception(smtplib.SMTPRecipientsRefused({}))
    assert isinstance(refused, TemporaryFailure)
    auth = from_exception(smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"))
    assert isinstance(auth, PermanentFailure) and auth.status == "5.7.8"
    busy = from_exception(smtplib.SMTPDataError(452, b"4.3.1 full"))
    assert busy == TemporaryFailure(452, "4.3.1 full", "4.3.1")

"""RFC 3464 reports beyond "failed": relayed and delayed, with ENVID and ORCPT (issue 8
item 12), and what NOTIFY asks for."""

from __future__ import annotations

from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from sealgate.delivery.dsn import (
    DeliveryFailure,
    compose_dsn,
    recipient_dsn,
    wants_delay_report,
    wants_failure_report,
    wants_success_report,
)

NOW = datetime(2026, 3, 1, 10, 0, 0)
HEADERS = b"From: Alice <alice@hospital.example>\nTo: bob@example.org\nSubject: Secret\n\nbody"


def _report(to: str = "alice@hospital.example", **facts) -> tuple[EmailMessage, str]:
    failure = DeliveryFailure(
        job_id="j1",
        kind="notification",
        recipient=facts.pop("recipient", "bob@example.org"),
        status=facts.pop("status", "2.0.0"),
        diagnostic="smtp; 250 2.0.0 OK",
        arrival=NOW,
        last_attempt=NOW,
        original_headers=HEADERS,
        **facts,
    )
    dsn = compose_dsn(
        failure,
        to=to,
        system_from="noreply@gw.example",
        reporting_mta="gw.example",
        now=NOW,
        message_id="<d@gw.example>",
    )
    raw = dsn.as_bytes()
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(parsed, EmailMessage)
    return parsed, raw.decode("utf-8")


def test_relayed_report_carries_envid_and_orcpt_as_xtext() -> None:
    """Issue 8 item 12: ENVID and ORCPT come back as the sender gave them (xtext)."""
    dsn, text = _report(action="relayed", envid="Case+Exact", orcpt=("rfc822", "Bob@Example.org"))
    assert "relayed" in str(dsn["Subject"])
    assert "Action: relayed" in text and "Status: 2.0.0" in text
    assert "Original-Envelope-Id: Case+2BExact" in text
    assert "Original-Recipient: rfc822; Bob@Example.org" in text
    assert "body" not in text.split("text/rfc822-headers", 1)[1]


def test_delayed_report_says_until_when() -> None:
    dsn, text = _report(action="delayed", status="4.3.0", will_retry_until=datetime(2026, 3, 6))
    assert "Delayed Mail" in str(dsn["Subject"])
    assert "Action: delayed" in text and "Will-Retry-Until: Fri, 06 Mar 2026" in text


def test_a_report_to_an_internationalised_sender_has_a_raw_utf8_address() -> None:
    """Issue 8 item 14: no encoded-words inside an address (RFC 2047 section 5)."""
    _, text = _report(action="failed", status="5.1.1", recipient="zoë@exämple.org")
    assert "Final-Recipient: utf-8; zo\\x{EB}@ex\\x{E4}mple.org" in text
    _, text = _report(action="failed", status="5.1.1", to="zoë@exämple.org")
    assert "To: zoë@exämple.org" in text
    assert "=?utf-8?" not in text.split("Subject:")[0]


@pytest.mark.parametrize(
    ("notify", "failure", "success", "delay"),
    [
        (None, True, False, False),
        (["NEVER"], False, False, False),
        (["SUCCESS"], False, True, False),
        (["FAILURE", "DELAY"], True, False, True),
    ],
)
def test_notify_decides_which_reports_go_out(notify, failure, success, delay) -> None:
    request = {"ret": None, "envid": None, "recipients": {"bob@x.org": {"notify": notify}}}
    dsn = recipient_dsn(request, "Bob@X.org")
    assert (wants_failure_report(dsn), wants_success_report(dsn), wants_delay_report(dsn)) == (
        failure,
        success,
        delay,
    )

"""Delivery status notifications: tell a sender that a mail could not be delivered (pure).

The DSN is an RFC 3464 `multipart/report; report-type=delivery-status` with three parts:
a short text for people, the machine-readable `message/delivery-status`, and the failed
mail's headers as `text/rfc822-headers`. Only headers: the failed mail is a notification or
a code mail, and even those bodies (which hold a portal link or a code) stay out of the report.
The sender learns which recipient was not reached and why; nothing of the secure message.

The DSN is sent with the null sender (`MAIL FROM:<>`, by the caller), so a DSN that bounces
itself produces no further DSN (RFC 5321 section 4.5.5).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime

# What kind of mail failed, in words a sender understands (OutboundJob.kind → phrase).
KIND_PHRASES = {
    "notification": "a notification of a secure message",
    "code": "a mail with a verification code",
    "policy": "your secure message",
}
DEFAULT_PHRASE = "a mail"


@dataclass(frozen=True)
class DeliveryFailure:
    """One recipient that could not be reached, with the facts a DSN reports."""

    job_id: str
    kind: str
    recipient: str
    status: str  # RFC 3463, e.g. "5.1.1"
    diagnostic: str  # RFC 3464 Diagnostic-Code value, e.g. "smtp; 550 5.1.1 no such user"
    arrival: datetime
    last_attempt: datetime
    original_headers: bytes  # the failed mail's header block; a whole mail is cut to it
    expired: bool = False


def _utc(moment: datetime) -> datetime:
    """The database keeps naive UTC; headers need an explicit zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def header_block(raw_mail: bytes) -> bytes:
    """The header section of a raw mail: everything before the first empty line."""
    normalised = raw_mail.replace(b"\r\n", b"\n")
    head, _, _ = normalised.partition(b"\n\n")
    return head.rstrip(b"\n") + b"\n"


def _system_address(system_from: str) -> Address:
    local, _, domain = system_from.rpartition("@")
    return Address(display_name="Mail Delivery System", username=local, domain=domain)


def _human_text(failure: DeliveryFailure, reporting_mta: str) -> str:
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    if failure.kind == "policy":
        why = "Your organisation's Email Security Policy left no safe way to deliver it:"
    elif failure.expired:
        why = "The receiving mail server could not be reached or kept deferring it, and the\n"
        why += "delivery time ran out. The last error was:"
    else:
        why = "The receiving mail server refused it permanently:"
    return (
        f"This is the mail system at {reporting_mta}.\n\n"
        f"Sorry: {what} to {failure.recipient} could not be delivered.\n\n"
        f"{why}\n\n    {failure.diagnostic}\n\n"
        f"The recipient has not been told about your message. Please check the address\n"
        f"and send your message again, or reach the recipient another way.\n"
    )


def _status_part(failure: DeliveryFailure, reporting_mta: str) -> EmailMessage:
    per_message = Message(policy=policy.default)
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_message["X-Sealgate-Job-ID"] = failure.job_id
    per_message["Arrival-Date"] = format_datetime(_utc(failure.arrival))
    per_recipient = Message(policy=policy.default)
    per_recipient["Final-Recipient"] = f"rfc822; {failure.recipient}"
    per_recipient["Action"] = "failed"
    per_recipient["Status"] = failure.status
    per_recipient["Diagnostic-Code"] = failure.diagnostic
    per_recipient["Last-Attempt-Date"] = format_datetime(_utc(failure.last_attempt))
    part = EmailMessage()
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def _headers_part(original_headers: bytes) -> EmailMessage:
    part = EmailMessage()
    text = header_block(original_headers).decode("utf-8", errors="replace")
    part.set_content(text, subtype="rfc822-headers")
    # set_content marks a top-level message; this is a body part.
    del part["MIME-Version"]
    return part


def compose_dsn(
    failure: DeliveryFailure,
    *,
    to: str,
    system_from: str,
    reporting_mta: str,
    now: datetime,
    message_id: str,
) -> EmailMessage:
    """The RFC 3464 report to `to` (the original sender) about one failed recipient."""
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    report = EmailMessage()
    report["From"] = _system_address(system_from)
    report["To"] = to
    report["Subject"] = f"Undelivered Mail: {what} to {failure.recipient}"
    report["Date"] = format_datetime(_utc(now))
    report["Message-ID"] = message_id
    original_id = BytesHeaderParser(policy=policy.default).parsebytes(
        header_block(failure.original_headers)
    )["Message-ID"]
    if original_id:
        report["In-Reply-To"] = str(original_id)
        report["References"] = str(original_id)
    report["Auto-Submitted"] = "auto-replied"
    report.set_content(_human_text(failure, reporting_mta))
    report.make_mixed()
    report.set_type("multipart/report")
    report.set_param("report-type", "delivery-status")
    report.attach(_status_part(failure, reporting_mta))
    report.attach(_headers_part(failure.original_headers))
    return report

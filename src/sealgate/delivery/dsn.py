"""Delivery status notifications: tell a sender what became of a mail (pure).

The DSN is an RFC 3464 `multipart/report; report-type=delivery-status` with three parts:
a short text for people, the machine-readable `message/delivery-status`, and the mail's
headers as `text/rfc822-headers`. Only headers, whatever RET asked for: the mail is a
notification, a code mail or a secure message, and no body (a portal link, a code, the
content) goes into a report. RET=FULL is accepted and treated as RET=HDRS (RFC 3461 4.3
lets an MTA return less). The sender learns which recipient was reached or not, and why.

What the sender asked for (RFC 3461 NOTIFY, per recipient) decides which reports go out:
no NOTIFY: "failed" only (as before DSN was offered); NEVER: none; SUCCESS: "relayed" when
the next hop took the notification or the direct delivery (we pass no DSN request on, so
the next hop will not report: RFC 3461 5.2.2.1); DELAY: one "delayed" after the first
deferral; FAILURE: "failed". ENVID and ORCPT come back in the report's fields.

The DSN is sent with the null sender (`MAIL FROM:<>`, by the caller), so a DSN that bounces
itself produces no further DSN (RFC 5321 section 4.5.5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address as HeaderAddress
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser
from email.utils import format_datetime
from typing import Any

from sealgate.mail import Address, encode_xtext

# What kind of mail failed, in words a sender understands (OutboundJob.kind → phrase).
KIND_PHRASES = {
    "notification": "a notification of a secure message",
    "code": "a mail with a verification code",
    "policy": "your secure message",
    "direct": "your secure message",
}
DEFAULT_PHRASE = "a mail"
# How much of a mail without an empty line is read for the header block a DSN returns.
HEADER_READ_LIMIT = 1024 * 1024


@dataclass(frozen=True)
class DeliveryFailure:
    """One recipient and what became of it (`action`), with the facts a DSN reports; the
    name is from when every report was a failure."""

    job_id: str
    kind: str
    recipient: str
    status: str  # RFC 3463, e.g. "5.1.1"
    diagnostic: str  # RFC 3464 Diagnostic-Code value, e.g. "smtp; 550 5.1.1 no such user"
    arrival: datetime
    last_attempt: datetime
    original_headers: bytes  # the failed mail's header block; a whole mail is cut to it
    expired: bool = False
    cancelled: bool = False  # an admin gave the job up (`queue cancel`)
    action: str = "failed"  # RFC 3464 2.3.3: failed, delayed or relayed
    envid: str = ""  # RFC 3461 ENVID, decoded
    orcpt: list[str] | tuple[str, ...] | None = None  # RFC 3461 ORCPT: (type, decoded address)
    will_retry_until: datetime | None = None  # for "delayed"
    remote_mta: str = ""  # the next hop that took a "relayed" mail


def recipient_dsn(request: dict[str, Any] | None, address: str) -> dict[str, Any] | None:
    """One recipient's share of a submission's RFC 3461 request (`submissions.dsn`)."""
    if not request:
        return None
    asked = (request.get("recipients") or {}).get(address.lower()) or {}
    found = {
        "notify": asked.get("notify"),
        "orcpt": asked.get("orcpt"),
        "envid": request.get("envid"),
        "ret": request.get("ret"),
    }
    return found if any(value is not None for value in found.values()) else None


def _notify(dsn: dict[str, Any] | None) -> list[str] | None:
    notify = (dsn or {}).get("notify")
    return list(notify) if notify else None


def wants_failure_report(dsn: dict[str, Any] | None) -> bool:
    """A "failed" report goes out unless NOTIFY left FAILURE out (NEVER included)."""
    notify = _notify(dsn)
    return notify is None or "FAILURE" in notify


def wants_success_report(dsn: dict[str, Any] | None) -> bool:
    notify = _notify(dsn)
    return notify is not None and "SUCCESS" in notify


def wants_delay_report(dsn: dict[str, Any] | None) -> bool:
    notify = _notify(dsn)
    return notify is not None and "DELAY" in notify


def _utc(moment: datetime) -> datetime:
    """The database keeps naive UTC; headers need an explicit zone."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def header_block(raw_mail: bytes) -> bytes:
    """The header section of a raw mail: everything before the first empty line."""
    normalised = raw_mail.replace(b"\r\n", b"\n")
    head, _, _ = normalised.partition(b"\n\n")
    return head.rstrip(b"\n") + b"\n"


def streamed_header_block(pieces: Iterable[bytes], limit: int = HEADER_READ_LIMIT) -> bytes:
    """`header_block` of a mail read piece by piece: reading stops at the first empty line,
    or after `limit` bytes of a mail that has none, so a large blob is never held whole."""
    start = bytearray()
    for piece in pieces:
        start += piece
        if b"\n\n" in start or b"\n\r\n" in start or len(start) >= limit:
            break
    return header_block(bytes(start[:limit]))


def _system_address(system_from: str) -> HeaderAddress:
    parsed = Address.parse(system_from)
    return HeaderAddress(
        display_name="Mail Delivery System", username=parsed.local, domain=parsed.written_domain
    )


def _relayed_text(failure: DeliveryFailure, reporting_mta: str) -> str:
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    where = f" ({failure.remote_mta})" if failure.remote_mta else ""
    after = ""
    if failure.kind == "notification":
        after = "\nThe recipient can now read your secure message in the portal.\n"
    return (
        f"This is the mail system at {reporting_mta}.\n\n"
        f"As you asked: {what} to {failure.recipient} was handed to the\n"
        f"recipient's mail server{where}.\n{after}\n"
        f"That server was not asked to report further.\n"
    )


def _delayed_text(failure: DeliveryFailure, reporting_mta: str) -> str:
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    until = ""
    if failure.will_retry_until is not None:
        until = f" until {format_datetime(_utc(failure.will_retry_until))}"
    return (
        f"This is the mail system at {reporting_mta}.\n\n"
        f"As you asked: {what} to {failure.recipient} could not be delivered yet.\n"
        f"The mail system keeps trying{until}; you need not do anything.\n\n"
        f"The last error was:\n\n    {failure.diagnostic}\n"
    )


def _human_text(failure: DeliveryFailure, reporting_mta: str) -> str:
    if failure.action == "relayed":
        return _relayed_text(failure, reporting_mta)
    if failure.action == "delayed":
        return _delayed_text(failure, reporting_mta)
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    if failure.kind == "policy":
        why = "Your organisation's Email Security Policy left no safe way to deliver it:"
    elif failure.cancelled:
        why = "An administrator of the mail system stopped the delivery attempts:"
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
    if failure.envid:
        per_message["Original-Envelope-Id"] = encode_xtext(failure.envid)
    per_message["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_message["X-Sealgate-Job-ID"] = failure.job_id
    per_message["Arrival-Date"] = format_datetime(_utc(failure.arrival))
    per_recipient = Message(policy=policy.default)
    if failure.orcpt:
        addr_type, address = failure.orcpt
        per_recipient["Original-Recipient"] = _orcpt_field(addr_type, address)
    per_recipient["Final-Recipient"] = _address_field(failure.recipient)
    per_recipient["Action"] = failure.action
    per_recipient["Status"] = failure.status
    if failure.remote_mta:
        per_recipient["Remote-MTA"] = f"dns; {failure.remote_mta}"
    per_recipient["Diagnostic-Code"] = failure.diagnostic
    per_recipient["Last-Attempt-Date"] = format_datetime(_utc(failure.last_attempt))
    if failure.action == "delayed" and failure.will_retry_until is not None:
        per_recipient["Will-Retry-Until"] = format_datetime(_utc(failure.will_retry_until))
    part = EmailMessage()
    part["Content-Type"] = "message/delivery-status"
    part.set_payload([per_message, per_recipient])
    return part


def _utf8_addr_xtext(address: str) -> str:
    """RFC 6533 utf-8-addr-xtext: the address in ASCII, other characters as \\x{HEX}."""
    return "".join(
        char if "!" <= char <= "~" and char not in "+=\\" else f"\\x{{{ord(char):X}}}"
        for char in address
    )


def _address_field(address: str) -> str:
    """An address for Final-Recipient: rfc822 when ASCII, else RFC 6533's utf-8 type."""
    return f"rfc822; {address}" if address.isascii() else f"utf-8; {_utf8_addr_xtext(address)}"


def _orcpt_field(addr_type: str, address: str) -> str:
    """ORCPT as the sender gave it: xtext for rfc822 and others, utf-8-addr-xtext for utf-8."""
    if addr_type == "utf-8":
        return f"utf-8; {_utf8_addr_xtext(address)}"
    return f"{addr_type}; {encode_xtext(address)}"


def _subject(failure: DeliveryFailure) -> str:
    what = KIND_PHRASES.get(failure.kind, DEFAULT_PHRASE)
    if failure.action == "relayed":
        return f"Delivery Status Notification (relayed): {what} to {failure.recipient}"
    if failure.action == "delayed":
        return f"Delayed Mail (still being retried): {what} to {failure.recipient}"
    return f"Undelivered Mail: {what} to {failure.recipient}"


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
    """The RFC 3464 report to `to` (the original sender) about one recipient."""
    report = EmailMessage()
    report["From"] = _system_address(system_from)
    report["To"] = to
    report["Subject"] = _subject(failure)
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
    if not to.isascii():
        # RFC 6532: a raw UTF-8 address, never encoded-words inside it (RFC 2047 section 5).
        report.policy = policy.default.clone(utf8=True)
    return report

"""What became of one delivery attempt to one recipient (pure).

    Outcome = Delivered | TemporaryFailure | PermanentFailure
    BelowRequirement: no host proved a direct delivery's level (policy chooses again)

A 2xx reply delivered the mail. A 5xx reply refused it for good: bounce. Everything else is
temporary and retried later: 4xx replies, lost or refused connections, timeouts, TLS errors,
DNS servers that did not answer, and anything we did not expect. Failing *temporary* on the
unknown is the fail-closed choice: the mail waits in the queue (and bounces at expiry) rather
than being lost or sent some weaker way.

Every failure carries an RFC 3463 enhanced status code (`status`), taken from the server's
reply when it gave a plausible one, else a default of the right class; the DSN reports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sealgate.transport import TransportLevel

# "5.1.1 " at the start of a reply text (RFC 2034): class.subject.detail.
_ENHANCED = re.compile(r"^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)")

# Statuses for failures that are not an SMTP reply (RFC 3463 section 3.5).
S_NO_ANSWER = "4.4.1"  # connection refused or unreachable
S_BAD_CONNECTION = "4.4.2"  # lost or timed out mid-session
S_DNS_FAILURE = "4.4.3"  # directory server failure: SERVFAIL, DNS timeout
S_NO_ROUTE = "4.4.4"  # no usable address for any mail host
S_EXPIRED = "4.4.7"  # delivery time expired
S_TLS_NOT_OFFERED = "4.7.4"  # TLS required but the server does not offer STARTTLS
S_NOT_AUTHENTICATED = "4.7.5"  # a secure TLSA RRset not matched (RFC 7672), a relay unverified
S_BAD_DESTINATION = "5.1.2"  # the recipient's domain does not exist or has no mail host
S_NULL_MX = "5.1.10"  # RFC 7505: the domain says it accepts no mail
S_NO_UTF8 = "5.6.7"  # RFC 6531: non-ASCII address, server lacks SMTPUTF8


@dataclass(frozen=True)
class Connection:
    """What the session that gave an outcome showed: the evidence of one delivery attempt.

    `level` is what this connection proved by the probe's rules (None: not graded, the
    relay); `dane_match` None when no usable secure TLSA record applied.
    """

    host: str
    address: str
    port: int
    tls_version: str | None = None
    cipher: str | None = None
    certificate_sha256: str | None = None  # of the leaf certificate as presented (DER)
    level: str | None = None
    dane_match: bool | None = None
    reasons: tuple[str, ...] = ()


def _connection() -> Any:
    """An outcome's connection is evidence about it, not part of what it is: equal
    outcomes compare equal whichever host gave them."""
    return field(default=None, compare=False)


@dataclass(frozen=True)
class Delivered:
    """The receiving server accepted the mail (a 2xx reply to the end of DATA)."""

    code: int = 250
    text: str = ""
    # What the connection that carried the mail proved (NONE: plaintext); None when it was
    # not graded (the relay path, whose TLS is verified against its own CA file instead).
    proven: TransportLevel | None = None
    connection: Connection | None = _connection()

    def describe(self) -> str:
        return f"{self.code} {self.text}".strip()


@dataclass(frozen=True)
class TemporaryFailure:
    """Not delivered this time; try again later. `code` is None when no SMTP reply caused it."""

    code: int | None
    text: str
    status: str = "4.0.0"
    connection: Connection | None = _connection()

    def describe(self) -> str:
        return describe(self.code, self.status, self.text)

    def diagnostic(self) -> str:
        return diagnostic(self.code, self.status, self.text)


@dataclass(frozen=True)
class PermanentFailure:
    """Refused for good: bounce with a DSN. `code` is None when no SMTP reply caused it."""

    code: int | None
    text: str
    status: str = "5.0.0"
    connection: Connection | None = _connection()

    def describe(self) -> str:
        return describe(self.code, self.status, self.text)

    def diagnostic(self) -> str:
        return diagnostic(self.code, self.status, self.text)


@dataclass(frozen=True)
class BelowRequirement:
    """Every mail host that answered proved less than a direct delivery's requirement: the
    message never left, and policy chooses the next method for the recipient."""

    observed: TransportLevel  # the best level a host proved
    text: str  # host by host: what it proved and why not more

    def describe(self) -> str:
        return self.text


Outcome = Delivered | TemporaryFailure | PermanentFailure
Failure = TemporaryFailure | PermanentFailure


def describe(code: int | None, status: str, text: str) -> str:
    """One line for logs and `last_error`: "550 5.1.1 no such user" or "4.4.1 refused"."""
    text = " ".join(text.split())
    if text.startswith(status):
        return f"{code} {text}" if code is not None else text
    prefix = f"{code} {status}" if code is not None else status
    return f"{prefix} {text}".strip()


def diagnostic(code: int | None, status: str, text: str) -> str:
    """The DSN Diagnostic-Code value (RFC 3464 2.3.6): "smtp; 550 …" for a server reply."""
    if code is not None:
        return f"smtp; {describe(code, status, text)}"
    return f"X-Sealgate; {describe(None, status, text)}"


def enhanced_status(code: int, text: str) -> str | None:
    """The RFC 2034 status at the start of `text`, if its class matches the reply `code`."""
    match = _ENHANCED.match(text)
    if match is None or match.group(1) != str(code)[0]:
        return None
    return ".".join(match.groups())


def from_reply(code: int, text: str) -> Outcome:
    """Classify an SMTP reply: 2xx delivered, 5xx permanent, anything else temporary."""
    status = enhanced_status(code, text)
    if 200 <= code < 300:
        return Delivered(code, text)
    if 500 <= code < 600:
        return PermanentFailure(code, text, status or "5.0.0")
    # 4xx, and any reply that makes no sense at this point of the dialogue (3xx, 1xx, 6xx).
    return TemporaryFailure(code, text, status or "4.0.0")


def from_exception(error: BaseException) -> Failure:
    """Classify what went wrong in an SMTP session; the unexpected is temporary.

    An SMTP client library's reply exceptions carry the reply: `smtp_code` and `smtp_error`
    (smtplib's `SMTPResponseException`, bytes or text) or `code` and `message` (aiosmtplib's);
    they are read by duck typing so this module stays free of network imports.
    """
    code, message = getattr(error, "code", None), getattr(error, "message", None)
    if hasattr(error, "smtp_code"):
        code, message = error.smtp_code, getattr(error, "smtp_error", "")
        if isinstance(message, bytes):
            message = message.decode(errors="replace")
    if isinstance(code, int) and isinstance(message, str):
        outcome = from_reply(code, message)
        if isinstance(outcome, Delivered):
            return TemporaryFailure(code, f"unexpected reply: {message}")
        return outcome
    reason = str(error) or type(error).__name__
    if isinstance(error, TimeoutError):
        return TemporaryFailure(None, f"timed out: {reason}", S_BAD_CONNECTION)
    if isinstance(error, ConnectionError):
        return TemporaryFailure(None, f"connection failed: {reason}", S_NO_ANSWER)
    if isinstance(error, OSError):
        # Unreachable networks, TLS handshake errors (ssl.SSLError is an OSError), …
        return TemporaryFailure(None, f"network error: {reason}", S_NO_ANSWER)
    return TemporaryFailure(None, f"{type(error).__name__}: {reason}")

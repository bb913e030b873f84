"""One SMTP session to one address: connect, secure it as its mode demands, send (blocking).

The steps, each a decision of `tls_policy.py`:

    connect + EHLO (HELO when refused) ── no answer ───────────────► Unreachable
    STARTTLS offered? ── no ── without_starttls: MAY goes on in plaintext, others ► Refusal
    STARTTLS + handshake ── failed ── handshake_failed ────────────► Refusal (no plaintext)
    grade the chain (probe rules; relay: OpenSSL against its CA file) ── judge ► Refusal
    AUTH (relay only: inside TLS, or to loopback)
    MAIL, RCPT, DATA ──────────────────────────────────────────────► Outcome

A mail queued as a blob (a `StreamedMail`) is read from the vault during DATA and sent as it
decrypts, never held whole (smtp_data.py makes its bytes those `smtp.data` would send).

Runs in the client's bounded thread pool: stdlib smtplib over pyOpenSSL (transport/starttls.py)
for every session, so the connection that is graded is the one that carries the mail. Logs
nothing of the mail; the caller logs addresses and outcomes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass

from sealgate.delivery.mail_options import mail_options
from sealgate.delivery.outcome import (
    S_BAD_CONNECTION,
    S_NO_ANSWER,
    Connection,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
    from_exception,
    from_reply,
)
from sealgate.delivery.smtp_data import data_pieces
from sealgate.delivery.streamed import StreamedMail
from sealgate.delivery.tls_policy import (
    Refusal,
    TlsMode,
    handshake_failed,
    judge,
    without_starttls,
)
from sealgate.policy import Requirement
from sealgate.transport import (
    HostGrade,
    TlsFacts,
    TransportLevel,
    open_smtp,
    quit_quietly,
    relay_problem,
    set_timeout,
    start_tls,
)

_EOL = re.compile(rb"\r\n|\n|\r(?!\n)")


@dataclass(frozen=True)
class Envelope:
    mail_from: str
    rcpt_to: str
    message: bytes | StreamedMail  # a StreamedMail is read afresh for each session


@dataclass(frozen=True)
class Hop:
    """One address to connect to, and how the session there must be secured."""

    address: str  # IP address (or, for the relay, a host name)
    port: int
    name: str  # for logs and reasons: "mx.example [192.0.2.1]"
    server_name: str  # SNI
    mode: TlsMode
    helo: str
    timeout: float  # connect, greeting, STARTTLS and handshake
    transfer_timeout: float  # each read and write from MAIL FROM to the end of DATA
    credentials: tuple[str, str] | None = None  # relay AUTH
    ca_file: str | None = None  # VERIFY: the relay's trust anchors (None: system store)


@dataclass(frozen=True)
class Unreachable:
    """No SMTP server answered at this address."""

    text: str
    status: str = S_NO_ANSWER


Attempt = Outcome | Refusal | Unreachable
# Grades a TLS session with the probe's rules (MX hosts); None for the relay.
Grader = Callable[[TlsFacts], HostGrade]


def attempt(
    hop: Hop, requirement: Requirement, envelope: Envelope, grader: Grader | None
) -> Attempt:
    """One session at `hop`; never raises for network trouble, always closes the socket."""
    opened, smtp = open_smtp(
        hop.address, hop.port, helo=hop.helo, timeout=hop.timeout, helo_fallback=True
    )
    if smtp is None:
        return _not_opened(hop, opened)
    secured = _secure(hop, requirement, smtp, grader)
    if isinstance(secured, Refusal):
        return secured
    smtp, proven, connection = secured
    try:
        refused = _authenticate(hop, smtp, proven)
        if refused is not None:
            return refused
        set_timeout(smtp, hop.transfer_timeout)
        outcome = _transfer(smtp, envelope, proven if grader is not None else None)
        return dataclasses.replace(outcome, connection=connection)
    finally:
        quit_quietly(smtp)


def _not_opened(hop: Hop, facts: TlsFacts) -> Attempt:
    error = facts.error or "no SMTP session"
    # starttls.py's reasons end "timed out" exactly when a timeout caused them.
    timed_out = error.endswith("timed out")
    if not facts.connected:
        if timed_out:
            return Unreachable(f"timed out: {hop.name}: {error}", S_BAD_CONNECTION)
        return Unreachable(f"connection failed: {hop.name}: {error}", S_NO_ANSWER)
    if hop.mode is TlsMode.LEVEL:
        return Refusal(f"{hop.name}: {error}", below=True)
    return Refusal(f"{hop.name}: {error}", S_BAD_CONNECTION if timed_out else S_NO_ANSWER)


def _connection(hop: Hop, facts: TlsFacts | None, grade: HostGrade | None) -> Connection:
    """The evidence of the session at `hop`: its TLS facts and, when graded, its verdict."""
    leaf = facts.chain[0] if facts is not None and facts.chain else None
    return Connection(
        host=hop.server_name,
        address=hop.address,
        port=hop.port,
        tls_version=facts.tls_version if facts is not None else None,
        cipher=facts.cipher if facts is not None else None,
        certificate_sha256=hashlib.sha256(leaf).hexdigest() if leaf else None,
        level=grade.level.to_text() if grade is not None else None,
        dane_match=grade.dane_match if grade is not None else None,
        reasons=grade.reasons if grade is not None else (),
    )


def _secure(
    hop: Hop, requirement: Requirement, smtp: smtplib.SMTP, grader: Grader | None
) -> tuple[smtplib.SMTP, TransportLevel, Connection] | Refusal:
    """The session to send on, the level it proved and its evidence, or why it may not
    carry the mail."""
    if not smtp.has_extn("starttls"):
        refusal = without_starttls(hop.mode, hop.name)
        if refusal is not None:
            quit_quietly(smtp)
            return refusal
        plaintext = HostGrade(TransportLevel.NONE, None, ("no STARTTLS offered",))
        return smtp, TransportLevel.NONE, _connection(hop, None, plaintext)
    facts, secured = start_tls(
        smtp, server_name=hop.server_name, helo=hop.helo, timeout=hop.timeout
    )
    grade = grader(facts) if grader is not None else _ungraded(facts)
    if secured is None:
        return handshake_failed(hop.mode, grade, hop.name, facts.error or "no TLS session")
    problem = None
    if hop.mode is TlsMode.VERIFY:
        problem = relay_problem(facts.chain, hop.server_name, ca_file=hop.ca_file)
    refusal = judge(hop.mode, requirement, grade, facts.tls_version, hop.name, problem)
    if refusal is not None:
        quit_quietly(secured)
        return refusal
    return secured, grade.level, _connection(hop, facts, grade if grader is not None else None)


def _ungraded(facts: TlsFacts) -> HostGrade:
    """The relay's session is not graded by the probe's rules: TLS when it is up."""
    level = TransportLevel.TLS if facts.error is None else TransportLevel.NONE
    return HostGrade(level, None, ())


def _authenticate(hop: Hop, smtp: smtplib.SMTP, proven: TransportLevel) -> Refusal | None:
    """AUTH to the relay; credentials never cross the network in the clear."""
    if hop.credentials is None:
        return None
    if proven is TransportLevel.NONE and not _is_loopback(hop.address):
        return Refusal(f"refusing to send credentials to {hop.name} without TLS", "4.7.0")
    try:
        smtp.login(*hop.credentials)
    except smtplib.SMTPAuthenticationError as error:
        # Our credentials are wrong, not the recipient: defer, like Postfix's
        # smtp_sasl_auth_soft_bounce, so the mail waits until an admin fixes them.
        reply = f"{error.smtp_code} {_text(error.smtp_error)}"
        return Refusal(f"{hop.name} refused our credentials: {reply}", "4.7.0")
    except (OSError, smtplib.SMTPException) as error:
        return Refusal(f"AUTH with {hop.name} failed: {from_exception(error).text}", "4.7.0")
    return None


def _transfer(smtp: smtplib.SMTP, envelope: Envelope, proven: TransportLevel | None) -> Outcome:
    """MAIL, RCPT, DATA on a session that may carry the mail."""
    try:
        options = mail_options(
            envelope.mail_from, envelope.rcpt_to, envelope.message, smtp.has_extn
        )
        if isinstance(options, PermanentFailure):
            return options
        code, text = smtp.mail(envelope.mail_from, options)
        if code != 250:
            return from_reply(code, _text(text))
        code, text = smtp.rcpt(envelope.rcpt_to)
        if code not in (250, 251):
            return from_reply(code, _text(text))
        if isinstance(envelope.message, StreamedMail):
            code, text = _data_streamed(smtp, envelope.message)
        else:
            code, text = smtp.data(_crlf(envelope.message))
        outcome = from_reply(code, _text(text))
    except _UnreadableMail as error:
        # The session was cut before the final dot, so the server discards what it got.
        return TemporaryFailure(None, f"queued mail unreadable while sending: {error}")
    except smtplib.SMTPResponseException as error:
        return from_reply(error.smtp_code, _text(error.smtp_error))
    except (OSError, smtplib.SMTPException) as error:
        return from_exception(error)
    if isinstance(outcome, Delivered):
        return Delivered(outcome.code, outcome.text, proven)
    return outcome


class _UnreadableMail(Exception):
    """Reading the mail failed in the middle of DATA (the blob changed since it was signed)."""


def _data_streamed(smtp: smtplib.SMTP, mail: StreamedMail) -> tuple[int, bytes]:
    """DATA as `smtp.data` sends it, the mail read piece by piece (smtp_data.py).

    Should reading fail halfway, the connection is closed without the final dot (and
    without QUIT, which would be read as mail text): the server then drops the mail.
    """
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    pieces = data_pieces(mail.pieces())
    with contextlib.closing(pieces):
        while True:
            try:
                piece = next(pieces)
            except StopIteration:
                break
            except Exception as error:
                smtp.close()
                raise _UnreadableMail(type(error).__name__) from error
            smtp.send(piece)
    return smtp.getreply()


def _crlf(message: bytes) -> bytes:
    """Every line ending as CRLF (RFC 5321 §2.3.8): smtplib converts only `str` messages."""
    return _EOL.sub(b"\r\n", message)


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _text(value: bytes | str) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else value

"""STARTTLS to a receiving mail server, keeping the chain it presents (like posttls-finger).

Python 3.11's `ssl` exposes the peer chain only privately, so the TLS layer is pyOpenSSL's;
SMTP is the stdlib's `smtplib`, so the connection that is graded is the one that carries the
mail. Certificate verification is OFF in the handshake on purpose: grading (`pkix.py`,
`dane.py`, `grade.py`) judges the presented chain afterwards, and a caller abandons the
session before MAIL FROM when it is below the level it needs. The version floor is enforced
in the handshake: TLS 1.2 or newer, else no session at all.

Blocking code (callers use `asyncio.to_thread`). Network trouble never raises: it becomes
`TlsFacts.error`, one sentence saying why there is no TLS session.

pyOpenSSL reads the socket's file descriptor itself and treats a Python-level socket timeout
(a non-blocking descriptor) as "want read", so the socket stays blocking with the kernel's
SO_RCVTIMEO/SO_SNDTIMEO as the timeout; an expired one surfaces as WantRead/WantWrite and is
mapped to `TimeoutError`, which smtplib reports like any socket timeout.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import smtplib
import socket
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar, cast

from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

_T = TypeVar("_T")

# OpenSSL reasons that mean "the server speaks no TLS version we accept" (1.2 is our floor).
_VERSION_REASONS = (
    "unsupported protocol",
    "protocol version",
    "no protocols available",
    "version too low",
    "wrong version number",
)
NO_MODERN_TLS = "no TLS 1.2 or newer"


@dataclass(frozen=True)
class TlsFacts:
    """What one STARTTLS attempt showed; `error` is None exactly when a TLS session is up."""

    connected: bool
    starttls: bool  # server offered STARTTLS in EHLO
    tls_version: str | None  # e.g. "TLSv1.3"
    cipher: str | None
    chain: tuple[bytes, ...]  # DER certificates as presented, leaf first
    error: str | None  # why there is no TLS session, one sentence


def open_starttls(
    address: str, port: int, *, server_name: str, helo: str, timeout: float
) -> tuple[TlsFacts, smtplib.SMTP | None]:
    """Connect, EHLO, STARTTLS (TLS >= 1.2, SNI `server_name`, no verification), EHLO again.

    On success the live session is returned, ready for `sendmail`; on any failure the socket
    is closed and the facts say why (never raises for network trouble).
    """
    failed, smtp = open_smtp(address, port, helo=helo, timeout=timeout)
    if smtp is None:
        return failed, None
    if not smtp.has_extn("starttls"):
        quit_quietly(smtp)
        return _failed(connected=True, error="server does not offer STARTTLS"), None
    return start_tls(smtp, server_name=server_name, helo=helo, timeout=timeout)


def open_smtp(
    address: str, port: int, *, helo: str, timeout: float, helo_fallback: bool = False
) -> tuple[TlsFacts, smtplib.SMTP | None]:
    """Connect and say EHLO; the live plaintext session, or facts saying why there is none.

    With `helo_fallback`, a server that refuses EHLO is greeted with HELO (RFC 5321 §3.2):
    such a session has no extensions, so no STARTTLS; only opportunistic mail may use it.
    """
    smtp = smtplib.SMTP(local_hostname=helo, timeout=timeout)
    try:
        code, greeting = smtp.connect(address, port)
    except smtplib.SMTPException as error:
        _close(smtp)
        return _failed(connected=True, error=f"no SMTP greeting: {_describe(error)}"), None
    except OSError as error:
        _close(smtp)
        reason = f"cannot connect to {address} port {port}: {_describe(error)}"
        return _failed(connected=False, error=reason), None
    if code != 220:
        quit_quietly(smtp)
        return _failed(connected=True, error=f"server greeted with {_reply(code, greeting)}"), None
    try:
        code, answer = smtp.ehlo(helo)
        if code != 250 and helo_fallback:
            code, answer = smtp.helo(helo)
    except (OSError, smtplib.SMTPException) as error:
        _close(smtp)
        return _failed(connected=True, error=f"SMTP dialogue failed: {_describe(error)}"), None
    if code != 250:
        quit_quietly(smtp)
        return _failed(connected=True, error=f"EHLO refused: {_reply(code, answer)}"), None
    return _failed(connected=True, error="no TLS session yet"), smtp


def start_tls(
    smtp: smtplib.SMTP, *, server_name: str, helo: str, timeout: float
) -> tuple[TlsFacts, smtplib.SMTP | None]:
    """STARTTLS on a greeted session that offers it, the handshake, and EHLO again.

    The session comes back only with a TLS session up (`facts.error is None`); on any
    failure it is closed, never left usable in plaintext.
    """
    try:
        code, answer = smtp.docmd("STARTTLS")
    except (OSError, smtplib.SMTPException) as error:
        _close(smtp)
        return _failed(connected=True, error=f"SMTP dialogue failed: {_describe(error)}"), None
    if code != 220:
        quit_quietly(smtp)
        reason = f"STARTTLS refused: {_reply(code, answer)}"
        return _failed(connected=True, starttls=True, error=reason), None
    return _handshake(smtp, server_name=server_name, helo=helo, timeout=timeout)


def set_timeout(smtp: smtplib.SMTP, timeout: float) -> None:
    """Change a live session's timeout (plaintext or TLS), e.g. longer for DATA than for the
    handshake; a closed session is left alone."""
    sock = smtp.sock
    if isinstance(sock, _TlsSocket):
        _set_kernel_timeouts(sock.raw, timeout)
    elif sock is not None:
        sock.settimeout(timeout)
    smtp.timeout = timeout


def quit_quietly(smtp: smtplib.SMTP) -> None:
    """Say QUIT if the server still listens, and close; for abandoning a session."""
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        pass
    finally:
        _close(smtp)


def _handshake(
    smtp: smtplib.SMTP, *, server_name: str, helo: str, timeout: float
) -> tuple[TlsFacts, smtplib.SMTP | None]:
    raw = smtp.sock
    if raw is None:
        return _failed(connected=True, starttls=True, error="connection lost"), None
    try:
        _set_kernel_timeouts(raw, timeout)
        connection = SSL.Connection(_client_context(), raw)
        sni = _sni(server_name)
        if sni is not None:
            connection.set_tlsext_host_name(sni)
        connection.set_connect_state()
        _tls_call(connection.do_handshake)
    except OSError as error:
        _close(smtp)
        return _failed(connected=True, starttls=True, error=_handshake_problem(error)), None
    facts = TlsFacts(
        connected=True,
        starttls=True,
        tls_version=connection.get_protocol_version_name(),
        cipher=connection.get_cipher_name(),
        chain=tuple(
            cert.public_bytes(Encoding.DER)
            for cert in connection.get_peer_cert_chain(as_cryptography=True) or []
        ),
        error=None,
    )
    # As smtplib's own starttls(): forget everything learned before TLS (RFC 3207 §4.2).
    smtp.sock = cast(socket.socket, _TlsSocket(connection, raw))
    smtp.file = None
    smtp.helo_resp = smtp.ehlo_resp = None
    smtp.esmtp_features = {}
    smtp.does_esmtp = False
    try:
        code, answer = smtp.ehlo(helo)
    except (OSError, smtplib.SMTPException) as error:
        _close(smtp)
        return _unusable(facts, f"EHLO after STARTTLS failed: {_describe(error)}"), None
    if code != 250:
        quit_quietly(smtp)
        return _unusable(facts, f"EHLO after STARTTLS refused: {_reply(code, answer)}"), None
    return facts, smtp


def _client_context() -> SSL.Context:
    """TLS 1.2 floor, OpenSSL's default ciphers, no verification (grading comes after)."""
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_verify(SSL.VERIFY_NONE)
    return context


def _sni(server_name: str) -> bytes | None:
    """The SNI host name; none for IP literals and names that are not valid IDNA."""
    name = server_name.rstrip(".")
    try:
        ipaddress.ip_address(name)
        return None
    except ValueError:
        pass
    try:
        return name.encode("idna") if name else None
    except UnicodeError:
        return None


def _set_kernel_timeouts(raw: socket.socket, timeout: float) -> None:
    raw.settimeout(None)  # blocking, see the module docstring
    seconds = max(timeout, 0.001)
    timeval = struct.pack("ll", int(seconds), int((seconds % 1) * 1_000_000))
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, timeval)
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, timeval)


def _tls_call(call: Callable[[], _T]) -> _T:
    """Run a pyOpenSSL call, turning its errors into the OSErrors smtplib understands."""
    try:
        return call()
    except (SSL.WantReadError, SSL.WantWriteError):
        raise TimeoutError("timed out") from None
    except SSL.ZeroReturnError:
        raise ConnectionResetError("TLS session closed by the server") from None
    except SSL.SysCallError as error:
        code, text = (error.args + (None, None))[:2]
        if code == -1 or code == 0:
            raise ConnectionResetError("connection closed by the server") from None
        raise OSError(code if isinstance(code, int) else 0, str(text)) from None
    except SSL.Error as error:
        raise _TlsError(_openssl_reasons(error)) from None


class _TlsError(OSError):
    """An OpenSSL protocol failure (alert, bad record), as an OSError for smtplib."""


def _openssl_reasons(error: SSL.Error) -> str:
    entries = error.args[0] if error.args and isinstance(error.args[0], list) else []
    reasons = [str(entry[-1]) for entry in entries if isinstance(entry, tuple) and entry]
    return "; ".join(reasons) or str(error) or "TLS error"


def _handshake_problem(error: OSError) -> str:
    text = _describe(error)
    if isinstance(error, _TlsError) and any(reason in text for reason in _VERSION_REASONS):
        return f"{NO_MODERN_TLS}: TLS handshake failed ({text})"
    return f"TLS handshake failed: {text}"


class _TlsSocket:
    """The few socket methods smtplib uses, over a pyOpenSSL connection."""

    def __init__(self, connection: SSL.Connection, raw: socket.socket) -> None:
        self._connection = connection
        self._raw = raw

    @property
    def raw(self) -> socket.socket:
        return self._raw

    def sendall(self, data: bytes) -> None:
        _tls_call(lambda: self._connection.sendall(data))

    def recv_into(self, buffer: memoryview) -> int:
        try:
            return _tls_call(lambda: self._connection.recv_into(buffer, len(buffer)))
        except ConnectionResetError:
            return 0  # close_notify or EOF: smtplib sees an empty read and reports it

    def makefile(self, mode: str = "rb") -> io.BufferedReader:
        assert mode == "rb", mode
        return io.BufferedReader(_TlsReader(self))

    def close(self) -> None:
        try:
            self._connection.shutdown()  # send close_notify; do not wait for the peer's
        except (SSL.Error, OSError):
            pass
        finally:
            self._raw.close()


class _TlsReader(io.RawIOBase):
    def __init__(self, tls: _TlsSocket) -> None:
        self._tls = tls

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        return self._tls.recv_into(memoryview(buffer).cast("B"))


def _failed(*, connected: bool, error: str, starttls: bool = False) -> TlsFacts:
    return TlsFacts(connected, starttls, None, None, (), error)


def _unusable(facts: TlsFacts, error: str) -> TlsFacts:
    """Keep what the handshake showed, but say the session cannot be used."""
    return TlsFacts(True, True, facts.tls_version, facts.cipher, facts.chain, error)


def _close(smtp: smtplib.SMTP) -> None:
    with contextlib.suppress(OSError):
        smtp.close()


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return f"{code} {text}".strip()


def _describe(error: BaseException) -> str:
    if isinstance(error, ConnectionRefusedError):
        return "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timed out"
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error.smtp_code, error.smtp_error)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__

"""The SMTP protocol shell: aiosmtpd's `SMTP` with our TLS rule, AUTH, timeouts and replies.

`SubmissionServer` listens in the running event loop (no threaded Controller): one
`SubmissionSMTP` protocol per connection, all sharing one handler and one `Authenticator`.
What the subclass changes in aiosmtpd, and why:
- every reply goes through `replies.translate`, so aiosmtpd's own wording becomes ours;
- AUTH PLAIN/LOGIN check credentials asynchronously (argon2 runs in a thread), and a client
  that failed too often is refused before anything is checked;
- the idle timer restarts on any bytes received (aiosmtpd restarts it per command only, which
  would cut off a slow upload of a large DATA), and a second timer ends the whole session;
  both say 421 before closing;
- `stop()` closes the listener and says 421 to every session, but lets a session that is
  committing a message send its 250 first;
- DATA is read by our own loop over `data.DataTransfer` (aiosmtpd's refuses lines over 998
  bytes and checks nothing while reading): long lines up to [submission] max_line_length,
  header limits, bare CR/LF refused as the lines arrive, never a scan of the whole message;
  a message larger than the spool's threshold streams into its vault blob as it arrives
  (spool.py), never held whole, and the blob is durable before the handler decides;
- a command line must be complete within command_timeout of its first byte, and DATA must
  keep up min_data_rate, so that a client trickling bytes cannot hold a session;
- a connection beyond the connection limits (`connections.ClientConnections`) hears 421 and
  is closed before a session starts;
- a second STARTTLS inside TLS gets 503 (aiosmtpd would start a second handshake).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import resource
import ssl
import time
from base64 import b64decode
from datetime import timedelta
from email._header_value_parser import get_addr_spec, get_angle_addr
from email.errors import HeaderParseError
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, TLSSetupException, syntax

from sealgate.bootstrap import Runtime
from sealgate.config import SubmissionSettings, split_hostport
from sealgate.directory import CREDENTIAL_KEY_PURPOSE
from sealgate.submission import replies
from sealgate.submission.auth import (
    Authenticator,
    AuthLimits,
    AuthRefusal,
    Submitter,
    client_key,
)
from sealgate.submission.connections import ClientConnections, ConnectionLimits, ConnectionRefusal
from sealgate.submission.data import DataLimits, DataTransfer, Outcome, Problem
from sealgate.submission.handler import SubmissionEnvelope, SubmissionHandler
from sealgate.submission.session import SubmissionSession
from sealgate.submission.spool import MessageSpool, StoredContent
from sealgate.submission.tls import server_context

log = logging.getLogger("sealgate.submission")

# How long stop() waits for sessions to finish a commit and say goodbye.
STOP_GRACE_SECONDS = 10.0
# File handles the rest of the process needs besides SMTP connections (database pool, blobs,
# the portal's connections): max_connections above the handle limit minus this is warned about.
HANDLE_RESERVE = 256
# The DATA loop hands the event loop to other sessions after this many pieces, even when the
# client's bytes are already buffered (a buffered readuntil() does not yield).
DATA_PIECES_PER_TURN = 256

# What aiosmtpd put in session.ssl after STARTTLS (its SSLProtocol's extra info).
TLS_EXTRA_INFO = ("sslcontext", "peercert", "cipher", "compression", "ssl_object")

DATA_REFUSALS: dict[Problem, str] = {
    Problem.BARE_NEWLINE: replies.S550_BARE_NEWLINE,
    Problem.LINE_TOO_LONG: replies.S552_LINE_TOO_LONG,
    Problem.HEADER_FIELD_TOO_BIG: replies.S552_HEADER_FIELD_TOO_BIG,
    Problem.HEADER_SECTION_TOO_BIG: replies.S552_HEADER_SECTION_TOO_BIG,
    Problem.TOO_BIG: replies.S552_TOO_BIG,
}

AUTH_REFUSALS: dict[AuthRefusal, str] = {
    AuthRefusal.FAILED: replies.S535_AUTH_FAILED,
    AuthRefusal.LOCKED_USERNAME: replies.S454_AUTH_LOCKED_USER,
    AuthRefusal.LOCKED_CLIENT: replies.S454_AUTH_LOCKED,
}

CONNECTION_REFUSALS: dict[ConnectionRefusal, str] = {
    ConnectionRefusal.TOTAL: replies.S421_TOO_MANY_CONNECTIONS,
    ConnectionRefusal.PER_CLIENT: replies.S421_CLIENT_CONNECTIONS,
    ConnectionRefusal.RATE: replies.S421_CLIENT_CONNECTION_RATE,
}


class SubmissionError(Exception):
    """The submission server cannot start."""


@functools.lru_cache(maxsize=1024)
def _parsed_path(arg: str) -> tuple[str | None, str | None]:
    """The address and the rest of a MAIL/RCPT argument, remembered: a pure function of the
    text, and clients send the same paths over and over."""
    try:
        if arg.lstrip().startswith("<"):
            address, rest = get_angle_addr(arg)
        else:
            address, rest = get_addr_spec(arg)
    except HeaderParseError:
        return None, None
    return str(address.addr_spec), rest


class SubmissionSMTP(SMTP):
    """One client connection."""

    # aiosmtpd sizes its stream reader with this: the longest line read in one piece, and
    # (twice) the buffer at which reading from the socket pauses. Longer DATA lines, up to
    # [submission] max_line_length, come to DataTransfer in fragments of about this size.
    line_length_limit = 64 * 1024

    def __init__(
        self,
        handler: SubmissionHandler,
        *,
        settings: SubmissionSettings,
        tls_context: ssl.SSLContext,
        authenticator: Authenticator,
        connections: ClientConnections,
        live: set[SubmissionSMTP],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        super().__init__(
            handler,
            data_size_limit=settings.max_message_size,
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=settings.hostname,
            ident="ESMTP sealgate",
            tls_context=tls_context,
            require_starttls=True,
            timeout=settings.idle_timeout,
            auth_required=False,
            auth_require_tls=True,
            loop=loop,
        )
        self.session: SubmissionSession | None
        self._authenticator = authenticator
        self._vault = handler.rt.vault
        self._connections = connections
        self._settings = settings
        self._data_limits = DataLimits(
            max_message_size=settings.max_message_size,
            max_line_length=settings.max_line_length,
            max_header_field=settings.max_header_field,
            max_header_section=settings.max_header_section,
        )
        self._live = live
        self._verb = ""
        self._session_timer: asyncio.TimerHandle | None = None
        self._goodbye: str | None = None
        self._admitted: str | None = None
        self._refused = False
        # The command-line deadline runs while a line is incomplete; the DATA deadline grows
        # with the bytes received.
        self._line_timer: asyncio.TimerHandle | None = None
        self._data_timer: asyncio.TimerHandle | None = None
        self._data_started = 0.0
        self._data_bytes = -1

    def _create_session(self) -> SubmissionSession:
        return SubmissionSession(self.loop)

    # Connection life cycle and timers.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self._session_timer is None and not self._admit(transport):
            return
        super().connection_made(transport)
        # Called again after STARTTLS with the TLS transport; the session clock keeps running.
        if self._session_timer is None:
            self._session_timer = self.loop.call_later(self._session_timeout, self._session_expired)
            self._live.add(self)

    def _admit(self, transport: asyncio.BaseTransport) -> bool:
        """Count the connection against the limits, or say 421 and close it."""
        peer = transport.get_extra_info("peername")
        client = client_key(str(peer[0]) if isinstance(peer, tuple) else str(peer or ""))
        refusal = self._connections.admit(client, time.monotonic())
        if refusal is None:
            self._admitted = client
            return True
        self._refused = True
        log.warning("connection refused client=%s limit=%s", client, refusal.value)
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(CONNECTION_REFUSALS[refusal].encode() + b"\r\n")
        transport.close()
        return False

    @property
    def _session_timeout(self) -> float:
        return self._settings.session_timeout

    def connection_lost(self, error: Exception | None) -> None:
        if self._refused:
            return
        for timer in (self._session_timer, self._line_timer, self._data_timer):
            if timer is not None:
                timer.cancel()
        self._live.discard(self)
        if self._admitted is not None:
            self._connections.release(self._admitted)
            self._admitted = None
        if self.transport is not None:
            super().connection_lost(error)

    def eof_received(self) -> bool | None:
        if self._refused:
            return False
        return super().eof_received()

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        self._reset_timeout()
        if self._data_bytes >= 0:
            self._data_bytes += len(data)
        else:
            self._watch_command_line(data)
        super().data_received(data)

    def _watch_command_line(self, data: bytes) -> None:
        """Start the command deadline at a line's first byte, stop it at its end."""
        end = data.rfind(b"\n")
        if end >= 0 and self._line_timer is not None:
            self._line_timer.cancel()
            self._line_timer = None
        if end < len(data) - 1 and self._line_timer is None:
            self._line_timer = self.loop.call_later(
                self._settings.command_timeout, self.end_session, replies.S421_COMMAND_TIMEOUT
            )

    def _start_data_clock(self) -> None:
        if self._line_timer is not None:
            self._line_timer.cancel()
            self._line_timer = None
        self._data_started = self.loop.time()
        self._data_bytes = 0
        self._data_timer = self.loop.call_at(self._data_deadline(), self._check_data_rate)

    def _data_deadline(self) -> float:
        rate = self._settings.min_data_rate
        return self._data_started + self._settings.command_timeout + self._data_bytes / rate

    def _check_data_rate(self) -> None:
        deadline = self._data_deadline()
        if self.loop.time() >= deadline:
            log.info("data too slow client=%s bytes=%d", self._client(), self._data_bytes)
            self.end_session(replies.S421_DATA_TOO_SLOW)
            return
        self._data_timer = self.loop.call_at(deadline, self._check_data_rate)

    def _stop_data_clock(self) -> None:
        if self._data_timer is not None:
            self._data_timer.cancel()
            self._data_timer = None
        self._data_bytes = -1

    def _timeout_cb(self) -> None:
        self.end_session(replies.S421_IDLE_TIMEOUT)

    def _session_expired(self) -> None:
        self.end_session(replies.S421_SESSION_TIMEOUT)

    def end_session(self, reply: str) -> None:
        """Say `reply` and close; a session committing a message first sends its own reply."""
        if self.session is not None and self.session.busy:
            self._goodbye = reply
            return
        if self.transport is None or self.transport.is_closing():
            return
        log.info("closing client=%s reason=%s", self._client(), reply)
        self._writer.write(reply.encode() + b"\r\n")
        self.transport.close()

    def _client(self) -> str:
        return self.session.client if self.session is not None else ""

    async def push(self, status: str | bytes) -> None:
        if isinstance(status, str):
            status = replies.translate(self._verb, status)
        await super().push(status)
        if self._goodbye is not None and self.session is not None and not self.session.busy:
            self.end_session(self._goodbye)

    # Commands.

    def _create_envelope(self) -> SubmissionEnvelope:
        return SubmissionEnvelope()

    def _getaddr(self, arg: str) -> tuple[str | None, str | None]:
        """aiosmtpd's address parse, without its cost: aiosmtpd defines a `typing.Protocol`
        class inside `_getaddr` on every call, which was a tenth of the server's CPU under load.

        The same parse: an angle address or a bare addr-spec, then the local-part limit.
        """
        if not arg:
            return "", ""
        addr, rest = _parsed_path(arg)
        if addr is None:
            return None, None
        localpart = addr.rpartition("@")[0]
        if self.local_part_limit and len(localpart) > self.local_part_limit:
            return None, None
        return addr, rest

    def _path_and_parameters(
        self, keyword: str, arg: str | None, syntax: str, malformed: str
    ) -> tuple[str, str] | str:
        """`FROM:<path> params` split into the address ("" for the null path <>) and the
        parameter text, kept exactly as sent; else the reply (`syntax` or `malformed`).

        aiosmtpd upper-cases the parameters and knows only SIZE, BODY and SMTPUTF8, so
        MAIL and RCPT are parsed here and their parameters in the handler (esmtp_params.py).
        """
        assert self.session is not None
        rest = self._strip_command_keyword(keyword, arg or "")
        if not rest:
            return syntax
        if rest.startswith("<>"):
            address, params = "", rest[2:]
            if params and not params[0].isspace():
                return syntax
        else:
            parsed, params_or_none = self._getaddr(rest)
            if parsed is None or params_or_none is None:
                return malformed
            address, params = parsed, params_or_none
        if not address and keyword == "TO:":
            return syntax
        if params.strip() and not self.session.extended_smtp:
            return syntax
        return address, params.strip()

    async def smtp_MAIL(self, arg: str | None) -> None:
        self._verb = "MAIL"
        if await self.check_helo_needed() or await self.check_auth_needed("MAIL"):
            return
        assert self.envelope is not None
        parsed = self._path_and_parameters(
            "FROM:", arg, replies.S501_SYNTAX_MAIL, replies.S501_BAD_SENDER_SYNTAX
        )
        if isinstance(parsed, str):
            await self.push(parsed)
            return
        if self.envelope.mail_from is not None:
            await self.push(replies.S503_NESTED_MAIL)
            return
        address, params = parsed
        status = await self._call_handler_hook("MAIL", address, params.split())
        await self.push(status)

    async def smtp_RCPT(self, arg: str | None) -> None:
        self._verb = "RCPT"
        if await self.check_helo_needed() or await self.check_auth_needed("RCPT"):
            return
        assert self.envelope is not None
        if self.envelope.mail_from is None:
            await self.push(replies.S503_NEED_MAIL)
            return
        parsed = self._path_and_parameters(
            "TO:", arg, replies.S501_SYNTAX_RCPT, replies.S501_BAD_RECIPIENT_SYNTAX
        )
        if isinstance(parsed, str):
            await self.push(parsed)
            return
        address, params = parsed
        status = await self._call_handler_hook("RCPT", address, params.split())
        await self.push(status)

    async def smtp_HELP(self, arg: str) -> None:
        await self.push(replies.S214_HELP)

    async def smtp_STARTTLS(self, arg: str) -> None:
        """The handshake through `loop.start_tls`, then RFC 3207 4.2's fresh session.

        aiosmtpd builds asyncio's private `SSLProtocol` by hand and swaps it in; `start_tls`
        is the event loop's public way to the same TLS layer. Plaintext the client sent
        after the command is dropped before the handshake (a STARTTLS injection must not
        become a command inside TLS); what the loop delivers after it is TLS.
        """
        if self._tls_protocol is not None:
            await self.push(replies.S503_TLS_ACTIVE)
            return
        if arg:
            await self.push(replies.S501_SYNTAX_NO_ARGUMENT)
            return
        if not self.tls_context:
            await self.push(replies.S454_TLS_UNAVAILABLE)
            return
        await self.push(replies.S220_READY_FOR_TLS)
        plain = self.transport
        assert plain is not None
        self._reader._buffer.clear()  # type: ignore[attr-defined]
        try:
            secured = await self.loop.start_tls(plain, self, self.tls_context, server_side=True)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            raise TLSSetupException() from error
        if secured is None:  # the client closed during the handshake
            raise TLSSetupException()
        self._secure_session(plain, secured)

    def _secure_session(self, plain: asyncio.BaseTransport, secured: asyncio.Transport) -> None:
        """Read and write through `secured` from now on, in a session that starts afresh."""
        self._original_transport = plain
        # aiosmtpd asks `_tls_protocol` only whether TLS is on; the loop's protocol is private.
        self._tls_protocol = secured  # type: ignore[assignment]
        self._reader._transport = secured  # type: ignore[attr-defined]
        self._writer._transport = secured  # type: ignore[attr-defined]
        self._transport = secured
        self._over_ssl = True
        self.transport = secured
        peer = self.session.peer if self.session is not None else None
        self._set_rset_state()
        self.session = self._create_session()
        self.session.peer = peer
        self.session.ssl = {name: secured.get_extra_info(name) for name in TLS_EXTRA_INFO}
        self._reset_timeout()

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        """DATA read by `DataTransfer`: the checks run as lines arrive, the reply at the end."""
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        assert self.envelope is not None
        if not self.envelope.rcpt_tos:
            await self.push(replies.S503_NEED_RCPT)
            return
        if arg:
            await self.push(replies.S501_SYNTAX_NO_ARGUMENT)
            return
        await self.push(replies.S354_START_DATA)
        transfer = DataTransfer(self._data_limits)
        spool = MessageSpool(self._vault)
        self._start_data_clock()
        try:
            outcome = await self._receive_data(transfer, spool)
            stored = await self._stored(transfer, spool, outcome)
        except BaseException:
            spool.abandon()
            raise
        finally:
            self._stop_data_clock()
        if outcome is Outcome.ABANDON:
            # The client thinks its data ended at a bare LF/CR + dot: refuse at once, and
            # close, since what it sends next may be meant as commands or as more data.
            log.info("bare newline before the final dot, closing client=%s", self._client())
            self.end_session(replies.S550_BARE_NEWLINE)
            assert self._handler_coroutine is not None
            self._handler_coroutine.cancel()
            # Take the cancellation here, before a buffered line could run as a command.
            await asyncio.sleep(0)
            return
        if transfer.problem is not None:
            log.info("data refused client=%s problem=%s", self._client(), transfer.problem.value)
            self._set_post_data_state()
            await self.push(DATA_REFUSALS[transfer.problem])
            return
        if stored is None:
            content = transfer.content
        else:
            # The content is in the vault already; the handler reads only the header section.
            content = transfer.header
            assert isinstance(self.envelope, SubmissionEnvelope)
            self.envelope.stored = stored
        self.envelope.content = content
        self.envelope.original_content = content
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()
        await self.push(replies.S250_OK if status is MISSING else status)

    async def _stored(
        self, transfer: DataTransfer, spool: MessageSpool, outcome: Outcome
    ) -> StoredContent | None:
        """The blob of a message that streamed into the vault, complete and durable; None
        for a message held in memory, refused, or abandoned (its blob is then removed)."""
        if not spool.streaming:
            return None
        if outcome is not Outcome.END or transfer.problem is not None:
            await spool.abort()
            return None
        return await spool.finish(transfer.take())

    async def _receive_data(self, transfer: DataTransfer, spool: MessageSpool) -> Outcome:
        """Feed the stream to `transfer` until it ends; a line too long comes in fragments.
        Beyond the spool's threshold, what has arrived goes on into the vault blob."""
        pieces = 0
        while True:
            if transfer.pending >= spool.threshold:
                await spool.write(transfer.take())
            elif transfer.problem is not None and spool.streaming:
                await spool.abort()
            run = self._buffered_lines() if transfer.between_lines else b""
            if run:
                outcome = transfer.feed_lines(run)
                if outcome is not Outcome.MORE:
                    return outcome
                await asyncio.sleep(0)
                continue
            try:
                piece = await self._reader.readuntil(b"\r\n")
            except asyncio.LimitOverrunError as error:
                piece = await self._reader.read(error.consumed)
            except asyncio.IncompleteReadError:
                # The client went away (aiosmtpd's eof_received normally cancels us first).
                if self.transport is not None:
                    self.transport.close()
                return Outcome.ABANDON
            outcome = transfer.feed(piece)
            if outcome is not Outcome.MORE:
                return outcome
            pieces += 1
            if pieces % DATA_PIECES_PER_TURN == 0:
                await asyncio.sleep(0)

    def _buffered_lines(self) -> bytes:
        """The whole lines already in the reader's buffer, up to and including the end-of-data
        line when it is there; b"" when there is no whole line.

        Taking every buffered line at once, instead of a `readuntil` per line, halves the
        CPU of a DATA transfer. asyncio's StreamReader has no public way to look into its
        buffer, so this uses CPython's `_buffer` and `_maybe_resume_transport` (both there
        since Python 3.4); without them it returns b"" and `readuntil` does the work. Nothing
        after the end-of-data line is taken: pipelined commands stay in the buffer.
        """
        reader = self._reader
        buffer = getattr(reader, "_buffer", None)
        resume = getattr(reader, "_maybe_resume_transport", None)
        if not isinstance(buffer, bytearray) or resume is None:
            return b""
        if buffer.startswith(b".\r\n"):
            end = 3
        else:
            marker = buffer.find(b"\r\n.\r\n")
            end = marker + 5 if marker >= 0 else buffer.rfind(b"\r\n") + 2
        if end < 2:
            return b""
        run = bytes(buffer[:end])
        del buffer[:end]
        resume()
        return run

    async def smtp_VRFY(self, arg: str) -> None:
        await self.push(replies.S502_VRFY_DISABLED)

    async def smtp_AUTH(self, arg: str) -> None:
        if await self._authenticator.client_locked(self._client()):
            log.warning("auth refused, locked out client=%s", self._client())
            await self.push(replies.S454_AUTH_LOCKED)
            return
        await super().smtp_AUTH(arg)

    async def auth_PLAIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            value = await self.challenge_auth("")
            if value is MISSING:
                return AuthResult(success=False, handled=True)
        else:
            try:
                value = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push(replies.S501_AUTH_BASE64)
                return AuthResult(success=False, handled=True)
        assert isinstance(value, bytes)
        parts = value.split(b"\x00")
        if len(parts) != 3:
            await self.push(replies.S501_AUTH_PLAIN_VALUE)
            return AuthResult(success=False, handled=True)
        authorize_as, login, password = parts
        # Acting for another identity (RFC 4616 authzid) is not supported.
        if authorize_as and authorize_as != login:
            login = b""
        return await self._authenticate(login, password)

    async def auth_LOGIN(self, _: Any, args: list[str]) -> AuthResult:
        if len(args) == 1:
            login = await self.challenge_auth("Username:")
        else:
            try:
                login = b64decode(args[1].encode(), validate=True)
            except ValueError:
                await self.push(replies.S501_AUTH_BASE64)
                return AuthResult(success=False, handled=True)
        if login is MISSING:
            return AuthResult(success=False, handled=True)
        password = await self.challenge_auth("Password:")
        if password is MISSING:
            return AuthResult(success=False, handled=True)
        assert isinstance(login, bytes) and isinstance(password, bytes)
        return await self._authenticate(login, password)

    async def _authenticate(self, login: bytes, password: bytes) -> AuthResult:
        assert self.session is not None
        submitter = await self._authenticator.authenticate(self._client(), login, password)
        if not isinstance(submitter, Submitter):
            return AuthResult(success=False, handled=False, message=AUTH_REFUSALS[submitter])
        self.session.submitter = submitter
        return AuthResult(success=True, auth_data=submitter, message=replies.S235_AUTH_OK)


class SubmissionServer:
    """The listening submission service: `await start()`, later `await stop()`.

    `reuse_port` binds with SO_REUSEPORT, so that several listener processes share the
    listen address and the kernel spreads new connections over them (processes.py).
    """

    def __init__(self, rt: Runtime, *, reuse_port: bool = False) -> None:
        self.rt = rt
        self.reuse_port = reuse_port
        self.settings = rt.settings.submission
        self.handler = SubmissionHandler(rt)
        self.authenticator = Authenticator(
            rt.db,
            AuthLimits(
                per_client_username=self.settings.auth_max_failures,
                per_username=self.settings.auth_max_failures_per_username,
                per_client=self.settings.auth_max_failures_per_client,
                window=timedelta(seconds=self.settings.auth_lockout_seconds),
            ),
            rt.subkey(CREDENTIAL_KEY_PURPOSE),
        )
        self.connections = ClientConnections(
            ConnectionLimits(
                max_total=self.settings.max_connections,
                per_client=self.settings.max_connections_per_client,
                rate_per_minute=self.settings.max_connection_rate,
            )
        )
        self._live: set[SubmissionSMTP] = set()
        self._server: asyncio.Server | None = None

    def _tls_context(self) -> ssl.SSLContext:
        cert, key = self.settings.tls_cert, self.settings.tls_key
        if not cert or not key:
            raise SubmissionError("[submission] tls_cert and tls_key are required (STARTTLS)")
        try:
            return server_context(Path(cert), Path(key))
        except (OSError, ssl.SSLError) as exc:
            raise SubmissionError(f"cannot load the TLS certificate {cert}: {exc}") from None

    async def start(self) -> None:
        """Listen on [submission] listen in the running event loop."""
        loop = asyncio.get_running_loop()
        context = self._tls_context()
        # aiosmtpd logs every DATA line at DEBUG; content must never reach a log.
        aiosmtpd_log = logging.getLogger("mail.log")
        if aiosmtpd_log.getEffectiveLevel() < logging.INFO:
            aiosmtpd_log.setLevel(logging.INFO)
        host, port = split_hostport(self.settings.listen)

        def new_session() -> SubmissionSMTP:
            return SubmissionSMTP(
                self.handler,
                settings=self.settings,
                tls_context=context,
                authenticator=self.authenticator,
                connections=self.connections,
                live=self._live,
                loop=loop,
            )

        self._server = await loop.create_server(
            new_session, host, port, reuse_port=self.reuse_port or None
        )
        log.info("submission listening on %s:%d", host, port)
        self._check_handle_limit()

    def _check_handle_limit(self) -> None:
        """Warn when max_connections could use up the process's file handles.

        Running out is survivable (asyncio logs the failed accept and retries a second
        later), but the portal and the database share the same handles.
        """
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.settings.max_connections + HANDLE_RESERVE
        if soft != resource.RLIM_INFINITY and soft < wanted:
            log.warning(
                "[submission] max_connections=%d but only %d file handles (ulimit -n); "
                "raise the limit to at least %d or lower max_connections",
                self.settings.max_connections,
                soft,
                wanted,
            )

    async def stop(self) -> None:
        """Stop listening, say 421 to every session, and wait briefly for them to close."""
        if self._server is None:
            return
        self._server.close()
        for protocol in list(self._live):
            protocol.end_session(replies.S421_SHUTTING_DOWN)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        while self._live and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        for protocol in list(self._live):
            if protocol.transport is not None:
                protocol.transport.abort()
        await self._server.wait_closed()
        self._server = None
        await self.handler.committer.close()

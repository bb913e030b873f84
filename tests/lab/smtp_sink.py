"""A real receiving SMTP server for tests: aiosmtpd on 127.0.0.1, failing on demand.

    sink = SmtpSink(tls=tls_files, folder=tmp_path / "mails")
    await sink.start()                 # in the test's event loop, or
    sink.start_thread()                # in a thread of its own, for blocking tests
    sink.fail_next(451, "4.3.0 try later", at="RCPT")
    mails = await sink.wait_for(lambda mail: "bob@" in mail.rcpt_tos[0], timeout=10)

Like Mailman's test SMTP server, the next replies can be scripted failures (`fail_next`):
4xx for temporary, 5xx for permanent ones, at MAIL, RCPT or DATA.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from sealgate.submission.tls import server_context

STAGES = ("MAIL", "RCPT", "DATA")


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted mail: the envelope and the content as it came off the wire (CRLF).

    `mail_from` is "" for the null sender (`MAIL FROM:<>`, used by DSNs).
    """

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    tls: bool
    auth_user: str | None

    @property
    def message(self) -> EmailMessage:
        parsed = BytesParser(policy=policy.default).parsebytes(self.content)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def content_lf(self) -> bytes:
        """The content with LF line ends, to compare with `EmailMessage.as_bytes()`."""
        return self.content.replace(b"\r\n", b"\n")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        failure = self.sink._take_failure("MAIL")
        if failure:
            return failure
        envelope.mail_from, envelope.mail_options = address, options
        return "250 2.1.0 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        failure = self.sink._take_failure("RCPT")
        if failure:
            return failure
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        failure = self.sink._take_failure("DATA")
        if failure:
            return failure
        auth = session.auth_data
        mail = ReceivedMail(
            # aiosmtpd keeps the null sender as "<>" (an empty one would mean "no MAIL yet").
            mail_from="" if envelope.mail_from == "<>" else envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            content=envelope.original_content or b"",
            tls=session.ssl is not None,
            auth_user=auth.login.decode() if isinstance(auth, LoginPassword) else None,
        )
        self.sink._keep(mail)
        return "250 2.0.0 OK: received"


class Mailbox:
    """The mails a lab server received, and waiting for them (shared by SmtpSink and
    mx_lab's BlockingTlsSink)."""

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self._lock = threading.Lock()

    def _keep(self, mail: ReceivedMail) -> int:
        """Add `mail`; its number, counting from 1."""
        with self._lock:
            self.messages.append(mail)
            return len(self.messages)

    def matching(self, predicate: Callable[[ReceivedMail], bool]) -> list[ReceivedMail]:
        with self._lock:
            return [mail for mail in self.messages if predicate(mail)]

    def wait_for_blocking(
        self,
        predicate: Callable[[ReceivedMail], bool] = lambda _: True,
        timeout: float = 10.0,
        count: int = 1,
    ) -> list[ReceivedMail]:
        """Wait (blocking) until `count` received mails match; return the matches."""
        deadline = time.monotonic() + timeout
        while (found := self._arrived(predicate, count, deadline)) is None:
            time.sleep(0.02)
        return found

    def _arrived(
        self, predicate: Callable[[ReceivedMail], bool], count: int, deadline: float
    ) -> list[ReceivedMail] | None:
        """The matches once `count` arrived; None to keep waiting; TimeoutError past deadline."""
        found = self.matching(predicate)
        if len(found) >= count:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(found)} of {count} expected mails arrived")
        return None


class SmtpSink(Mailbox):
    """Catch every mail sent to it; optionally STARTTLS, AUTH, and scripted failures."""

    def __init__(
        self,
        *,
        tls: tuple[Path, Path] | None = None,
        credentials: tuple[str, str] | None = None,
        folder: Path | None = None,
        hostname: str = "sink.test",
        host: str = "127.0.0.1",
        port: int = 0,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        """`tls_context` (instead of `tls` files) offers STARTTLS with a context as built;
        `host`/`port` pick the listening address (port 0 = a free one)."""
        super().__init__()
        self.host = host
        self.port = port
        self.tls, self.credentials, self.folder, self.hostname = tls, credentials, folder, hostname
        self.tls_context = tls_context
        self._failures: list[tuple[str, str]] = []  # (stage, reply), oldest first
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- scripting -------------------------------------------------------------------

    def fail_next(self, code: int, text: str, count: int = 1, *, at: str = "RCPT") -> None:
        """Answer the next `count` commands of stage `at` with `code text` instead of OK."""
        assert at in STAGES, at
        with self._lock:
            self._failures.extend([(at, f"{code} {text}")] * count)

    def _take_failure(self, stage: str) -> str | None:
        with self._lock:
            for index, (at, reply) in enumerate(self._failures):
                if at == stage:
                    del self._failures[index]
                    return reply
        return None

    def _keep(self, mail: ReceivedMail) -> int:
        number = super()._keep(mail)
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{number:04d}.eml").write_bytes(mail.content)
        return number

    # -- waiting ---------------------------------------------------------------------

    async def wait_for(
        self,
        predicate: Callable[[ReceivedMail], bool] = lambda _: True,
        timeout: float = 10.0,
        count: int = 1,
    ) -> list[ReceivedMail]:
        """Wait (in the event loop) until `count` received mails match; return the matches.

        `wait_for_blocking` is the same for tests that block (the sink in its own thread)."""
        deadline = time.monotonic() + timeout
        while (found := self._arrived(predicate, count, deadline)) is None:
            await asyncio.sleep(0.02)
        return found

    # -- running ---------------------------------------------------------------------

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        expected = self.credentials
        ok = (
            expected is not None
            and isinstance(auth_data, LoginPassword)
            and (auth_data.login.decode(), auth_data.password.decode()) == expected
        )
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def _protocol(self) -> SMTP:
        context = self.tls_context
        if context is None and self.tls:
            context = server_context(*self.tls)
        return SMTP(
            _Handler(self),
            hostname=self.hostname,
            data_size_limit=64 * 1024 * 1024,
            enable_SMTPUTF8=True,
            tls_context=context,
            authenticator=self._authenticate if self.credentials else None,
            auth_require_tls=context is not None,
        )

    async def start(self) -> None:
        """Listen on `host` at `port` (0: a free one, see `port`), in the running event loop."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._protocol, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def start_thread(self) -> None:
        """Run the sink in an event loop of its own thread (Controller-style)."""
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(target=loop.run_forever, name="smtp-sink", daemon=True)
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=10)

    def stop_thread(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
        self._loop = self._thread = None

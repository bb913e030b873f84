"""Blocking SMTP clients for the submission tests (run them with asyncio.to_thread).

`smtplib` for ordinary sessions; `RawSession` for bytes smtplib would never send (bare LF,
SMTP smuggling attempts), over a plain socket wrapped in TLS after STARTTLS.
"""

from __future__ import annotations

import base64
import select
import smtplib
import socket
import ssl

from sealgate.config import Settings, split_hostport
from tests.conftest import Sender


def reply(code: int, text: bytes | str) -> str:
    """An smtplib (code, text) pair as the one-line reply the server sent."""
    text = text.decode() if isinstance(text, bytes) else text
    return f"{code} {text}"


def client_context(settings: Settings) -> ssl.SSLContext:
    """A client context that trusts the test's self-signed certificate."""
    context = ssl.create_default_context(cafile=settings.submission.tls_cert)
    context.check_hostname = False
    return context


def connect(settings: Settings) -> smtplib.SMTP:
    host, port = split_hostport(settings.submission.listen)
    client = smtplib.SMTP(host, port, local_hostname="client.example", timeout=10)
    client.ehlo()
    return client


def connect_tls(settings: Settings) -> smtplib.SMTP:
    client = connect(settings)
    client.starttls(context=client_context(settings))
    client.ehlo()
    return client


def plain_auth(username: str, password: str) -> str:
    return base64.b64encode(f"\0{username}\0{password}".encode()).decode()


def connect_auth(settings: Settings, sender: Sender) -> smtplib.SMTP:
    client = connect_tls(settings)
    code, text = client.docmd("AUTH", "PLAIN " + plain_auth(sender.username, sender.password))
    assert code == 235, text
    return client


def message(
    sender: str = "alice@hospital.example",
    to: str = "bob@example.org",
    body: str = "Hello Bob.\r\n",
    extra: str = "",
) -> bytes:
    head = (
        f"From: Alice Arts <{sender}>\r\nTo: {to}\r\nSubject: test\r\n{extra}"
        if sender
        else (f"To: {to}\r\nSubject: test\r\n{extra}")
    )
    return (head + "\r\n" + body).encode()


def send_data(client: smtplib.SMTP, raw: bytes) -> str:
    """DATA with exactly these bytes (no line-ending repair, no dot-stuffing) + the final dot."""
    code, text = client.docmd("DATA")
    assert code == 354, text
    client.send(raw + b".\r\n")
    return reply(*client.getreply())


class RawSession:
    """A hand-driven SMTP session on a socket: STARTTLS by hand, then any bytes at all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.sock: socket.socket | ssl.SSLSocket = socket.create_connection(
            split_hostport(settings.submission.listen), timeout=10
        )
        self.buffer = b""
        self.read_reply()

    def read_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise EOFError(self.buffer)
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def read_reply(self) -> str:
        """The last line of the next (possibly multi-line) reply."""
        while True:
            line = self.read_line().decode()
            if line[3:4] != "-":
                return line

    def command(self, line: str) -> str:
        self.sock.sendall(line.encode() + b"\r\n")
        return self.read_reply()

    def starttls(self) -> None:
        assert self.command("EHLO client.example").startswith("250 ")
        assert self.command("STARTTLS").startswith("220 ")
        context = client_context(self.settings)
        self.sock = context.wrap_socket(self.sock, server_hostname="localhost")
        assert self.command("EHLO client.example").startswith("250 ")

    def login(self, sender: Sender) -> None:
        assert self.command("AUTH PLAIN " + plain_auth(sender.username, sender.password))[:3] == (
            "235"
        )

    def readable_within(self, seconds: float) -> bool:
        """True when the server sent something (a reply, or EOF) within `seconds`."""
        return bool(self.buffer) or bool(select.select([self.sock], [], [], seconds)[0])

    def send_bytes(self, data: bytes) -> None:
        self.sock.sendall(data)

    def at_eof(self) -> bool:
        try:
            return self.sock.recv(1) == b""
        except (ConnectionError, ssl.SSLError):
            return True

    def close(self) -> None:
        self.sock.close()

"""STARTTLS sessions against the MX lab: the facts each posture shows, mail over the graded
session, and network trouble that becomes facts instead of exceptions."""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
import struct
import threading
import time
import warnings
from collections.abc import Callable, Iterator

import pytest
import trustme

from sealgate.transport.starttls import (
    TlsFacts,
    open_smtp,
    open_starttls,
    quit_quietly,
    set_timeout,
)
from tests.lab.loopback import MX_FIRST, lab_address
from tests.lab.mx_lab import MxLab, Posture

HOSTS = {f"{posture.value.replace('_', '-')}.mx.example": posture for posture in Posture}
TLS_POSTURES = [Posture.VALID, Posture.SELF_SIGNED, Posture.EXPIRED, Posture.WRONG_NAME]


def _host(posture: Posture) -> str:
    return next(host for host, value in HOSTS.items() if value is posture)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MxLab]:
    mx_lab = MxLab(tmp_path_factory.mktemp("mx-lab"), HOSTS)
    yield mx_lab
    mx_lab.stop()


def _open(
    lab: MxLab, posture: Posture, timeout: float = 10.0
) -> tuple[TlsFacts, smtplib.SMTP | None]:
    server = lab.server(_host(posture))
    return open_starttls(
        server.address, server.port, server_name=server.host, helo="probe.test", timeout=timeout
    )


def test_plain_server_shows_no_starttls(lab: MxLab) -> None:
    facts, smtp = _open(lab, Posture.PLAIN)
    assert smtp is None
    assert facts == TlsFacts(True, False, None, None, (), "server does not offer STARTTLS")


def test_tls10_only_server_fails_the_tls12_floor(lab: MxLab) -> None:
    facts, smtp = _open(lab, Posture.TLS10)
    assert smtp is None
    assert facts.connected and facts.starttls
    assert facts.tls_version is None and facts.chain == ()
    assert facts.error is not None and facts.error.startswith("no TLS 1.2 or newer")


def test_tls10_lab_server_really_speaks_old_tls(lab: MxLab) -> None:
    """The posture is real: a client that allows TLS 1.0 gets TLS 1.0 or 1.1 and can send."""
    server = lab.server(_host(Posture.TLS10))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    with smtplib.SMTP(server.address, server.port, local_hostname="old.test", timeout=10) as smtp:
        smtp.starttls(context=context)
        assert isinstance(smtp.sock, ssl.SSLSocket)
        assert smtp.sock.version() in ("TLSv1", "TLSv1.1")
        smtp.sendmail("a@old.test", ["b@mx.example"], b"Subject: old\r\n\r\nold tls\r\n")
    assert server.wait_for_blocking(lambda mail: b"old tls" in mail.content)[0].tls


@pytest.mark.parametrize("posture", TLS_POSTURES, ids=[p.value for p in TLS_POSTURES])
def test_tls_postures_show_version_cipher_and_presented_chain(lab: MxLab, posture: Posture) -> None:
    """Verification is off in the handshake: bad certificates still give a session to grade."""
    facts, smtp = _open(lab, posture)
    assert smtp is not None
    quit_quietly(smtp)
    server = lab.server(_host(posture))
    assert facts.error is None and facts.connected and facts.starttls
    assert facts.tls_version in ("TLSv1.2", "TLSv1.3")
    assert facts.cipher
    assert facts.chain == server.chain_der
    assert len(facts.chain) == (1 if posture is Posture.SELF_SIGNED else 2)


def test_sni_carries_the_server_name(lab: MxLab) -> None:
    server = lab.server(_host(Posture.VALID))
    before = len(server.server_names)
    facts, smtp = _open(lab, Posture.VALID)
    assert smtp is not None
    quit_quietly(smtp)
    assert server.server_names[before:] == [server.host]


def test_mail_sent_on_the_graded_session_arrives_over_tls(lab: MxLab) -> None:
    server = lab.server(_host(Posture.VALID))
    facts, smtp = _open(lab, Posture.VALID)
    assert smtp is not None and facts.error is None
    assert smtp.has_extn("8bitmime")  # features come from the EHLO after STARTTLS
    body = b"Subject: graded\r\n\r\n" + b"line of text\r\n" * 20000 + b".leading dot\r\n"
    refused = smtp.sendmail("alice@sender.test", ["bob@valid.mx.example"], body)
    quit_quietly(smtp)
    assert refused == {}
    mail = server.wait_for_blocking(lambda mail: b"graded" in mail.content)[0]
    assert mail.tls
    assert mail.rcpt_tos == ("bob@valid.mx.example",)
    assert mail.content.endswith(b".leading dot\r\n")
    assert mail.content.count(b"line of text") == 20000


def test_connect_refused_gives_facts_not_exception() -> None:
    # Nothing listens on this lab address (the lab uses MX_FIRST .. MX_FIRST + 5).
    facts, smtp = open_starttls(
        lab_address(MX_FIRST + 60), 25, server_name="gone.test", helo="probe.test", timeout=5
    )
    assert smtp is None
    assert not facts.connected and not facts.starttls
    assert facts.error is not None and "connection refused" in facts.error


# -- scripted misbehaving servers ---------------------------------------------------------


class ScriptedServer:
    """One-connection-at-a-time blocking server on 127.0.0.1 running `script(socket)`."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.script = script
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            with connection:
                with contextlib.suppress(OSError):
                    self.script(connection)
                self.release.wait(30)  # hold the connection open, silent

    def close(self) -> None:
        self.release.set()
        self.listener.close()
        self.thread.join(timeout=10)


def _lines(connection: socket.socket, *replies: bytes) -> None:
    """Send the greeting, then answer each received line with the next reply."""
    reader = connection.makefile("rb")
    connection.sendall(replies[0])
    for reply in replies[1:]:
        reader.readline()
        connection.sendall(reply)


def _tls_after_starttls(connection: socket.socket, leaf: trustme.LeafCert) -> ssl.SSLSocket:
    """Greet, offer STARTTLS, agree to it, and take the handshake presenting `leaf`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    _lines(
        connection,
        b"220 slow.test ESMTP\r\n",
        b"250-slow.test\r\n250 STARTTLS\r\n",
        b"220 2.0.0 go ahead\r\n",
    )
    return context.wrap_socket(connection, server_side=True)


@pytest.fixture
def scripted() -> Iterator[Callable[[Callable[[socket.socket], None]], ScriptedServer]]:
    servers: list[ScriptedServer] = []

    def start(script: Callable[[socket.socket], None]) -> ScriptedServer:
        servers.append(ScriptedServer(script))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def _timed_open(port: int, timeout: float) -> tuple[TlsFacts, smtplib.SMTP | None, float]:
    started = time.monotonic()
    facts, smtp = open_starttls(
        "127.0.0.1", port, server_name="slow.test", helo="probe.test", timeout=timeout
    )
    return facts, smtp, time.monotonic() - started


def test_silent_server_times_out_into_facts(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(lambda connection: None)
    facts, smtp, elapsed = _timed_open(server.port, timeout=0.5)
    assert smtp is None and facts.connected
    assert facts.error is not None and "timed out" in facts.error
    assert elapsed < 5


def test_server_stalling_the_tls_handshake_times_out(
    scripted: Callable[..., ScriptedServer],
) -> None:
    server = scripted(
        lambda connection: _lines(
            connection,
            b"220 slow.test ESMTP\r\n",
            b"250-slow.test\r\n250 STARTTLS\r\n",
            b"220 2.0.0 go ahead\r\n",  # ... and then no TLS at all
        )
    )
    facts, smtp, elapsed = _timed_open(server.port, timeout=0.5)
    assert smtp is None and facts.starttls
    assert facts.error == "TLS handshake failed: timed out"
    assert elapsed < 5


def test_server_stalling_after_the_handshake_times_out_on_the_tls_socket(
    scripted: Callable[..., ScriptedServer],
) -> None:
    """The read timeout still works once pyOpenSSL owns the socket (SO_RCVTIMEO)."""
    leaf = trustme.CA().create_child_ca().issue_cert("slow.test")

    def script(connection: socket.socket) -> None:
        tls = _tls_after_starttls(connection, leaf)
        tls.recv(1024)  # the EHLO after STARTTLS, never answered
        server.release.wait(30)

    server = scripted(script)
    facts, smtp, elapsed = _timed_open(server.port, timeout=0.5)
    assert smtp is None
    assert facts.tls_version in ("TLSv1.2", "TLSv1.3") and len(facts.chain) == 2
    assert facts.error is not None and facts.error.startswith("EHLO after STARTTLS failed")
    assert "timed out" in facts.error
    assert elapsed < 5


def test_refused_starttls_is_reported(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(
        lambda connection: _lines(
            connection,
            b"220 busy.test ESMTP\r\n",
            b"250-busy.test\r\n250 STARTTLS\r\n",
            b"454 4.7.0 TLS not available due to temporary reason\r\n",
            b"221 bye\r\n",
        )
    )
    facts, smtp, _ = _timed_open(server.port, timeout=5)
    assert smtp is None and facts.starttls
    assert facts.error == "STARTTLS refused: 454 4.7.0 TLS not available due to temporary reason"


def test_rejecting_greeting_is_reported(scripted: Callable[..., ScriptedServer]) -> None:
    server = scripted(
        lambda connection: _lines(connection, b"554 5.7.1 go away\r\n", b"221 bye\r\n")
    )
    facts, smtp, _ = _timed_open(server.port, timeout=5)
    assert smtp is None and facts.connected and not facts.starttls
    assert facts.error == "server greeted with 554 5.7.1 go away"


def test_quit_quietly_on_a_dead_session_does_not_raise(lab: MxLab) -> None:
    facts, smtp = _open(lab, Posture.VALID)
    assert smtp is not None
    assert smtp.sock is not None
    smtp.sock.close()
    quit_quietly(smtp)
    quit_quietly(smtp)
    assert smtp.sock is None


def test_timeout_during_sendmail_surfaces_as_an_smtp_error(
    scripted: Callable[..., ScriptedServer],
) -> None:
    """smtplib reports a stalled TLS session like a stalled plain one: no hang, an SMTP error."""
    leaf = trustme.CA().issue_cert("slow.test")

    def script(connection: socket.socket) -> None:
        tls = _tls_after_starttls(connection, leaf)
        tls.recv(1024)
        tls.sendall(b"250-slow.test\r\n250 8BITMIME\r\n")
        server.release.wait(30)  # MAIL FROM is never answered

    server = scripted(script)
    facts, smtp, _ = _timed_open(server.port, timeout=0.5)
    assert smtp is not None and facts.error is None
    started = time.monotonic()
    with pytest.raises(smtplib.SMTPServerDisconnected, match="timed out"):
        smtp.sendmail("a@b.test", ["c@slow.test"], b"Subject: x\r\n\r\nx\r\n")
    assert time.monotonic() - started < 5
    quit_quietly(smtp)


def test_a_plain_session_stays_open_for_opportunistic_mail(lab: MxLab) -> None:
    server = lab.server(_host(Posture.PLAIN))
    facts, smtp = open_smtp(server.address, server.port, helo="probe.test", timeout=10)
    assert smtp is not None and not smtp.has_extn("starttls")
    assert facts.connected and facts.error is not None  # no TLS session
    set_timeout(smtp, 3.0)
    assert smtp.sock is not None and smtp.sock.gettimeout() == 3.0
    quit_quietly(smtp)


def test_set_timeout_on_a_tls_session_sets_the_kernel_timeouts(lab: MxLab) -> None:
    facts, smtp = _open(lab, Posture.VALID)
    assert smtp is not None and facts.error is None
    set_timeout(smtp, 7.5)
    raw = smtp.sock.raw  # type: ignore[union-attr]
    timeval = raw.getsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, 16)
    assert struct.unpack("ll", timeval) == (7, 500_000)
    assert smtp.noop()[0] == 250  # the session still works
    quit_quietly(smtp)

"""Receiving mail servers with different TLS postures, each on its own loopback address.

    lab = MxLab(tmp_path, {"mx1.example": Posture.VALID, "mx2.example": Posture.PLAIN})
    server = lab.server("mx1.example")      # .address, .port, .leaf_der, .chain_der, .messages
    zone_line = tlsa_text(3, 1, 1, server.leaf_der)   # "3 1 1 <hex>" for a DNS zone
    lab.stop()

Certificates come from a trustme root with an intermediate CA: leaves are issued by the
intermediate and servers present leaf + intermediate, as real mail servers do. `lab.ca_file`
is the root alone (the PKIX trust anchor). Servers are `SmtpSink`s on
`lab_address(first + i)` (per-process, see loopback.py), port 25 by default, each in a thread.

The `tls10` posture is a small blocking server instead: asyncio drops the TLS alert when a
handshake fails (it aborts the transport before flushing it), so a client floor of TLS 1.2
would only see "connection closed", while a real OpenSSL-based MTA answers with a
protocol_version alert. The blocking server sends that alert, as Postfix would.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from tests.lab.loopback import MX_FIRST, lab_address
from tests.lab.smtp_sink import Mailbox, ReceivedMail, SmtpSink


class Posture(StrEnum):
    PLAIN = "plain"  # no STARTTLS
    TLS10 = "tls10"  # TLS 1.0/1.1 only, certificate otherwise valid
    TLS12 = "tls12"  # TLS 1.2 at most, certificate valid
    VALID = "valid"  # names the host, issued under the lab CA
    SELF_SIGNED = "self_signed"  # names the host, signed by itself
    EXPIRED = "expired"  # names the host, lab CA, validity ended yesterday
    WRONG_NAME = "wrong_name"  # lab CA, names "not-<host>"


@dataclass
class MxServer:
    """One lab server: where it listens, what it presents, what it received."""

    host: str
    posture: Posture
    address: str
    port: int
    leaf_der: bytes | None  # None for PLAIN
    chain_der: tuple[bytes, ...]  # as presented, leaf first; () for PLAIN
    key_pem: bytes | None
    sink: SmtpSink | BlockingTlsSink = field(repr=False)
    server_names: list[str | None] = field(default_factory=list)  # SNI per TLS handshake

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.sink.matching(lambda _: True)

    def wait_for_blocking(
        self, predicate: Callable[[ReceivedMail], bool] = lambda _: True, timeout: float = 10.0
    ) -> list[ReceivedMail]:
        return self.sink.wait_for_blocking(predicate, timeout)


class MxLab:
    """Start one receiving server per host; `stop()` ends them all."""

    def __init__(
        self,
        workdir: Path,
        hosts: Mapping[str, Posture | str],
        port: int = 25,
        *,
        first: int = MX_FIRST,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.ca = trustme.CA()
        self.intermediate = self.ca.create_child_ca()
        self.ca_file = workdir / "lab-root-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.root_der = _der(self.ca.cert_pem.bytes())
        self.intermediate_der = _der(self.intermediate.cert_pem.bytes())
        self._servers: dict[str, MxServer] = {}
        try:
            for index, (host, posture) in enumerate(hosts.items()):
                self._servers[host] = self._start(
                    host, Posture(posture), lab_address(first + index), port
                )
        except BaseException:
            self.stop()
            raise

    def server(self, host: str) -> MxServer:
        return self._servers[host]

    @property
    def servers(self) -> list[MxServer]:
        return list(self._servers.values())

    def stop(self) -> None:
        for server in self._servers.values():
            server.sink.stop_thread()
        self._servers.clear()

    def __enter__(self) -> MxLab:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()

    # -- building ----------------------------------------------------------------------

    def _start(self, host: str, posture: Posture, address: str, port: int) -> MxServer:
        context: ssl.SSLContext | None = None
        leaf_der: bytes | None = None
        chain: tuple[bytes, ...] = ()
        key_pem: bytes | None = None
        if posture is not Posture.PLAIN:
            chain_pems, key_pem = self._credentials(host, posture)
            chain = tuple(_der(pem) for pem in chain_pems)
            leaf_der = chain[0]
            folder = self.workdir / f"{host}-{posture}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "chain.pem").write_bytes(b"".join(chain_pems))
            (folder / "key.pem").write_bytes(key_pem)
            context = _server_context(folder / "chain.pem", folder / "key.pem", posture)
        server_names: list[str | None] = []
        if context is not None:
            context.sni_callback = lambda _socket, name, _context: server_names.append(name)
        sink: SmtpSink | BlockingTlsSink
        if posture is Posture.TLS10:
            assert context is not None
            sink = BlockingTlsSink(hostname=host, host=address, port=port, tls_context=context)
        else:
            sink = SmtpSink(hostname=host, host=address, port=port, tls_context=context)
        sink.start_thread()
        return MxServer(
            host, posture, address, sink.port, leaf_der, chain, key_pem, sink, server_names
        )

    def _credentials(self, host: str, posture: Posture) -> tuple[list[bytes], bytes]:
        """(PEM chain leaf first, PEM key) for a posture."""
        if posture is Posture.SELF_SIGNED:
            return self_signed(host)
        now = datetime.datetime.now(datetime.UTC)
        if posture is Posture.EXPIRED:
            leaf = self.intermediate.issue_cert(
                host,
                not_before=now - datetime.timedelta(days=30),
                not_after=now - datetime.timedelta(days=1),
            )
        elif posture is Posture.WRONG_NAME:
            leaf = self.intermediate.issue_cert(f"not-{host}")
        else:
            leaf = self.intermediate.issue_cert(host)
        return [blob.bytes() for blob in leaf.cert_chain_pems], leaf.private_key_pem.bytes()


class BlockingTlsSink(Mailbox):
    """A minimal receiving SMTP server on blocking sockets (EHLO, STARTTLS, MAIL, RCPT, DATA).

    Same reading interface as `SmtpSink` (its `Mailbox`, and `port`).
    """

    def __init__(self, *, hostname: str, host: str, port: int, tls_context: ssl.SSLContext):
        super().__init__()
        self.hostname, self.host, self.port, self.tls_context = hostname, host, port, tls_context
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    def start_thread(self) -> None:
        self._listener = socket.create_server((self.host, self.port), reuse_port=False)
        self.port = int(self._listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name="mx-tls10", daemon=True)
        self._thread.start()

    def stop_thread(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes accept(); close() does not
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def _accept(self) -> None:
        listener = self._listener
        while listener is not None:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # closed by stop_thread
            connection.settimeout(30)
            with self._lock:
                self._connections.add(connection)
            threading.Thread(target=self._session, args=(connection,), daemon=True).start()

    def _session(self, connection: socket.socket) -> None:
        stream: socket.socket = connection
        try:
            self._dialogue(stream)
        except (OSError, ValueError):
            pass  # failed handshakes and dropped clients end the session
        finally:
            with self._lock:
                self._connections.discard(connection)
            connection.close()

    def _dialogue(self, stream: socket.socket) -> None:
        reader = stream.makefile("rb")
        tls = False
        mail_from: str | None = None
        rcpt_tos: list[str] = []

        def reply(line: str) -> None:
            stream.sendall(line.encode() + b"\r\n")

        reply(f"220 {self.hostname} ESMTP lab")
        while line := reader.readline(4096):
            verb, _, argument = line.decode("utf-8", "replace").strip().partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                extensions = [] if tls else ["STARTTLS"]
                lines = [self.hostname, "8BITMIME", *extensions]
                for number, text in enumerate(lines):
                    reply(f"250{'-' if number < len(lines) - 1 else ' '}{text}")
            elif verb == "HELO":
                reply(f"250 {self.hostname}")
            elif verb == "STARTTLS" and not tls:
                reply("220 2.0.0 Ready to start TLS")
                reader.close()
                stream = self.tls_context.wrap_socket(stream, server_side=True)
                reader, tls = stream.makefile("rb"), True
                mail_from, rcpt_tos = None, []
            elif verb == "MAIL":
                mail_from = argument.partition(":")[2].split(" ")[0].strip("<>")
                reply("250 2.1.0 OK")
            elif verb == "RCPT" and mail_from is not None:
                rcpt_tos.append(argument.partition(":")[2].split(" ")[0].strip("<>"))
                reply("250 2.1.5 OK")
            elif verb == "DATA" and rcpt_tos:
                reply("354 End data with <CR><LF>.<CR><LF>")
                content = bytearray()
                while (data := reader.readline(1 << 20)) not in (b".\r\n", b""):
                    content += data[1:] if data.startswith(b".") else data
                self._keep(
                    ReceivedMail(mail_from or "", tuple(rcpt_tos), bytes(content), tls, None)
                )
                mail_from, rcpt_tos = None, []
                reply("250 2.0.0 OK: received")
            elif verb == "RSET":
                mail_from, rcpt_tos = None, []
                reply("250 2.0.0 OK")
            elif verb == "NOOP":
                reply("250 2.0.0 OK")
            elif verb == "QUIT":
                reply("221 2.0.0 Bye")
                return
            else:
                reply("503 5.5.1 Bad sequence of commands")


def tlsa_text(usage: int, selector: int, mtype: int, cert_der: bytes) -> str:
    """A TLSA record's RDATA in presentation format, e.g. "3 1 1 <hex>", for a zone file."""
    cert = x509.load_der_x509_certificate(cert_der)
    if selector == 0:
        selected = cert_der
    elif selector == 1:
        selected = cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    else:
        raise ValueError(f"selector must be 0 or 1, not {selector}")
    if mtype == 0:
        data = selected
    elif mtype == 1:
        data = hashlib.sha256(selected).digest()
    elif mtype == 2:
        data = hashlib.sha512(selected).digest()
    else:
        raise ValueError(f"matching type must be 0, 1 or 2, not {mtype}")
    return f"{usage} {selector} {mtype} {data.hex()}"


def _server_context(chain_file: Path, key_file: Path, posture: Posture) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain_file, key_file)
    if posture is Posture.TLS10:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # OpenSSL 3 refuses TLS < 1.2 above 0
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    if posture is Posture.TLS12:
        context.maximum_version = ssl.TLSVersion.TLSv1_2
    return context


def self_signed(host: str) -> tuple[list[bytes], bytes]:
    """(PEM chain of one certificate, PEM key): a self-signed ECDSA leaf naming `host`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return [cert.public_bytes(serialization.Encoding.PEM)], key_pem


def _der(pem: bytes) -> bytes:
    return x509.load_pem_x509_certificate(pem).public_bytes(serialization.Encoding.DER)

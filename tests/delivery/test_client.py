"""The one SMTP client for mail without a level (opportunistic DANE) against a real sink:
relay path, MX path (loopback DNS), TLS, AUTH. DANE itself: test_client_dane.py."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sealgate.config import Settings, load
from sealgate.delivery.client import deliver
from sealgate.delivery.outcome import (
    BelowRequirement,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)
from sealgate.policy.requirement import Requirement
from sealgate.transport import TransportLevel
from sealgate.transport.cache import prober_for
from sealgate.transport.mx import mx_hosts
from sealgate.transport.probe import Prober
from sealgate.transport.resolver import Resolver
from tests.conftest import free_port, make_settings
from tests.delivery.conftest import notification
from tests.delivery.dns_zone import DnsZone
from tests.lab.smtp_sink import ReceivedMail, SmtpSink
from tests.lab.transport_world import TransportWorld

FROM, TO = "alice@hospital.example", "bob@example.org"


def _settings(tmp_path: Path, tls_files: tuple[Path, Path], **env: str) -> Settings:
    return make_settings(tmp_path, "sqlite://", tls_files, **env)


async def send(
    settings: Settings,
    mail_from: str,
    rcpt_to: str,
    message: bytes,
    *,
    prober: Prober | None = None,
) -> Outcome | BelowRequirement:
    """What the worker does for a notification: the one client, opportunistic DANE."""
    prober = prober or prober_for(settings)
    requirement = Requirement.opportunistic_dane()
    return await deliver(settings, prober, requirement, mail_from, rcpt_to, message)


def mail_hosts(domain: str, records: list[tuple[int, str]], salt: str = "") -> list[str] | None:
    """The host names the client tries for `domain` (the probe's plan orders them so)."""
    hosts = mx_hosts(domain, records, salt)
    return None if hosts is None else [host.name for host in hosts]


# -- MX ordering (pure) ----------------------------------------------------------------


def test_mail_hosts_orders_by_preference_and_normalises() -> None:
    hosts = mail_hosts(
        "example.org", [(20, "B.example.org."), (10, "a.example.org."), (30, "b.example.org.")]
    )
    assert hosts == ["a.example.org", "b.example.org"]


def test_equal_preferences_are_spread_by_salt_but_reproducible() -> None:
    records = [(10, f"mx{n}.example.org.") for n in range(6)] + [(5, "first.example.org.")]
    orders = {tuple(mail_hosts("example.org", records, salt=f"r{n}")) for n in range(10)}
    assert len(orders) > 1
    assert all(order[0] == "first.example.org" for order in orders)
    assert mail_hosts("example.org", records, salt="r1") == mail_hosts(
        "example.org", records, salt="r1"
    )


def test_no_mx_is_the_implicit_mx() -> None:
    assert mail_hosts("Example.ORG.", []) == ["example.org"]


def test_null_mx_refuses_all_mail() -> None:
    assert mail_hosts("example.org", [(0, ".")]) is None  # delivered as 5.1.10: test_mx_failures


def test_a_null_mx_among_real_ones_is_ignored() -> None:
    assert mail_hosts("example.org", [(0, "."), (10, "mx.example.org.")]) == ["mx.example.org"]


# -- relay path --------------------------------------------------------------------------


async def test_relay_delivers_byte_identical(tmp_path: Path, tls_files, sink: SmtpSink) -> None:
    mail = notification().as_bytes()
    settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=sink.address)
    outcome = await send(settings, FROM, TO, mail)
    assert isinstance(outcome, Delivered)
    [received] = sink.messages
    assert received.content_lf == mail
    assert received.mail_from == FROM and received.rcpt_tos == (TO,)
    assert not received.tls  # the plain sink offers no STARTTLS


async def test_null_sender_is_sent_as_empty_path(tmp_path: Path, tls_files, sink: SmtpSink) -> None:
    settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=sink.address)
    assert isinstance(await send(settings, "", FROM, notification().as_bytes()), Delivered)
    assert sink.messages[0].mail_from == ""


@pytest.mark.parametrize(
    ("at", "code", "text", "kind", "status"),
    [
        ("RCPT", 550, "5.1.1 no such user", PermanentFailure, "5.1.1"),
        ("MAIL", 553, "5.7.1 sender refused", PermanentFailure, "5.7.1"),
        ("DATA", 451, "4.3.0 try again later", TemporaryFailure, "4.3.0"),
        ("RCPT", 452, "4.2.2 mailbox full", TemporaryFailure, "4.2.2"),
    ],
)
async def test_relay_refusals_are_classified(
    tmp_path: Path,
    tls_files,
    sink: SmtpSink,
    at: str,
    code: int,
    text: str,
    kind: type,
    status: str,
) -> None:
    sink.fail_next(code, text, at=at)
    settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=sink.address)
    outcome = await send(settings, FROM, TO, notification().as_bytes())
    assert isinstance(outcome, kind) and outcome.status == status and outcome.code == code
    assert not sink.messages


async def test_relay_down_is_temporary(tmp_path: Path, tls_files) -> None:
    settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{free_port()}")
    outcome = await send(settings, FROM, TO, b"Subject: x\n\nx\n")
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.4.1"


async def test_a_silent_server_times_out(tmp_path: Path, tls_files) -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    settings = _settings(
        tmp_path,
        tls_files,
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{port}",
        SEALGATE_DELIVERY__TIMEOUT="0.3",
    )
    try:
        outcome = await send(settings, FROM, TO, b"Subject: x\n\nx\n")
    finally:
        server.close()
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.4.2"


@pytest.fixture
async def tls_sink(tls_files: tuple[Path, Path]) -> AsyncIterator[SmtpSink]:
    server = SmtpSink(tls=tls_files, credentials=("relay-user", "relay-pw"))
    await server.start()
    yield server
    await server.stop()


async def test_relay_starttls_required_but_not_offered_fails_closed(
    tmp_path: Path, tls_files, sink: SmtpSink
) -> None:
    settings = _settings(
        tmp_path,
        tls_files,
        SEALGATE_DELIVERY__RELAY=sink.address,
        SEALGATE_DELIVERY__RELAY_STARTTLS="true",
    )
    outcome = await send(settings, FROM, TO, notification().as_bytes())
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.7.4"
    assert not sink.messages


async def test_relay_with_starttls_and_auth(tmp_path: Path, tls_files, tls_sink: SmtpSink) -> None:
    settings = _settings(
        tmp_path,
        tls_files,
        SEALGATE_DELIVERY__RELAY=tls_sink.address,
        SEALGATE_DELIVERY__RELAY_STARTTLS="true",
        SEALGATE_DELIVERY__RELAY_CA_FILE=str(tls_files[0]),
        SEALGATE_DELIVERY__RELAY_USERNAME="relay-user",
        SEALGATE_DELIVERY__RELAY_PASSWORD="relay-pw",
    )
    assert isinstance(await send(settings, FROM, TO, notification().as_bytes()), Delivered)
    [received] = tls_sink.messages
    assert received.tls and received.auth_user == "relay-user"


async def test_a_relay_whose_certificate_does_not_validate_gets_nothing(
    tmp_path: Path, tls_files, tls_sink: SmtpSink
) -> None:
    """relay_starttls verifies: the system store does not know the sink's self-signed cert."""
    settings = _settings(
        tmp_path,
        tls_files,
        SEALGATE_DELIVERY__RELAY=tls_sink.address,
        SEALGATE_DELIVERY__RELAY_STARTTLS="true",
        SEALGATE_DELIVERY__RELAY_USERNAME="relay-user",
        SEALGATE_DELIVERY__RELAY_PASSWORD="relay-pw",
    )
    outcome = await send(settings, FROM, TO, notification().as_bytes())
    assert isinstance(outcome, TemporaryFailure)
    assert "certificate verify failed" in outcome.text
    assert not tls_sink.messages


async def test_relay_refusing_our_credentials_defers(tmp_path: Path, tls_files, tls_sink) -> None:
    settings = _settings(
        tmp_path,
        tls_files,
        SEALGATE_DELIVERY__RELAY=tls_sink.address,
        SEALGATE_DELIVERY__RELAY_USERNAME="relay-user",
        SEALGATE_DELIVERY__RELAY_PASSWORD="wrong",
    )
    outcome = await send(settings, FROM, TO, notification().as_bytes())
    assert isinstance(outcome, TemporaryFailure) and "credentials" in outcome.text
    assert not tls_sink.messages


async def test_opportunistic_starttls_is_used_when_offered(tmp_path: Path, tls_files) -> None:
    server = SmtpSink(tls=tls_files)
    await server.start()
    settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=server.address)
    try:
        assert isinstance(await send(settings, FROM, TO, notification().as_bytes()), Delivered)
    finally:
        await server.stop()
    assert server.messages[0].tls


def test_sink_in_a_thread_for_blocking_tests(tmp_path: Path, tls_files) -> None:
    server = SmtpSink(folder=tmp_path / "eml")
    server.start_thread()
    try:
        settings = _settings(tmp_path, tls_files, SEALGATE_DELIVERY__RELAY=server.address)
        mail = notification().as_bytes()
        assert isinstance(asyncio.run(send(settings, FROM, TO, mail)), Delivered)
        [received] = server.wait_for_blocking(lambda m: TO in m.rcpt_tos, timeout=5)
    finally:
        server.stop_thread()
    assert (tmp_path / "eml" / "0001.eml").read_bytes() == received.content


# -- MX path, against a DNS zone served on loopback -------------------------------------


async def _send_via_mx(tmp_path, tls_files, zone: DnsZone, sink: SmtpSink, rcpt: str):
    settings = _settings(tmp_path, tls_files, SEALGATE_TRANSPORT__SMTP_PORT=str(sink.port))
    prober = Prober(Resolver(f"127.0.0.1:{zone.port}", timeout=2), port=sink.port, timeout=5)
    return await send(settings, FROM, rcpt, notification(rcpt).as_bytes(), prober=prober)


async def test_mx_in_preference_order_skipping_a_dead_host(tmp_path, tls_files, zone, sink) -> None:
    zone.add("lab.example", "MX", "5 down.lab.example.", "10 up.lab.example.")
    zone.add("down.lab.example", "A", "127.0.0.2")  # nothing listens there: refused
    zone.add("up.lab.example", "A", "127.0.0.1")
    assert isinstance(
        await _send_via_mx(tmp_path, tls_files, zone, sink, "bob@lab.example"), Delivered
    )
    assert sink.messages[0].rcpt_tos == ("bob@lab.example",)


async def test_implicit_mx_uses_the_domain_address(tmp_path, tls_files, zone, sink) -> None:
    zone.add("plain.example", "A", "127.0.0.1")
    assert isinstance(
        await _send_via_mx(tmp_path, tls_files, zone, sink, "bob@plain.example"), Delivered
    )


@pytest.mark.parametrize(
    ("records", "rcpt", "kind", "status"),
    [
        ([("null.example", "MX", "0 .")], "bob@null.example", PermanentFailure, "5.1.10"),
        ([], "bob@missing.example", PermanentFailure, "5.1.2"),
        ([("txt.example", "TXT", '"no mail here"')], "bob@txt.example", PermanentFailure, "5.1.2"),
        (
            [("noaddr.example", "MX", "10 gone.noaddr.example.")],
            "bob@noaddr.example",
            TemporaryFailure,
            "4.4.4",
        ),
    ],
)
async def test_mx_failures(tmp_path, tls_files, zone, sink, records, rcpt, kind, status) -> None:
    for name, rdtype, value in records:
        zone.add(name, rdtype, value)
    outcome = await _send_via_mx(tmp_path, tls_files, zone, sink, rcpt)
    assert isinstance(outcome, kind) and outcome.status == status
    assert not sink.messages


@pytest.mark.parametrize("rcpt", ["nobody", "bob@", "bob@a..b.example", "<bob@lab.example"])
async def test_a_recipient_that_is_no_address_is_refused_unsent(
    tmp_path, tls_files, zone, sink, rcpt
) -> None:
    """The client parses the recipient as an `Address`: what is none fails permanently
    (5.1.2) before any look-up, even when its text would resolve as a domain (`nobody`)."""
    zone.add("nobody", "A", "127.0.0.1")
    zone.add("lab.example", "A", "127.0.0.1")
    settings = _settings(tmp_path, tls_files, SEALGATE_TRANSPORT__SMTP_PORT=str(sink.port))
    prober = Prober(Resolver(f"127.0.0.1:{zone.port}", timeout=2), port=sink.port, timeout=5)
    outcome = await send(settings, FROM, rcpt, notification(TO).as_bytes(), prober=prober)
    assert isinstance(outcome, PermanentFailure) and outcome.status == "5.1.2"
    assert not sink.messages


async def test_servfail_is_temporary(tmp_path, tls_files, zone, sink) -> None:
    zone.servfail.add("broken.example")
    outcome = await _send_via_mx(tmp_path, tls_files, zone, sink, "bob@broken.example")
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.4.3"


# -- opportunistic DANE (RFC 7672) in the DNS lab -----------------------------------------


def _lab_send(world: TransportWorld, rcpt: str, **env: str) -> Outcome | BelowRequirement:
    """A notification to `rcpt` as the worker sends it: the one client, opportunistic DANE."""
    prober = Prober(Resolver(world.resolver, timeout=2), ca_file=world.ca_file, timeout=5)
    settings = load(None, env)
    mail = notification(rcpt).as_bytes()
    return asyncio.run(
        deliver(settings, prober, Requirement.opportunistic_dane(), FROM, rcpt, mail)
    )


def _arrived(world: TransportWorld, host: str, rcpt: str) -> list[ReceivedMail]:
    return [m for m in world.server(host).messages if rcpt in m.rcpt_tos]


@pytest.mark.parametrize(
    ("domain", "host"),
    [
        ("dane-ee.lab", "mx.dane-ee.lab"),
        ("dane-self.lab", "mx.dane-self.lab"),  # DANE-EE: a self-signed leaf is fine
        ("cname.lab", "mx.dane-ta.lab"),  # TLSA at the CNAME-expanded name, DANE-TA
    ],
)
def test_a_secure_matching_tlsa_rrset_is_verified(
    transport_world: TransportWorld, domain: str, host: str
) -> None:
    rcpt = f"notified@{domain}"
    outcome = _lab_send(transport_world, rcpt)
    assert isinstance(outcome, Delivered), outcome
    assert outcome.proven == TransportLevel.DANE  # the chain matched the secure TLSA RRset
    [received] = _arrived(transport_world, host, rcpt)
    assert received.tls


@pytest.mark.parametrize(
    ("domain", "host"),
    [
        ("dane-wrong.lab", "mx.dane-wrong.lab"),  # a valid PKIX certificate does not help
        ("dane-ta-absent.lab", "mx.dane-ta-absent.lab"),
        ("insecure-mx-wrong.lab", "mx.dane-wrong.lab"),  # enforced under an insecure MX too
        ("dane-plain.lab", "mx.dane-plain.lab"),  # TLSA secure, no STARTTLS: no plaintext
    ],
)
def test_a_secure_tlsa_rrset_that_is_not_matched_defers_and_sends_nothing(
    transport_world: TransportWorld, domain: str, host: str
) -> None:
    rcpt = f"mismatch@{domain}"
    outcome = _lab_send(transport_world, rcpt)
    assert isinstance(outcome, TemporaryFailure), outcome
    assert outcome.status == "4.7.5"
    assert not _arrived(transport_world, host, rcpt)


def test_a_bogus_tlsa_answer_defers(transport_world: TransportWorld) -> None:
    outcome = _lab_send(transport_world, "bogus-tlsa@tlsa-bogus.lab")
    assert isinstance(outcome, TemporaryFailure), outcome
    assert outcome.status == "4.4.3" and "TLSA lookup" in outcome.text
    assert not _arrived(transport_world, "mx.tlsa-bogus.lab", "bogus-tlsa@tlsa-bogus.lab")


@pytest.mark.parametrize("domain", ["bogus.lab", "dead.lab"])
def test_a_failed_mx_lookup_defers(transport_world: TransportWorld, domain: str) -> None:
    outcome = _lab_send(transport_world, f"anyone@{domain}")
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.4.3"


@pytest.mark.parametrize(
    ("domain", "proven"),
    [
        ("pkix.lab", TransportLevel.PKIX),  # insecure zone: no TLSA looked up, STARTTLS
        ("selfsigned.lab", TransportLevel.TLS),  # the certificate is not checked
        ("pane.lab", TransportLevel.PANE),  # secure zone, no TLSA: may
        ("expired.lab", TransportLevel.TLS),
    ],
)
def test_without_tlsa_starttls_is_opportunistic(
    transport_world: TransportWorld, domain: str, proven: TransportLevel
) -> None:
    rcpt = f"may@{domain}"
    outcome = _lab_send(transport_world, rcpt)
    assert isinstance(outcome, Delivered) and outcome.proven == proven, outcome
    [received] = _arrived(transport_world, f"mx.{domain}", rcpt)
    assert received.tls


def test_no_starttls_in_an_insecure_zone_goes_in_plaintext(
    transport_world: TransportWorld,
) -> None:
    outcome = _lab_send(transport_world, "clear@plain.lab")
    assert isinstance(outcome, Delivered) and outcome.proven == TransportLevel.NONE
    [received] = _arrived(transport_world, "mx.plain.lab", "clear@plain.lab")
    assert not received.tls


def test_a_failed_handshake_defers_instead_of_falling_back_to_plaintext(
    transport_world: TransportWorld,
) -> None:
    """old.lab offers STARTTLS but speaks only TLS 1.0: below our floor, and never cleartext."""
    outcome = _lab_send(transport_world, "old@old.lab")
    assert isinstance(outcome, TemporaryFailure) and outcome.status == "4.4.1", outcome
    assert "not sending in plaintext" in outcome.text
    assert not _arrived(transport_world, "mx.old.lab", "old@old.lab")


def test_a_null_mx_in_the_lab_is_permanent(transport_world: TransportWorld) -> None:
    outcome = _lab_send(transport_world, "nobody@nullmx.lab")
    assert isinstance(outcome, PermanentFailure) and outcome.status == "5.1.10"


def test_with_a_relay_mail_without_a_level_goes_to_the_relay(
    transport_world: TransportWorld, tmp_path: Path
) -> None:
    """The relay path is unchanged: the relay gets the mail even for a DANE domain."""
    relay = SmtpSink()
    relay.start_thread()
    try:
        outcome = _lab_send(
            transport_world, "relayed@dane-wrong.lab", SEALGATE_DELIVERY__RELAY=relay.address
        )
        assert isinstance(outcome, Delivered) and outcome.proven is None
        relay.wait_for_blocking(lambda m: "relayed@dane-wrong.lab" in m.rcpt_tos, timeout=5)
    finally:
        relay.stop_thread()
    assert not _arrived(transport_world, "mx.dane-wrong.lab", "relayed@dane-wrong.lab")

"""DKIM on the way out: mail through the worker arrives signed twice by its From: domain."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import dkim  # type: ignore[import-untyped]
import pytest
from sqlalchemy import event, update

from sealgate.bootstrap import Runtime
from sealgate.delivery import deliver_due
from sealgate.delivery.dkim import DkimKey, dns_record
from sealgate.delivery.dkim_keys import DKIM_KEY_PURPOSE, domain_keys
from sealgate.delivery.signing import SigningKeys, sign_message, signing_domain, signing_keys
from sealgate.directory import create_org
from sealgate.notify import compose_code_mail
from sealgate.store import utcnow
from sealgate.store.schema import DkimKeyRow
from tests.conftest import Sender
from tests.delivery.conftest import notification, queue_mail
from tests.delivery.test_dkim import DnsFunc, dns_of, signature_tags, verifies
from tests.lab.smtp_sink import SmtpSink


def _keys(rt: Runtime, domain: str) -> list[DkimKey]:
    with rt.db.begin() as session:
        return domain_keys(session, rt.subkey(DKIM_KEY_PURPOSE), domain)


def _published(rt: Runtime, *domains: str) -> DnsFunc:
    """dkimpy's DNS hook, answering with the records `sealgate dns-records` prints."""
    return dns_of(dict(dns_record(key) for domain in domains for key in _keys(rt, domain)))


def _signatures(content: bytes) -> list[dict[bytes, bytes]]:
    count = sum(1 for name, _ in dkim.DKIM(content).headers if name.lower() == b"dkim-signature")
    return [signature_tags(content, index) for index in range(count)]


def _assert_signed_twice_by(rt: Runtime, content: bytes, domain: str) -> None:
    """Two signatures of `domain` on `content`, each verifying against its published keys."""
    assert [s[b"d"] for s in _signatures(content)] == [domain.encode()] * 2
    dnsfunc = _published(rt, domain)
    assert verifies(content, dnsfunc, 0) and verifies(content, dnsfunc, 1)


def _claim_gateway_domain(rt: Runtime) -> None:
    with rt.db.begin() as session:
        create_org(session, "Operator", ["gateway.example"])


async def test_a_notification_arrives_signed_with_ed25519_and_rsa_that_verify(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    queue_mail(runtime, notification())
    assert await deliver_due(runtime) == 1
    [received] = sink.messages
    signatures = _signatures(received.content)
    assert [(s[b"a"], s[b"d"]) for s in signatures] == [
        (b"ed25519-sha256", b"hospital.example"),
        (b"rsa-sha256", b"hospital.example"),
    ]
    dnsfunc = _published(runtime, "hospital.example")
    assert verifies(received.content, dnsfunc, 0)
    assert verifies(received.content, dnsfunc, 1)
    # What the recipient sees is otherwise the mail that was queued.
    assert received.message["Subject"] == notification()["Subject"]


async def test_a_tampered_signed_mail_no_longer_verifies(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    queue_mail(runtime, notification())
    await deliver_due(runtime)
    content = sink.messages[0].content.replace(b"Secure message", b"Secure messagf")
    assert content != sink.messages[0].content
    dnsfunc = _published(runtime, "hospital.example")
    assert not verifies(content, dnsfunc, 0) and not verifies(content, dnsfunc, 1)


async def test_mail_from_an_unclaimed_domain_leaves_unsigned_and_unchanged(
    runtime: Runtime, sink: SmtpSink
) -> None:
    mail = notification()  # hospital.example: no organisation claimed it in this test
    queue_mail(runtime, mail)
    await deliver_due(runtime)
    [received] = sink.messages
    assert b"DKIM-Signature" not in received.content
    assert received.content_lf == mail.as_bytes()
    with runtime.db.begin() as session:
        assert session.query(DkimKeyRow).count() == 0


async def test_a_code_mail_from_the_system_address_is_signed_by_the_gateway_domain(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    _claim_gateway_domain(runtime)
    code_mail = compose_code_mail(
        recipient="bob@example.org",
        code="123456",
        sender_name="Alice Arts",
        sender_address=sender.address,
        system_from="noreply@gateway.example",
        ttl_minutes=10,
        now=utcnow(),
    )
    queue_mail(runtime, code_mail, kind="code", mail_from="noreply@gateway.example")
    await deliver_due(runtime)
    [received] = sink.messages
    _assert_signed_twice_by(runtime, received.content, "gateway.example")


async def test_a_dsn_is_signed_by_the_gateway_domain_when_it_has_keys(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    _claim_gateway_domain(runtime)
    sink.fail_next(550, "5.1.1 no such user", at="RCPT")
    queue_mail(runtime, notification())
    await deliver_due(runtime)  # bounces, queues the DSN
    await deliver_due(runtime)  # sends the DSN
    [dsn] = sink.messages
    assert dsn.mail_from == "" and dsn.message.get_content_type() == "multipart/report"
    _assert_signed_twice_by(runtime, dsn.content, "gateway.example")


async def test_a_dsn_leaves_unsigned_when_the_gateway_domain_has_no_keys(
    runtime: Runtime, sender: Sender, sink: SmtpSink
) -> None:
    sink.fail_next(550, "5.1.1 no such user", at="RCPT")
    queue_mail(runtime, notification())
    await deliver_due(runtime)
    await deliver_due(runtime)
    [dsn] = sink.messages
    # Only its own header is unsigned: the returned original headers carry hospital's.
    assert dsn.message.get_all("DKIM-Signature") is None
    assert _signatures(dsn.content) == []


async def test_a_signing_failure_sends_unsigned_and_warns(
    runtime: Runtime, sender: Sender, sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    signed = sign_message(runtime, notification().as_bytes())  # makes the keys
    assert b"DKIM-Signature" in signed
    with runtime.db.begin() as session:
        session.execute(update(DkimKeyRow).values(private_key_sealed="bm90IGEga2V5"))
    _forget_cached_keys(runtime)
    queue_mail(runtime, notification())
    with caplog.at_level(logging.WARNING, logger="sealgate.delivery.dkim"):
        await deliver_due(runtime)
    [received] = sink.messages
    assert b"DKIM-Signature" not in received.content
    assert "DKIM signing for hospital.example failed (SealedKeyError); sending unsigned" in (
        caplog.text
    )


def _forget_cached_keys(rt: Runtime) -> None:
    signing_keys(rt).forget()


@pytest.fixture
def dkim_queries(runtime: Runtime) -> Iterator[list[str]]:
    """The SQL statements that read the dkim_keys table, as the engine runs them."""
    seen: list[str] = []

    def record(conn, cursor, statement, *_) -> None:
        if "FROM dkim_keys" in statement:
            seen.append(statement)

    event.listen(runtime.db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(runtime.db.engine, "before_cursor_execute", record)


async def test_keys_are_read_from_the_database_once_per_domain_not_per_message(
    runtime: Runtime, sender: Sender, sink: SmtpSink, dkim_queries: list[str]
) -> None:
    for number in range(5):
        queue_mail(runtime, notification(f"bob{number}@example.org"))
        queue_mail(runtime, notification(f"eve{number}@example.org"), rcpt_to="eve@example.org")
    assert await deliver_due(runtime) == 10
    await sink.wait_for(count=10)
    assert all(len(_signatures(mail.content)) == 2 for mail in sink.messages)
    assert len(dkim_queries) == 1


def test_the_key_cache_reloads_after_its_time_to_live() -> None:
    now = [0.0]
    loads: list[str] = []

    def load(domain: str) -> tuple[DkimKey, ...]:
        loads.append(domain)
        return ()

    cache = SigningKeys(ttl=60, clock=lambda: now[0])
    cache.get("a.example", load)
    cache.get("a.example", load)
    cache.get("b.example", load)
    now[0] = 59.0
    cache.get("a.example", load)
    now[0] = 61.0
    cache.get("a.example", load)
    assert loads == ["a.example", "b.example", "a.example"]


@pytest.mark.parametrize(
    "from_header, domain",
    [
        (b"Alice Arts <alice@Hospital.Example>", "hospital.example"),
        (b"alice@hospital.example.", "hospital.example"),
        (b'"Arts, Alice" <alice@hospital.example>', "hospital.example"),
        (b"=?utf-8?q?Z=C3=BCrich?= <info@xn--zrich-kva.example>", "xn--zrich-kva.example"),
        (b"a@one.example, b@two.example", None),
        (b"undisclosed-recipients:;", None),
    ],
)
def test_the_signing_domain_is_the_from_domain(from_header: bytes, domain: str | None) -> None:
    message = b"From: " + from_header + b"\r\nTo: bob@example.org\r\n\r\nhello\r\n"
    assert signing_domain(message) == domain


def test_no_from_or_two_from_headers_mean_no_signing_domain() -> None:
    assert signing_domain(b"To: bob@example.org\r\n\r\nhi\r\n") is None
    two = b"From: a@one.example\r\nFrom: a@one.example\r\n\r\nhi\r\n"
    assert signing_domain(two) is None

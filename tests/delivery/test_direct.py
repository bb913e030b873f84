"""Direct delivery enforces its level on the connection that carries the mail (lab world)."""

from __future__ import annotations

import asyncio

import pytest

from sealgate.config import load
from sealgate.delivery.client import deliver
from sealgate.delivery.outcome import (
    BelowRequirement,
    Delivered,
    Outcome,
    PermanentFailure,
    TemporaryFailure,
)
from sealgate.policy.requirement import Requirement
from sealgate.transport import TransportLevel as L
from sealgate.transport.probe import Prober
from sealgate.transport.resolver import Resolver
from tests.lab.transport_world import TransportWorld

MAIL = b"From: alice@hospital.example\r\nTo: bob@x\r\nSubject: results\r\n\r\nConfidential.\r\n"


def _deliver(
    world: TransportWorld, domain: str, requirement: Requirement, local: str = "bob"
) -> Outcome | BelowRequirement:
    prober = Prober(Resolver(world.resolver, timeout=2), ca_file=world.ca_file, timeout=5)
    rcpt = f"{local}@{domain}"
    # A relay is configured: direct deliveries go to the MX hosts all the same.
    settings = load(None, {"SEALGATE_DELIVERY__RELAY": "127.0.0.1:9"})
    sent = deliver(settings, prober, requirement, "alice@hospital.example", rcpt, MAIL)
    return asyncio.run(sent)


def _received(world: TransportWorld, host: str, rcpt: str) -> list[bytes]:
    return [m.content for m in world.server(host).messages if rcpt in m.rcpt_tos]


@pytest.mark.parametrize(
    ("domain", "level", "host"),
    [
        ("dane-ee.lab", L.DANE, "mx.dane-ee.lab"),
        ("dane-self.lab", L.DANE, "mx.dane-self.lab"),
        ("cname.lab", L.DANE, "mx.dane-ta.lab"),  # MX host is a CNAME to a DANE-TA host
        ("pane.lab", L.PANE, "mx.pane.lab"),
        ("pkix.lab", L.PKIX, "mx.pkix.lab"),
        ("selfsigned.lab", L.TLS, "mx.selfsigned.lab"),
    ],
)
def test_a_host_that_proves_the_level_gets_the_mail_over_tls(
    transport_world: TransportWorld, domain: str, level: L, host: str
) -> None:
    local = f"meets-{level.to_text()}"
    outcome = _deliver(transport_world, domain, Requirement(level), local)
    assert isinstance(outcome, Delivered), outcome
    (mail,) = [m for m in transport_world.server(host).messages if m.rcpt_tos[0].startswith(local)]
    assert mail.tls and b"Confidential." in mail.content


@pytest.mark.parametrize(
    ("domain", "level", "proven"),
    [
        ("selfsigned.lab", L.PKIX, L.TLS),  # certificate not valid
        ("pkix.lab", L.PANE, L.PKIX),  # no DNSSEC
        ("expired.lab", L.PKIX, L.TLS),
        ("wrongname.lab", L.PKIX, L.TLS),
        ("dane-wrong.lab", L.PKIX, L.NONE),  # a secure TLSA that matches nothing
        ("dane-ta-absent.lab", L.TLS, L.NONE),  # DANE-TA of a CA the server does not present
        ("plain.lab", L.TLS, L.NONE),
        ("old.lab", L.TLS, L.NONE),
        ("insecure-mx.lab", L.DANE, L.PKIX),  # TLSA matched, but the MX RRset is insecure
    ],
)
def test_below_the_level_the_connection_is_abandoned_before_mail_from(
    transport_world: TransportWorld, domain: str, level: L, proven: L
) -> None:
    rcpt = f"below-{level.to_text()}@{domain}"
    outcome = _deliver(transport_world, domain, Requirement(level), rcpt.partition("@")[0])
    assert isinstance(outcome, BelowRequirement), outcome
    assert outcome.observed == proven
    assert f"required {level.name}" in outcome.text
    for server in transport_world.mx.servers:
        assert not [m for m in server.messages if rcpt in m.rcpt_tos]


def test_a_weak_primary_mx_is_skipped_for_a_backup_that_proves_dane(
    transport_world: TransportWorld,
) -> None:
    outcome = _deliver(transport_world, "mixed.lab", Requirement(L.DANE), "skips-plain")
    assert isinstance(outcome, Delivered)
    assert _received(transport_world, "mx.dane-ee.lab", "skips-plain@mixed.lab")
    assert not _received(transport_world, "mx.plain.lab", "skips-plain@mixed.lab")


def test_tls13_asked_by_the_header_is_enforced(transport_world: TransportWorld) -> None:
    outcome = _deliver(transport_world, "pkix.lab", Requirement(L.PKIX, tls13=True), "tls13")
    assert isinstance(outcome, Delivered)
    refused = _deliver(transport_world, "tls12.lab", Requirement(L.PKIX, tls13=True), "tls13")
    assert isinstance(refused, BelowRequirement) and refused.observed == L.PKIX
    assert "required PKIX+TLS1.3" in refused.text
    assert not _received(transport_world, "mx.tls12.lab", "tls13@tls12.lab")


@pytest.mark.parametrize("domain", ["bogus.lab", "dead.lab"])
def test_failed_dns_defers_instead_of_delivering_blind(
    transport_world: TransportWorld, domain: str
) -> None:
    outcome = _deliver(transport_world, domain, Requirement(L.TLS))
    assert isinstance(outcome, TemporaryFailure)
    assert outcome.status == "4.4.3"


@pytest.mark.parametrize(
    ("domain", "reason"), [("nullmx.lab", "accepts no mail"), ("nx.lab", "does not exist")]
)
def test_null_mx_and_nxdomain_fail_permanently(
    transport_world: TransportWorld, domain: str, reason: str
) -> None:
    outcome = _deliver(transport_world, domain, Requirement(L.TLS))
    assert isinstance(outcome, PermanentFailure) and reason in outcome.text


def test_the_outcome_carries_what_its_connection_showed(transport_world: TransportWorld) -> None:
    """The evidence of a delivery attempt (sealgate.evidence): host, IP, TLS, the leaf
    certificate's sha256 and the verdict, from the very connection that carried the mail."""
    outcome = _deliver(transport_world, "dane-ee.lab", Requirement(L.DANE), "evidence")
    assert isinstance(outcome, Delivered) and outcome.connection is not None
    connection = outcome.connection
    assert connection.host == "mx.dane-ee.lab" and connection.address.startswith("127.")
    assert connection.tls_version in ("TLSv1.2", "TLSv1.3") and connection.cipher
    assert connection.level == "dane" and connection.dane_match is True
    assert connection.certificate_sha256 is not None and len(connection.certificate_sha256) == 64
    assert connection.reasons

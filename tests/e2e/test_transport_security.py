"""Transport security through the whole gateway: real SMTP submission, probes of the lab's
DNSSEC zones and mail servers, direct delivery only at the required level, and the fall-back
along the policy table when the level is not met at delivery time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from sealgate.config import Settings
from sealgate.directory import add_nta7516_domain, create_org, set_idd, set_policy
from sealgate.store import OutboundJob, Recipient, TransportProbe, utcnow
from tests.conftest import lab_settings
from tests.e2e.mailflow import link_in, parse, running_gateway, send
from tests.lab.transport_world import TransportWorld


@pytest.fixture
def settings(transport_world, tmp_path, database_url, tls_files) -> Settings:
    return lab_settings(transport_world, tmp_path, database_url, tls_files)


@pytest.fixture
async def gateway(settings, runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, sender.org, tsc="pkix")
    async with running_gateway(settings) as rt:
        yield rt


async def _arrival(world: TransportWorld, host: str, rcpt: str):
    (received,) = await world.server(host).sink.wait_for(lambda m: rcpt in m.rcpt_tos, 20)
    return parse(received.content), received


def _recipient(gateway, address: str) -> Recipient:
    with gateway.db.begin() as session:
        return session.scalars(select(Recipient).where(Recipient.address == address)).one()


async def test_a_domain_meeting_the_org_minimum_gets_the_message_directly(
    gateway, sender, transport_world
) -> None:
    await send(gateway, sender, "ann@pkix.lab", "Lab results")
    mail, received = await _arrival(transport_world, "mx.pkix.lab", "ann@pkix.lab")
    assert received.tls and mail["Subject"] == "Lab results"
    assert "Body of Lab results." in mail.get_content()
    assert mail["DKIM-Signature"] is not None
    recipient = _recipient(gateway, "ann@pkix.lab")
    assert (recipient.method, recipient.delivery) == ("transport_security", "direct")


async def test_a_domain_below_the_minimum_gets_a_notification_without_content(
    gateway, sender, transport_world
) -> None:
    await send(gateway, sender, "ben@selfsigned.lab", "Lab results")
    mail, _ = await _arrival(transport_world, "mx.selfsigned.lab", "ben@selfsigned.lab")
    assert "Body of Lab results." not in mail.as_string()
    assert link_in(mail).startswith(gateway.settings.web.base_url)
    recipient = _recipient(gateway, "ben@selfsigned.lab")
    assert recipient.delivery == "notification"
    skipped = {step["step"]: step["reason"] for step in recipient.decision["trace"]}
    assert "selfsigned.lab reach TLS" in skipped["transport_security"]


async def test_a_stale_probe_is_caught_at_delivery_and_policy_chooses_again(
    gateway, sender, transport_world
) -> None:
    """The cache says PKIX, the server now proves only TLS: never deliver the content."""
    with gateway.db.begin() as session:
        now = utcnow()
        session.merge(
            TransportProbe(
                domain="selfsigned.lab",
                level="pkix",
                result='{"domain": "selfsigned.lab", "level": "pkix", "dnssec": "insecure",'
                ' "mx": [], "errors": [], "inconclusive": false}',
                probed_at=now,
                expires_at=now + timedelta(hours=1),
            )
        )
    await send(gateway, sender, "cas@selfsigned.lab", "Scan")
    mail, _ = await _arrival(transport_world, "mx.selfsigned.lab", "cas@selfsigned.lab")
    assert "Body of Scan." not in mail.as_string() and link_in(mail)
    recipient = _recipient(gateway, "cas@selfsigned.lab")
    assert (recipient.method, recipient.delivery) == ("email_verification", "notification")
    first = recipient.decision["trace"][0]
    assert first["step"] == "delivery" and "proved TLS" in first["reason"]
    with gateway.db.begin() as session:
        job = session.scalars(
            select(OutboundJob).where(
                OutboundJob.recipient_id == recipient.id, OutboundJob.kind == "direct"
            )
        ).one()
    assert job.state == "done" and job.last_error.startswith("fell back: required PKIX")


async def test_direct_delivery_header_asking_dane_is_delivered_over_dane(
    gateway, sender, transport_world
) -> None:
    headers = {"zivver_direct_delivery": "tls tls1.2 auth dane"}
    await send(gateway, sender, "dee@dane-ee.lab", "Referral", **headers)
    mail, received = await _arrival(transport_world, "mx.dane-ee.lab", "dee@dane-ee.lab")
    assert received.tls and "Body of Referral." in mail.get_content()
    assert "zivver-direct-delivery" not in received.content.decode().lower()
    assert _recipient(gateway, "dee@dane-ee.lab").method == "direct_delivery"


async def test_verification_mail_below_the_header_minimum_needs_the_explicit_permission(
    gateway, sender, transport_world
) -> None:
    with gateway.db.begin() as session:
        set_policy(session, sender.org, tsc="off")  # else PKIX compliance would deliver
    dane = {"zivver_direct_delivery": "auth dane"}
    await send(gateway, sender, "eve@pane.lab", "No fallback", **dane)
    allowed = dane | {"zivver_minimum_recipient_verification": "email-verification"}
    await send(gateway, sender, "fay@pane.lab", "Fallback allowed", **allowed)
    mail, _ = await _arrival(transport_world, "mx.pane.lab", "fay@pane.lab")
    assert link_in(mail) and "Body of" not in mail.as_string()
    refused = _recipient(gateway, "eve@pane.lab")
    assert (refused.method, refused.delivery) == ("none", "none")
    assert not [
        m for m in transport_world.server("mx.pane.lab").messages if "eve@" in m.rcpt_tos[0]
    ]


async def test_idd_of_the_receiving_organisation_delivers_directly_at_pkix(
    gateway, sender, transport_world
) -> None:
    with gateway.db.begin() as session:
        set_policy(session, sender.org, tsc="off")
        create_org(session, "Clinic", ["pkix.lab"])
        set_idd(session, "Clinic", "pkix.lab", True)
    await send(gateway, sender, "ida@pkix.lab", "IDD")
    mail, received = await _arrival(transport_world, "mx.pkix.lab", "ida@pkix.lab")
    assert received.tls and "Body of IDD." in mail.get_content()
    assert _recipient(gateway, "ida@pkix.lab").method == "idd"


async def test_nta7516_below_pkix_is_skipped_for_a_notification(
    gateway, sender, transport_world
) -> None:
    with gateway.db.begin() as session:
        set_policy(session, sender.org, tsc="off", nta7516=True)
        add_nta7516_domain(session, "selfsigned.lab")
    await send(gateway, sender, "ned@selfsigned.lab", "NTA")
    mail, _ = await _arrival(transport_world, "mx.selfsigned.lab", "ned@selfsigned.lab")
    assert link_in(mail) and "Body of NTA." not in mail.as_string()
    recipient = _recipient(gateway, "ned@selfsigned.lab")
    reasons = {step["step"]: step["reason"] for step in recipient.decision["trace"]}
    assert "NTA 7516 needs at least PKIX" in reasons["nta7516"]


async def _job_settled(gateway, address: str, timeout: float = 20.0) -> OutboundJob:
    """The notification job of `address` once the worker has tried it at least once."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        with gateway.db.begin() as session:
            job = session.scalars(
                select(OutboundJob).where(
                    OutboundJob.rcpt_to == address, OutboundJob.kind == "notification"
                )
            ).one_or_none()
            if job is not None and job.state in ("done", "deferred", "bounced"):
                session.expunge(job)
                return job
        assert asyncio.get_running_loop().time() < deadline, f"no attempt for {address}"
        await asyncio.sleep(0.1)


async def test_a_notification_to_a_dane_domain_travels_over_verified_dane(
    gateway, sender, transport_world
) -> None:
    """Notifications follow RFC 7672 opportunistic DANE: the secure TLSA RRset is enforced."""
    with gateway.db.begin() as session:
        set_policy(session, sender.org, tsc="off")
    await send(gateway, sender, "nia@dane-ee.lab", "Notice")
    mail, received = await _arrival(transport_world, "mx.dane-ee.lab", "nia@dane-ee.lab")
    assert received.tls and link_in(mail) and "Body of Notice." not in mail.as_string()
    assert (await _job_settled(gateway, "nia@dane-ee.lab")).state == "done"


async def test_a_notification_whose_tlsa_rrset_does_not_match_is_deferred_unsent(
    gateway, sender, transport_world
) -> None:
    await send(gateway, sender, "ola@dane-wrong.lab", "Notice")
    job = await _job_settled(gateway, "ola@dane-wrong.lab")
    assert job.state == "deferred" and job.last_error.startswith("4.7.5")
    messages = transport_world.server("mx.dane-wrong.lab").messages
    assert not [m for m in messages if "ola@dane-wrong.lab" in m.rcpt_tos]

"""Delivery hands a recipient back by a row; route decides again, never weaker."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.delivery.hand_back import hand_back, proven_below
from sealgate.delivery.queue import claim
from sealgate.evidence import load
from sealgate.mail import domain_key
from sealgate.route import transport_for
from sealgate.store import OutboundJob, Recipient, utcnow
from sealgate.transport import TransportLevel as L
from sealgate.transport.cache import ProbeCache
from sealgate.transport.dnssec import Dnssec
from sealgate.transport.probe import ProbeResult
from tests.intake.conftest import Submit
from tests.route.pipeline import process_incoming, run_route

BOB = "bob@clinic.example"
MAIL = (
    b"From: Alice Arts <alice@hospital.example>\r\nTo: bob@clinic.example\r\n"
    b"zivver-direct-delivery: pkix tls1.2\r\nSubject: x\r\n\r\nHello.\r\n"
)


def test_the_proven_level_stays_below_the_requirement_it_missed() -> None:
    """A host may grade at the level yet miss TLS 1.3: that is below the requirement."""
    assert proven_below(L.TLS, "pkix") == L.TLS
    assert proven_below(L.PKIX, "pkix+tls1.3") == L.TLS
    assert proven_below(L.DANE, None) == L.DANE


def _direct_job(runtime: Runtime, submit: Submit) -> OutboundJob:
    cache = ProbeCache.for_settings(runtime.settings, runtime.db)
    cache.put(ProbeResult("clinic.example", L.PKIX, Dnssec.INSECURE, (), (), 3600, False), utcnow())
    submit(MAIL, [BOB])
    assert process_incoming(runtime) == 1
    with runtime.db.begin() as session:
        [job] = claim(session, utcnow() + timedelta(seconds=1), 10, timedelta(minutes=5))
    assert job.kind == "direct" and job.required_level == "pkix"
    return job


def test_a_hand_back_is_a_row_and_route_falls_back_never_weaker(
    runtime: Runtime, submit: Submit
) -> None:
    job = _direct_job(runtime, submit)
    assert hand_back(runtime, job, L.PKIX, "required PKIX, the server proved PKIX without 1.3")
    with runtime.db.begin() as session:
        recipient = session.scalars(select(Recipient)).one()
        assert (recipient.state, recipient.proven_level) == ("undecided", "tls")
        assert recipient.fallback_note.startswith("required PKIX")
        assert session.get_one(OutboundJob, job.id).state == "done"

    run_route(runtime)
    with runtime.db.begin() as session:
        recipient = session.scalars(select(Recipient)).one()
        jobs = sorted(j.kind for j in session.scalars(select(OutboundJob)))
    # The direct rule re-checks its PKIX minimum against the proven TLS: not met.
    assert recipient.state == "decided" and recipient.delivery != "direct"
    first = recipient.decision["trace"][0]
    assert (first["step"], first["outcome"]) == ("delivery", "fell back")
    assert first["reason"].startswith("direct_delivery at delivery time: required PKIX")
    assert "direct" in jobs and len(jobs) == 2
    with runtime.db.begin() as session:
        events = load(session, recipient.message_id)
    # The evidence tells the same story: decided direct, fell short, decided again.
    assert [e.kind for e in events] == ["accepted", "decided", "delivery_attempt", "decided"]
    assert events[1].details["dispatch"] == "direct" and events[1].details["requirement"]
    attempt = events[2].details
    assert (attempt["result"], attempt["proven_level"]) == ("below_requirement", "tls")
    assert attempt["reply"].startswith("required PKIX")
    assert events[3].details["trace"][0]["outcome"] == "fell back"


def test_a_second_hand_back_of_the_same_job_writes_nothing(
    runtime: Runtime, submit: Submit
) -> None:
    job = _direct_job(runtime, submit)
    assert hand_back(runtime, job, L.TLS, "only TLS")
    assert not hand_back(runtime, job, L.TLS, "only TLS")  # the lease is gone with the job


def test_a_handed_back_level_is_keyed_by_the_domain_policy_asks_for(runtime: Runtime) -> None:
    """An IDN recipient's proven level is found under the A-label, the key fact gathering
    uses; under the U-label the direct rule would never see it."""
    recipient = Recipient(address="Bob@Klïnik.Example", proven_level="pkix", probe_domain=None)
    with runtime.db.begin() as session:
        transport = transport_for(session, recipient, utcnow())
        assert transport.level(domain_key("bob@klïnik.example")) == L.PKIX
        assert domain_key("bob@klïnik.example") == "xn--klnik-dta.example"

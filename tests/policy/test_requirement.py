"""The minimum each direct method demands on the delivering connection."""

from __future__ import annotations

import pytest

from sealgate.policy import DirectDeliveryHeader, MessageFacts, OrgPolicy
from sealgate.policy.facts import Method
from sealgate.policy.requirement import Requirement, requirement_for
from sealgate.transport import TransportLevel as L


def test_nta7516_and_idd_demand_pkix() -> None:
    facts = MessageFacts(sender=OrgPolicy())
    assert requirement_for(Method.NTA7516, facts) == Requirement(L.PKIX)
    assert requirement_for(Method.IDD, facts) == Requirement(L.PKIX)


def test_transport_security_demands_the_org_minimum() -> None:
    facts = MessageFacts(sender=OrgPolicy(tsc=L.DANE))
    assert requirement_for(Method.TRANSPORT_SECURITY, facts) == Requirement(L.DANE)


def test_direct_delivery_header_demands_its_minimum_and_tls13() -> None:
    header = DirectDeliveryHeader(minimum=L.PANE, tls_version="1.3")
    facts = MessageFacts(sender=OrgPolicy(), direct_delivery=header)
    requirement = requirement_for(Method.DIRECT_DELIVERY, facts)
    assert requirement == Requirement(L.PANE, tls13=True)
    assert requirement.met_by(L.DANE, "TLSv1.3")
    assert not requirement.met_by(L.DANE, "TLSv1.2")
    assert not requirement.met_by(L.PKIX, "TLSv1.3")


@pytest.mark.parametrize("method", [Method.SMS, Method.EMAIL_VERIFICATION, Method.ACCOUNT])
def test_notification_methods_demand_nothing(method: Method) -> None:
    assert requirement_for(method, MessageFacts(sender=OrgPolicy(tsc=L.TLS))) is None


def test_requirement_round_trips_as_text() -> None:
    for requirement in (Requirement(L.PKIX), Requirement(L.DANE, tls13=True)):
        assert Requirement.from_text(requirement.to_text()) == requirement
    assert Requirement(L.PKIX, tls13=True).to_text() == "pkix+tls1.3"


@pytest.mark.parametrize(
    ("tsc", "header", "expected"),
    [
        pytest.param(L.TLS, DirectDeliveryHeader(L.DANE), Requirement(L.DANE), id="header-higher"),
        pytest.param(L.DANE, DirectDeliveryHeader(L.PKIX), Requirement(L.DANE), id="org-higher"),
        pytest.param(
            L.PANE, DirectDeliveryHeader(L.PKIX, "1.3"), Requirement(L.PANE, True), id="tls1.3"
        ),
    ],
)
def test_transport_security_demands_the_stronger_of_org_and_header(
    tsc: L, header: DirectDeliveryHeader, expected: Requirement
) -> None:
    """Issue 8 item 19, SPEC.md "Direct delivery": with a zivver-direct-delivery header, a
    transport security compliance job must prove the stronger of the org's minimum and the
    header's (TLS 1.3 included)."""
    facts = MessageFacts(sender=OrgPolicy(tsc=tsc), direct_delivery=header)
    assert requirement_for(Method.TRANSPORT_SECURITY, facts) == expected


def test_a_null_required_level_is_opportunistic_dane() -> None:
    requirement = Requirement.from_column(None)
    assert requirement == Requirement.opportunistic_dane() and requirement.opportunistic
    assert requirement.to_column() is None and requirement.to_text() == "opportunistic"
    assert Requirement.from_text("opportunistic") == requirement
    # No floor: the TLSA rule is per host, in delivery/tls_policy.py.
    assert requirement.met_by(L.NONE, None)


def test_a_level_requirement_round_trips_through_its_column() -> None:
    requirement = Requirement(L.PKIX, tls13=True)
    assert requirement.to_column() == "pkix+tls1.3"
    assert Requirement.from_column("pkix+tls1.3") == requirement
    assert not requirement.opportunistic

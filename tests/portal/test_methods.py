"""Which proof each stored method asks for, and the masked phone number."""

from __future__ import annotations

import pytest

from sealgate.policy.facts import Method
from sealgate.portal.methods import Proof, marks_contact_opened, mask_phone, proof_for


@pytest.mark.parametrize(
    ("method", "proof"),
    [
        (Method.ACCOUNT, Proof.ACCOUNT),
        (Method.SMS, Proof.SMS_CODE),
        (Method.ACCESS_RIGHT_SMS, Proof.SMS_CODE),
        (Method.ACCESS_CODE, Proof.ACCESS_CODE),
        (Method.ACCESS_RIGHT_ACCESS_CODE, Proof.ACCESS_CODE),
        (Method.EMAIL_VERIFICATION, Proof.EMAIL_CODE),
        (Method.NTA7516, Proof.EMAIL_CODE),
        (Method.IDD, Proof.EMAIL_CODE),
        (Method.TRANSPORT_SECURITY, Proof.EMAIL_CODE),
        (Method.DIRECT_DELIVERY, Proof.EMAIL_CODE),
        ("verification_email", Proof.EMAIL_CODE),
    ],
)
def test_proof_for_every_policy_method(method: str, proof: Proof):
    assert proof_for(str(method)) is proof


def test_only_contact_methods_mark_contacts_opened():
    assert [p for p in Proof if marks_contact_opened(p)] == [Proof.SMS_CODE, Proof.ACCESS_CODE]


@pytest.mark.parametrize(
    ("e164", "masked"),
    [
        ("+31612345678", "+31 6 ••• ••• 78"),
        ("+447911123456", "+44 7 ••• ••• 56"),
        ("+14155552671", "+1 4 ••• ••• 71"),
        ("+3212", "+32 ••• •••"),
        ("garbage-99", "••• ••• 99"),
        ("", "••• •••"),
    ],
)
def test_mask_phone(e164: str, masked: str):
    assert mask_phone(e164) == masked

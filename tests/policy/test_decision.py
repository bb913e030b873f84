"""The policy seam of the foundation: one method, verification email, with a notification."""

from __future__ import annotations

import json

import pytest

from sealgate.policy import Decision, Step, decide_foundation


def test_foundation_decides_verification_email_with_a_notification() -> None:
    decision = decide_foundation()
    assert decision.method == "email_verification"
    assert decision.delivery == "notification"
    assert decision.trace == (
        Step("email_verification", "applied", "the only method available in this version"),
    )


def test_decision_json_round_trips_through_text() -> None:
    decision = decide_foundation()
    data = json.loads(json.dumps(decision.to_json()))
    assert data == {
        "method": "email_verification",
        "delivery": "notification",
        "trace": [
            {
                "step": "email_verification",
                "outcome": "applied",
                "reason": "the only method available in this version",
            }
        ],
    }
    assert Decision.from_json(data) == decision


def test_decision_is_frozen() -> None:
    with pytest.raises(AttributeError):
        decide_foundation().method = "account"  # type: ignore[misc]

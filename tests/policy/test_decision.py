"""Decision values: JSON round trip, immutability."""

from __future__ import annotations

import json

import pytest

from sealgate.policy import Decision, Step

EXAMPLE = Decision(
    method="email_verification",
    delivery="notification",
    trace=(Step("email_verification", "applied", "the last resort"),),
)


def test_decision_json_round_trips_through_text() -> None:
    decision = EXAMPLE
    data = json.loads(json.dumps(decision.to_json()))
    assert data == {
        "method": "email_verification",
        "delivery": "notification",
        "trace": [
            {
                "step": "email_verification",
                "outcome": "applied",
                "reason": "the last resort",
            }
        ],
    }
    assert Decision.from_json(data) == decision


def test_decision_is_frozen() -> None:
    with pytest.raises(AttributeError):
        EXAMPLE.method = "account"  # type: ignore[misc]

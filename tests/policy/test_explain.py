"""Rendering decisions: the JSON contract of `sealgate explain --json`, and the text table."""

from __future__ import annotations

import json

from sealgate.policy import (
    Decision,
    MessageFacts,
    OrgPolicy,
    RecipientFacts,
    Step,
    decide,
    explain_json,
    explain_text,
)

ACCOUNT = Decision(
    "account",
    "notification",
    (Step("idd", "skipped", "no IDD"), Step("account", "applied", "has an account")),
)
EMAIL = Decision(
    "email_verification", "notification", (Step("email_verification", "applied", "last"),)
)


def test_json_has_exactly_the_contract_shape() -> None:
    data = explain_json(
        [[("bob@clinic.example", ACCOUNT), ("carol@x.example", EMAIL)], [("dan@y.example", EMAIL)]]
    )
    assert json.loads(json.dumps(data)) == {
        "conversations": [
            {
                "recipients": [
                    {
                        "address": "bob@clinic.example",
                        "method": "account",
                        "delivery": "notification",
                        "trace": [
                            {"step": "idd", "outcome": "skipped", "reason": "no IDD"},
                            {"step": "account", "outcome": "applied", "reason": "has an account"},
                        ],
                    },
                    {
                        "address": "carol@x.example",
                        "method": "email_verification",
                        "delivery": "notification",
                        "trace": [
                            {"step": "email_verification", "outcome": "applied", "reason": "last"}
                        ],
                    },
                ]
            },
            {
                "recipients": [
                    {
                        "address": "dan@y.example",
                        "method": "email_verification",
                        "delivery": "notification",
                        "trace": [
                            {"step": "email_verification", "outcome": "applied", "reason": "last"}
                        ],
                    }
                ]
            },
        ]
    }


def test_json_of_a_real_decision_has_plain_strings() -> None:
    decision = decide(RecipientFacts("bob@clinic.example"), MessageFacts(OrgPolicy()))
    text = json.dumps(explain_json([[("bob@clinic.example", decision)]]))
    recipient = json.loads(text)["conversations"][0]["recipients"][0]
    assert recipient["method"] == "email_verification"
    assert [step["step"] for step in recipient["trace"]][-1] == "email_verification"


def test_text_is_a_readable_table() -> None:
    text = explain_text([[("bob@clinic.example", ACCOUNT)], [("dan@y.example", EMAIL)]])
    assert text == (
        "Conversation 1\n"
        "  bob@clinic.example: account (notification)\n"
        "     1. skipped  idd      no IDD\n"
        "     2. applied  account  has an account\n"
        "\n"
        "Conversation 2\n"
        "  dan@y.example: email_verification (notification)\n"
        "     1. applied  email_verification  last\n"
    )


def test_nothing_to_explain() -> None:
    assert explain_json([]) == {"conversations": []}
    assert explain_text([]) == "No recipients.\n"

"""Render decisions for people and programs: `sealgate explain`, `message show`, the admin UI.

Input is what intake plans: conversations, each a sequence of (recipient address, Decision).
The JSON shape is a contract that later checks compare against, so it is built here only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sealgate.policy.decision import Decision

Conversations = Sequence[Sequence[tuple[str, Decision]]]


def explain_json(conversations: Conversations) -> dict[str, Any]:
    """`{"conversations": [{"recipients": [{address, method, delivery, trace}]}]}`."""
    return {
        "conversations": [
            {
                "recipients": [
                    {"address": address, **decision.to_json()} for address, decision in conversation
                ]
            }
            for conversation in conversations
        ]
    }


def _recipient_lines(address: str, decision: Decision) -> list[str]:
    lines = [f"  {address}: {decision.method} ({decision.delivery})"]
    width = max(len(step.step) for step in decision.trace) if decision.trace else 0
    for number, step in enumerate(decision.trace, start=1):
        lines.append(f"    {number:>2}. {step.outcome:<7}  {step.step:<{width}}  {step.reason}")
    return lines


def explain_text(conversations: Conversations) -> str:
    """A readable table: per conversation, each recipient's method, delivery and steps."""
    lines: list[str] = []
    for number, conversation in enumerate(conversations, start=1):
        if lines:
            lines.append("")
        lines.append(f"Conversation {number}")
        for address, decision in conversation:
            lines.extend(_recipient_lines(address, decision))
    return "\n".join(lines) + "\n" if lines else "No recipients.\n"

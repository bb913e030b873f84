"""What policy decides for one recipient: a verification method, a delivery, and why.

The trace records every step the decision took ("applied" or "skipped because …"), so an
admin, `sealgate explain` and the tests can read the reason instead of guessing it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One step of a decision: the rule or method looked at, its outcome, and the reason."""

    step: str
    outcome: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"step": self.step, "outcome": self.outcome, "reason": self.reason}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Step:
        return cls(str(data["step"]), str(data["outcome"]), str(data["reason"]))


Trace = tuple[Step, ...]


@dataclass(frozen=True)
class Decision:
    """How one recipient verifies (`method`) and what it is sent (`delivery`), with the trace."""

    method: str
    delivery: str
    trace: Trace

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "delivery": self.delivery,
            "trace": [step.to_json() for step in self.trace],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Decision:
        return cls(
            str(data["method"]),
            str(data["delivery"]),
            tuple(Step.from_json(step) for step in data["trace"]),
        )

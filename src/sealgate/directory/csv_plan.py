"""What a CSV import would do, row by row: the plan the accounts and contacts imports share.

Both imports are two steps (plan, then apply) so an admin sees every row's fate before
anything is written. Their rows differ (an account row has a role, a contact row a phone
and an access code), but a plan of either is the same list: one organisation's rows, each
accepted or rejected with a `RowProblem`, with the same JSON for the CLI, the API and the
console. `RowPlan` is the part of a row the plan reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sealgate.directory.csv_table import RowProblem

__all__ = ["ImportPlan", "RowPlan", "RowVerdict"]


class RowPlan(Protocol):
    @property
    def accepted(self) -> bool: ...

    def to_json(self) -> dict[str, Any]: ...


class RowVerdict:
    """`accepted` for a row dataclass with a `problem` field (None: accepted)."""

    problem: RowProblem | None

    @property
    def accepted(self) -> bool:
        return self.problem is None


Row = TypeVar("Row", bound=RowPlan)


@dataclass(frozen=True)
class ImportPlan(Generic[Row]):
    """One organisation's rows as planned; nothing is written yet."""

    org: str
    rows: tuple[Row, ...]

    @property
    def accepted(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.accepted)

    @property
    def rejected(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if not row.accepted)

    @property
    def all_accepted(self) -> bool:
        return not self.rejected

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "rows": [row.to_json() for row in self.rows],
            "accepted": len(self.accepted),
            "rejected": len(self.rejected),
        }

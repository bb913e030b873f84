"""The plan both CSV imports share (directory/csv_plan.py): accepted, rejected, JSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sealgate.directory.csv_plan import ImportPlan, RowVerdict
from sealgate.directory.csv_table import RowProblem


@dataclass(frozen=True)
class Row(RowVerdict):
    line: int
    problem: RowProblem | None = None

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "accepted": self.accepted}


def test_a_plan_sorts_its_rows_and_counts_them_in_json():
    good, bad = Row(2), Row(3, RowProblem.DUPLICATE)
    plan = ImportPlan("Hospital", (good, bad))
    assert plan.accepted == (good,) and plan.rejected == (bad,)
    assert not plan.all_accepted and ImportPlan("Hospital", (good,)).all_accepted
    assert plan.to_json() == {
        "org": "Hospital",
        "rows": [{"line": 2, "accepted": True}, {"line": 3, "accepted": False}],
        "accepted": 1,
        "rejected": 1,
    }

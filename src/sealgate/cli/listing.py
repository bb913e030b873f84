"""The text of a `... list` command: a header row and one fixed-width row per item.

With `--json` a listing prints its items; without it, a table a person reads in a terminal:
each column padded to its width (`>` right-aligns, for numbers), two spaces between columns,
the last column as long as it is. No item at all prints `empty` ("no tokens"), not a lone
header. Every listing command prints this way, so their tables line up alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Column", "listing"]


@dataclass(frozen=True)
class Column:
    title: str
    width: int = 0  # 0: not padded (the last column)
    align: str = "<"  # or ">"


def _line(columns: Sequence[Column], cells: Sequence[object]) -> str:
    return "  ".join(
        f"{cell!s:{column.align}{column.width}}" if column.width else str(cell)
        for column, cell in zip(columns, cells, strict=True)
    )


def listing(columns: Sequence[Column], rows: Iterable[Sequence[object]], empty: str) -> str:
    """The table of `rows` under `columns`' titles; `empty` when there are no rows."""
    lines = [_line(columns, row) for row in rows]
    if not lines:
        return empty
    return "\n".join([_line(columns, [column.title for column in columns]), *lines])

"""The CSV files admins import and export: UTF-8 (BOM or not), comma or semicolon; and
the stable codes of the reasons a row is rejected.

Excel writes CSV with a semicolon where the decimal separator is a comma (nl, de), and puts a
byte-order mark in front of UTF-8; both are accepted so that a file saved from Excel in a Dutch
hospital imports as it is. The header row is required: columns are found by name, so their
order does not matter, and a file without the required columns is refused whole. Exports
write a comma and no BOM, and defuse cells Excel would run as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sealgate.directory.errors import DirectoryError

BOM = "\ufeff"
# A file larger than this is not a contact list but a mistake (or an attack on memory).
MAX_ROWS = 100_000
# Cells Excel would read as a formula (OWASP "CSV injection"); exports prefix them with '.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class RowProblem(StrEnum):
    """Why a row is rejected: a stable code for the API and console, with a sentence beside it."""

    BAD_ADDRESS = "bad_address"
    BAD_PHONE = "bad_phone"
    SHORT_ACCESS_CODE = "short_access_code"
    DUPLICATE = "duplicate"
    HINT_CONTAINS_CODE = "hint_contains_code"
    HINT_WITHOUT_CODE = "hint_without_code"
    TOO_LONG = "too_long"
    NO_METHOD = "no_method"
    EXTRA_CELLS = "extra_cells"
    # Accounts only (accounts_csv.py).
    FOREIGN_DOMAIN = "foreign_domain"
    OTHER_ORG = "other_org"
    UNKNOWN_ROLE = "unknown_role"


@dataclass(frozen=True)
class CsvRow:
    """One data row: its line in the file (the header is line 1) and its cells by column."""

    line: int
    cells: dict[str, str]
    extra: bool = False  # more cells than the header has columns: a stray delimiter


def decode_csv(data: str | bytes) -> str:
    """The file's text: UTF-8 with or without a BOM; anything else is refused."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise DirectoryError("the file is not UTF-8 text (save it as CSV UTF-8)") from None
    return data.removeprefix(BOM)


def _header_problem(
    required: Sequence[str], optional: Sequence[str], unknown: list[str], missing: list[str]
) -> str:
    columns = ",".join(required)
    if optional:
        columns += f" (and optionally {','.join(optional)})"
    wrong = f"unknown: {', '.join(unknown)}" if unknown else f"missing: {', '.join(missing)}"
    return f"the header row must name the columns {columns}; {wrong}"


def _delimiter(header: str) -> str:
    """A semicolon when the header has more of them than commas (Excel in nl and de)."""
    return ";" if header.count(";") > header.count(",") else ","


def read_csv(
    data: str | bytes, required: Sequence[str], optional: Sequence[str] = ()
) -> list[CsvRow]:
    """The rows of a CSV file whose header names the `required` columns (and maybe `optional`).

    Header names are matched without case and surrounding spaces; a column not known, a
    required one missing, or no header at all refuses the file. Blank lines are skipped.
    """
    text = decode_csv(data)
    header_line = text.split("\n", 1)[0]
    if not header_line.strip():
        raise DirectoryError(f"the file has no header row ({','.join(required)})")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    try:
        header = [name.strip().lower() for name in next(reader)]
        known = {*required, *optional}
        unknown = [name for name in header if name not in known]
        missing = [name for name in required if name not in header]
        if unknown or missing:
            raise DirectoryError(_header_problem(required, optional, unknown, missing))
        if len(set(header)) != len(header):
            raise DirectoryError("the header row names a column twice")
        rows: list[CsvRow] = []
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise DirectoryError(f"the file has more than {MAX_ROWS} rows")
            padded = [*values, *[""] * (len(header) - len(values))]
            cells = {name: padded[i].strip() for i, name in enumerate(header)}
            extra = any(value.strip() for value in values[len(header) :])
            rows.append(CsvRow(reader.line_num, cells, extra))
    except csv.Error as exc:
        raise DirectoryError(f"line {reader.line_num}: not valid CSV ({exc})") from None
    return rows


def _defused(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA_STARTS) else cell


def write_csv(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    plain: Collection[str] = (),
    excel: bool = False,
) -> str:
    """CSV text with a header row; text cells that would be a formula are prefixed with '.

    Columns named in `plain` are written as they are: values checked to be safe, such as
    E.164 phone numbers (whose leading + Excel reads as a number, not a formula). `excel`
    writes semicolons and a BOM, as Excel in nl and de reads CSV.
    """
    out = io.StringIO(newline="")
    if excel:
        out.write(BOM)
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(
            [
                cell if name in plain else _defused(cell)
                for name, cell in zip(columns, row, strict=True)
            ]
        )
    return out.getvalue()

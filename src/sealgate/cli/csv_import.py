"""What `contacts import` and `account import` share: reading FILE, the per-row report, exit.

Without --confirm an import only reports: exit 0 when every row is accepted, 1 otherwise, and
nothing is written either way. With --confirm the accepted rows are written (and the command
is audit-recorded by its unit of work); rejected rows are reported and left out.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sealgate.cli.common import CliError, emit
from sealgate.directory import (
    AccountRowPlan,
    AccountsImportPlan,
    ContactRowPlan,
    ContactsImportPlan,
)

Plan = ContactsImportPlan | AccountsImportPlan


def add_import_options(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--org", required=True, help=f"the organisation the {what} belong to")
    parser.add_argument("file", metavar="FILE", help="the CSV file (UTF-8; - reads stdin)")
    parser.add_argument(
        "--confirm",
        action="store_true",
        help="write the accepted rows (without it: only report, write nothing)",
    )


def read_file(name: str) -> bytes:
    if name == "-":
        # The tests' stdin is text; a real one has bytes underneath.
        stream = getattr(sys.stdin, "buffer", None)
        return stream.read() if stream is not None else sys.stdin.read().encode("utf-8")
    try:
        return Path(name).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {name}: {exc.strerror}") from None


def _line(row: ContactRowPlan | AccountRowPlan) -> str:
    if row.accepted:
        return f"line {row.line}: accepted ({row.action}) {row.email}"
    return f"line {row.line}: rejected {row.email or '(no address)'}: {row.reason}"


def report(args: argparse.Namespace, plan: Plan, written: bool, extra: dict[str, Any]) -> int:
    """Print the plan's report; the exit status the brief of the command promises."""
    accepted, rejected = len(plan.accepted), len(plan.rejected)
    if written:
        summary = f"{accepted} accepted rows written, {rejected} rejected rows left out"
    elif rejected:
        summary = f"{accepted} accepted, {rejected} rejected; nothing written"
    else:
        summary = f"{accepted} accepted; nothing written (add --confirm to write them)"
    lines = [_line(row) for row in plan.rows] + [summary]
    emit(args, {**plan.to_json(), "written": written, **extra}, "\n".join(lines))
    return 0 if written or not rejected else 1

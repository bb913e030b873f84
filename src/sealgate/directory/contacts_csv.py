"""Contacts CSV import and export in Zivver's column format, for an organisation's shared book.

Columns: `email_address,full_name,phone_number,access_code,access_code_hint`. An import is
two steps so that an admin sees what will happen before anything is written:
`plan_contacts_import` checks every row and says, per row, accepted (add or update) or
rejected with a reason; `apply_contacts_import` writes exactly the accepted rows, in the
caller's one transaction, through `add_contact` (which hashes access codes with argon2).
A row gives a phone number (an SMS entry), an access code (an access-code entry), or both.

`full_name` is read and checked but not kept: a contact-book entry has no name column yet, so
the export leaves it empty. The export never holds access codes (only their hashes are
kept): that column is always empty, and the hint is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.directory.accounts import normalise_address
from sealgate.directory.contacts import _HINT_MAX, add_contact, normalise_phone
from sealgate.directory.csv_plan import ImportPlan, RowVerdict
from sealgate.directory.csv_table import CsvRow, RowProblem, read_csv, write_csv
from sealgate.directory.errors import DirectoryError
from sealgate.directory.orgs import find_org
from sealgate.directory.policy import access_code_minimum
from sealgate.store import Contact

CONTACT_COLUMNS = (
    "email_address",
    "full_name",
    "phone_number",
    "access_code",
    "access_code_hint",
)
_NAME_MAX = 200


@dataclass(frozen=True)
class ContactRowPlan(RowVerdict):
    """One row of the file as checked: accepted (`action` add/update) or rejected (`problem`).

    The access code is held only to be hashed on apply; it never appears in `to_json` or
    `repr`.
    """

    line: int
    email: str  # normalised when valid, else as written
    full_name: str
    phone: str  # E.164, or ""
    hint: str
    access_code: str = field(repr=False, default="")
    action: str = ""  # "add" | "update" when accepted
    problem: RowProblem | None = None
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "email_address": self.email,
            "accepted": self.accepted,
            "action": self.action or None,
            "sms": bool(self.phone),
            "phone_number": self.phone or None,
            "access_code": bool(self.access_code),
            "problem": self.problem.value if self.problem else None,
            "reason": self.reason or None,
        }


class ContactsImportPlan(ImportPlan[ContactRowPlan]):
    """What an import would do to one organisation's shared book; nothing is written yet."""


class _Rejected(Exception):
    def __init__(self, problem: RowProblem, reason: str) -> None:
        super().__init__(reason)
        self.problem = problem
        self.reason = reason


def _check_row(
    row: CsvRow, minimum: int, region: str, seen: dict[str, int]
) -> tuple[str, str, str, str]:
    """(address, phone, code, hint) of a valid row; `_Rejected` naming the first problem."""
    cells = row.cells
    if row.extra:
        raise _Rejected(RowProblem.EXTRA_CELLS, "the row has more cells than the header")
    try:
        address = normalise_address(cells["email_address"])
    except DirectoryError as exc:
        raise _Rejected(RowProblem.BAD_ADDRESS, str(exc)) from None
    if address in seen:
        raise _Rejected(
            RowProblem.DUPLICATE, f"{address} is already on line {seen[address]} of the file"
        )
    seen[address] = row.line
    if len(cells.get("full_name", "")) > _NAME_MAX:
        raise _Rejected(RowProblem.TOO_LONG, f"the name is longer than {_NAME_MAX} characters")
    phone = cells.get("phone_number", "")
    if phone:
        try:
            phone = normalise_phone(phone, region)
        except DirectoryError as exc:
            raise _Rejected(RowProblem.BAD_PHONE, str(exc)) from None
    code, hint = cells.get("access_code", ""), cells.get("access_code_hint", "")
    if code and len(code) < minimum:
        raise _Rejected(
            RowProblem.SHORT_ACCESS_CODE,
            f"the access code is shorter than the organisation's minimum of {minimum} characters",
        )
    if hint and not code:
        raise _Rejected(RowProblem.HINT_WITHOUT_CODE, "a hint needs an access code in the row")
    if code and code.casefold() in hint.casefold():
        raise _Rejected(RowProblem.HINT_CONTAINS_CODE, "the hint contains the access code")
    if len(hint) > _HINT_MAX:
        raise _Rejected(RowProblem.TOO_LONG, f"the hint is longer than {_HINT_MAX} characters")
    if not phone and not code:
        raise _Rejected(
            RowProblem.NO_METHOD, "the row has neither a phone number nor an access code"
        )
    return address, phone, code, hint


def _existing(session: Session, org_id: int) -> set[tuple[str, str]]:
    """(address, kind) of the entries in the organisation's shared book."""
    rows = session.execute(
        select(Contact.address, Contact.kind).where(
            Contact.org_id == org_id, Contact.owner_account_id.is_(None)
        )
    )
    return {(address, kind) for address, kind in rows}


def plan_contacts_import(
    session: Session, org_name: str, csv_data: str | bytes, *, default_region: str = "NL"
) -> ContactsImportPlan:
    """Check every row of a contacts CSV against the organisation's rules; write nothing.

    A file that cannot be read as such a CSV (not UTF-8, no header, wrong columns) raises
    DirectoryError; a bad row is rejected with its reason and the other rows still count.
    `default_region` is the country of phone numbers written without one ([policy]
    default_phone_region).
    """
    org = find_org(session, org_name)
    minimum = access_code_minimum(session, org.id)
    existing = _existing(session, org.id)
    seen: dict[str, int] = {}
    planned = []
    for row in read_csv(csv_data, CONTACT_COLUMNS[:1], CONTACT_COLUMNS[1:]):
        name = row.cells.get("full_name", "")
        try:
            address, phone, code, hint = _check_row(row, minimum, default_region, seen)
        except _Rejected as rejected:
            email = row.cells.get("email_address", "")
            planned.append(
                ContactRowPlan(
                    row.line, email, name, "", "", "", "", rejected.problem, rejected.reason
                )
            )
            continue
        kinds = ({"sms"} if phone else set()) | ({"access_code"} if code else set())
        update = any((address, kind) in existing for kind in kinds)
        planned.append(
            ContactRowPlan(
                row.line, address, name, phone, hint, code, "update" if update else "add"
            )
        )
    return ContactsImportPlan(org.name, tuple(planned))


def apply_contacts_import(
    session: Session, plan: ContactsImportPlan, *, default_region: str = "NL"
) -> tuple[ContactRowPlan, ...]:
    """Write the plan's accepted rows into the shared book (in the caller's transaction).

    Each is re-checked by `add_contact`; if the rules changed since the plan (a longer
    minimum, say), DirectoryError is raised and the caller's rollback writes nothing.
    Returns the rows written.
    """
    for row in plan.accepted:
        if row.phone:
            add_contact(
                session, plan.org, row.email, phone=row.phone, default_region=default_region
            )
        if row.access_code:
            add_contact(session, plan.org, row.email, access_code=row.access_code, hint=row.hint)
    return plan.accepted


def export_contacts_csv(session: Session, org_name: str, *, excel: bool = False) -> str:
    """The shared book in the import's columns, one row per address.

    `access_code` is always empty: only argon2 hashes are kept, so no code can be exported.
    `full_name` is empty too (entries keep no name). `excel` writes what Excel in nl and de
    opens as it is: semicolons and a BOM.
    """
    org = find_org(session, org_name)
    entries = session.execute(
        select(Contact.address, Contact.kind, Contact.phone, Contact.hint)
        .where(Contact.org_id == org.id, Contact.owner_account_id.is_(None))
        .order_by(Contact.address, Contact.kind)
    )
    by_address: dict[str, dict[str, str]] = {}
    for address, kind, phone, hint in entries:
        row = by_address.setdefault(address, {"phone": "", "hint": ""})
        if kind == "sms":
            row["phone"] = phone
        else:
            row["hint"] = hint
    rows: Sequence[Sequence[str]] = [
        (address, "", row["phone"], "", row["hint"]) for address, row in by_address.items()
    ]
    return write_csv(CONTACT_COLUMNS, rows, plain=("phone_number",), excel=excel)

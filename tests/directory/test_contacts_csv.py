"""Contacts CSV in Zivver's columns: per-row report before writing, exact apply, export."""

import pytest
from sqlalchemy import func, select

from sealgate.directory import (
    DirectoryError,
    RowProblem,
    add_contact,
    apply_contacts_import,
    export_contacts_csv,
    list_contacts,
    plan_contacts_import,
    set_policy,
    verify_password,
)
from sealgate.store import Contact

HEADER = "email_address,full_name,phone_number,access_code,access_code_hint\n"
GOOD = (
    HEADER
    + "piet@example.org,Piet Jansen,06 1234 5678,,\n"
    + "anna@example.org,Anna de Vries,,tulip-4242,the flower and year\n"
    + "both@example.org,Both,+31612345679,daisy-9999,spring\n"
)


def _count(runtime) -> int:
    with runtime.db.begin() as session:
        return session.scalar(select(func.count()).select_from(Contact))


def test_a_good_file_is_planned_then_applied(runtime, sender):
    with runtime.db.begin() as session:
        plan = plan_contacts_import(session, "Hospital", GOOD)
    assert plan.all_accepted and [r.action for r in plan.rows] == ["add", "add", "add"]
    assert _count(runtime) == 0, "planning writes nothing"
    with runtime.db.begin() as session:
        apply_contacts_import(session, plan)
    with runtime.db.begin() as session:
        entries = {(e.address, e.kind): e for e in list_contacts(session, "Hospital")}
        assert entries["piet@example.org", "sms"].phone == "+31612345678"
        assert entries["anna@example.org", "access_code"].hint == "the flower and year"
        assert {k for a, k in entries if a == "both@example.org"} == {"sms", "access_code"}
        stored = session.scalar(
            select(Contact.code_hash).where(Contact.address == "anna@example.org")
        )
    assert verify_password(stored, "tulip-4242")


@pytest.mark.parametrize(
    "row, problem",
    [
        ("not-an-address,X,0612345678,,", RowProblem.BAD_ADDRESS),
        ("x@example.org,X,12345,,", RowProblem.BAD_PHONE),
        ("x@example.org,X,,abc,", RowProblem.SHORT_ACCESS_CODE),
        ("x@example.org,X,,secret-77,my secret-77 hint", RowProblem.HINT_CONTAINS_CODE),
        ("x@example.org,X,,SECRET-77,secret-77", RowProblem.HINT_CONTAINS_CODE),
        ("x@example.org,X,0612345678,,a hint", RowProblem.HINT_WITHOUT_CODE),
        ("x@example.org,X,,,", RowProblem.NO_METHOD),
        ("x@example.org,X,0612345678,,,surplus", RowProblem.EXTRA_CELLS),
        ("piet@example.org,Again,0612345670,,", RowProblem.DUPLICATE),
    ],
)
def test_one_bad_row_is_reported_and_nothing_is_written(runtime, sender, row, problem):
    with runtime.db.begin() as session:
        plan = plan_contacts_import(session, "Hospital", GOOD + row + "\n")
    assert not plan.all_accepted
    (bad,) = plan.rejected
    assert (bad.line, bad.problem) == (5, problem) and bad.reason
    assert len(plan.accepted) == 3
    assert _count(runtime) == 0


def test_the_minimum_access_code_length_is_the_organisations(runtime, sender):
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", access_code_min_length=12)
        plan = plan_contacts_import(session, "Hospital", GOOD)
    assert [r.problem for r in plan.rejected] == [RowProblem.SHORT_ACCESS_CODE] * 2
    assert "12 characters" in plan.rejected[0].reason


def test_apply_writes_exactly_the_accepted_rows(runtime, sender):
    text = GOOD + "bad@example.org,Bad,999,,\n"
    with runtime.db.begin() as session:
        plan = plan_contacts_import(session, "Hospital", text)
        applied = apply_contacts_import(session, plan)
    assert [r.email for r in applied] == [
        "piet@example.org",
        "anna@example.org",
        "both@example.org",
    ]
    assert _count(runtime) == 4


def test_a_rule_changed_since_the_plan_fails_the_whole_apply(runtime, sender):
    with runtime.db.begin() as session:
        plan = plan_contacts_import(session, "Hospital", GOOD)
    with runtime.db.begin() as session:
        set_policy(session, "Hospital", access_code_min_length=12)
    with pytest.raises(DirectoryError, match="minimum"), runtime.db.begin() as session:
        apply_contacts_import(session, plan)
    assert _count(runtime) == 0


def test_existing_entries_are_planned_as_updates(runtime, sender):
    with runtime.db.begin() as session:
        add_contact(session, "Hospital", "piet@example.org", phone="0612345670")
        plan = plan_contacts_import(session, "Hospital", GOOD)
        assert [r.action for r in plan.rows] == ["update", "add", "add"]
        apply_contacts_import(session, plan)
        (piet,) = [e for e in list_contacts(session, "Hospital") if e.address == "piet@example.org"]
    assert piet.phone == "+31612345678"


def test_excel_semicolons_and_a_bom_are_read(runtime, sender):
    text = "\ufeffEmail_Address;Full_Name;Phone_Number;Access_Code;Access_Code_Hint\r\n"
    text += "müller@example.org;Jürgen Müller;06 1234 5678;;\r\n"
    with runtime.db.begin() as session:
        from_bytes = plan_contacts_import(session, "Hospital", text.encode("utf-8"))
        from_text = plan_contacts_import(session, "Hospital", text)
    assert from_bytes == from_text
    assert from_bytes.all_accepted and from_bytes.rows[0].phone == "+31612345678"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\xff\xfeemail_address\n", "not UTF-8"),
        ("", "no header"),
        ("piet@example.org,Piet,0612345678,,\n", "unknown"),
        ("full_name,phone_number\nPiet,0612345678\n", "missing: email_address"),
        ("email_address,email_address\n", "twice"),
    ],
)
def test_a_file_that_is_not_such_a_csv_is_refused_whole(runtime, sender, data, message):
    with runtime.db.begin() as session, pytest.raises(DirectoryError, match=message):
        plan_contacts_import(session, "Hospital", data)


def test_the_plan_never_shows_access_codes(runtime, sender):
    with runtime.db.begin() as session:
        plan = plan_contacts_import(session, "Hospital", GOOD)
    assert "tulip-4242" not in repr(plan) and "tulip-4242" not in str(plan.to_json())


def test_export_writes_the_columns_without_codes(runtime, sender):
    with runtime.db.begin() as session:
        apply_contacts_import(session, plan_contacts_import(session, "Hospital", GOOD))
        add_contact(session, "Hospital", "evil@example.org", access_code="x-123456", hint="=1+2")
        exported = export_contacts_csv(session, "Hospital")
    lines = exported.splitlines()
    assert lines[0] == HEADER.strip()
    assert "anna@example.org,,,,the flower and year" in lines
    assert "both@example.org,,+31612345679,,spring" in lines
    assert "evil@example.org,,,,'=1+2" in lines
    assert "tulip" not in exported and "daisy" not in exported


def test_an_excel_export_imports_again(runtime, sender):
    text = HEADER + "müller@example.org,Jürgen,06 1234 5678,,\n"
    with runtime.db.begin() as session:
        apply_contacts_import(session, plan_contacts_import(session, "Hospital", text))
        exported = export_contacts_csv(session, "Hospital", excel=True)
        assert exported.startswith("\ufeffemail_address;full_name;")
        again = plan_contacts_import(session, "Hospital", exported.encode("utf-8"))
    assert again.all_accepted and [(r.email, r.action) for r in again.rows] == [
        ("müller@example.org", "update")
    ]

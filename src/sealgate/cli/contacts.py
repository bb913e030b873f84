"""sealgate contacts add|list|remove|import|export: shared and personal contact books

Without --owner the organisation's shared book is meant; with it, that account's personal one.
An access code is read from standard input (--access-code-stdin), never from the command
line, where the shell history and `ps` would keep it. `import` and `export` read and write
the shared book as CSV in Zivver's columns; export leaves `access_code` empty, since only
hashes of the codes are kept.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sealgate.cli.common import (
    CliError,
    common_options,
    emit,
    read_secret_line,
    runtime_work,
    unit_of_work,
)
from sealgate.cli.csv_import import add_import_options, read_file, report
from sealgate.directory import (
    ContactInfo,
    add_contact,
    apply_contacts_import,
    export_contacts_csv,
    list_contacts,
    plan_contacts_import,
    remove_contact,
)

EXPORT_NOTE = "access codes are kept only as hashes and are never exported: that column is empty"


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("contacts", help="shared and personal contact books")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[_book()], help="add or replace an entry")
    add.add_argument("recipient", help="the recipient's email address")
    method = add.add_mutually_exclusive_group(required=True)
    method.add_argument("--sms", metavar="PHONE", help="phone number for SMS codes")
    method.add_argument(
        "--access-code-stdin",
        action="store_true",
        help="read the access code agreed out of band from one line of stdin",
    )
    method.add_argument(
        "--access-code",
        metavar="CODE",
        help="removed (a code in argv lands in the shell history): use --access-code-stdin",
    )
    add.add_argument("--hint", default="", help="hint shown with an access code")
    add.set_defaults(run=run_add)
    listing = actions.add_parser("list", parents=[_book()], help="print one contact book")
    listing.set_defaults(run=run_list)
    remove = actions.add_parser("remove", parents=[_book()], help="remove a recipient's entries")
    remove.add_argument("recipient", help="the recipient's email address")
    remove.add_argument("--kind", choices=("sms", "access_code"), help="only this kind")
    remove.set_defaults(run=run_remove)
    importing = actions.add_parser(
        "import",
        parents=[common_options()],
        help="import the shared book from CSV: report per row, write with --confirm",
    )
    add_import_options(importing, "contacts")
    importing.set_defaults(run=run_import)
    export = actions.add_parser(
        "export", parents=[common_options()], help="write the shared book as CSV (no codes)"
    )
    export.add_argument("--org", required=True, help="the organisation whose book it is")
    export.add_argument("file", metavar="FILE", nargs="?", help="write here (default: stdout)")
    export.add_argument(
        "--excel",
        action="store_true",
        help="semicolons and a BOM, as Excel in Dutch and German opens CSV",
    )
    export.set_defaults(run=run_export)


def _book() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False, parents=[common_options()])
    parent.add_argument("--org", required=True, help="the organisation whose book it is")
    parent.add_argument("--owner", metavar="EMAIL", help="an account: its personal book")
    return parent


def _line(entry: ContactInfo) -> str:
    what = entry.phone if entry.kind == "sms" else f"hint {entry.hint!r}" if entry.hint else ""
    opened = f"opened {entry.opened_at:%Y-%m-%d %H:%M}" if entry.opened_at else "never opened"
    return f"{entry.address:<32} {entry.kind:<12} {what:<24} {opened}"


def run_add(args: argparse.Namespace) -> int:
    if args.access_code is not None:
        raise CliError(
            "--access-code is no longer accepted (the shell history would keep the code): "
            "pass --access-code-stdin and write the code on standard input"
        )
    if args.hint and not args.access_code_stdin:
        raise CliError("--hint goes with --access-code-stdin")
    code = None
    if args.access_code_stdin:
        code = read_secret_line("--access-code-stdin", "access code")
    with runtime_work(args) as (rt, session):
        entry = add_contact(
            session,
            args.org,
            args.recipient,
            owner=args.owner,
            phone=args.sms,
            access_code=code,
            hint=args.hint,
            default_region=rt.settings.policy.default_phone_region,
        )
    emit(args, entry.to_json(), f"added {entry.kind} contact for {entry.address}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        entries = list_contacts(session, args.org, owner=args.owner)
    value = {
        "org": args.org,
        "owner": args.owner,
        "contacts": [entry.to_json() for entry in entries],
    }
    emit(args, value, "\n".join(_line(entry) for entry in entries) or "(no contacts)")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        removed = remove_contact(
            session, args.org, args.recipient, owner=args.owner, kind=args.kind
        )
    value = {"address": args.recipient, "kind": args.kind, "removed": removed}
    emit(args, value, f"removed {removed} contact entr{'y' if removed == 1 else 'ies'}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    data = read_file(args.file)
    with runtime_work(args) as (rt, session):
        region = rt.settings.policy.default_phone_region
        plan = plan_contacts_import(session, args.org, data, default_region=region)
        if args.confirm:
            apply_contacts_import(session, plan, default_region=region)
    return report(args, plan, args.confirm, {})


def run_export(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        text = export_contacts_csv(session, args.org, excel=args.excel)
    rows = text.count("\r\n") - 1
    if args.file is None and not args.json:
        sys.stdout.write(text)
        return 0
    if args.file is not None:
        try:
            Path(args.file).write_text(text, encoding="utf-8", newline="")
        except OSError as exc:
            raise CliError(f"cannot write {args.file}: {exc.strerror}") from None
    value = {"org": args.org, "file": args.file, "rows": rows, "note": EXPORT_NOTE}
    if args.file is None:
        value["csv"] = text
    emit(args, value, f"wrote {rows} contacts to {args.file} ({EXPORT_NOTE})")
    return 0

"""sealgate account add|import|disable|enable|reset-password|reset-2fa|list

`account import` adds accounts from a CSV file (`email_address,full_name[,role]`): it reports
per row and writes only with --confirm; each new account is invited as `account add` invites
it, and a row's role is granted.

`account add` without `--password-stdin` sends an invitation: a single-use link, mailed
through the outbound queue, to choose a password and enrol TOTP. `--print-link` also prints
that link once (for when mail does not reach the person); it is a secret, so it never appears
in any other output. A password from `--password-stdin` must meet the password rules.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from typing import Any

from sealgate.admin import ORG_ROLES, write_accounts_import
from sealgate.cli.command_audit import cli_actor
from sealgate.cli.common import CliError, common_options, emit, runtime_work, unit_of_work
from sealgate.cli.csv_import import add_import_options, read_file, report
from sealgate.directory import (
    LinkPurpose,
    active_account_id,
    add_account,
    disable_account,
    enable_account,
    list_accounts,
    password_problem,
    plan_accounts_import,
    reset_second_factor,
)
from sealgate.portal import AccountLinkSent, send_account_link
from sealgate.store import utcnow


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("account", help="manage accounts (senders and readers)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add", parents=[common_options()], help="add an active account and invite it"
    )
    add.add_argument("email", help="the address the account sends and reads as")
    add.add_argument("--org", required=True, help="the account's organisation")
    add.add_argument("--name", default="", help="display name")
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read a password from stdin instead of sending an invitation",
    )
    _print_link_option(add, "invitation")
    add.set_defaults(run=run_add)
    importing = actions.add_parser(
        "import",
        parents=[common_options()],
        help="add accounts from CSV and invite them: report per row, write with --confirm",
    )
    add_import_options(importing, "accounts")
    importing.set_defaults(run=run_import)
    for name, run, text in (
        ("disable", run_disable, "disable an account (it can no longer log in or send)"),
        ("enable", run_enable, "enable a disabled account again"),
        ("reset-2fa", run_reset_2fa, "forget the account's TOTP app; the next login enrols"),
    ):
        action = actions.add_parser(name, parents=[common_options()], help=text)
        action.add_argument("email", help="the account's address")
        action.set_defaults(run=run)
    reset = actions.add_parser(
        "reset-password", parents=[common_options()], help="mail a link to choose a new password"
    )
    reset.add_argument("email", help="the account's address")
    _print_link_option(reset, "reset")
    reset.set_defaults(run=run_reset_password)
    listing = actions.add_parser("list", parents=[common_options()], help="list accounts")
    listing.add_argument("--org", default=None, help="only this organisation's accounts")
    listing.set_defaults(run=run_list)


def _print_link_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--print-link",
        action="store_true",
        help=f"also print the {what} link, once (a secret: for when the mail does not arrive)",
    )


def _read_password(email: str) -> str:
    password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise CliError("--password-stdin: no password on standard input")
    if problem := password_problem(password, email):
        raise CliError(f"--password-stdin: {problem}")
    return password


def _link_fields(sent: AccountLinkSent, print_link: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"expires_at": sent.expires_at.isoformat() + "Z"}
    if print_link:
        fields["link"] = sent.link
    return fields


def _link_text(what: str, email: str, sent: AccountLinkSent, print_link: bool) -> str:
    text = f"{what} for {email} queued (valid until {sent.expires_at:%Y-%m-%d %H:%M} UTC)"
    if print_link:
        text += f"\n{what} link (shown once): {sent.link}"
    return text


def run_add(args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        if args.print_link:
            raise CliError("--print-link: no invitation is sent with --password-stdin")
        password = _read_password(args.email)
    with runtime_work(args) as (rt, session):
        account = add_account(session, args.email, args.org, password, args.name)
        sent = None
        if password is None:
            sent = send_account_link(session, rt, account.id, LinkPurpose.INVITE, utcnow())
    value: dict[str, Any] = asdict(account)
    text = f"added account {account.email} to {args.org}"
    if sent is not None:
        value["invitation"] = {"queued": True, **_link_fields(sent, args.print_link)}
        text += "\n" + _link_text("invitation", account.email, sent, args.print_link)
    emit(args, value, text)
    return 0


def run_reset_password(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        account_id = active_account_id(session, args.email)
        sent = send_account_link(session, rt, account_id, LinkPurpose.RESET, utcnow())
    value = {"email": args.email, "reset": {"queued": True, **_link_fields(sent, args.print_link)}}
    emit(args, value, _link_text("password reset", args.email, sent, args.print_link))
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        account = disable_account(session, args.email)
    emit(args, asdict(account), f"disabled account {account.email}")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        account = enable_account(session, args.email)
    emit(args, asdict(account), f"enabled account {account.email}")
    return 0


def run_reset_2fa(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        account = reset_second_factor(session, args.email)
    text = f"cleared the second factor of {account.email}; the next login enrols a new app"
    emit(args, {**asdict(account), "totp_enrolled": False}, text)
    return 0


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        accounts = list_accounts(session, args.org)
    lines = [
        f"{a.email}\t{a.org}\t{a.name or '-'}\t{'active' if a.active else 'disabled'}\t"
        f"password {'set' if a.password_set else 'not set'}\t"
        f"2FA {'enrolled' if a.totp_enrolled else 'not enrolled'}"
        for a in accounts
    ]
    emit(args, [asdict(a) for a in accounts], "\n".join(lines) or "no accounts")
    return 0


def run_import(args: argparse.Namespace) -> int:
    data = read_file(args.file)
    invited: list[str] = []
    with runtime_work(args) as (rt, session):
        plan = plan_accounts_import(session, args.org, data, roles=ORG_ROLES)
        if args.confirm:
            invited = write_accounts_import(session, rt, plan, granted_by=cli_actor())
    return report(args, plan, args.confirm, {"invited": invited})

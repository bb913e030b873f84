"""sealgate account add EMAIL --org NAME [--password-stdin] | account disable EMAIL"""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict

from sealgate.cli.common import CliError, common_options, emit, unit_of_work
from sealgate.directory import add_account, disable_account


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("account", help="manage accounts (senders)")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common_options()], help="add an active account")
    add.add_argument("email")
    add.add_argument("--org", required=True)
    add.add_argument("--name", default="", help="display name")
    add.add_argument("--password-stdin", action="store_true", help="read a password from stdin")
    add.set_defaults(run=run_add)
    disable = actions.add_parser("disable", parents=[common_options()], help="disable an account")
    disable.add_argument("email")
    disable.set_defaults(run=run_disable)


def run_add(args: argparse.Namespace) -> int:
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CliError("--password-stdin: no password on standard input")
    with unit_of_work(args) as session:
        account = add_account(session, args.email, args.org, password, args.name)
    emit(args, asdict(account), f"added account {account.email} to {args.org}")
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        account = disable_account(session, args.email)
    emit(args, asdict(account), f"disabled account {account.email}")
    return 0

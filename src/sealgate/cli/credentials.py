"""sealgate credentials create --org NAME [--label TEXT] | credentials disable USERNAME"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from sealgate.cli.common import common_options, emit, runtime_work, unit_of_work
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, create_credential, disable_credential


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("credentials", help="manage SMTP submission credentials")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="generate a credential")
    create.add_argument("--org", required=True)
    create.add_argument("--label", default="")
    create.set_defaults(run=run_create)
    disable = actions.add_parser("disable", parents=[common_options()], help="disable one")
    disable.add_argument("username")
    disable.set_defaults(run=run_disable)


def run_create(args: argparse.Namespace) -> int:
    with runtime_work(args) as (rt, session):
        key = rt.subkey(CREDENTIAL_KEY_PURPOSE)
        credential, password = create_credential(session, args.org, args.label, key=key)
    emit(
        args,
        {"username": credential.username, "password": password, "org": args.org},
        f"username: {credential.username}\npassword: {password}\n"
        "(the password is shown only now; only its keyed hash is stored)",
    )
    return 0


def run_disable(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        credential = disable_credential(session, args.username)
    emit(args, asdict(credential), f"disabled credential {credential.username}")
    return 0

"""sealgate credentials create --org NAME [--label TEXT] | disable USERNAME | list [--org NAME]

A listing never shows a secret or its digest: the secret is shown once, at create.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from sealgate.cli.common import common_options, emit, iso, runtime_work, unit_of_work
from sealgate.cli.listing import Column, listing
from sealgate.directory import (
    CREDENTIAL_KEY_PURPOSE,
    CredentialSummary,
    create_credential,
    disable_credential,
    list_credentials,
)


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("credentials", help="manage SMTP submission credentials")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="generate a credential")
    create.add_argument("--org", required=True, help="the organisation it submits for")
    create.add_argument("--label", default="", help="a note to tell credentials apart")
    create.set_defaults(run=run_create)
    disable = actions.add_parser("disable", parents=[common_options()], help="disable one")
    disable.add_argument("username", help="the credential's username (sg-...)")
    disable.set_defaults(run=run_disable)
    listing = actions.add_parser(
        "list", parents=[common_options()], help="credentials (never their secrets)"
    )
    listing.add_argument("--org", help="only this organisation's (default: all)")
    listing.set_defaults(run=run_list)


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


def _credential(item: CredentialSummary) -> dict[str, object]:
    return {
        "username": item.username,
        "org": item.org,
        "label": item.label,
        "active": item.active,
        "created": iso(item.created_at),
    }


_COLUMNS = (
    Column("USERNAME", 20),
    Column("ORG", 24),
    Column("CREATED", 19),
    Column("STATE", 8),
    Column("LABEL"),
)


def _list_text(items: list[CredentialSummary]) -> str:
    rows = (
        (
            item.username,
            item.org,
            item.created_at.isoformat()[:19],
            "active" if item.active else "disabled",
            item.label,
        )
        for item in items
    )
    return listing(_COLUMNS, rows, "no credentials")


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        items = list_credentials(session, args.org)
    emit(args, [_credential(item) for item in items], _list_text(items))
    return 0

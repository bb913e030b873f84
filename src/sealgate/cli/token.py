"""sealgate token create --role ROLE [--org NAME] [--name TEXT] [--days N] | list | revoke ID

The secret is printed once, at create; a listing shows names, roles and times only.
"""

from __future__ import annotations

import argparse

from sealgate.admin import (
    DEFAULT_DAYS,
    MAX_DAYS,
    Role,
    TokenListing,
    create_token,
    list_tokens,
    revoke_token,
)
from sealgate.cli.command_audit import cli_actor
from sealgate.cli.common import common_options, emit, iso, unit_of_work
from sealgate.cli.listing import Column, listing

ROLES = [role.value for role in Role]


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("token", help="manage API tokens for /api/v1 and /scim/v2")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="make a token")
    create.add_argument("--role", required=True, choices=ROLES, help="the one role it carries")
    create.add_argument("--org", help="its organisation (every role but operator needs one)")
    create.add_argument("--name", default="", help="a note to tell tokens apart")
    create.add_argument(
        "--days",
        type=int,
        default=DEFAULT_DAYS,
        help=f"days until it expires (1 to {MAX_DAYS}, default {DEFAULT_DAYS})",
    )
    create.set_defaults(run=run_create)
    listing = actions.add_parser("list", parents=[common_options()], help="tokens, no secrets")
    listing.add_argument("--org", help="only this organisation's (default: all)")
    listing.set_defaults(run=run_list)
    revoke = actions.add_parser("revoke", parents=[common_options()], help="stop a token now")
    revoke.add_argument("id", type=int, help="the token's id (from token list)")
    revoke.set_defaults(run=run_revoke)


def _token(item: TokenListing) -> dict[str, object]:
    return {
        "id": item.id,
        "name": item.name,
        "org": item.org,
        "role": item.role.value,
        "created_at": iso(item.created_at),
        "created_by": item.created_by,
        "expires_at": iso(item.expires_at),
        "revoked_at": iso(item.revoked_at),
        "last_used_at": iso(item.last_used_at),
    }


def run_create(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        item, secret = create_token(
            session,
            role_name=args.role,
            org_name=args.org,
            name=args.name,
            days=args.days,
            created_by=cli_actor(),
        )
    emit(
        args,
        {**_token(item), "token": secret},
        f"token {item.id} ({item.role}{' for ' + item.org if item.org else ''}, "
        f"expires {iso(item.expires_at)}):\n{secret}\n"
        "(the token is shown only now; only its SHA-256 is stored)",
    )
    return 0


_COLUMNS = (
    Column("ID", 4, ">"),
    Column("ROLE", 12),
    Column("ORG", 20),
    Column("EXPIRES", 20),
    Column("STATE", 7),
    Column("NAME"),
)


def _list_text(items: list[TokenListing]) -> str:
    rows = (
        (
            item.id,
            item.role.value,
            item.org or "(all)",
            iso(item.expires_at),
            "revoked" if item.revoked_at else "active",
            item.name,
        )
        for item in items
    )
    return listing(_COLUMNS, rows, "no tokens")


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        items = list_tokens(session, args.org)
    emit(args, [_token(item) for item in items], _list_text(items))
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        revoke_token(session, args.id)
    emit(args, {"id": args.id, "revoked": True}, f"revoked token {args.id}")
    return 0

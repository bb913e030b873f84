"""sealgate role grant ADDRESS ROLE | revoke ADDRESS ROLE | list [--org NAME]

Admin roles for accounts (console logins). An organisation role reaches the account's own
organisation only; `operator` reaches all.
"""

from __future__ import annotations

import argparse

from sealgate.admin import GrantListing, Role, grant_role, list_grants, revoke_role
from sealgate.cli.command_audit import cli_actor
from sealgate.cli.common import common_options, emit, iso, unit_of_work

ROLES = [role.value for role in Role]


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("role", help="give accounts admin roles")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    grant = actions.add_parser("grant", parents=[common_options()], help="give a role")
    grant.add_argument("email", help="the account's address")
    grant.add_argument("role", choices=ROLES, help="the role")
    grant.set_defaults(run=run_grant)
    revoke = actions.add_parser("revoke", parents=[common_options()], help="take a role away")
    revoke.add_argument("email", help="the account's address")
    revoke.add_argument("role", choices=ROLES, help="the role")
    revoke.set_defaults(run=run_revoke)
    listing = actions.add_parser("list", parents=[common_options()], help="who holds which role")
    listing.add_argument("--org", help="only this organisation's (and the operators)")
    listing.set_defaults(run=run_list)


def _grant(item: GrantListing) -> dict[str, object]:
    return {
        "email": item.email,
        "role": item.role.value,
        "org": item.org,
        "granted_at": iso(item.granted_at),
        "granted_by": item.granted_by,
    }


def run_grant(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        item = grant_role(session, args.email, args.role, granted_by=cli_actor())
    where = f"for {item.org}" if item.org else "across organisations"
    emit(args, _grant(item), f"{item.email} is now {item.role} {where}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        revoke_role(session, args.email, args.role)
    emit(
        args,
        {"email": args.email, "role": args.role, "revoked": True},
        f"{args.email} no longer holds {args.role}",
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        items = list_grants(session, args.org)
    text = "\n".join(
        f"{item.email:<32}  {item.role.value:<12}  {item.org or '(all organisations)'}"
        for item in items
    )
    emit(args, [_grant(item) for item in items], text or "no roles granted")
    return 0

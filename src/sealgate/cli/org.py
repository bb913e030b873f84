"""sealgate org create NAME --domain DOMAIN [...] | org list | org set NAME --language en|nl|de
| org brand --org NAME ... (org_brand.py)"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from sealgate.cli import org_brand
from sealgate.cli.common import common_options, emit, iso, unit_of_work
from sealgate.cli.listing import Column, listing
from sealgate.directory import OrgSummary, create_org, list_orgs, set_org_language
from sealgate.locale import LANGUAGES


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("org", help="manage organisations")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="create an organisation")
    create.add_argument("name", help="the organisation's name")
    create.add_argument("--domain", action="append", required=True, help="a domain it claims")
    create.set_defaults(run=run_create)
    listing = actions.add_parser(
        "list", parents=[common_options()], help="every organisation, its domains and accounts"
    )
    listing.set_defaults(run=run_list)
    change = actions.add_parser("set", parents=[common_options()], help="change its settings")
    change.add_argument("name", help="the organisation")
    change.add_argument(
        "--language",
        required=True,
        choices=LANGUAGES,
        help="default language of its notifications and code mails",
    )
    change.set_defaults(run=run_set)
    org_brand.register(actions)


def run_create(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        org = create_org(session, args.name, args.domain)
    emit(args, asdict(org), f"created organisation {org.name} ({', '.join(org.domains)})")
    return 0


def _org(item: OrgSummary) -> dict[str, object]:
    return {
        "name": item.name,
        "display_name": item.display_name,
        "domains": list(item.domains),
        "accounts": item.accounts,
        "active_accounts": item.active_accounts,
        "created": iso(item.created_at),
    }


_COLUMNS = (
    Column("NAME", 24),
    Column("ACCOUNTS", 8, ">"),
    Column("ACTIVE", 6, ">"),
    Column("DOMAINS"),
)


def _list_text(items: list[OrgSummary]) -> str:
    rows = (
        (item.name, item.accounts, item.active_accounts, ", ".join(item.domains)) for item in items
    )
    return listing(_COLUMNS, rows, "no organisations")


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        items = list_orgs(session)
    emit(args, [_org(item) for item in items], _list_text(items))


def run_set(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        chosen = set_org_language(session, args.name, args.language)
    emit(args, chosen.to_json(), f"organisation {chosen.org}: language {chosen.language}")
    return 0

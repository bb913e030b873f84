"""sealgate org create NAME --domain DOMAIN [...] | org set NAME --language en|nl|de"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.directory import create_org, set_org_language
from sealgate.locale import LANGUAGES


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("org", help="manage organisations")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="create an organisation")
    create.add_argument("name")
    create.add_argument("--domain", action="append", required=True, help="a domain it claims")
    create.set_defaults(run=run_create)
    change = actions.add_parser("set", parents=[common_options()], help="change its settings")
    change.add_argument("name")
    change.add_argument(
        "--language",
        required=True,
        choices=LANGUAGES,
        help="default language of its notifications and code mails",
    )
    change.set_defaults(run=run_set)


def run_create(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        org = create_org(session, args.name, args.domain)
    emit(args, asdict(org), f"created organisation {org.name} ({', '.join(org.domains)})")
    return 0


def run_set(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        chosen = set_org_language(session, args.name, args.language)
    emit(args, chosen.to_json(), f"organisation {chosen.org}: language {chosen.language}")
    return 0

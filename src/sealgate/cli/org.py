"""sealgate org create NAME --domain DOMAIN [...]"""

from __future__ import annotations

import argparse
from dataclasses import asdict

from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.directory import create_org


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("org", help="manage organisations")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", parents=[common_options()], help="create an organisation")
    create.add_argument("name")
    create.add_argument("--domain", action="append", required=True, help="a domain it claims")
    create.set_defaults(run=run_create)


def run_create(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        org = create_org(session, args.name, args.domain)
    emit(args, asdict(org), f"created organisation {org.name} ({', '.join(org.domains)})")
    return 0

"""sealgate nta7516 add DOMAIN | remove DOMAIN | list: recipient domains known to be compliant"""

from __future__ import annotations

import argparse

from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.directory import add_nta7516_domain, list_nta7516_domains, remove_nta7516_domain


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("nta7516", help="recipient domains known to be NTA 7516 compliant")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common_options()], help="list a compliant domain")
    add.add_argument("domain", help="a recipient domain")
    add.set_defaults(run=run_add)
    remove = actions.add_parser("remove", parents=[common_options()], help="unlist a domain")
    remove.add_argument("domain", help="a listed domain")
    remove.set_defaults(run=run_remove)
    listing = actions.add_parser("list", parents=[common_options()], help="print the list")
    listing.set_defaults(run=run_list)


def run_add(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        domain = add_nta7516_domain(session, args.domain)
    emit(args, {"domain": domain, "nta7516": True}, f"listed {domain} as NTA 7516 compliant")
    return 0


def run_remove(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        domain = remove_nta7516_domain(session, args.domain)
    emit(args, {"domain": domain, "nta7516": False}, f"removed {domain} from the NTA 7516 list")
    return 0


def run_list(args: argparse.Namespace) -> int:
    with unit_of_work(args) as session:
        domains = list_nta7516_domains(session)
    emit(args, {"domains": domains}, "\n".join(domains) or "(no domains listed)")
    return 0

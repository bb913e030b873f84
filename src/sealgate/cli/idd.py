"""sealgate idd enable|disable --org NAME --domain DOMAIN: Inbound Direct Delivery per domain"""

from __future__ import annotations

import argparse

from sealgate.cli.common import common_options, emit, unit_of_work
from sealgate.directory import set_idd


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("idd", help="Inbound Direct Delivery for a claimed domain")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    for action, enabled in (("enable", True), ("disable", False)):
        parser = actions.add_parser(
            action, parents=[common_options()], help=f"{action} IDD for a domain"
        )
        parser.add_argument("--org", required=True, help="the organisation")
        parser.add_argument("--domain", required=True, help="a domain the organisation claimed")
        parser.set_defaults(run=run_enable if enabled else run_disable)


def _run(args: argparse.Namespace, enabled: bool) -> int:
    with unit_of_work(args) as session:
        info = set_idd(session, args.org, args.domain, enabled)
    state = "enabled" if enabled else "disabled"
    emit(args, info.to_json(), f"Inbound Direct Delivery {state} for {info.domain} ({info.org})")
    return 0


def run_enable(args: argparse.Namespace) -> int:
    return _run(args, True)


def run_disable(args: argparse.Namespace) -> int:
    return _run(args, False)

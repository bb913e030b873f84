"""sealgate demo (wired up once the stages exist)."""

from __future__ import annotations

import argparse

from sealgate.cli.common import CliError, common_options


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser("demo", parents=[common_options()], help="demo")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    raise CliError("demo is not wired up yet")

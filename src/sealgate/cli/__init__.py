"""The command line: parse arguments, call a stage, print text or --json. Nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sealgate.cli import (
    account,
    contacts,
    credentials,
    demo,
    dns,
    explain,
    idd,
    init,
    message,
    migrate,
    nta7516,
    org,
    policy,
    probe,
    serve,
)
from sealgate.cli.common import CliError, common_options, fail

__all__ = ["build_parser", "main"]

COMMAND_GROUPS = (
    init,
    migrate,
    org,
    account,
    credentials,
    policy,
    nta7516,
    idd,
    contacts,
    dns,
    explain,
    probe,
    message,
    serve,
    demo,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sealgate",
        description="Secure email gateway: SMTP submission, notifications and a guest portal.",
        parents=[common_options(top_level=True)],
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

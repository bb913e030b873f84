"""The command line: parse arguments, call a stage, print text or --json. Nothing else.

A failure is one line on stderr, `sealgate: error: <reason>`, or `{"error": "<reason>"}`
when the command was given --json (usage errors too), and a non-zero exit. A reader that
closes the pipe early (`sealgate message list | head -1`) ends the command quietly.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from sealgate.cli import (
    account,
    audit,
    backup,
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
    queue,
    retention,
    role,
    serve,
    token,
)
from sealgate.cli.common import CliError, common_options, fail

__all__ = ["build_parser", "main"]

COMMAND_GROUPS = (
    init,
    migrate,
    org,
    account,
    credentials,
    role,
    token,
    policy,
    nta7516,
    idd,
    contacts,
    dns,
    explain,
    probe,
    message,
    queue,
    audit,
    backup,
    retention,
    serve,
    demo,
)


class UsageError(Exception):
    """argparse refused the command line; raised instead of exiting so main can print it."""

    def __init__(self, usage: str, prog: str, reason: str) -> None:
        super().__init__(reason)
        self.usage, self.prog, self.reason = usage, prog, reason


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors reach main (subcommand parsers inherit it)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.format_usage(), self.prog, message)


def package_version() -> str:
    try:
        return version("sealgate")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sealgate",
        description="Secure email gateway: SMTP submission, notifications and a guest portal.",
        parents=[common_options(top_level=True)],
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"sealgate {package_version()}",
        help="print the version and exit",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(commands)
    return parser


def _wants_json(argv: Sequence[str]) -> bool:
    """Whether --json was given (before a `--` that ends the options)."""
    words = list(argv)
    return "--json" in words[: words.index("--")] if "--" in words else "--json" in words


def _usage_error(error: UsageError, as_json: bool) -> int:
    if as_json:
        print(json.dumps({"error": error.reason}), file=sys.stderr)
    else:
        sys.stderr.write(error.usage)
        print(f"{error.prog}: error: {error.reason}", file=sys.stderr)
    return 2


def _run(argv: Sequence[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as error:
        return _usage_error(error, _wants_json(argv))
    try:
        return int(args.run(args) or 0)
    except CliError as exc:
        return fail(str(exc), as_json=bool(getattr(args, "json", False)))


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    try:
        code = _run(words)
        sys.stdout.flush()  # a closed pipe shows here, not at interpreter exit
        return code
    except BrokenPipeError:
        # The reader went away (`| head -1`). As the Python docs advise for SIGPIPE: point
        # stdout at devnull so the flush at exit cannot fail again, and end without a trace.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())

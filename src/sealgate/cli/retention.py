"""sealgate retention run [--json]: one pass of the reaper (retention/), e.g. from cron.

Deletes the content of every message past its organisation's retention and prints how many
messages and blobs it removed; the worker role runs the same pass every `[retention]
interval` seconds.
"""

from __future__ import annotations

import argparse

from sqlalchemy.exc import SQLAlchemyError

from sealgate.cli.command_audit import record_command
from sealgate.cli.common import CliError, common_options, emit, runtime
from sealgate.retention import ReapResult, reap


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    group = commands.add_parser("retention", help="delete content past its retention")
    actions = group.add_subparsers(dest="action", required=True, metavar="ACTION")
    once = actions.add_parser(
        "run", parents=[common_options()], help="one pass: delete the content that is due"
    )
    once.set_defaults(run=run)


def _text(result: ReapResult) -> str:
    line = f"content of {result.messages} messages deleted, {result.blobs} blobs removed"
    if result.pending:
        line += f"; {result.pending} blobs could not be removed yet (next pass)"
    return line


def run(args: argparse.Namespace) -> int:
    with runtime(args) as rt:
        try:
            result = reap(rt)
            if result.messages or result.blobs:
                # The pass wrote in transactions of its own: the command's entry follows them.
                with rt.db.begin() as session:
                    record_command(session, args)
        except SQLAlchemyError as exc:
            raise CliError(f"database: {type(exc).__name__}") from None
    emit(args, result.to_json(), _text(result))
    return 0

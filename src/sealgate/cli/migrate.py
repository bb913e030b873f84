"""sealgate migrate [--json]: upgrade the database schema to the newest revision.

The one command that changes the schema of an existing install (`init` and `demo` make a
fresh one). Every other command refuses an outdated or empty schema and names this one,
so an upgrade happens when the operator chooses, after a backup, never as a side effect
of `policy show`.
"""

from __future__ import annotations

import argparse

from sqlalchemy.exc import SQLAlchemyError

from sealgate.bootstrap import open_runtime
from sealgate.cli.common import CliError, common_options, emit, load_settings


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "migrate", parents=[common_options()], help="upgrade the database schema"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        rt = open_runtime(settings, migrate=False)
    except (FileNotFoundError, ValueError) as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    try:
        before, after = rt.db.migrate()
    except SQLAlchemyError as exc:
        raise CliError(f"database error: {str(exc).splitlines()[0]}") from None
    finally:
        rt.close()
    changed = before != after
    text = (
        f"migrated the database schema from {before or 'empty'} to {after}"
        if changed
        else f"the database schema is already at {after}"
    )
    emit(args, {"from": before, "to": after, "migrated": changed}, text)
    return 0

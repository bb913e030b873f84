"""What every command shares: --config/--json, loading settings, printing, errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from sealgate.admin import AdminError
from sealgate.audit import AuditError
from sealgate.bootstrap import Runtime, open_runtime
from sealgate.cli.command_audit import WriteWatch, record_command
from sealgate.config import ConfigError, Settings, load
from sealgate.directory import DirectoryError

DEFAULT_CONFIG = "sealgate.toml"


class CliError(Exception):
    """A command failed; the message is the one line the user sees."""


def common_options(top_level: bool = False) -> argparse.ArgumentParser:
    """--config and --json, accepted before or after the command name."""
    default = None if top_level else argparse.SUPPRESS
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--config", metavar="FILE", default=default, help="sealgate.toml to use")
    parent.add_argument(
        "--json",
        action="store_true",
        default=False if top_level else argparse.SUPPRESS,
        help="print JSON instead of text",
    )
    return parent


def fail(reason: str, as_json: bool = False) -> int:
    """Report a failed command on stderr: one line of text, or `{"error": ...}` under --json."""
    if as_json:
        print(json.dumps({"error": reason}), file=sys.stderr)
    else:
        print(f"sealgate: error: {reason}", file=sys.stderr)
    return 1


def read_secret_line(option: str, what: str) -> str:
    """One line of standard input, for a secret that must never be on the command line
    (argv is in the shell history and in `ps` for every user of the machine)."""
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise CliError(f"{option}: no {what} on standard input")
    return secret


def config_path(args: argparse.Namespace) -> Path | None:
    if args.config:
        return Path(args.config)
    if os.environ.get("SEALGATE_CONFIG"):
        return Path(os.environ["SEALGATE_CONFIG"])
    return Path(DEFAULT_CONFIG) if Path(DEFAULT_CONFIG).exists() else None


def load_settings(args: argparse.Namespace) -> Settings:
    try:
        return load(config_path(args), os.environ)
    except ConfigError as exc:
        raise CliError(str(exc)) from None


@contextmanager
def runtime(args: argparse.Namespace) -> Iterator[Runtime]:
    settings = load_settings(args)
    try:
        rt = open_runtime(settings)
    except (FileNotFoundError, ValueError, SQLAlchemyError) as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    try:
        yield rt
    finally:
        rt.close()


@contextmanager
def runtime_work(args: argparse.Namespace) -> Iterator[tuple[Runtime, Session]]:
    """The runtime and a committed transaction; directory errors become one-line CLI errors.

    If the command wrote anything, an audit entry of it commits in the same transaction.
    """
    with runtime(args) as rt:
        try:
            with rt.db.begin() as session:
                writes = WriteWatch(session)
                yield rt, session
                session.flush()
                if writes.wrote:
                    record_command(session, args)
        except (DirectoryError, AuditError, AdminError) as exc:
            raise CliError(str(exc)) from None
        except SQLAlchemyError as exc:
            raise CliError(f"database error: {str(exc).splitlines()[0]}") from None


@contextmanager
def unit_of_work(args: argparse.Namespace) -> Iterator[Session]:
    """A committed transaction, for commands that need only the database."""
    with runtime_work(args) as (_, session):
        yield session


def emit(args: argparse.Namespace, value: dict[str, Any] | list[Any], text: str) -> None:
    print(json.dumps(value, indent=2, default=str) if args.json else text)


def iso(value: datetime | None) -> str | None:
    """A stored time (naive UTC) as ISO 8601 UTC with `Z` for output, or None."""
    return value.isoformat() + "Z" if value else None


def parse_time(value: str, option: str) -> datetime:
    """An ISO 8601 time as the naive UTC the database holds; a time without zone is UTC."""
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CliError(f"{option} {value!r} is not an ISO 8601 date or time") from None
    if when.tzinfo is not None:
        when = when.astimezone(UTC).replace(tzinfo=None)
    return when


def parse_limit(value: str) -> int:
    try:
        limit = int(value)
    except ValueError:
        limit = 0
    if limit < 1:
        raise CliError(f"--limit {value!r} is not a whole number of at least 1")
    return limit

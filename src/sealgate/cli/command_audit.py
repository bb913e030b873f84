"""Every CLI command that changes the database leaves an audit entry in its own transaction.

One place for all commands: `runtime_work` watches its session, and if the command wrote
anything (a flush or an INSERT/UPDATE/DELETE, as the SQLite writer lock counts writes) it
records `<command>.<action>` with the command's arguments just before the commit. Read-only
commands leave nothing. Arguments that may hold a secret are never recorded as given.
"""

from __future__ import annotations

import argparse
import getpass
import os
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

from sealgate.audit import record

# Not arguments of the command itself.
_PLUMBING = frozenset({"config", "json", "run", "command", "action"})
# An argument whose name holds one of these is a secret unless its value is a plain switch.
_SECRET_WORDS = ("password", "secret", "token", "code", "key", "pin")
_SWITCH_VALUES = ("on", "off")
REDACTED = "(redacted)"
# The argument that names what the command acts on, in this order of preference.
_TARGETS = ("id", "email", "username", "recipient", "name", "domain")


def cli_actor() -> str:
    """cli:<os user>: who ran the command, as the operating system knows them."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = f"uid{os.getuid()}"
    return f"cli:{user}"


def command_arguments(args: argparse.Namespace) -> dict[str, Any]:
    """The command's arguments as recorded: given ones only, secrets replaced."""
    recorded: dict[str, Any] = {}
    for name, value in sorted(vars(args).items()):
        if name in _PLUMBING or value is None or value is False or value == []:
            continue
        secret = any(word in name for word in _SECRET_WORDS)
        if secret and not isinstance(value, bool) and value not in _SWITCH_VALUES:
            value = REDACTED
        recorded[name] = value if isinstance(value, (str, int, float, bool, list)) else str(value)
    return recorded


def action_name(args: argparse.Namespace) -> str:
    """`org create` → "org.create"; a command without actions is its own name."""
    command = str(getattr(args, "command", "") or "cli")
    action = getattr(args, "action", None)
    return f"{command}.{action}" if action else command


class WriteWatch:
    """Notices whether a session wrote anything in its transaction."""

    def __init__(self, session: Session) -> None:
        self.wrote = False
        event.listen(session, "before_flush", self._before_flush)
        event.listen(session, "do_orm_execute", self._on_execute)

    def _before_flush(self, session: Session, *_: object) -> None:
        if session.new or session.dirty or session.deleted:
            self.wrote = True

    def _on_execute(self, state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.wrote = True


def record_command(session: Session, args: argparse.Namespace) -> None:
    """The audit entry of one command that wrote: who, which command, which arguments."""
    arguments = command_arguments(args)
    target = next((str(arguments[name]) for name in _TARGETS if name in arguments), None)
    organisation = getattr(args, "org", None)
    record(
        session,
        action_name(args),
        cli_actor(),
        organisation=organisation if isinstance(organisation, str) else None,
        target=target,
        details={"arguments": arguments},
    )

"""The ID every `sealgate message ...` command takes: a message id or its submission's id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sealgate.cli.common import CliError
from sealgate.store import Message, Submission


def find_message(session: Session, ident: str) -> Message:
    """The message with this id or made of this submission; a submission intake has not
    made a message of (yet) is named with its state and error."""
    ident = ident.strip()
    message = session.get(Message, ident) or session.scalar(
        select(Message).where(Message.submission_id == ident)
    )
    if message is not None:
        return message
    submission = session.get(Submission, ident)
    if submission is None:
        raise CliError(f"no message or submission with id {ident!r}")
    error = f": {submission.error}" if submission.error else ""
    raise CliError(f"submission {ident} is {submission.state}; no message was made of it{error}")

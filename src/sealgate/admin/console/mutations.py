"""The shape every console change takes: check, change, audit, in one transaction.

A POST handler names its capability, the organisation it acts on, and a function that
changes rows and returns the audit entry's target and details; `apply` runs them in one
transaction with the audit entry (`record`, actor "account:<address>") as its last step, so
the change and its entry commit together. A refusal from the directory or admin stage
(a duplicate account, a role held already) rolls back and comes back as a sentence.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.requests import Request

from sealgate.admin.console.access import require
from sealgate.admin.console.pages import client_of
from sealgate.admin.console.sessions import Admin
from sealgate.admin.errors import AdminError
from sealgate.admin.roles import Capability
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.directory import DirectoryError


@dataclass(frozen=True)
class Change:
    """What a change did, for the audit entry: the thing acted on, ids and flags."""

    target: str | None
    details: Mapping[str, object]


class Rollback(Exception):
    """The change was refused; nothing is written."""


Changer = Callable[[Session], Change]


def apply(
    rt: Runtime,
    admin: Admin,
    request: Request,
    action: str,
    capability: Capability,
    org: tuple[int | None, str | None],
    change: Changer,
) -> str | None:
    """Run `change` for organisation `org` (id, name); None when done, else why not."""
    org_id, org_name = org
    try:
        with rt.db.begin() as session:
            require(admin, capability, org_id)
            done = change(session)
            record(
                session,
                action,
                admin.principal.actor,
                organisation=org_name,
                target=done.target,
                client=client_of(request),
                details=done.details,
            )
    except (DirectoryError, AdminError, Rollback) as exc:
        return str(exc)
    return None

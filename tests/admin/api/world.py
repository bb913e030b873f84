"""The API's test world: two organisations with a message and a queued job each, a token
for every role in each organisation and an operator token, and the web app served by
uvicorn on a loopback port (the same app `sealgate serve` runs)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from sealgate.admin import Role, create_token
from sealgate.bootstrap import Runtime
from sealgate.delivery import enqueue
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, add_account, create_credential, create_org
from sealgate.intake.readable import ReadableMessage
from sealgate.notify import compose_notification
from sealgate.store import Message, Organisation, utcnow
from tests.admin.served import served_web
from tests.conftest import Sender
from tests.portal.recipients import Spec, store_readable

ORGS = ("Hospital", "Clinic")
DOMAINS = {"Hospital": "hospital.example", "Clinic": "clinic.example"}
ORG_ROLES = (Role.ORG_ADMIN, Role.POLICY_ADMIN, Role.AUDITOR, Role.HELPDESK)


@dataclass
class OrgFixture:
    name: str
    id: int
    sender: str
    message_id: str
    job_id: str
    username: str


@dataclass
class ApiWorld:
    rt: Runtime
    base: str  # http://127.0.0.1:PORT/api/v1
    orgs: dict[str, OrgFixture]
    tokens: dict[tuple[Role, str | None], str] = field(default_factory=dict)

    def client(self, role: Role | None = None, org: str | None = None) -> httpx.Client:
        headers = {}
        if role is not None:
            headers["Authorization"] = f"Bearer {self.tokens[(role, org)]}"
        return httpx.Client(base_url=self.base, headers=headers, timeout=30)

    def operator(self) -> httpx.Client:
        return self.client(Role.OPERATOR, None)


def _job(rt: Runtime, org: str, sender: str, submission_id: str) -> str:
    now = utcnow()
    mail = compose_notification(
        sender_name="Sender",
        sender_address=sender,
        recipient="bob@example.org",
        link="http://127.0.0.1:8080/m/the-secret-link-token",
        now=now,
        org_name=org,
        until=datetime(2027, 3, 3),
    )
    with rt.db.begin() as session:
        job = enqueue(
            session,
            rt.vault,
            kind="notification",
            mail=mail,
            mail_from=sender,
            rcpt_to="bob@example.org",
            now=now,
            expiry=timedelta(days=5),
        )
        job.submission_id = submission_id
        job.state = "deferred"
        job.attempts = 1
        job.next_attempt_at = now + timedelta(hours=1)
        return job.id


def _organisation(rt: Runtime, name: str) -> OrgFixture:
    domain = DOMAINS[name]
    address = f"alice@{domain}"
    with rt.db.begin() as session:
        create_org(session, name, [domain])
        add_account(session, address, name, "alice-pw-long-enough", "Alice")
        credential, password = create_credential(
            session, name, "tests", key=rt.subkey(CREDENTIAL_KEY_PURPOSE)
        )
        org_id = session.scalars(select(Organisation.id).where(Organisation.name == name)).one()
    sender = Sender(name, address, "Alice", credential.username, password)
    readable = ReadableMessage(
        subject="Lab results",
        sender=f"Alice <{address}>",
        to=("bob@example.org",),
        cc=(),
        date="Tue, 03 Mar 2026 10:00:00 +0100",
        text="results",
        html="",
        attachments=(),
    )
    store_readable(rt, sender, readable, [Spec("bob@example.org")])
    with rt.db.begin() as session:
        message = session.scalars(select(Message).where(Message.org_id == org_id)).one()
        message_id, submission_id = message.id, message.submission_id
    job_id = _job(rt, name, address, submission_id)
    return OrgFixture(name, org_id, address, message_id, job_id, credential.username)


def build_world(rt: Runtime, base: str) -> ApiWorld:
    world = ApiWorld(rt, base, {name: _organisation(rt, name) for name in ORGS})
    with rt.db.begin() as session:
        for org in ORGS:
            for role in ORG_ROLES:
                _, secret = create_token(
                    session, role_name=role.value, org_name=org, created_by="cli:test"
                )
                world.tokens[(role, org)] = secret
        _, secret = create_token(
            session, role_name="operator", org_name=None, created_by="cli:test"
        )
        world.tokens[(Role.OPERATOR, None)] = secret
    return world


@contextmanager
def served(rt: Runtime) -> Iterator[str]:
    """The whole web app on [web] listen until the block ends; yields the API's base URL."""
    with served_web(rt) as url:
        yield url + "/api/v1"

"""An admin's side of the console for tests: accounts with roles and an enrolled app, the
web app served over a real socket, and a browser-like client that logs in with TOTP."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from sqlalchemy import select

from sealgate.admin import grant_role
from sealgate.bootstrap import Runtime
from sealgate.config import Settings
from sealgate.directory import add_account, create_org
from sealgate.portal.totp import TOTP_KEY_PURPOSE, TotpSecret, seal_secret
from sealgate.store import Account, Recipient
from tests.admin.served import served_web
from tests.conftest import Sender, make_settings
from tests.delivery.dns_zone import DnsZone
from tests.portal.guest import GuestBrowser
from tests.portal.recipients import Spec, store_for

PASSWORD = "admin password, long enough"
# `sealgate serve`'s web app (portal, console, API) on [web] listen; yields its base URL.
served = served_web
TRACE = [
    {"step": "nta7516", "outcome": "skipped", "reason": "the recipient domain is not listed"},
    {"step": "email_verification", "outcome": "applied", "reason": "the policy allows it"},
]


@dataclass(frozen=True)
class AdminAccount:
    email: str
    secret: str  # the TOTP app's secret (base32)


def add_admin(
    rt: Runtime, email: str, org: str, role: str | None, *, enrolled: bool = True
) -> AdminAccount:
    """An account of `org` with a password, an enrolled TOTP app and (unless None) `role`."""
    secret = pyotp.random_base32()
    with rt.db.begin() as session:
        info = add_account(session, email, org, PASSWORD, email.partition("@")[0].title())
        account = session.get_one(Account, info.id)
        if enrolled:
            account.totp_secret = seal_secret(
                rt.subkey(TOTP_KEY_PURPOSE), info.id, TotpSecret(secret)
            )
            account.totp_enabled = True
        if role is not None:
            grant_role(session, email, role, granted_by="cli:test")
    return AdminAccount(email, secret)


@dataclass(frozen=True)
class World:
    hospital_admin: AdminAccount
    auditor: AdminAccount
    clinic_admin: AdminAccount
    operator: AdminAccount
    no_role: AdminAccount
    message_id: str  # Hospital's message to bob and carol


def build_world(rt: Runtime, sender: Sender) -> World:
    with rt.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
    world = World(
        hospital_admin=add_admin(rt, "hanna@hospital.example", "Hospital", "org-admin"),
        auditor=add_admin(rt, "otto@hospital.example", "Hospital", "auditor"),
        clinic_admin=add_admin(rt, "cleo@clinic.example", "Clinic", "org-admin"),
        operator=add_admin(rt, "opal@hospital.example", "Hospital", "operator"),
        no_role=add_admin(rt, "nora@hospital.example", "Hospital", None),
        message_id=_message(rt, sender),
    )
    return world


def _message(rt: Runtime, sender: Sender) -> str:
    guests = store_for(
        rt, sender, [Spec("bob@example.org"), Spec("carol@example.net")], subject="Lab results"
    )
    with rt.db.begin() as session:
        row = session.get_one(Recipient, guests["bob@example.org"].recipient_id)
        for recipient in session.scalars(
            select(Recipient).where(Recipient.message_id == row.message_id)
        ):
            recipient.decision = {
                "method": recipient.method,
                "delivery": recipient.delivery,
                "trace": TRACE,
            }
        return row.message_id


def code_for(admin: AdminAccount, steps_ahead: int = 0) -> str:
    return pyotp.TOTP(admin.secret).at(time.time() + 30 * steps_ahead)


@contextmanager
def threaded_zone() -> Iterator[DnsZone]:
    """A DnsZone served from a thread's own event loop, so a sync test (the browser's) and
    the server's worker threads can ask it while the test itself blocks."""
    zone = DnsZone()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="console-dns", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(zone.start(), loop).result(timeout=10)
    try:
        yield zone
    finally:
        loop.call_soon_threadsafe(zone.stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()


@pytest.fixture
def claim_zone() -> Iterator[DnsZone]:
    """A threaded DnsZone for the domain claims a test verifies."""
    with threaded_zone() as zone:
        yield zone


@pytest.fixture
def zone_settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], claim_zone: DnsZone
) -> Settings:
    """Settings whose resolver is `claim_zone`; a module takes it as its `settings` with
    `from tests.admin.console.console import zone_settings as settings`."""
    resolver = f"127.0.0.1:{claim_zone.port}"
    return make_settings(tmp_path, database_url, tls_files, SEALGATE_TRANSPORT__RESOLVER=resolver)


def log_in_page(page: Any, base_url: str, admin: AdminAccount) -> None:
    """Fill and send the console's log-in form shown in a Playwright `page`, then wait for
    the dashboard."""
    page.get_by_label("Email address").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from the app").fill(code_for(admin))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base_url}/admin")


@asynccontextmanager
async def console_browser(base_url: str) -> AsyncIterator[GuestBrowser]:
    async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
        yield GuestBrowser(client)


async def log_in(
    browser: GuestBrowser, admin: AdminAccount, *, steps_ahead: int = 0, password: str = PASSWORD
) -> httpx.Response:
    await browser.get("/admin/login")
    return await browser.post(
        "/admin/login",
        {"email": admin.email, "password": password, "code": code_for(admin, steps_ahead)},
    )


_ID_CELL = re.compile(r"<td>(\d+)</td>")


def token_ids(page: str) -> list[int]:
    return [int(value) for value in _ID_CELL.findall(page)]

"""The demo mailbox page in Debian chromium: axe-core finds no WCAG 2.2 AA violation, at
desktop and phone sizes, with mail and SMS in it and empty."""

from __future__ import annotations

import asyncio
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from sealgate.demo import Mailbox, mailbox_app
from sealgate.notify import HowToOpen, compose_notification
from sealgate.notify.sms import OutboxSmsProvider
from tests.conftest import free_port
from tests.lab.axe import assert_accessible
from tests.lab.browser import chromium, pytestmark

__all__ = ["pytestmark"]

SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def _catch(folder: Path) -> None:
    """One notification through a real demo mailbox on loopback."""
    mail = compose_notification(
        sender_name="Alice Arts",
        sender_address="alice@hospital.example",
        recipient="bob@example.org",
        link="http://127.0.0.1:8080/m/" + "A" * 43,
        now=datetime(2026, 12, 3, 9, 30, tzinfo=UTC),
        org_name="Hospital",
        until=datetime(2027, 3, 3),
        how=HowToOpen(),
        subject=None,
    )

    async def run() -> None:
        port = free_port()
        box = Mailbox(folder, "127.0.0.1", port)
        await box.start()
        try:

            def send() -> None:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                    smtp.send_message(mail, from_addr="alice@hospital.example")

            await asyncio.to_thread(send)
        finally:
            await box.stop()

    asyncio.run(run())


@contextmanager
def _served(folder: Path, data_dir: Path) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        mailbox_app(folder, data_dir), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="mailbox-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive()


def test_the_demo_mailbox_passes_axe(tmp_path: Path) -> None:
    folder, data_dir = tmp_path / "mailbox", tmp_path / "data"
    folder.mkdir()
    data_dir.mkdir()
    with _served(folder, data_dir) as url, chromium() as browser:
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url)
            assert_accessible(page, f"the empty demo mailbox ({size})")
            page.close()
        # Playwright's sync API holds this thread's event loop: catch in another thread.
        catcher = threading.Thread(target=_catch, args=(folder,))
        catcher.start()
        catcher.join(timeout=30)
        assert len(list(folder.glob("*.eml"))) == 1
        OutboxSmsProvider(data_dir).send("+31612345678", "123456 is your code")
        for size, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url)
            assert page.get_by_role("heading", name="SMS to +31612345678").is_visible()
            page.screenshot(path=str(tmp_path / f"mailbox-{size}.png"), full_page=True)
            assert_accessible(page, f"the demo mailbox ({size})")
            page.close()

"""Backup → wipe → restore over the whole path: a message submitted over SMTP before the
backup is read, with byte-identical attachments, in the portal after the restore; with blobs
on the filesystem, and on S3 (the bucket kept and checked, or wiped and filled again)."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from sealgate.config import Settings, split_hostport
from tests.backup.conftest import empty_bucket, wipe
from tests.conftest import make_settings
from tests.e2e.mailflow import Browser, link_in, running_gateway, submit, text_of, wait_for_mail
from tests.e2e.test_whole_path import ATTACHMENT_PDF, ATTACHMENT_TXT, secure_message
from tests.lab.s3_lab import S3Lab

BOB = "bob@example.org"


async def _read_in_portal(sink, link: str) -> tuple[str, list[bytes]]:
    """Follow `link` as bob: ask for a code by mail, type it, read, download every attachment."""
    async with httpx.AsyncClient(timeout=20) as client:
        browser = Browser(client)
        landing = await browser.request("GET", link)
        assert landing.status_code == 200
        sink.messages.clear()
        asked = await browser.submit_form(landing)
        if asked.status_code == 303:
            asked = await browser.request("GET", str(asked.url.join(asked.headers["location"])))
        code_mail = await wait_for_mail(sink, BOB, "code")
        code = re.search(r"\b(\d{6})\b", text_of(code_mail)).group(1)
        verified = await browser.submit_form(asked, code=code)
        assert verified.status_code == 303
        page = await browser.request("GET", str(verified.url.join(verified.headers["location"])))
        assert page.status_code == 200
        hrefs = re.findall(r'href="([^"]*/attachments/[^"]+)"', page.text)
        bodies = [(await browser.request("GET", str(page.url.join(h)))).content for h in hrefs]
        # The body is the HTML part, shown in its frame.
        [frame_src] = re.findall(r'<iframe[^>]* src="([^"]+)"', page.text)
        frame = await browser.request("GET", str(page.url.join(frame_src)))
    return page.text + frame.text, bodies


async def _submit_and_get_link(settings: Settings, sink, sender) -> str:  # type: ignore[no-untyped-def]
    """Submit the lab message to BOB through a running gateway; the link its notification
    carries."""
    async with running_gateway(settings) as gateway:
        port = split_hostport(gateway.settings.submission.listen)[1]
        mail = secure_message(
            sender.address, zivver_minimum_recipient_verification="email-verification"
        )
        await asyncio.to_thread(submit, port, sender.username, sender.password, mail, [BOB])
        return link_in(await wait_for_mail(sink, BOB, "Secure message from"))


async def test_backup_wipe_restore_then_read_in_the_portal(
    tmp_path, database_url, tls_files, sink, sender, runtime, cli
):
    settings: Settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    link = await _submit_and_get_link(settings, sink, sender)

    backup = cli("backup", str(tmp_path / "backup"))
    assert backup.returncode == 0, backup.stderr
    wipe(runtime, settings)
    restored = cli("restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr

    async with running_gateway(settings):
        page, bodies = await _read_in_portal(sink, link)
    assert "Lab results 2026-11" in page and "your lab results</b> are attached" in page
    assert sorted(bodies) == sorted([ATTACHMENT_PDF, ATTACHMENT_TXT])


@pytest.mark.parametrize("with_blobs", [False, True], ids=["manifest", "with-blobs"])
async def test_on_s3_backup_wipe_restore_then_read_in_the_portal(
    with_blobs, tmp_path, database_url, tls_files, sink, sender, runtime, cli, s3_lab: S3Lab
):
    bucket = s3_lab.new_bucket()
    on_s3 = s3_lab.settings_env(bucket, "gw")
    settings: Settings = make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}",
        **on_s3,
    )
    link = await _submit_and_get_link(settings, sink, sender)
    stored = s3_lab.keys(bucket)

    flags = ["--with-blobs"] if with_blobs else []
    backup = cli("backup", str(tmp_path / "backup"), *flags, env=on_s3)
    assert backup.returncode == 0, backup.stderr
    wipe(runtime, settings)
    if with_blobs:
        empty_bucket(s3_lab, bucket)
    restored = cli("restore", str(tmp_path / "backup"), env=on_s3)
    assert restored.returncode == 0, restored.stderr
    assert s3_lab.keys(bucket) == stored

    async with running_gateway(settings):
        page, bodies = await _read_in_portal(sink, link)
    assert "Lab results 2026-11" in page and "your lab results</b> are attached" in page
    assert sorted(bodies) == sorted([ATTACHMENT_PDF, ATTACHMENT_TXT])


async def test_key_rotate_then_read_in_the_portal(
    tmp_path, database_url, tls_files, sink, sender, runtime, cli
):
    settings: Settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_DELIVERY__RELAY=f"127.0.0.1:{sink.port}"
    )
    link = await _submit_and_get_link(settings, sink, sender)

    old_key = (settings.data_dir / "master.key").read_text()
    rotated = cli("key", "rotate")
    assert rotated.returncode == 0, rotated.stderr
    assert "master key rotated" in rotated.stdout
    assert (settings.data_dir / "master.key").read_text() != old_key

    async with running_gateway(settings):
        page, bodies = await _read_in_portal(sink, link)
    assert "Lab results 2026-11" in page
    assert sorted(bodies) == sorted([ATTACHMENT_PDF, ATTACHMENT_TXT])

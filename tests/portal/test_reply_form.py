"""Every refused reply answers 303 to its read page, over a real socket (uvicorn).

Issue: the reply forms still answered bad input with a 400 or 413 page, the one form left
outside POST-redirect-GET. Each case below posts a reply the portal must not send, checks
the 303 to `{start}/read?error=<key>#reply` and that nothing was submitted, then GETs the
read page and finds the sentence next to the form, tied to its field. An upload over the
limit is refused from its Content-Length before the body is sent, and a chunked one as soon
as it passes the limit: both are shown over a raw socket that never sends the rest.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
import pytest

from sealgate.bootstrap import Runtime
from sealgate.portal.reply_form import MAX_ATTACHMENTS
from tests.conftest import Sender
from tests.portal.account import enrol
from tests.portal.conftest import StoredMessage, store_message
from tests.portal.guest import GuestBrowser
from tests.portal.served import served_portal
from tests.portal.test_reply import (
    ALICE_PASSWORD,
    post_reply,
    process_incoming,
    reply_recipients,
    signed_in_bob,
    submissions,
)

LIMIT = 60_000
SENTENCES = {
    "empty": "Your reply is empty and was not sent.",
    "too_large": "with its files it may be at most 59 KB",
    "too_many_files": f"it may have at most {MAX_ATTACHMENTS} files",
    "not_sent": "Your reply could not be sent. Reload the page",
}
FIELD = {"empty": "body", "not_sent": "body", "too_large": "files", "too_many_files": "files"}


@dataclass(frozen=True)
class Small:
    rt: Runtime
    sender: Sender
    stored: StoredMessage
    guest: GuestBrowser


@pytest.fixture
async def small(sender_factory) -> AsyncIterator[Small]:
    """A portal whose replies may be at most LIMIT bytes, and bob signed in to it."""
    rt, sender = sender_factory(SEALGATE_SUBMISSION__MAX_MESSAGE_SIZE=str(LIMIT))
    stored = store_message(rt, sender)
    with served_portal(rt) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            guest = GuestBrowser(client)
            await signed_in_bob(rt, guest, stored)
            yield Small(rt, sender, stored, guest)


async def refused_to(guest: GuestBrowser, answer: httpx.Response, start: str, key: str) -> str:
    """`answer` is the 303 to the read page with `key`; returns that page, which words it."""
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    assert answer.headers["location"] == f"{start}/read?error={key}#reply"
    assert answer.content == b""
    page = await guest.get(answer.headers["location"])
    assert page.status_code == 200
    alert = re.search(r'<p class="error" role="alert" id="reply-error">([^<]*)</p>', page.text)
    assert alert and SENTENCES[key] in alert.group(1), (key, alert)
    if FIELD[key] == "body":
        assert re.search(r'<textarea id="reply-body"[^>]*aria-describedby="reply-error"', page.text)
    else:
        assert 'aria-describedby="reply-error reply-limit"' in page.text
    return page.text


def files(count: int, size: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [
        ("attachments", (f"f{n}.bin", os.urandom(size), "application/octet-stream"))
        for n in range(count)
    ]


async def test_an_empty_reply_comes_back_with_its_error(small):
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    await refused_to(guest, await post_reply(guest, start, fields={"body": " \n "}), start, "empty")
    assert submissions(rt) == []


async def test_a_reply_over_the_limit_comes_back_with_its_error(small):
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    # Over the limit as uploaded (Content-Length), and over it once encoded (base64: 4/3).
    for size in (70_000, 50_000):
        answer = await post_reply(guest, start, files=files(1, size))
        await refused_to(guest, answer, start, "too_large")
    assert (await post_reply(guest, start, files=files(1, 1000))).status_code == 303
    assert len(submissions(rt)) == 1


async def test_a_chunked_reply_over_the_limit_comes_back_with_its_error(small):
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(10):
            yield b"x" * 10_000

    answer = await guest.request(
        "POST",
        f"{start}/reply",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    await refused_to(guest, answer, start, "too_large")
    assert submissions(rt) == []


async def test_too_many_files_come_back_with_their_error(small):
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    answer = await post_reply(guest, start, files=files(MAX_ATTACHMENTS + 1, 10))
    await refused_to(guest, answer, start, "too_many_files")
    answer = await post_reply(guest, start, files=files(MAX_ATTACHMENTS + 5, 10))
    await refused_to(guest, answer, start, "too_many_files")
    assert (await post_reply(guest, start, files=files(MAX_ATTACHMENTS, 10))).status_code == 303
    assert len(submissions(rt)) == 1


async def test_a_form_that_is_not_ours_comes_back_with_its_error(small):
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    # A text field where a file belongs, an extra field, a body that is not multipart.
    text_file = await post_reply(guest, start, fields={"attachments": "not a file"})
    await refused_to(guest, text_file, start, "not_sent")
    extra = await post_reply(guest, start, fields={"subject": "Hi"})
    await refused_to(guest, extra, start, "not_sent")
    plain = await guest.request(
        "POST", f"{start}/reply", data={"body": "Hi", "csrf_token": guest.csrf}
    )
    await refused_to(guest, plain, start, "not_sent")
    broken = await guest.request(
        "POST",
        f"{start}/reply",
        content=b"--b\r\nno headers at all",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    await refused_to(guest, broken, start, "not_sent")
    assert submissions(rt) == []


async def test_the_csrf_check_still_answers_403(small):
    """As on every portal form: a missing or foreign token is the refusal page, no redirect."""
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    assert (await post_reply(guest, start, csrf=False)).status_code == 403
    assert (await post_reply(guest, start, fields={"csrf_token": "x" * 64})).status_code == 403
    assert submissions(rt) == []


async def test_the_error_is_worded_in_dutch_and_german_and_unknown_keys_show_nothing(small):
    stored, guest = small.stored, small.guest
    read = f"/m/{stored.bob.token}/read"
    dutch = await guest.get(f"{read}?error=empty", headers={"accept-language": "nl"})
    assert "Uw antwoord is leeg" in dutch.text
    german = await guest.get(f"{read}?error=too_large", headers={"accept-language": "de"})
    assert "59 KB" in german.text and "Ihre Antwort wurde nicht gesendet" in german.text
    for key in ("", "wrong", "<script>"):
        page = await guest.get(f"{read}?error={key}")
        assert page.status_code == 200 and 'id="reply-error"' not in page.text


def _raw_post(base_url: str, path: str, head: dict[str, str], sent: bytes) -> bytes:
    """POST `head` and `sent` over a plain socket, never sending the rest of the body;
    returns what the server answers meanwhile."""
    url = urlsplit(base_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    with socket.create_connection((url.hostname, url.port or 80), timeout=10) as conn:
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + sent)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = conn.recv(4096)
            if not chunk:
                break
            answer += chunk
    return answer


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
async def test_an_upload_over_the_limit_is_refused_before_it_is_read(small, framing):
    """1 GB declared, or chunks past the limit: the 303 comes while the body is unsent."""
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    head = {
        "Cookie": "; ".join(f"{k}={v}" for k, v in guest.cookies.items()),
        "Content-Type": "multipart/form-data; boundary=b",
    }
    if framing == "content-length":
        head["Content-Length"] = str(1 << 30)
        sent = b"--b\r\n"
    else:
        head["Transfer-Encoding"] = "chunked"
        chunk = b"x" * 8192
        sent = (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * (LIMIT // len(chunk) + 2)
    answer = _raw_post(str(guest.client.base_url), f"{start}/reply", head, sent)
    status, _, rest = answer.partition(b"\r\n")
    assert status == b"HTTP/1.1 303 See Other", answer[:300]
    assert f"location: {start}/read?error=too_large#reply\r\n".encode() in rest
    assert submissions(rt) == []
    # The portal goes on serving.
    assert (await guest.get(f"{start}/read")).status_code == 200


async def test_a_refused_inbox_reply_comes_back_to_the_inbox_read_page(small):
    """The sender answers a reply from her inbox; refused, she lands on that read page."""
    rt, stored, guest = small.rt, small.stored, small.guest
    assert (await post_reply(guest, f"/m/{stored.bob.token}")).status_code == 303
    process_incoming(rt)
    (first,) = submissions(rt)
    alice_row = reply_recipients(rt, first.id)[small.sender.address]
    alice = GuestBrowser(guest.client)
    await enrol(alice, small.sender.address, ALICE_PASSWORD)
    await alice.get(f"/inbox/{alice_row.id}/read")
    start = f"/inbox/{alice_row.id}"
    await refused_to(alice, await post_reply(alice, start, fields={"body": ""}), start, "empty")
    answer = await post_reply(alice, start, files=files(1, LIMIT + 1))
    await refused_to(alice, answer, start, "too_large")
    assert len(submissions(rt)) == 1


async def test_an_empty_file_input_as_browsers_send_it_is_no_attachment(small):
    """Chromium sends an untouched file input as a part with filename="" and no bytes."""
    rt, stored, guest = small.rt, small.stored, small.guest
    start = f"/m/{stored.bob.token}"
    body = (
        f'--b\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{guest.csrf}\r\n'
        '--b\r\nContent-Disposition: form-data; name="body"\r\n\r\n\r\n'
        '--b\r\nContent-Disposition: form-data; name="attachments"; filename=""\r\n'
        "Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n"
    ).encode()
    answer = await guest.request(
        "POST",
        f"{start}/reply",
        content=body,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    await refused_to(guest, answer, start, "empty")
    assert submissions(rt) == []

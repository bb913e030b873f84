"""Codes per link: a daily and a lifetime cap, then "contact the sender", and one notice.

Issue 8 item 7: 3 sends x 5 attempts per code window over a 90-day link was about 2,000
guesses a day. Now a link sends at most `code_sends_per_day` codes in 24 hours and
`code_sends_per_link` in its life, counted by one conditional UPDATE, so 50 parallel asks
cannot pass the cap; past it the link page asks the recipient to contact the sender and the
sender is told once, by a short mail on the outbound queue without message content.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesParser

import httpx
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.delivery import queued_mail
from sealgate.store import OutboundJob, Recipient
from tests.portal.guest import GuestBrowser, code_mails
from tests.portal.recipients import Spec, store_for
from tests.portal.served import served_portal

BOB = "bob@example.org"
PARALLEL = 50


def notices(rt: Runtime) -> list[tuple[OutboundJob, str]]:
    """The notices to senders on the queue, with their text."""
    with rt.db.begin() as session:
        jobs = session.scalars(select(OutboundJob).where(OutboundJob.kind == "notice")).all()
    parser = BytesParser(policy=policy.default)
    found = []
    for job in jobs:
        mail = parser.parsebytes(queued_mail(rt.vault, job))
        found.append((job, mail.get_body(preferencelist=("plain",)).get_content()))  # type: ignore[union-attr]
    return found


async def test_link_code_sends_are_capped_per_day_and_per_life(sender_factory):
    """Issue 8 item 7: 50 parallel asks send the daily cap exactly; the life cap then holds."""
    rt, sender = sender_factory(
        SEALGATE_WEB__CODE_SENDS="1000",
        SEALGATE_WEB__CODE_RESEND_INTERVAL="0",
        SEALGATE_WEB__CODE_SENDS_PER_DAY="4",
        SEALGATE_WEB__CODE_SENDS_PER_LINK="6",
    )
    guest = store_for(rt, sender, [Spec(BOB)], subject="Confidential diagnosis")[BOB]
    with served_portal(rt) as url:
        limits = httpx.Limits(max_connections=PARALLEL + 5)
        async with httpx.AsyncClient(base_url=url, limits=limits, timeout=120) as client:
            browser = GuestBrowser(client)
            await browser.get(f"/m/{guest.token}")
            headers = {"cookie": "; ".join(f"{k}={v}" for k, v in browser.cookies.items())}
            form = {"csrf_token": browser.csrf}
            asks = [
                client.post(f"/m/{guest.token}/code", data=form, headers=headers)
                for _ in range(PARALLEL)
            ]
            answers = await asyncio.gather(*asks)
            # Sent: on to the form; capped: back to the start page, which says so (a GET).
            # A send that lost the race to the recipient's own window (as a 429 did before)
            # is refused to the form instead: still no code.
            places = Counter(answer.headers["location"] for answer in answers)
            verify, start = f"/m/{guest.token}/verify", f"/m/{guest.token}"
            refusals = {start, f"{verify}?error=wait", f"{verify}?error=too_many"}
            assert places[verify] == 4 and set(places) - {verify} <= refusals, places
            assert places[start] >= 1, places
            assert len(code_mails(rt, guest.recipient_id)) == 4
            page = await browser.get(f"/m/{guest.token}")
            assert page.status_code == 429 and "Please contact the sender" in page.text
            assert "Alice Arts" in page.text and 'name="csrf_token"' not in page.text

            # The sender is told once: who, and which message by date; no content.
            [(job, text)] = notices(rt)
            assert job.rcpt_to == sender.address and job.mail_from == ""
            assert BOB in text and "Confidential diagnosis" not in text

            # A day later two more codes may go, then the link's life cap holds for good.
            with rt.db.begin() as session:
                recipient = session.get(Recipient, guest.recipient_id)
                recipient.code_day_started_at -= timedelta(hours=25)
            await browser.get(f"/m/{guest.token}")
            for expected in ("/verify", "/verify", ""):
                await browser.get("/login")  # a page with a form, for a CSRF token
                asked = await browser.post(f"/m/{guest.token}/code")
                assert asked.headers["location"] == f"/m/{guest.token}{expected}"
            capped = await browser.follow(asked)
            assert capped.status_code == 429 and "no more codes can be sent" in capped.text
            assert len(code_mails(rt, guest.recipient_id)) == 6
            assert len(notices(rt)) == 1

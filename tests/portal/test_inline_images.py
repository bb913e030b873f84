"""Reading a mail as mail programs write it, over real HTTP: one body, its own pictures shown
from the vault (same origin, session-scoped), remote pictures blocked with a line that says so,
the account as the sender and the date sent (issue 11, item 5)."""

from __future__ import annotations

import re
from email.message import EmailMessage

from sealgate.bootstrap import Runtime
from sealgate.portal.read import HTML_BODY_POLICY
from tests.conftest import Sender
from tests.intake.inline_mail import LOGO, LOGO_CID, TRACKER, signature_mail
from tests.portal.over_http import http_browser, store_mail

BLOCKED = "Images from the internet were blocked to protect your privacy."


def _section(page: str, title_id: str) -> str:
    match = re.search(rf'<section[^>]*aria-labelledby="{title_id}".*?</section>', page, re.S)
    return match.group(0) if match else ""


async def test_html_mail_shows_one_body_with_its_own_picture(runtime: Runtime, sender: Sender):
    bob = store_mail(runtime, sender, signature_mail().as_bytes())
    async with http_browser(runtime) as browser:
        await browser.sign_in(runtime, bob.token, bob.recipient_id)
        page = await browser.get(f"/m/{bob.token}/read")
        assert page.status_code == 200
        # Only the HTML frame: the text part is not shown beside it.
        assert len(re.findall(r"<iframe[^>]*>", page.text)) == 1
        assert "your results are attached." not in page.text
        assert "body-text" not in page.text
        # The logo is listed apart, not as an attachment.
        attachments = _section(page.text, "attachments-title")
        assert "letter.pdf" in attachments and "/inline/" not in attachments
        assert "attachment-" not in attachments and "image" not in attachments.lower()
        pictures = _section(page.text, "inline-images-title")
        assert f'href="/m/{bob.token}/inline/0"' in pictures

        frame = await browser.get(f"/m/{bob.token}/html")
        assert frame.headers["content-security-policy"] == HTML_BODY_POLICY
        assert "img-src 'self' data:" in HTML_BODY_POLICY and "script" not in HTML_BODY_POLICY
        assert f'<img src="/m/{bob.token}/inline/0" alt="Hospital logo"' in frame.text
        assert f"cid:{LOGO_CID}" not in frame.text and TRACKER not in frame.text

        image = await browser.get(f"/m/{bob.token}/inline/0")
        assert image.status_code == 200 and image.content == LOGO
        assert image.headers["content-type"] == "image/png"
        assert image.headers["content-disposition"].startswith("inline;")
        assert image.headers["x-content-type-options"] == "nosniff"
        assert image.headers["cross-origin-resource-policy"] == "same-origin"
        assert (await browser.get(f"/m/{bob.token}/inline/1")).status_code == 404
        assert (await browser.get(f"/m/{bob.token}/inline/x")).status_code == 404


async def test_pictures_need_the_recipients_session(runtime: Runtime, sender: Sender):
    bob = store_mail(runtime, sender, signature_mail().as_bytes())
    carol = store_mail(runtime, sender, signature_mail().as_bytes(), "carol@example.net")
    async with http_browser(runtime) as browser:
        refused = await browser.get(f"/m/{bob.token}/inline/0")
        assert refused.status_code == 403 and LOGO not in refused.content
        await browser.sign_in(runtime, carol.token, carol.recipient_id)
        assert (await browser.get(f"/m/{bob.token}/inline/0")).status_code == 403
        assert (await browser.get(f"/m/{carol.token}/inline/0")).content == LOGO


async def test_remote_pictures_are_blocked_and_the_page_says_so(runtime: Runtime, sender: Sender):
    tracked = store_mail(runtime, sender, signature_mail().as_bytes())
    plain = EmailMessage()
    plain["From"] = "alice@hospital.example"
    plain["Subject"] = "No pictures"
    plain.set_content("Text only.\n")
    plain.add_alternative("<p>Only <i>words</i> here.</p>", subtype="html")
    quiet = store_mail(runtime, sender, plain.as_bytes(), "carol@example.net")
    async with http_browser(runtime) as browser:
        await browser.sign_in(runtime, tracked.token, tracked.recipient_id)
        assert BLOCKED in (await browser.get(f"/m/{tracked.token}/read")).text
        await browser.sign_in(runtime, quiet.token, quiet.recipient_id)
        page = await browser.get(f"/m/{quiet.token}/read")
        assert page.status_code == 200 and BLOCKED not in page.text


async def test_the_sender_is_the_account_and_the_date_is_the_date_sent(
    runtime: Runtime, sender: Sender
):
    bob = store_mail(runtime, sender, signature_mail().as_bytes())
    undated = EmailMessage()
    undated["From"] = "Alice Arts <alice@hospital.example>"
    undated["Subject"] = "No date"
    undated.set_content("Plain words.\n")
    carol = store_mail(runtime, sender, undated.as_bytes(), "carol@example.net")
    async with http_browser(runtime) as browser:
        await browser.sign_in(runtime, bob.token, bob.recipient_id)
        page = (await browser.get(f"/m/{bob.token}/read")).text
        [sender_line] = re.findall(r'<dd class="sender">(.*?)</dd>', page, re.S)
        assert sender_line.startswith("Alice Arts &lt;alice@hospital.example&gt;")
        assert '<span class="hint sender-header">(name in the mail: Dr. A. Arts)</span>' in (
            sender_line
        )
        assert "&#34;" not in sender_line and "&quot;" not in sender_line
        assert '<time datetime="2026-12-02T09:30:00+01:00">2 Dec 2026 09:30</time>' in page

        await browser.sign_in(runtime, carol.token, carol.recipient_id)
        page = (await browser.get(f"/m/{carol.token}/read")).text
        [sender_line] = re.findall(r'<dd class="sender">(.*?)</dd>', page, re.S)
        assert sender_line == "Alice Arts &lt;alice@hospital.example&gt;"  # same name: no extra
        # No Date header: when sealgate accepted it, in UTC.
        assert re.search(r'<time datetime="[0-9T:-]+\+00:00">[^<]+ UTC</time>', page)
        # A text-only mail shows its text.
        assert '<pre class="body-text">Plain words.' in page and "<iframe" not in page

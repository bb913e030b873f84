"""The portal's language: Accept-Language, the switch on every page, `<html lang>`, and the
code mail and SMS in the message's or the organisation's language (issue 11 item 3)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select

from sealgate.bootstrap import Runtime
from sealgate.directory import set_org_language
from sealgate.portal.language import LANGUAGE_COOKIE, safe_next
from sealgate.store import Message, Recipient
from tests.conftest import Sender
from tests.portal.conftest import StoredMessage
from tests.portal.guest import GuestBrowser, code_mails
from tests.portal.recipients import PHONE, Spec, outbox, store_for
from tests.portal.served import served_portal

BOB = "bob@example.org"
_SWITCH = re.compile(r'<a href="/language/(\w+)\?next=([^"]*)" hreflang="\w+" lang="\w+">')


def _lang(page: httpx.Response) -> str:
    match = re.search(r'<html lang="(\w+)">', page.text)
    assert match, page.text[:200]
    return match.group(1)


def _switch(page: httpx.Response) -> dict[str, str]:
    """The switch's links: language -> where it brings the guest back to."""
    return dict(_SWITCH.findall(page.text))


@pytest.mark.parametrize(
    ("accept", "language", "words"),
    [
        ("nl-NL,nl;q=0.9,en;q=0.5", "nl", ("U heeft een beveiligd bericht", "Stuur mij een code")),
        ("de-DE,de;q=0.9", "de", ("Sie haben eine sichere Nachricht", "Code senden")),
        ("fr-FR", "en", ("You have a secure message", "Send me a code")),
    ],
)
async def test_the_page_follows_accept_language(
    browser: GuestBrowser, stored: StoredMessage, accept: str, language: str, words: tuple[str, ...]
) -> None:
    token = stored.bob.token
    page = await browser.get(f"/m/{token}", headers={"accept-language": accept})
    assert page.status_code == 200
    assert _lang(page) == language
    assert page.headers["content-language"] == language
    for word in words:
        assert word in page.text
    # Every language but the page's own is a link back to this page.
    assert _switch(page) == {code: f"/m/{token}" for code in ("en", "nl", "de") if code != language}
    assert '<span aria-current="true">' in page.text


async def test_the_switch_sets_a_cookie_that_wins_over_accept_language(
    browser: GuestBrowser, stored: StoredMessage
) -> None:
    token = stored.bob.token
    dutch = {"accept-language": "nl"}
    switched = await browser.get(f"/language/de?next=/m/{token}", headers=dutch)
    assert switched.status_code == 303
    assert switched.headers["location"] == f"/m/{token}"
    cookie = switched.headers["set-cookie"]
    assert cookie.startswith(f"{LANGUAGE_COOKIE}=de;")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Max-Age=" in cookie
    page = await browser.get(f"/m/{token}", headers=dutch)
    assert _lang(page) == "de" and "Sie haben eine sichere Nachricht" in page.text
    # Error pages and the front page speak it too.
    missing = await browser.get("/nowhere", headers=dutch)
    assert missing.status_code == 404 and "Seite nicht gefunden" in missing.text
    assert _lang(missing) == "de"
    front = await browser.get("/", headers=dutch)
    assert "Sichere Nachrichten" in front.text and "Bei Ihrem Konto anmelden" in front.text
    # And back to English.
    await browser.get("/language/en?next=/")
    assert _lang(await browser.get(f"/m/{token}", headers=dutch)) == "en"


async def test_the_switch_ignores_unknown_languages_and_foreign_targets(
    browser: GuestBrowser,
) -> None:
    unknown = await browser.get("/language/fr?next=/login")
    assert unknown.status_code == 303 and unknown.headers["location"] == "/login"
    assert "set-cookie" not in unknown.headers
    for target in ("//evil.example/x", "https://evil.example/", "/m/../../x", "/a b", ""):
        answer = await browser.get("/language/nl", params={"next": target})
        assert answer.headers["location"] == "/", target
    assert safe_next("/m/abc-DEF_123/read") == "/m/abc-DEF_123/read"


async def test_a_page_answering_a_post_switches_back_to_the_start_of_its_flow(
    browser: GuestBrowser, stored: StoredMessage
) -> None:
    token = stored.bob.token
    await browser.get("/language/nl?next=/")
    await browser.ask_for_code(token)
    await browser.get(f"/m/{token}/verify")
    wrong = await browser.post_and_follow(f"/m/{token}/verify", {"code": "000000"})
    assert wrong.status_code == 200
    assert "Die code klopt niet. U heeft nog 4 pogingen." in wrong.text
    # A refusal is a GET page now (POST-redirect-GET): the switch stays on its form.
    assert set(_switch(wrong).values()) == {f"/m/{token}/verify"}
    await browser.get("/login")
    login = await browser.post_and_follow("/login", {"email": "x@example.org", "password": ""})
    assert "Typ uw e-mailadres en uw wachtwoord." in login.text
    assert set(_switch(login).values()) == {"/login"}


async def test_the_code_mail_follows_the_org_default_then_the_message(
    runtime: Runtime, browser: GuestBrowser, sender: Sender, stored: StoredMessage
) -> None:
    """The page may be English (the guest's browser) while the mail is in the message's
    language: the mail is written before anyone chose a page language."""
    with runtime.db.begin() as session:
        set_org_language(session, sender.org, "nl")
    await browser.ask_for_code(stored.bob.token)
    (mail,) = code_mails(runtime, stored.bob.recipient_id)
    assert mail["Subject"].startswith("Uw verificatiecode: ")
    assert mail["Content-Language"] == "nl"
    # From the organisation's name (`org brand`), not a translated "Secure mail".
    assert str(mail["From"]).startswith(f"{sender.org} <")
    text = " ".join(mail.get_body(("plain",)).get_content().split())
    assert "Uw verificatiecode is: " in text and "De code is 10 minuten geldig." in text
    with runtime.db.begin() as session:
        message = session.scalars(
            select(Message)
            .join(Recipient, Recipient.message_id == Message.id)
            .where(Recipient.id == stored.carol.recipient_id)
        ).one()
        message.control_headers = {**message.control_headers, "sealgate-language": "de"}
    await browser.ask_for_code(stored.carol.token)
    (mail,) = code_mails(runtime, stored.carol.recipient_id)
    assert mail["Subject"].startswith("Ihr Bestätigungscode: ")
    assert '<html lang="de">' in mail.get_body(("html",)).get_content()


async def test_the_code_sms_is_in_the_organisation_language(
    runtime: Runtime, browser: GuestBrowser, sender: Sender
) -> None:
    with runtime.db.begin() as session:
        set_org_language(session, sender.org, "de")
    guest = store_for(runtime, sender, [Spec(BOB, "sms", phone=PHONE)])[BOB]
    await browser.ask_for_code(guest.token)
    [sms] = outbox(runtime)
    assert "ist Ihr Code, um die sichere Nachricht von Alice Arts" in sms["text"]
    assert "Er ist 10 Minuten gültig." in sms["text"]


def test_the_switch_over_a_real_socket(runtime: Runtime, stored: StoredMessage) -> None:
    token = stored.bob.token
    with served_portal(runtime) as url, httpx.Client(base_url=url) as client:
        page = client.get(f"/m/{token}", headers={"accept-language": "de"})
        assert _lang(page) == "de"
        switched = client.get(f"/language/nl?next=/m/{token}")
        assert switched.status_code == 303
        cookie = switched.cookies[LANGUAGE_COOKIE]
        page = client.get(
            f"/m/{token}",
            headers={"accept-language": "de", "cookie": f"{LANGUAGE_COOKIE}={cookie}"},
        )
        assert _lang(page) == "nl" and "U heeft een beveiligd bericht" in page.text


async def test_the_cap_notice_to_the_sender_is_in_the_organisation_language(
    sender_factory,
) -> None:
    """The page speaks the guest's language; the sender's notice the organisation's."""
    from tests.portal.guest import portal_client
    from tests.portal.test_link_caps import notices

    rt, sender = sender_factory(
        SEALGATE_WEB__CODE_RESEND_INTERVAL="0", SEALGATE_WEB__CODE_SENDS_PER_DAY="1"
    )
    with rt.db.begin() as session:
        set_org_language(session, sender.org, "nl")
    guest = store_for(rt, sender, [Spec(BOB)])[BOB]
    async with portal_client(rt) as client:
        browser = GuestBrowser(client)
        german = {"accept-language": "de"}
        await browser.get(f"/m/{guest.token}", headers=german)
        assert (await browser.post(f"/m/{guest.token}/code", headers=german)).status_code == 303
        await browser.get("/login", headers=german)
        refused = await browser.post(f"/m/{guest.token}/code", headers=german)
        assert refused.headers["location"] == f"/m/{guest.token}"
        capped = await browser.get(f"/m/{guest.token}", headers=german)
    assert capped.status_code == 429
    assert "Bitte wenden Sie sich an den Absender, Alice Arts" in capped.text
    assert "in 24 Stunden erneut" in capped.text
    [(job, text)] = notices(rt)
    flat = " ".join(text.split())
    assert f"Via de link voor {BOB} naar uw beveiligde bericht van" in flat
    assert "U ontvangt deze e-mail één keer voor deze ontvanger." in flat

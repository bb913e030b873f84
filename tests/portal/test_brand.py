"""The organisation's look on the portal, over real HTTP (uvicorn on loopback): the pages of
a message link name it in the header and the title, link its logo and accent from our own
origin, and end with its support line and footer; the logo and style routes serve them with
the right type, cache headers and policy; pages of no organisation keep the neutral look."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest

from sealgate.bootstrap import Runtime
from sealgate.directory import (
    BrandChange,
    BrandInfo,
    LinkPurpose,
    add_account,
    issue_account_link,
    set_brand,
)
from sealgate.portal.headers import PAGE_POLICY
from sealgate.store import utcnow
from tests.conftest import Sender
from tests.directory.brand_files import CLEAN_SVG, png
from tests.portal.conftest import StoredMessage
from tests.portal.served import served_portal

NAME = "Ziekenhuis Noord"
SUPPORT = "Vragen? Bel 020 123 4567"
FOOTER = "Ziekenhuis <Noord>, Amsterdam"


def brand(runtime: Runtime, sender: Sender, **change: object) -> BrandInfo:
    with runtime.db.begin() as session:
        return set_brand(session, sender.org, BrandChange(**change), utcnow())  # type: ignore[arg-type]


@pytest.fixture
def portal(runtime: Runtime) -> Iterator[httpx.Client]:
    with served_portal(runtime) as url, httpx.Client(base_url=url, timeout=20) as client:
        yield client


def test_the_link_page_shows_the_brand_and_serves_its_logo(
    runtime: Runtime, sender: Sender, stored: StoredMessage, portal: httpx.Client
) -> None:
    shown = brand(runtime, sender, display_name=NAME, accent="#0b6e4f", support=SUPPORT,
                  footer=FOOTER, logo=CLEAN_SVG, logo_filename="logo.svg")  # fmt: skip
    page = portal.get(f"/m/{stored.bob.token}")
    assert page.status_code == 200
    html = page.text
    assert re.search(r"<title>[^<]* – Ziekenhuis Noord</title>", html)
    logo_url = f"/brand/{shown.org_id}/logo?v={shown.logo_digest[:16]}"
    assert f'<img class="brand-logo" src="{logo_url}" alt="">{NAME}</span>' in html
    style_url = f"/brand/{shown.org_id}/brand.css?v=0b6e4f"
    assert f'<link rel="stylesheet" href="{style_url}">' in html
    assert f'<p class="brand-support">{SUPPORT}</p>' in html
    assert '<p class="brand-footer">Ziekenhuis &lt;Noord&gt;, Amsterdam</p>' in html
    # The page policy is untouched: no inline style, images and sheets from us only.
    assert page.headers["content-security-policy"] == PAGE_POLICY
    assert "style=" not in html

    logo = portal.get(logo_url)
    assert logo.status_code == 200 and logo.content == shown_logo(runtime, shown)
    assert logo.headers["content-type"] == "image/svg+xml"
    assert logo.headers["content-security-policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert logo.headers["cache-control"] == "public, max-age=86400"
    assert logo.headers["x-content-type-options"] == "nosniff"
    assert logo.headers["cross-origin-resource-policy"] == "same-origin"
    again = portal.get(logo_url, headers={"If-None-Match": logo.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    style = portal.get(style_url)
    assert style.status_code == 200 and style.text == ":root { --accent: #0b6e4f; }\n"
    assert style.headers["content-type"].startswith("text/css")
    assert style.headers["cache-control"] == "public, max-age=86400"


def shown_logo(runtime: Runtime, shown: BrandInfo) -> bytes:
    from sealgate.directory import stored_logo

    with runtime.db.begin() as session:
        logo = stored_logo(session, shown.org_id)
    assert logo is not None and b"inkscape" not in logo.content
    return logo.content


def test_a_png_logo_keeps_the_strict_page_policy(
    runtime: Runtime, sender: Sender, stored: StoredMessage, portal: httpx.Client
) -> None:
    shown = brand(runtime, sender, logo=png(), logo_filename="logo.png")
    logo = portal.get(f"/brand/{shown.org_id}/logo")
    assert logo.status_code == 200 and logo.content == png()
    assert logo.headers["content-type"] == "image/png"
    assert logo.headers["content-security-policy"] == PAGE_POLICY
    # No display name: the organisation's own name; no accent: no extra sheet.
    html = portal.get(f"/m/{stored.bob.token}").text
    assert f'alt="">{sender.org}</span>' in html and "brand.css" not in html
    assert portal.get(f"/brand/{shown.org_id}/brand.css").status_code == 404


def test_every_page_of_the_link_names_the_organisation(
    runtime: Runtime, sender: Sender, stored: StoredMessage, portal: httpx.Client
) -> None:
    brand(runtime, sender, display_name=NAME)
    token = stored.bob.token
    # Pages that send the guest back to the start, and the refusal of an expired link.
    pages = [portal.get(f"/m/{token}/{page}", follow_redirects=True) for page in ("verify", "read")]
    expired = portal.get(f"/m/{stored.expired_token}")
    assert [response.status_code for response in pages] == [200, 200]
    assert expired.status_code == 404
    for response in [*pages, expired]:
        assert f'<span class="brand">{NAME}</span>' in response.text, response.url


def test_pages_of_no_organisation_keep_the_neutral_look(
    runtime: Runtime, sender: Sender, stored: StoredMessage, portal: httpx.Client
) -> None:
    shown = brand(runtime, sender, display_name=NAME, accent="#0b6e4f")
    for path in ("/", "/login", "/m/" + "A" * 43, "/m/" + "A" * 400):
        html = portal.get(path).text
        assert NAME not in html and "/brand/" not in html, path
        assert '<span class="brand">Secure message</span>' in html
    # An organisation without a logo, and one that does not exist: nothing to serve.
    assert portal.get(f"/brand/{shown.org_id}/logo").status_code == 404
    assert portal.get("/brand/999999/logo").status_code == 404
    assert portal.get("/brand/999999/brand.css").status_code == 404
    assert portal.get("/brand/x/logo").status_code == 404


def test_the_account_link_page_names_the_accounts_organisation(
    runtime: Runtime, sender: Sender, portal: httpx.Client
) -> None:
    brand(runtime, sender, display_name=NAME, footer=FOOTER)
    with runtime.db.begin() as session:
        account = add_account(session, "dora@hospital.example", sender.org, None, "Dora")
        token, _ = issue_account_link(
            session, account.id, LinkPurpose.INVITE, utcnow(), timedelta(days=1)
        )
    page = portal.get(f"/account/{token}")
    assert page.status_code == 200
    assert f'<span class="brand">{NAME}</span>' in page.text
    assert "Ziekenhuis &lt;Noord&gt;, Amsterdam" in page.text
    # A spent or unknown account link has no organisation to show.
    unknown = portal.get("/account/" + "B" * 43)
    assert NAME not in unknown.text

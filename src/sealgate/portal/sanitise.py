"""Make a message's HTML body safe to show: nh3 (ammonia) with an allow-list fit for mail.

No scripts, no event handlers, no forms, no embedded objects; mail layouts keep their tables,
alignment and a small set of inline style properties. Nothing that the browser would fetch
from the internet survives either: a remote image is a tracking pixel (it tells the sender's
tracker when, where and that the message was read), so images lose their `src`, and a style
that names a URL (`url(…)`, `image-set(…)`, or a CSS escape that could spell one) is dropped
whole. The one exception is a `cid:` picture the message itself carries (a signature logo):
its `src` becomes our own same-origin address for it (portal/inline_images.py), which serves it
from the vault. Links stay, since only a click follows them. The result is still shown only
inside a sandboxed iframe whose Content-Security-Policy loads nothing from the network but
those pictures: two locks, so one mistake in either does not leak.

`SanitisedHtml.remote_blocked` tells the read page whether anything remote was dropped, so
it can say so ("Images from the internet were blocked …") only when it is true.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import nh3

# Presentational attributes that old-style HTML mail uses for its layout.
_LAYOUT_ATTRIBUTES = {
    "align",
    "bgcolor",
    "border",
    "cellpadding",
    "cellspacing",
    "color",
    "height",
    "valign",
    "width",
}
_LAYOUT_TAGS = ("table", "tbody", "thead", "tfoot", "tr", "td", "th", "img", "p", "div", "font")
_STYLE_PROPERTIES = {
    "background-color",
    "border",
    "border-collapse",
    "color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "margin",
    "padding",
    "text-align",
    "text-decoration",
    "vertical-align",
    "width",
}


def _attributes() -> dict[str, set[str]]:
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in _LAYOUT_TAGS:
        attributes.setdefault(tag, set()).update(_LAYOUT_ATTRIBUTES)
    attributes.setdefault("*", set()).add("style")
    return attributes


_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {"font", "center"}
_ATTRIBUTES = _attributes()


# Attributes whose value the browser fetches on its own when the page loads.
_FETCHED_ATTRIBUTES = {"src", "srcset", "background", "poster", "lowsrc", "dynsrc", "data"}
# In a style, what could name a URL: the CSS functions, and escapes that could spell them.
_STYLE_FETCHES = ("url(", "image-set(", "image(", "src(", "\\")


_URL_SCHEMES = set(nh3.ALLOWED_URL_SCHEMES) | {"cid"}
# What makes a fetched value remote: an absolute or scheme-relative URL.
_REMOTE_STARTS = ("http:", "https:", "//", "ftp:")


@dataclass(frozen=True)
class SanitisedHtml:
    """A sanitised body, and whether a remote image (or other fetch) was taken out of it."""

    body: str
    remote_blocked: bool


def _is_remote(value: str) -> bool:
    value = "".join(value.split()).lower()
    if value.startswith(_REMOTE_STARTS):
        return True
    return any(
        f"url({quote}{start}" in value for quote in ("", "'", '"') for start in _REMOTE_STARTS
    )


class _FetchFilter:
    """nh3's attribute filter: None drops the attribute; a known `cid:` picture is rewritten."""

    def __init__(self, inline: Mapping[str, str]) -> None:
        self.inline = {content_id.lower(): url for content_id, url in inline.items()}
        self.remote_blocked = False

    def __call__(self, element: str, attribute: str, value: str) -> str | None:
        if attribute in _FETCHED_ATTRIBUTES:
            if element == "img" and attribute == "src":
                shown = self._inline_url(value)
                if shown is not None:
                    return shown
            self.remote_blocked = self.remote_blocked or _is_remote(value)
            return None
        if attribute == "style" and any(fetch in value.lower() for fetch in _STYLE_FETCHES):
            self.remote_blocked = self.remote_blocked or _is_remote(value)
            return None
        return value

    def _inline_url(self, value: str) -> str | None:
        value = value.strip()
        if not value.lower().startswith("cid:"):
            return None
        return self.inline.get(value[4:].strip().strip("<>").lower())


def sanitised(html: str, inline: Mapping[str, str] | None = None) -> SanitisedHtml:
    """The body's HTML with everything active, and everything it would fetch, removed.

    `inline` maps the Content-IDs of the message's own pictures to the same-origin path
    that serves each; their `cid:` references are rewritten to it, every other source dropped.
    """
    fetches = _FetchFilter(inline or {})
    body = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=fetches,
        # nh3 drops unknown schemes before the filter sees them; cid: must reach it.
        url_schemes=_URL_SCHEMES,
        filter_style_properties=_STYLE_PROPERTIES,
    )
    return SanitisedHtml(body, fetches.remote_blocked)


def sanitise_html(html: str, inline: Mapping[str, str] | None = None) -> str:
    """`sanitised(html, inline).body`."""
    return sanitised(html, inline).body


def html_document(body: str) -> str:
    """A whole document around a sanitised fragment, for the iframe."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"</head><body>{body}</body></html>"
    )

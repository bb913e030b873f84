"""Make a message's HTML body safe to show: nh3 (ammonia) with an allow-list fit for mail.

No scripts, no event handlers, no forms, no embedded objects; mail layouts keep their tables,
alignment and a small set of inline style properties. Nothing that the browser would fetch
by itself survives either: images lose their `src` (we serve no inline `cid:` parts, and a
remote image is a tracking pixel: it tells the sender's tracker when, where and that the
message was read), and a style that names a URL (`url(…)`, `image-set(…)`, or a CSS escape
that could spell one) is dropped whole. Links stay, since only a click follows them. The
result is still shown only inside a sandboxed iframe whose Content-Security-Policy loads
nothing from the network: two locks, so one mistake in either does not leak.
"""

from __future__ import annotations

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


def _no_fetch(element: str, attribute: str, value: str) -> str | None:
    """nh3's attribute filter: None drops the attribute."""
    if attribute in _FETCHED_ATTRIBUTES:
        return None
    if attribute == "style" and any(fetch in value.lower() for fetch in _STYLE_FETCHES):
        return None
    return value


def sanitise_html(html: str) -> str:
    """The body's HTML with everything active, and everything it would fetch, removed."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        attribute_filter=_no_fetch,
        filter_style_properties=_STYLE_PROPERTIES,
    )


def html_document(body: str) -> str:
    """A whole document around a sanitised fragment, for the iframe."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"</head><body>{body}</body></html>"
    )

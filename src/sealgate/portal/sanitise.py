"""Make a message's HTML body safe to show: nh3 (ammonia) with an allow-list fit for mail.

No scripts, no event handlers, no forms, no embedded objects; mail layouts keep their tables,
alignment and a small set of inline style properties. What survives is still shown only inside
a sandboxed iframe whose Content-Security-Policy loads nothing from the network.
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


def sanitise_html(html: str) -> str:
    """The body's HTML with everything active removed."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=_ATTRIBUTES,
        filter_style_properties=_STYLE_PROPERTIES,
    )


def html_document(body: str) -> str:
    """A whole document around a sanitised fragment, for the iframe."""
    return (
        '<!doctype html><html><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"</head><body>{body}</body></html>"
    )

"""Cursor pagination: `?limit=N&cursor=…` → `{"items": […], "next_cursor": "…" | null}`.

A cursor is the sort key of the last item shown, as URL-safe base64 of JSON: the next page
starts after that key, so a row added or removed between two pages neither repeats nor
skips another. Clients treat it as opaque.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sealgate.admin.api.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

T = TypeVar("T")
Key = list[Any]


def encode_cursor(key: Key) -> str:
    text = json.dumps(key, separators=(",", ":"), default=str)
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Key | None:
    """The key a cursor holds; 400 invalid_cursor for anything this API did not hand out."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error):
        key = None
    if not isinstance(key, list) or not key:
        raise ApiError(400, "invalid_cursor", "the cursor is not one this API handed out")
    return key


def page(
    items: Sequence[T],
    key: Callable[[T], Key],
    render: Callable[[T], Any],
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    """One page of `items` (already in `key` order), after the cursor's key."""
    after = decode_cursor(cursor)
    if after is not None:
        try:
            items = [item for item in items if key(item) > after]
        except TypeError:
            raise ApiError(400, "invalid_cursor", "the cursor belongs to another listing") from None
    shown = list(items[:limit])
    more = len(items) > limit
    return {
        "items": [render(item) for item in shown],
        "next_cursor": encode_cursor(key(shown[-1])) if more and shown else None,
    }

"""Downloading an attachment: streamed from the vault, byte-identical, never rendered.

GET /m/{token}/attachments/{index} needs a session of the link's recipient. The body is
decrypted segment by segment as it is sent, so a large attachment is never held in memory.
It always goes out as `Content-Disposition: attachment` with nosniff, and any type a browser
could execute (HTML, SVG, XML, scripts) is sent as application/octet-stream.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sealgate.locale import _
from sealgate.portal.access_log import log_reading
from sealgate.portal.pages import Refusal
from sealgate.portal.proof import recorded_download
from sealgate.portal.read import open_message

DOWNLOAD_POLICY = "default-src 'none'; sandbox"
OCTET_STREAM = "application/octet-stream"

_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_ACTIVE_WORDS = ("html", "xml", "svg", "script", "javascript", "ecmascript", "jscript", "xsl")
_CHARSET = re.compile(r'charset="?([A-Za-z0-9._:-]{1,40})"?', re.IGNORECASE)
_UNSAFE_IN_FILENAME = re.compile(r'[\x00-\x1f\x7f/\\"]')


def safe_content_type(stored: str) -> str:
    """The stored media type, unless it is malformed or something a browser might run."""
    media_type, _, parameters = stored.partition(";")
    media_type = media_type.strip().lower()
    if not _MEDIA_TYPE.match(media_type) or media_type.startswith("multipart/"):
        return OCTET_STREAM
    if any(word in media_type for word in _ACTIVE_WORDS):
        return OCTET_STREAM
    charset = _CHARSET.search(parameters)
    if media_type.startswith("text/") and charset:
        return f"{media_type}; charset={charset.group(1)}"
    return media_type


def content_disposition(filename: str) -> str:
    """`attachment` with an ASCII fallback name and the exact name as RFC 6266 filename*."""
    name = _UNSAFE_IN_FILENAME.sub("_", filename).strip(" .") or "attachment"
    fallback = "".join(ch if " " <= ch <= "~" else "_" for ch in name)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _attachment_index(request: Request) -> int:
    raw = request.path_params["index"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise _no_such_attachment()
    return int(raw)


def _no_such_attachment() -> Refusal:
    return Refusal(
        404, _("No such attachment"), _("This message has no attachment at that address.")
    )


async def download_attachment(request: Request) -> Response:
    index = _attachment_index(request)
    reading = await open_message(request)
    if index >= len(reading.message.attachments):
        raise _no_such_attachment()
    await log_reading(request, reading, "portal.download", {"index": index})
    attachment = reading.message.attachments[index]
    headers = {
        # Set here, not as media_type, so Starlette adds no charset of its own to text types.
        "Content-Type": safe_content_type(attachment.content_type),
        "Content-Disposition": content_disposition(attachment.filename),
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "X-Content-Type-Options": "nosniff",
    }
    # Starlette iterates a sync iterator in its thread pool: file reads (and the evidence
    # written after the last byte) stay off the loop.
    rt = request.app.state.rt
    via = "account" if reading.in_inbox else "link"
    chunks = rt.vault.stream(attachment.blob_id)
    body = recorded_download(rt, reading.target.recipient_id, index, chunks, via=via)
    return StreamingResponse(body, headers=headers)

"""The pictures a message's HTML body shows by `cid:` (signature logos), from the vault.

GET /m/{token}/inline/{index} and /inbox/{recipient_id}/inline/{index} need the same session
as the read page (read.open_message): the same origin, the same cookie, scoped to the link
or the account like downloads. Only raster types a browser draws and never runs
(`INLINE_IMAGE_TYPES`) are served as pictures, under a policy that loads and runs nothing;
anything else in that list's place goes out as a download of application/octet-stream.
Each picture served is recorded in the audit trail as `portal.image`, like the HTML body.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from sealgate.intake import INLINE_IMAGE_TYPES
from sealgate.locale import _
from sealgate.portal.access_log import log_reading
from sealgate.portal.download import DOWNLOAD_POLICY, OCTET_STREAM, content_disposition
from sealgate.portal.pages import Refusal
from sealgate.portal.read import open_message


def _no_such_image() -> Refusal:
    return Refusal(404, _("No such image"), _("This message has no image at that address."))


def _image_index(request: Request) -> int:
    raw = request.path_params["index"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        raise _no_such_image()
    return int(raw)


async def inline_image(request: Request) -> Response:
    index = _image_index(request)
    reading = await open_message(request)
    if index >= len(reading.message.inline_images):
        raise _no_such_image()
    await log_reading(request, reading, "portal.image", {"index": index})
    image = reading.message.inline_images[index]
    drawn = image.content_type in INLINE_IMAGE_TYPES
    headers = {
        "Content-Type": image.content_type if drawn else OCTET_STREAM,
        "Content-Disposition": content_disposition(image.filename).replace(
            "attachment", "inline" if drawn else "attachment", 1
        ),
        "Content-Security-Policy": DOWNLOAD_POLICY,
        "X-Content-Type-Options": "nosniff",
        # Private: a shared cache must never keep a message's pictures.
        "Cache-Control": "private, no-store",
    }
    rt = request.app.state.rt
    return StreamingResponse(rt.vault.stream(image.blob_id), headers=headers)

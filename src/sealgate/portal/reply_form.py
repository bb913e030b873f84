"""Reading the posted reply form, bounded, and refusing it with a key rather than a page.

The request body is bounded by `[submission] max_message_size`: a declared Content-Length
over it is refused before a byte of the body is read, and a chunked body as soon as it
passes the limit, so a large upload is never read whole. What was read is parsed in memory
(plaintext never lands in /tmp). Every refusal is a `ReplyRefused` with a `ReplyError` key;
`reply.py` answers it with 303 to the read page (POST-redirect-GET). The rest of an unread
body is left to uvicorn, which reads and drops it once the 303 has gone out, so the browser
is not cut off mid-upload and sees the redirect.

The form carries only `body`, `attachments`, `reply_all` and its CSRF token; any other field
is refused, so nobody can add an address. The CSRF token is checked here, once the body is
read; a missing or wrong one is the same 403 page as on every other form.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser
from starlette.requests import Request

from sealgate.portal.csrf import CSRF_FIELD, CsrfGuard
from sealgate.portal.form_errors import ReplyError
from sealgate.portal.reply_mail import ReplyFile

__all__ = ["FIELDS", "MAX_ATTACHMENTS", "PostedReply", "ReplyRefused", "read_reply_form"]

FIELDS = frozenset({CSRF_FIELD, "body", "attachments", "reply_all"})
MAX_ATTACHMENTS = 20


class ReplyRefused(Exception):
    """The posted reply is not sent; `error` is the key the read page words."""

    def __init__(self, error: ReplyError) -> None:
        super().__init__(error.value)
        self.error = error


@dataclass(frozen=True)
class PostedReply:
    """What the browser sent: the text, the files and the reply-all choice."""

    text: str
    files: tuple[ReplyFile, ...]
    reply_all: bool


async def _capped_body(request: Request, limit: int) -> bytes:
    """The request body; refused as soon as it is larger than `limit` (chunked or not)."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise ReplyRefused(ReplyError.NOT_SENT)
    if declared is not None and int(declared) > limit:
        raise ReplyRefused(ReplyError.TOO_LARGE)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ReplyRefused(ReplyError.TOO_LARGE)
        chunks.append(chunk)
    return b"".join(chunks)


class _TooManyFiles(MultiPartException):
    pass


class _InMemoryParser(MultiPartParser):
    """Starlette's parser, with uploads kept in memory and more than `max_files` files
    told apart from a broken body (the guest can fix the one, not the other)."""

    spool_max_size = 1 << 62

    def on_headers_finished(self) -> None:
        try:
            super().on_headers_finished()
        except MultiPartException as error:
            if str(error).startswith("Too many files"):
                raise _TooManyFiles(str(error)) from error
            raise


async def _parse(request: Request, body: bytes, limit: int) -> FormData:
    async def replay() -> AsyncGenerator[bytes, None]:
        yield body

    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise ReplyRefused(ReplyError.NOT_SENT)
    parser = _InMemoryParser(
        request.headers,
        replay(),
        max_files=MAX_ATTACHMENTS,
        max_fields=len(FIELDS) + 1,
        max_part_size=limit,
    )
    try:
        return await parser.parse()
    except _TooManyFiles as error:
        raise ReplyRefused(ReplyError.TOO_MANY_FILES) from error
    except MultiPartException as error:
        raise ReplyRefused(ReplyError.NOT_SENT) from error


async def _uploads(form: FormData) -> tuple[ReplyFile, ...]:
    files: list[ReplyFile] = []
    for item in form.getlist("attachments"):
        if item == "":
            # A part without a filename and without content: no file chosen (httpx, curl).
            continue
        if not isinstance(item, UploadFile):
            raise ReplyRefused(ReplyError.NOT_SENT)
        if not item.filename and not item.size:
            # A file input left empty: browsers send a part with filename="" and no bytes,
            # which is no attachment (it made an empty reply look like one with a file).
            continue
        files.append(ReplyFile(item.filename or "", item.content_type or "", await item.read()))
    return tuple(files)


async def read_reply_form(
    request: Request, guard: CsrfGuard, limit: int, start: str
) -> PostedReply:
    """The posted reply, bounded by `limit` bytes and checked; else `ReplyRefused` (or the
    CSRF guard's 403 `Refusal`, with `start` as the way back)."""
    form = await _parse(request, await _capped_body(request, limit), limit)
    guard.check_token(request, form, start)
    if set(form.keys()) - FIELDS:
        raise ReplyRefused(ReplyError.NOT_SENT)
    text = form.get("body", "")
    if not isinstance(text, str):
        raise ReplyRefused(ReplyError.NOT_SENT)
    files = await _uploads(form)
    if not text.strip() and not files:
        raise ReplyRefused(ReplyError.EMPTY)
    return PostedReply(text, files, form.get("reply_all") == "yes")

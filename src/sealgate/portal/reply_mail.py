"""The MIME message of a portal reply: built here from what the server knows, never the form.

Only the text and the files come from the browser. From is the replier's verified address,
To and Cc are the conversation's participants (the caller chose them from the database), and
the threading headers name the original's Message-ID, so mail clients thread the reply.
No I/O: values in, bytes out (the caller passes the clock).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

_REPLY_PREFIX = re.compile(r"^\s*re\s*:", re.IGNORECASE)
_MEDIA_TYPE = re.compile(r"^([a-z0-9][a-z0-9!#$&^_.+-]*)/([a-z0-9][a-z0-9!#$&^_.+-]*)$")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
# The References field names at most this many ancestors (RFC 5322 3.6.4 allows trimming).
MAX_REFERENCES = 20


@dataclass(frozen=True)
class ReplyFile:
    """One uploaded attachment: its name and type as the browser gave them, its bytes."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ReplyHeaders:
    """The addresses and threading of a reply, all decided by the server."""

    sender: str  # the replier's verified address
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str  # the original's subject
    original_message_id: str  # "<...>"
    original_references: tuple[str, ...] = ()
    message_id_domain: str = "sealgate.invalid"


def reply_subject(subject: str) -> str:
    """ "Re: " and the original subject, without stacking "Re: Re:"; one line."""
    flat = _LINE_BREAKS.sub(" ", subject).strip()
    if _REPLY_PREFIX.match(flat):
        return flat
    return f"Re: {flat}" if flat else "Re:"


def message_ids(value: str) -> tuple[str, ...]:
    """The msg-ids ("<...>") in a Message-ID or References field, in order."""
    return tuple(_MESSAGE_ID.findall(value))


def safe_media_type(content_type: str) -> tuple[str, str]:
    """The upload's media type when it is a plain leaf type; else application/octet-stream.

    multipart/* and message/* would make the attachment part of the MIME structure.
    """
    match = _MEDIA_TYPE.match(content_type.split(";")[0].strip().lower())
    if match is None or match.group(1) in ("multipart", "message"):
        return "application", "octet-stream"
    return match.group(1), match.group(2)


def _flat_filename(filename: str) -> str:
    name = _LINE_BREAKS.sub(" ", filename).replace("\\", "/").rpartition("/")[2].strip()
    return name or "attachment"


def build_reply(
    headers: ReplyHeaders, body: str, files: tuple[ReplyFile, ...], now: datetime
) -> bytes:
    """The reply as RFC 5322 bytes with CRLF line ends, ready to be stored as a submission."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = headers.sender
    message["To"] = ", ".join(headers.to)
    if headers.cc:
        message["Cc"] = ", ".join(headers.cc)
    message["Subject"] = reply_subject(headers.subject)
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=headers.message_id_domain)
    message["In-Reply-To"] = headers.original_message_id
    ancestors = [i for i in headers.original_references if i != headers.original_message_id]
    references = [*ancestors[-(MAX_REFERENCES - 1) :], headers.original_message_id]
    message["References"] = " ".join(references)
    message.set_content(body.replace("\r\n", "\n"))
    for upload in files:
        maintype, subtype = safe_media_type(upload.content_type)
        message.add_attachment(
            upload.data,
            maintype=maintype,
            subtype=subtype,
            filename=_flat_filename(upload.filename),
        )
    return message.as_bytes()

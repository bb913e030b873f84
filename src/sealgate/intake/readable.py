"""The readable form of a message, as intake stores it (encrypted) and the portal shows it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    size: int
    blob_id: str


# The picture types shown inline: raster formats a browser only draws (SVG can carry script).
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@dataclass(frozen=True)
class InlineImage:
    """A picture the HTML body shows by its Content-ID (`cid:`), such as a signature logo.

    Kept apart from the attachments: the reader sees it in the body, not as a file to open.
    """

    content_id: str  # without the angle brackets
    filename: str
    content_type: str
    size: int
    blob_id: str


@dataclass(frozen=True)
class ReadableMessage:
    """Subject, people, date and bodies; attachments are separate vault blobs."""

    subject: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    date: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...] = field(default=())
    inline_images: tuple[InlineImage, ...] = field(default=())

    def to_json(self) -> bytes:
        return json.dumps(asdict(self)).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ReadableMessage:
        raw = json.loads(data)
        raw["to"] = tuple(raw["to"])
        raw["cc"] = tuple(raw["cc"])
        raw["attachments"] = tuple(Attachment(**a) for a in raw["attachments"])
        # Stored before inline images were kept apart: none.
        raw["inline_images"] = tuple(InlineImage(**i) for i in raw.get("inline_images", ()))
        return cls(**raw)

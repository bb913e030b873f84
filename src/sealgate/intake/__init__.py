"""Intake: make a readable message and its recipients out of each accepted submission.

Receives: `submissions` rows in state `incoming` and their raw-message vault blobs.
Hands off: one transaction per submission: a `messages` row (control headers kept as data,
access rights sealed), its readable form as a vault blob (attachments as blobs of their
own), `conversations` (To+Cc together, each Bcc alone) and `recipients` in state
`undecided`, for route; the submission becomes `done`, `corrupt` when its blob cannot be
read, or `hold` when its control headers are invalid. No policy, no jobs.
Trust: reads decrypted content in memory only; the zivver-* and sealgate-* control headers
are stripped before anything is stored for reading; notifications carry no content; logs ids,
never content.
Refuses: nothing that parses badly: malformed MIME is shown as text.
Standards: RFC 5322, 2045-2049 (via the standard library's `email`, policy.default), 2183.
"""

from sealgate.intake.control_headers import (
    CONTROL_HEADER_NAMES,
    ControlHeaderError,
    ControlHeaders,
    controls_of,
    parse_access_rights,
    parse_control_headers,
    parse_direct_delivery,
    parse_minimum_verification,
    strip_control_headers,
)
from sealgate.intake.control_store import SEAL_PURPOSE, controls_from_stored
from sealgate.intake.conversations import Addressee, PlannedConversation, split_conversations
from sealgate.intake.expiry import (
    MAX_EXPIRY_DAYS,
    ExpiryError,
    expiry_at,
    parse_expiry,
    parse_expiry_days,
    parse_expiry_time,
)
from sealgate.intake.language_header import (
    LANGUAGE_HEADER,
    language_problem,
    parse_language,
    stored_language,
)
from sealgate.intake.mime import header_addresses, parse_mime, readable_from, text_from_html
from sealgate.intake.raw_stream import RawUnreadable, read_readable_raw
from sealgate.intake.readable import INLINE_IMAGE_TYPES, Attachment, InlineImage, ReadableMessage
from sealgate.intake.runner import process_incoming, run_intake

__all__ = [
    "CONTROL_HEADER_NAMES",
    "MAX_EXPIRY_DAYS",
    "ExpiryError",
    "expiry_at",
    "parse_expiry",
    "parse_expiry_days",
    "parse_expiry_time",
    "Addressee",
    "Attachment",
    "INLINE_IMAGE_TYPES",
    "InlineImage",
    "ControlHeaderError",
    "ControlHeaders",
    "SEAL_PURPOSE",
    "PlannedConversation",
    "controls_from_stored",
    "controls_of",
    "RawUnreadable",
    "ReadableMessage",
    "read_readable_raw",
    "header_addresses",
    "LANGUAGE_HEADER",
    "language_problem",
    "parse_language",
    "stored_language",
    "parse_access_rights",
    "parse_control_headers",
    "parse_direct_delivery",
    "parse_minimum_verification",
    "parse_mime",
    "process_incoming",
    "readable_from",
    "run_intake",
    "split_conversations",
    "strip_control_headers",
    "text_from_html",
    "CONTROL_HEADER_NAMES",
]

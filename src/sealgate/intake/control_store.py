"""What a message row keeps of its control headers: no phone number, no access code in the clear.

A `zivver-access-right` header carries a secret (an access code) or personal data (a phone
number). Route needs it after the message is stored: it decides each recipient from the row,
and again when delivery hands a direct one back, and the header's access right may apply.
So `messages.control_headers` keeps, in the clear, only which recipients had an access right
and its method; the header values themselves are sealed with AES-256-GCM under a key derived
from the master key (`Runtime.subkey("control-headers")`), bound to the message id, so a
sealed value copied to another row does not open. The other control headers carry no secret
and are kept as they were written.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sealgate.intake.control_headers import (
    ACCESS_RIGHT,
    DIRECT_DELIVERY,
    EXPIRY,
    MINIMUM_RECIPIENT_VERIFICATION,
    ControlHeaders,
)
from sealgate.policy import AccessRight

SEAL_PURPOSE = "control-headers"
SEALED_ACCESS_RIGHTS = "zivver-access-right-sealed"
_NONCE_BYTES = 12


class SealedControlsError(ValueError):
    """The sealed access rights of a message do not open (wrong key, message or content)."""


def _aad(message_id: str) -> bytes:
    return f"sealgate-control-headers:{message_id}".encode("ascii")


def _seal(key: bytes, message_id: str, values: tuple[str, ...]) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    plain = json.dumps(list(values)).encode("utf-8")
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, plain, _aad(message_id))).decode()


def _open(key: bytes, message_id: str, sealed: str) -> tuple[str, ...]:
    try:
        raw = base64.b64decode(sealed, validate=True)
        plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _aad(message_id))
    except (binascii.Error, ValueError, InvalidTag):
        raise SealedControlsError(f"sealed control headers of {message_id} do not open") from None
    return tuple(str(value) for value in json.loads(plain))


def stored_controls(
    key: bytes, message_id: str, controls: ControlHeaders, rights: Mapping[str, AccessRight]
) -> dict[str, Any]:
    """The JSON stored in `messages.control_headers`; `rights` are the parsed access rights."""
    stored: dict[str, Any] = {
        DIRECT_DELIVERY: list(controls.direct_delivery),
        MINIMUM_RECIPIENT_VERIFICATION: list(controls.minimum_recipient_verification),
        ACCESS_RIGHT: [
            {"recipient": address, "method": right.method}
            for address, right in sorted(rights.items())
        ],
    }
    if controls.expiry:
        # No secret in it; its effect is on the recipient rows (`recipients.expires_at`).
        stored[EXPIRY] = list(controls.expiry)
    if controls.access_rights:
        stored[SEALED_ACCESS_RIGHTS] = _seal(key, message_id, controls.access_rights)
    return stored


def controls_from_stored(key: bytes, message_id: str, data: Mapping[str, Any]) -> ControlHeaders:
    """The control headers as they were written, from what `stored_controls` kept.

    A row scrubbed by migration 0006 has no sealed values: its access rights are gone, and
    policy decides without them.
    """
    sealed = data.get(SEALED_ACCESS_RIGHTS)
    values = _open(key, message_id, sealed) if isinstance(sealed, str) else ()
    return ControlHeaders(
        access_rights=values,
        direct_delivery=tuple(str(value) for value in data.get(DIRECT_DELIVERY, [])),
        minimum_recipient_verification=tuple(
            str(value) for value in data.get(MINIMUM_RECIPIENT_VERIFICATION, [])
        ),
        expiry=tuple(str(value) for value in data.get(EXPIRY, [])),
    )

"""The MessageBird (Bird) SMS provider: one POST to the REST API's /messages per SMS.

    POST {base_url}/messages
    Authorization: AccessKey <key>
    {"recipients": ["31612345678"], "originator": "sealgate", "body": "..."}

201 Created means MessageBird accepted the message; any other status (401 bad key, 422
invalid recipient or originator, 5xx) or a network failure becomes `SmsError`. The error
names the status and MessageBird's error code, never the number or the text.
"""

from __future__ import annotations

import httpx

from sealgate.notify.sms.provider import SmsError


def _error_codes(response: httpx.Response) -> str:
    """MessageBird's own error codes from an error body, e.g. ' (errors 2, 9)'."""
    try:
        errors = response.json().get("errors", [])
        codes = [str(int(error["code"])) for error in errors]
    except (ValueError, AttributeError, KeyError, TypeError):
        return ""
    return f" (errors {', '.join(codes)})" if codes else ""


class MessageBirdSmsProvider:
    def __init__(self, base_url: str, api_key: str, originator: str, timeout: float) -> None:
        self.url = f"{base_url.rstrip('/')}/messages"
        self._api_key = api_key
        self.originator = originator
        self.timeout = timeout

    def send(self, to_e164: str, text: str) -> None:
        payload = {
            "recipients": [to_e164.lstrip("+")],
            "originator": self.originator,
            "body": text,
        }
        headers = {"Authorization": f"AccessKey {self._api_key}", "Accept": "application/json"}
        try:
            response = httpx.post(self.url, json=payload, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException:
            raise SmsError("messagebird: timed out") from None
        except httpx.HTTPError as error:
            raise SmsError(f"messagebird: {type(error).__name__}") from None
        if response.status_code != 201:
            raise SmsError(f"messagebird: HTTP {response.status_code}{_error_codes(response)}")

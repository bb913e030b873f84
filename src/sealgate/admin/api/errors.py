"""The errors of the REST API: a status, a stable snake_case code and a sentence, as JSON.

    {"error": {"code": "not_found", "message": "No organisation with id 7."}}

Every refusal raises `ApiError`; `error_response` renders it. Clients branch on `code`
(stable across releases); `message` is for people and may change. The codes per status:

    400 bad_request, invalid_cursor       malformed JSON, query or cursor
    401 unauthorized                      no bearer token, or one that is unknown/expired
    403 forbidden                         the token's role does not carry the capability
    404 not_found                         no such resource, or one the token cannot see
    405 method_not_allowed
    409 conflict                          already exists / already claimed / wrong state
    413 payload_too_large                 a body over MAX_BODY (a CSV import: IMPORT_MAX_BODY)
    415 unsupported_media_type            a body that is not application/json
    422 invalid_request, challenge_failed well-formed but refused (field, value, DNS proof)
    500 internal_error                    a bug; the log has the traceback, the client does not
    502 dns_lookup_failed                 the resolver gave no answer
"""

from __future__ import annotations

from starlette.responses import JSONResponse

MAX_BODY = 64 * 1024
# A CSV import's JSON body: 1 MiB of CSV, with room for the escapes JSON adds.
IMPORT_MAX_BODY = 2 * 1024 * 1024

ERROR_CODES: dict[int, tuple[str, ...]] = {
    400: ("bad_request", "invalid_cursor"),
    401: ("unauthorized",),
    403: ("forbidden",),
    404: ("not_found",),
    405: ("method_not_allowed",),
    409: ("conflict",),
    413: ("payload_too_large",),
    415: ("unsupported_media_type",),
    422: ("invalid_request", "challenge_failed"),
    500: ("internal_error",),
    502: ("dns_lookup_failed",),
}

DESCRIPTIONS = {
    400: "Malformed request",
    401: "No valid bearer token",
    403: "The token's role may not do this",
    404: "Not found (or not visible to this token)",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Body too large",
    415: "Body is not application/json",
    422: "Request refused",
    500: "Internal error",
    502: "DNS look-up failed",
}


class ApiError(Exception):
    """A request the API refuses; `code` is one of ERROR_CODES[status]."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        assert code in ERROR_CODES[status], (status, code)
        self.status = status
        self.code = code
        self.message = message


def sentence(text: str) -> str:
    """A message as a sentence: capital first letter, full stop."""
    text = text.strip() or "The request was refused"
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "?", "!")) else text + "."


def error_response(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    body = {"error": {"code": error.code, "message": sentence(error.message)}}
    return JSONResponse(body, status_code=error.status, headers=headers)


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", what)


def invalid(message: str) -> ApiError:
    return ApiError(422, "invalid_request", message)

"""One API endpoint as data, and the one path every request takes through it.

An `Endpoint` names its method, path, `Capability`, request and query models and the
handler; the routes and the OpenAPI document are both made from the same table, so they
cannot disagree. `dispatch` is the shell around every handler, in this order:

1. bearer token (401), body (413, 415, 400) and query (400, 422) checks, before any SQL;
2. the token turned into a `Principal` in a transaction of its own (it marks the token used);
3. the capability: a role that holds it nowhere gets 403 for any organisation, so the
   answer does not depend on which organisations exist;
4. the handler, in one transaction; `Call.org()` and `Call.visible()` turn a resource of an
   organisation the token cannot reach into 404, exactly like one that does not exist;
5. for a mutating call, its audit entry (actor "token:<id>") as the transaction's last step.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sealgate.admin.api.errors import MAX_BODY, ApiError, error_response, invalid, not_found
from sealgate.admin.errors import AdminError
from sealgate.admin.principal import Principal
from sealgate.admin.roles import Capability
from sealgate.admin.tokens import authenticate_token
from sealgate.audit import AuditError, record
from sealgate.bootstrap import Runtime
from sealgate.delivery import QueueError
from sealgate.directory import DirectoryError
from sealgate.store import Organisation, utcnow

log = logging.getLogger("sealgate.admin.api")

MAX_ID = 2**31 - 1
# Request fields never written to the audit trail as given.
SECRET_FIELDS = frozenset({"password", "access_code", "csv"})

Handler = Callable[["Call"], Any]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # under /api/v1, with {name} parameters
    name: str  # the operationId, and the audit action "api.<name>"
    capability: Capability
    handler: Handler
    summary: str
    response: type[BaseModel]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()  # statuses besides those every endpoint may answer
    gateway_wide: bool = False  # the capability is asked for the gateway (org None)
    paginated: bool = False
    media_type: str = "application/json"
    max_body: int = MAX_BODY  # larger for a CSV import

    @property
    def mutating(self) -> bool:
        return self.method != "GET"


@dataclass
class Call:
    """What a handler gets: the transaction, who asks, and the parsed request."""

    rt: Runtime
    session: Session
    principal: Principal
    endpoint: Endpoint
    path: Mapping[str, str]
    query: Any
    body: Any
    # Filled in by the handler for the audit entry.
    org_name: str | None = None
    target: str | None = None
    wrote: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def capability(self) -> Capability:
        return self.endpoint.capability

    def scope(self) -> frozenset[int] | None:
        """The organisations this call reaches; None: all (the operator)."""
        return self.principal.org_scope(self.capability)

    def visible(self, org_id: int, what: str) -> None:
        """404 for a resource of an organisation the token may not use this capability on."""
        if not self.principal.may(self.capability, org_id):
            raise not_found(what)

    def org(self) -> Organisation:
        """The organisation `{org_id}` of the path, if the token reaches it; else 404."""
        raw = self.path["org_id"]
        what = f"no organisation with id {raw}"
        # Ids are 32-bit integers (PostgreSQL refuses a larger one outright).
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise not_found(what)
        org_id = int(raw)
        self.visible(org_id, what)
        row = self.session.get(Organisation, org_id)
        if row is None:
            raise not_found(what)
        self.org_name = row.name
        return row


def bearer_secret(request: Request) -> str:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "send an API token as 'Authorization: Bearer sgt_…'")
    return secret.strip()


def _clean(value: Any) -> None:
    """Refuse text the database cannot store: NUL characters and lone surrogates."""
    text = json.dumps(value, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "bad_request", "the request holds text that is not UTF-8") from None
    if "\\u0000" in text or "\x00" in text:
        raise ApiError(400, "bad_request", "the request holds a NUL character")


def _validation_message(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    text = str(first["msg"])
    return f"the field '{where}' is invalid ({text[:1].lower()}{text[1:]})"


async def read_body(request: Request, endpoint: Endpoint) -> BaseModel | None:
    if endpoint.body is None:
        return None
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > endpoint.max_body:
            raise ApiError(
                413, "payload_too_large", f"a request body holds at most {endpoint.max_body} bytes"
            )
    data: Any = {}
    if raw.strip():
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            raise ApiError(415, "unsupported_media_type", "send the body as application/json")
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "bad_request", "the body is not valid JSON") from None
    _clean(data)
    if not isinstance(data, dict):
        raise invalid("the body must be a JSON object")
    try:
        return endpoint.body.model_validate(data)
    except ValidationError as error:
        raise invalid(_validation_message(error)) from None


def read_query(request: Request, endpoint: Endpoint) -> BaseModel | None:
    if endpoint.query is None:
        return None
    values = dict(request.query_params)
    _clean(values)
    try:
        return endpoint.query.model_validate(values)
    except ValidationError as error:
        raise invalid(_validation_message(error)) from None


def _refusal(exc: Exception) -> ApiError:
    """The stage errors a handler lets through, as API errors."""
    message = str(exc).splitlines()[0] if str(exc) else "the request was refused"
    lowered = message.lower()
    if isinstance(exc, IntegrityError):
        return ApiError(409, "conflict", "that conflicts with an existing record")
    if lowered.startswith("no ") or " not claimed by " in lowered:
        return not_found(message)
    if "already" in lowered or (isinstance(exc, QueueError) and " is " in lowered):
        return ApiError(409, "conflict", message)
    return invalid(message)


def _audit(call: Call, client: str | None) -> None:
    request: dict[str, Any] = {}
    if call.body is not None:
        for name, value in call.body.model_dump(mode="json", exclude_unset=True).items():
            request[name] = "(redacted)" if name in SECRET_FIELDS else value
    record(
        call.session,
        f"api.{call.endpoint.name}",
        call.principal.actor,
        organisation=call.org_name,
        # The column holds 200 characters; the request in `details` has the whole value.
        target=call.target[:200] if call.target else None,
        client=client,
        details={"request": request, **call.details},
    )


def run_call(
    rt: Runtime,
    endpoint: Endpoint,
    secret: str,
    path: Mapping[str, str],
    query: Any,
    body: Any,
    client: str | None,
) -> Any:
    """Steps 2 to 5 of the module docstring, in a worker thread (the database is blocking)."""
    with rt.db.begin() as session:
        principal = authenticate_token(session, secret, utcnow())
    if principal is None:
        raise ApiError(401, "unauthorized", "the API token is unknown, revoked or expired")
    cap = endpoint.capability
    allowed = (
        principal.may(cap, None)
        if endpoint.gateway_wide
        else principal.org_scope(cap) != frozenset()
    )
    if not allowed:
        raise ApiError(403, "forbidden", f"this token's role does not hold {cap.value}")
    try:
        with rt.db.begin() as session:
            call = Call(rt, session, principal, endpoint, path, query, body)
            result = endpoint.handler(call)
            if endpoint.mutating or call.wrote:
                session.flush()
                _audit(call, client)
    except (DirectoryError, QueueError, AuditError, AdminError, IntegrityError) as exc:
        raise _refusal(exc) from None
    return result


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def json_response(value: Any, status: int = 200) -> Response:
    text = json.dumps(value, default=_json_default, ensure_ascii=False, separators=(",", ":"))
    return Response(text, status_code=status, media_type="application/json")


def iso(value: datetime | None) -> str | None:
    """A stored time (naive UTC) as ISO 8601 with `Z`."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


def handler_for(rt: Runtime, by_method: dict[str, Endpoint]) -> Callable[[Request], Any]:
    """The Starlette endpoint of one path: picks the Endpoint by method, runs `dispatch`."""

    async def endpoint_function(request: Request) -> Response:
        # HEAD is GET without the body (Starlette drops the body).
        endpoint = by_method.get("GET" if request.method == "HEAD" else request.method)
        if endpoint is None:
            error = ApiError(405, "method_not_allowed", f"{request.method} is not allowed here")
            response = error_response(error)
            response.headers["Allow"] = ", ".join(sorted(by_method))
            return response
        return await dispatch(rt, endpoint, request)

    return endpoint_function


async def dispatch(rt: Runtime, endpoint: Endpoint, request: Request) -> Response:
    try:
        secret = bearer_secret(request)
        body = await read_body(request, endpoint)
        query = read_query(request, endpoint)
        client = request.client.host if request.client else None
        result = await run_in_threadpool(
            run_call, rt, endpoint, secret, dict(request.path_params), query, body, client
        )
    except ApiError as error:
        return error_response(error)
    except Exception:
        log.exception("api %s %s failed", endpoint.method, endpoint.path)
        return error_response(ApiError(500, "internal_error", "the request failed on our side"))
    if isinstance(result, Response):
        return result
    return json_response(result, endpoint.status)


__all__ = ["Call", "Endpoint", "JSONResponse", "dispatch", "handler_for", "iso"]

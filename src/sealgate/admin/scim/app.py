"""The /scim/v2 routes: Bearer authentication, JSON in and out, SCIM errors for everything.

Every request needs `Authorization: Bearer <API token>` whose role holds accounts.write for
its organisation (an org-admin token); the token's organisation is the one provisioned.
Operator tokens are refused: they name no organisation, and a provisioning client belongs
to one. A missing or unknown token is 401, a token without the right 403; neither says
which of the two it was beyond that.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sealgate.admin.roles import Capability
from sealgate.admin.scim.documents import (
    MAX_COUNT,
    MEDIA_TYPE,
    USER_SCHEMA,
    error_document,
    list_document,
    resource_types,
    service_provider_config,
    user_document,
    user_schema,
)
from sealgate.admin.scim.requests import (
    ScimError,
    UserChange,
    parse_filter,
    parse_patch,
    parse_user,
)
from sealgate.admin.scim.users import (
    Caller,
    change_user,
    create_user,
    delete_user,
    get_user,
    list_users,
    org_name,
)
from sealgate.admin.tokens import authenticate_token
from sealgate.audit import record
from sealgate.bootstrap import Runtime
from sealgate.store import utcnow

MAX_BODY = 64 * 1024  # a User is a few hundred bytes; anything near this is not one


def scim_response(
    document: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(json.dumps(document), status, headers=headers, media_type=MEDIA_TYPE)


def _error(exc: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="scim"'} if exc.status == 401 else None
    return scim_response(error_document(exc.status, exc.detail, exc.scim_type), exc.status, headers)


def _caller(session: Session, request: Request) -> Caller:
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ScimError(401, "an API token is required: Authorization: Bearer <token>")
    principal = authenticate_token(session, secret.strip(), utcnow())
    if principal is None:
        raise ScimError(401, "the API token is unknown, revoked or expired")
    orgs = [grant.org_id for grant in principal.grants if grant.org_id is not None]
    if (
        principal.is_operator
        or len(orgs) != 1
        or not principal.may(Capability.ACCOUNTS_WRITE, orgs[0])
    ):
        raise Denied(principal.actor, _client(request))
    return Caller(principal.actor, orgs[0], org_name(session, orgs[0]), _client(request))


def _client(request: Request) -> str | None:
    return request.client.host if request.client is not None else None


class Denied(ScimError):
    """A valid token without the right: refused, and recorded as denied (NEN 7513)."""

    def __init__(self, actor: str, client: str | None) -> None:
        super().__init__(403, "SCIM needs an org-admin token of the organisation it provisions")
        self.actor = actor
        self.client = client


def _base_url(request: Request) -> str:
    rt: Runtime = request.app.state.rt
    return rt.settings.web.base_url.rstrip("/") + "/scim/v2"


async def _body(request: Request) -> bytes:
    data = await request.body()
    if len(data) > MAX_BODY:
        raise ScimError(413, f"the body is larger than {MAX_BODY} bytes", "tooLarge")
    return data


def _json(data: bytes) -> Any:
    """The body's JSON; read after authentication, so a stranger learns nothing from it."""
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise ScimError(400, "the body is not JSON", "invalidSyntax") from None


Work = Callable[[Session, Caller], Any]


async def _in_transaction(request: Request, work: Work) -> Any:
    """Authenticate and do `work` in one transaction, in a worker thread (the DB is blocking)."""
    rt: Runtime = request.app.state.rt

    def run() -> Any:
        try:
            with rt.db.begin() as session:
                caller = _caller(session, request)
                return work(session, caller)
        except Denied as denied:
            # The request's transaction rolled back; the refusal is kept in one of its own.
            with rt.db.begin() as session:
                record(
                    session,
                    "scim.denied",
                    denied.actor,
                    target=f"{request.method} {request.url.path}",
                    client=denied.client,
                    outcome="denied",
                )
            raise
        except IntegrityError:
            # Two requests creating one userName at once: the loser sees what it would
            # have seen a moment later.
            raise ScimError(409, "a User with that userName exists", "uniqueness") from None

    return await run_in_threadpool(run)


def _scim_errors(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except ScimError as exc:
            return _error(exc)

    return guarded


def _page(request: Request) -> tuple[int, int]:
    """startIndex (1-based, at least 1) and count (0 to MAX_COUNT) of a list request."""
    try:
        start = int(request.query_params.get("startIndex", "1"))
        count = int(request.query_params.get("count", str(MAX_COUNT)))
    except ValueError:
        raise ScimError(400, "startIndex and count must be whole numbers", "invalidValue") from None
    return max(start, 1), min(max(count, 0), MAX_COUNT)


@_scim_errors
async def users_list(request: Request) -> Response:
    base = _base_url(request)
    text = request.query_params.get("filter")

    def work(session: Session, caller: Caller) -> tuple[list[Any], int, int]:
        user_name = parse_filter(text) if text is not None else None
        start, count = _page(request)
        return (*list_users(session, caller, user_name, start, count), start)

    users, total, start = await _in_transaction(request, work)
    return scim_response(list_document([user_document(u, base) for u in users], total, start))


@_scim_errors
async def users_create(request: Request) -> Response:
    base, data = _base_url(request), await _body(request)
    rt: Runtime = request.app.state.rt

    def work(session: Session, caller: Caller) -> Any:
        return create_user(session, rt, caller, parse_user(_json(data)), utcnow())

    user = await _in_transaction(request, work)
    document = user_document(user, base)
    return scim_response(document, 201, {"Location": document["meta"]["location"]})


@_scim_errors
async def user_get(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    user = await _in_transaction(
        request, lambda session, caller: get_user(session, caller, user_id)
    )
    return scim_response(user_document(user, _base_url(request)))


def _put_change(body: Any) -> UserChange:
    """A PUT replaces what sealgate keeps of the User: its name and whether it is active."""
    fields = parse_user(body)
    return UserChange(fields.display_name, fields.active, fields.user_name)


async def _change(request: Request, read: Callable[[Any], UserChange]) -> Response:
    rt: Runtime = request.app.state.rt
    user_id, data = request.path_params["user_id"], await _body(request)

    def work(session: Session, caller: Caller) -> Any:
        return change_user(session, rt, caller, user_id, read(_json(data)), utcnow())

    user = await _in_transaction(request, work)
    return scim_response(user_document(user, _base_url(request)))


@_scim_errors
async def user_put(request: Request) -> Response:
    return await _change(request, _put_change)


@_scim_errors
async def user_patch(request: Request) -> Response:
    return await _change(request, parse_patch)


@_scim_errors
async def user_delete(request: Request) -> Response:
    user_id = request.path_params["user_id"]
    await _in_transaction(request, lambda session, caller: delete_user(session, caller, user_id))
    return Response(status_code=204)


def _discovery(document: Callable[[str], Any]) -> Callable[[Request], Awaitable[Response]]:
    """A discovery endpoint: authenticated like the rest (it says what the gateway keeps)."""

    @_scim_errors
    async def endpoint(request: Request) -> Response:
        await _in_transaction(request, lambda session, caller: None)
        return scim_response(document(_base_url(request)))

    return endpoint


def _listed(items: Callable[[str], list[Any]]) -> Callable[[str], Any]:
    return lambda base: list_document(items(base), len(items(base)), 1)


async def _not_found(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "internal error"
    return _error(ScimError(status, str(detail)))


def scim_routes() -> list[Route]:
    return [
        Route("/Users", users_list, methods=["GET"]),
        Route("/Users", users_create, methods=["POST"]),
        Route("/Users/{user_id}", user_get, methods=["GET"]),
        Route("/Users/{user_id}", user_put, methods=["PUT"]),
        Route("/Users/{user_id}", user_patch, methods=["PATCH"]),
        Route("/Users/{user_id}", user_delete, methods=["DELETE"]),
        Route("/ServiceProviderConfig", _discovery(service_provider_config), methods=["GET"]),
        Route("/ResourceTypes", _discovery(_listed(resource_types)), methods=["GET"]),
        Route("/ResourceTypes/User", _discovery(lambda b: resource_types(b)[0]), methods=["GET"]),
        Route("/Schemas", _discovery(_listed(lambda b: [user_schema(b)])), methods=["GET"]),
        Route(f"/Schemas/{USER_SCHEMA}", _discovery(user_schema), methods=["GET"]),
    ]


def build_scim_app(rt: Runtime) -> Starlette:
    app = Starlette(routes=scim_routes(), exception_handlers={HTTPException: _not_found})
    app.state.rt = rt
    return app

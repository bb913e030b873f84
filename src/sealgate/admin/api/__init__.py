"""The REST API at /api/v1 (issue 12): JSON over the admin capabilities, bearer tokens.

Receives: HTTPS requests with `Authorization: Bearer sgt_…` (admin/tokens.py).
Hands off: the same directory, delivery, audit and evidence calls the CLI makes, one
transaction per request, each mutating call with its audit entry in that transaction.
Trust: faces admins' scripts over the network; every endpoint checks one capability for one
organisation (admin/principal.py); errors are JSON and never carry a traceback; secrets
(credential passwords) appear once, in the response that made them, never in the audit.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sealgate.admin.api.endpoint import Endpoint, handler_for, json_response
from sealgate.admin.api.errors import ApiError, error_response
from sealgate.admin.api.openapi import openapi_document
from sealgate.admin.api.table import ENDPOINTS
from sealgate.bootstrap import Runtime

_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request"}


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    code = _HTTP_CODES.get(status)
    if code is None:
        status, code = 500, "internal_error"
    message = "no such API endpoint" if status == 404 else "the request was refused"
    response = error_response(ApiError(status, code, message))
    if isinstance(exc, HTTPException) and exc.headers and "Allow" in exc.headers:
        response.headers["Allow"] = exc.headers["Allow"]
    return response


async def _server_error(request: Request, exc: Exception) -> Response:
    return error_response(ApiError(500, "internal_error", "the request failed on our side"))


def api_app(rt: Runtime) -> Starlette:
    """The /api/v1 app; a sub-app so its errors are JSON, not the portal's pages."""
    by_path: dict[str, dict[str, Endpoint]] = {}
    for endpoint in ENDPOINTS:
        by_path.setdefault(endpoint.path, {})[endpoint.method] = endpoint
    document = openapi_document()

    async def openapi_json(request: Request) -> Response:
        return json_response(document)

    routes = [Route("/openapi.json", openapi_json, methods=["GET"])]
    routes += [
        Route(path, handler_for(rt, methods), methods=list(methods))
        for path, methods in by_path.items()
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, 500: _server_error},
    )
    app.state.rt = rt
    return app


__all__ = ["ENDPOINTS", "api_app", "openapi_document"]

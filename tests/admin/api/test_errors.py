"""Every refusal is JSON `{"error": {"code", "message"}}` with the documented status and code,
over real HTTP through the whole web app (never the portal's HTML pages, never a traceback)."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from sealgate.admin import Capability, Role
from sealgate.admin.api import models
from sealgate.admin.api.endpoint import Endpoint, dispatch
from sealgate.admin.api.errors import ERROR_CODES, MAX_BODY
from tests.admin.api.world import ApiWorld


def error_of(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}
    assert body["error"]["code"] == code and code in ERROR_CODES[status]
    message = body["error"]["message"]
    assert message[0].isupper() and message.endswith("."), message
    assert "Traceback" not in response.text
    return message


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer sgt_unknown"}, {"Authorization": "Basic dXNlcjpwdw=="}],
    ids=["none", "unknown", "basic"],
)
def test_401_without_a_valid_token(world: ApiWorld, headers: dict[str, str]) -> None:
    response = httpx.get(world.base + "/orgs", headers=headers)
    error_of(response, 401, "unauthorized")
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_is_401(world: ApiWorld) -> None:
    from sealgate.admin import create_token, revoke_token

    with world.rt.db.begin() as session:
        item, secret = create_token(
            session, role_name="auditor", org_name="Hospital", created_by="cli:test"
        )
        revoke_token(session, item.id)
    response = httpx.get(world.base + "/orgs", headers={"Authorization": f"Bearer {secret}"})
    error_of(response, 401, "unauthorized")


def test_403_names_the_capability(world: ApiWorld) -> None:
    with world.client(Role.HELPDESK, "Hospital") as client:
        response = client.get("/audit")
    assert "audit.read" in error_of(response, 403, "forbidden")


def test_another_organisations_resource_is_404_like_a_missing_one(world: ApiWorld) -> None:
    hospital = world.orgs["Hospital"]
    with world.client(Role.ORG_ADMIN, "Clinic") as client:
        theirs = client.get(f"/orgs/{hospital.id}/accounts")
        missing = client.get("/orgs/999999/accounts")
        message = client.get(f"/messages/{hospital.message_id}")
    error_of(theirs, 404, "not_found")
    error_of(missing, 404, "not_found")
    error_of(message, 404, "not_found")
    assert theirs.json()["error"]["message"].replace(str(hospital.id), "N") == missing.json()[
        "error"
    ]["message"].replace("999999", "N")


def test_404_and_405_of_the_router_are_json(world: ApiWorld) -> None:
    with world.operator() as client:
        error_of(client.get("/no-such-thing"), 404, "not_found")
        response = client.put("/orgs", json={})
    error_of(response, 405, "method_not_allowed")
    assert "GET" in response.headers["allow"] and "POST" in response.headers["allow"]


def test_body_errors(world: ApiWorld) -> None:
    with world.operator() as client:
        error_of(client.post("/orgs", content=b"{not json", headers=_json()), 400, "bad_request")
        error_of(
            client.post("/orgs", content=b"name=x", headers={"content-type": "text/plain"}),
            415,
            "unsupported_media_type",
        )
        big = b'{"name": "' + b"x" * MAX_BODY + b'"}'
        error_of(client.post("/orgs", content=big, headers=_json()), 413, "payload_too_large")
        message = error_of(client.post("/orgs", json={"name": "X"}), 422, "invalid_request")
        assert "domains" in message
        error_of(client.post("/orgs", json=[1]), 422, "invalid_request")
        error_of(
            client.post("/orgs", json={"name": "X", "domains": ["x.example"], "extra": 1}),
            422,
            "invalid_request",
        )
        error_of(
            client.post("/orgs", json={"name": "a\u0000b", "domains": ["nul.example"]}),
            400,
            "bad_request",
        )
        error_of(
            client.post("/orgs", json={"name": "Hospital", "domains": ["dup.example"]}),
            409,
            "conflict",
        )


def test_query_errors(world: ApiWorld) -> None:
    with world.operator() as client:
        error_of(client.get("/orgs", params={"limit": "0"}), 422, "invalid_request")
        error_of(client.get("/orgs", params={"limit": "many"}), 422, "invalid_request")
        error_of(client.get("/orgs", params={"cursor": "!!"}), 400, "invalid_cursor")
        error_of(client.get("/messages", params={"since": "yesterday"}), 422, "invalid_request")
        error_of(client.get("/messages", params={"state": "lost"}), 422, "invalid_request")


def _json() -> dict[str, str]:
    return {"content-type": "application/json"}


async def test_a_bug_is_a_json_500_without_a_traceback(world: ApiWorld) -> None:
    def broken(call: object) -> object:
        raise RuntimeError("secret internals")

    endpoint = Endpoint(
        "GET", "/broken", "broken", Capability.ORGS_READ, broken, "A bug", models.ErrorBody
    )

    async def route(request):  # type: ignore[no-untyped-def]
        return await dispatch(world.rt, endpoint, request)

    app = Starlette(routes=[Route("/broken", route)])
    token = world.tokens[(Role.OPERATOR, None)]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://api") as client:
        response = await client.get("/broken", headers={"Authorization": f"Bearer {token}"})
    error_of(response, 500, "internal_error")
    assert "secret internals" not in response.text

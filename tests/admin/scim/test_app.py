"""/scim/v2 over real HTTP: an Entra ID provisioning round trip, auth, filters, errors."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from sealgate.admin import create_token, revoke_token
from sealgate.audit import entries
from sealgate.directory import add_account, create_org, find_account
from tests.admin.scim import entra
from tests.admin.served import served_web
from tests.portal.account_mail import account_mails


def _token(runtime, role: str, org: str | None) -> str:
    with runtime.db.begin() as session:
        _, secret = create_token(session, role_name=role, org_name=org, created_by="cli:test")
    return secret


@pytest.fixture
def scim(runtime, sender):
    """An httpx client on /scim/v2 of the served web app, with an org-admin token of Hospital."""
    token = _token(runtime, "org-admin", "Hospital")
    with served_web(runtime) as base, httpx.Client(base_url=f"{base}/scim/v2") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


def send(client: httpx.Client, request: tuple[str, str, Any], user_id: str = "") -> httpx.Response:
    method, path, body = request
    content = json.dumps(body) if body is not None else None
    return client.request(
        method, path.replace("{id}", user_id), content=content, headers=entra.HEADERS
    )


def _ok(response: httpx.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/scim+json"
    return response.json()


def _audit(runtime) -> list[tuple[str, str, str | None]]:
    with runtime.db.begin() as session:
        return [
            (e.action, f"{e.actor_kind}:{e.actor_id}", e.object_id)
            for e in entries(session, action="scim")
        ]


def test_an_entra_provisioning_round_trip(scim, runtime):
    found = _ok(send(scim, entra.LOOK_UP))
    assert (found["totalResults"], found["Resources"]) == (0, [])

    created = _ok(send(scim, entra.CREATE), 201)
    user_id, user = created["id"], entra.USER.lower()
    assert created["userName"] == user and created["active"] is True
    assert created["displayName"] == "givenName familyName"
    assert created["emails"] == [{"value": user, "type": "work", "primary": True}]
    assert created["meta"]["location"].endswith(f"/scim/v2/Users/{user_id}")
    [invitation] = account_mails(runtime, user)
    assert invitation["Subject"] == "Hospital: set up your account for secure mail"

    again = _ok(send(scim, entra.LOOK_UP))
    assert again["totalResults"] == 1 and again["Resources"][0]["id"] == user_id
    assert _ok(send(scim, entra.CREATE), 409)["scimType"] == "uniqueness"

    assert _ok(send(scim, entra.UPDATE, user_id))["displayName"] == (
        "updatedGivenName updatedFamilyName"
    )
    assert _ok(send(scim, entra.DISPLAY_NAME, user_id))["displayName"] == "Updated Display"
    assert _ok(send(scim, entra.DISABLE, user_id))["active"] is False
    with runtime.db.begin() as session:
        assert find_account(session, user).active is False
    assert _ok(send(scim, entra.ENABLE_AS_STRING, user_id))["active"] is True
    # Never set up, so enabling invites again.
    assert len(account_mails(runtime, user)) == 2

    assert send(scim, entra.DELETE, user_id).status_code == 204
    fetched = _ok(send(scim, entra.GET, user_id))
    assert fetched["active"] is False, "deleting deactivates; the account and its history stay"

    actor = _audit(runtime)[0][1]
    assert actor.startswith("token:")
    assert _audit(runtime) == [
        ("scim.user.create", actor, user),
        ("scim.user.update", actor, user),
        ("scim.user.update", actor, user),
        ("scim.user.disable", actor, user),
        ("scim.user.enable", actor, user),
        ("scim.user.delete", actor, user),
    ]


def test_put_replaces_name_and_active_but_not_the_address(scim, runtime):
    user = _ok(scim.get("/Users", params={"filter": 'userName eq "alice@hospital.example"'}))
    alice = user["Resources"][0]
    body = {
        "schemas": alice["schemas"],
        "userName": "alice@hospital.example",
        "displayName": "A. Arts",
        "active": False,
    }
    replaced = _ok(scim.put(f"/Users/{alice['id']}", json=body))
    assert (replaced["displayName"], replaced["active"]) == ("A. Arts", False)
    body["userName"] = "alicia@hospital.example"
    refused = _ok(scim.put(f"/Users/{alice['id']}", json=body), 400)
    assert refused["scimType"] == "mutability"
    assert refused["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert refused["status"] == "400"


def test_pages_by_start_index_and_count(scim, runtime):
    with runtime.db.begin() as session:
        for n in range(4):
            add_account(session, f"user{n}@hospital.example", "Hospital")
    first = _ok(scim.get("/Users", params={"startIndex": "1", "count": "2"}))
    second = _ok(scim.get("/Users", params={"startIndex": "3", "count": "2"}))
    third = _ok(scim.get("/Users", params={"startIndex": "5", "count": "2"}))
    assert [first["totalResults"], first["itemsPerPage"], third["itemsPerPage"]] == [5, 2, 1]
    names = [u["userName"] for page in (first, second, third) for u in page["Resources"]]
    assert names[0] == "alice@hospital.example" and len(set(names)) == 5
    assert second["startIndex"] == 3
    assert _ok(scim.get("/Users", params={"count": "x"}), 400)["scimType"] == "invalidValue"


def test_a_token_sees_its_own_organisation_only(scim, runtime):
    with runtime.db.begin() as session:
        create_org(session, "Clinic", ["clinic.example"])
        eve = add_account(session, "eve@clinic.example", "Clinic")
    assert _ok(scim.get(f"/Users/{eve.id}"), 404)["status"] == "404"
    assert _ok(scim.delete(f"/Users/{eve.id}"), 404)
    assert (
        _ok(scim.get("/Users", params={"filter": 'userName eq "eve@clinic.example"'}))[
            "totalResults"
        ]
        == 0
    )
    foreign = {"userName": "mallory@clinic.example"}
    assert _ok(scim.post("/Users", json=foreign), 400)["scimType"] == "invalidValue"
    with runtime.db.begin() as session:
        assert find_account(session, "eve@clinic.example").active is True
        assert find_account(session, "mallory@clinic.example") is None


@pytest.mark.parametrize(
    "authorization, status",
    [
        (None, 401),
        ("Basic dXNlcjpwdw==", 401),
        ("Bearer sgt_not-a-token", 401),
        ("Bearer helpdesk", 403),
        ("Bearer operator", 403),
        ("Bearer revoked", 401),
    ],
)
def test_authentication_failures(runtime, sender, authorization, status):
    if authorization in ("Bearer helpdesk", "Bearer operator"):
        role = authorization.split()[1]
        authorization = (
            f"Bearer {_token(runtime, role, None if role == 'operator' else 'Hospital')}"
        )
    elif authorization == "Bearer revoked":
        with runtime.db.begin() as session:
            listing, secret = create_token(
                session, role_name="org-admin", org_name="Hospital", created_by="cli:test"
            )
            revoke_token(session, listing.id)
        authorization = f"Bearer {secret}"
    headers = {"Authorization": authorization} if authorization else {}
    with served_web(runtime) as base:
        # Bad input too: authentication comes first, so a stranger learns nothing from it.
        requests = (
            ("GET", "/Users?filter=bad", None),
            ("POST", "/Users", json.dumps({"userName": "bob@hospital.example"})),
            ("PATCH", "/Users/1", "{not json"),
            ("GET", "/ServiceProviderConfig", None),
        )
        for method, path, body in requests:
            response = httpx.request(method, f"{base}/scim/v2{path}", headers=headers, content=body)
            assert response.status_code == status, response.text
            assert response.headers["content-type"] == "application/scim+json"
            assert response.json()["status"] == str(status)
            if status == 401:
                assert response.headers["www-authenticate"].startswith("Bearer")
    with runtime.db.begin() as session:
        assert find_account(session, "bob@hospital.example") is None
        denied = [(e.action, e.outcome, e.object_id) for e in entries(session, action="scim")]
    if status == 403:
        assert denied[0] == ("scim.denied", "denied", "GET /scim/v2/Users")
        assert len(denied) == 4, denied
    else:
        assert denied == [], "a stranger leaves nothing to fill the trail with"


def test_errors_are_scim_error_documents(scim):
    assert _ok(scim.get("/Users", params={"filter": 'displayName eq "x"'}), 400)["scimType"] == (
        "invalidFilter"
    )
    assert _ok(scim.post("/Users", content=b"{not json"), 400)["scimType"] == "invalidSyntax"
    assert _ok(scim.post("/Users", json={"userName": "not an address"}), 400)["scimType"] == (
        "invalidValue"
    )
    assert _ok(scim.get("/Users/999999"), 404)["detail"] == "no User 999999"
    assert _ok(scim.get("/Users/abc"), 404)
    assert _ok(scim.get("/Groups"), 404)["schemas"] == [
        "urn:ietf:params:scim:api:messages:2.0:Error"
    ]
    assert _ok(scim.post("/Users", content=b"x" * 70_000), 413)["scimType"] == "tooLarge"
    patch = {"Operations": [{"op": "Replace", "path": "password", "value": "x"}]}
    assert _ok(scim.patch("/Users/1", json=patch), 400)["scimType"] == "invalidPath"


def test_discovery_resources(scim):
    config = _ok(scim.get("/ServiceProviderConfig"))
    assert config["patch"]["supported"] is True and config["bulk"]["supported"] is False
    assert config["filter"] == {"supported": True, "maxResults": 200}
    types = _ok(scim.get("/ResourceTypes"))
    assert types["Resources"][0]["endpoint"] == "/Users"
    schemas = _ok(scim.get("/Schemas"))
    [user] = schemas["Resources"]
    assert user["id"] == "urn:ietf:params:scim:schemas:core:2.0:User"
    assert {a["name"] for a in user["attributes"]} >= {"userName", "displayName", "active"}
    assert _ok(scim.get(f"/Schemas/{user['id']}"))["id"] == user["id"]


def test_parallel_creates_of_one_user_make_one_account(scim, runtime):
    body = json.dumps({"userName": "racer@hospital.example", "displayName": "Racer"})
    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(
            pool.map(lambda _: scim.post("/Users", content=body).status_code, range(4))
        )
    assert statuses == [201, 409, 409, 409]
    assert len(account_mails(runtime, "racer@hospital.example")) == 1


def test_a_user_created_inactive_is_not_invited_until_enabled(scim, runtime):
    created = _ok(
        scim.post("/Users", json={"userName": "dora@hospital.example", "active": False}), 201
    )
    assert created["active"] is False and account_mails(runtime, "dora@hospital.example") == []
    kept = _ok(scim.put(f"/Users/{created['id']}", json={"userName": "dora@hospital.example"}))
    assert kept["active"] is False, "a PUT without active leaves it as it was"
    enable = {"Operations": [{"op": "replace", "value": {"active": True}}]}
    assert _ok(scim.patch(f"/Users/{created['id']}", json=enable))["active"] is True
    assert len(account_mails(runtime, "dora@hospital.example")) == 1

"""Every role against every endpoint, in both organisations, over real HTTP.

Each endpoint gets a request aimed at Hospital's resources. The operator and Hospital's
roles that hold the endpoint's capability must get through (not 401/403/404); a role that
does not hold it gets 403 (whatever the organisation); Clinic's roles that do hold it get
404 for Hospital's resources, as if they did not exist.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from sealgate.admin import ALLOWED, Role
from sealgate.admin.api import ENDPOINTS
from sealgate.admin.api.endpoint import Endpoint
from tests.admin.api.world import ORG_ROLES, ORGS, ApiWorld

_unique = itertools.count(1)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    json: dict[str, object] | None = None
    params: dict[str, str] = field(default_factory=dict)
    # Besides 200/201, what an allowed call may meet: a second revoke, a cancelled job.
    also: tuple[int, ...] = ()
    setup: Callable[[ApiWorld], None] | None = None


def _list_nta(world: ApiWorld) -> None:
    with world.operator() as client:
        client.post("/nta7516", json={"domain": "listed.example"})


def _add_contact(world: ApiWorld) -> None:
    h = world.orgs["Hospital"]
    with world.operator() as client:
        body = {"address": "bob@example.org", "phone": "+31612345678"}
        assert client.post(f"/orgs/{h.id}/contacts", json=body).status_code == 201


def requests(world: ApiWorld) -> dict[str, Callable[[], Request]]:
    h = world.orgs["Hospital"]
    org = f"/orgs/{h.id}"
    msg = f"/messages/{h.message_id}"
    return {
        "orgs.list": lambda: Request("GET", "/orgs"),
        "orgs.create": lambda: Request(
            "POST",
            "/orgs",
            {"name": f"Org {next(_unique)}", "domains": [f"o{next(_unique)}.example"]},
        ),
        "orgs.show": lambda: Request("GET", org),
        "domains.list": lambda: Request("GET", org + "/domains"),
        "domains.claim": lambda: Request(
            "POST", org + "/domains", {"domain": f"new{next(_unique)}.example"}
        ),
        "domains.verify": lambda: Request("POST", org + "/domains/hospital.example/verify"),
        "domains.update": lambda: Request(
            "PATCH", org + "/domains/hospital.example", {"idd": True}
        ),
        "accounts.list": lambda: Request("GET", org + "/accounts"),
        "accounts.create": lambda: Request(
            "POST", org + "/accounts", {"email": f"u{next(_unique)}@hospital.example"}
        ),
        "accounts.disable": lambda: Request("POST", org + f"/accounts/{h.sender}/disable"),
        "accounts.enable": lambda: Request("POST", org + f"/accounts/{h.sender}/enable"),
        "accounts.import": lambda: Request(
            "POST",
            org + "/accounts/import",
            {"csv": f"email_address,full_name\ni{next(_unique)}@hospital.example,Imported\n"},
            params={"confirm": "true"},
        ),
        "credentials.list": lambda: Request("GET", org + "/credentials"),
        "credentials.create": lambda: Request("POST", org + "/credentials", {"label": "matrix"}),
        "credentials.disable": lambda: Request("POST", org + f"/credentials/{h.username}/disable"),
        "policy.show": lambda: Request("GET", org + "/policy"),
        "policy.update": lambda: Request("PATCH", org + "/policy", {"sms": False}),
        "nta7516.list": lambda: Request("GET", "/nta7516"),
        "nta7516.add": lambda: Request("POST", "/nta7516", {"domain": f"n{next(_unique)}.example"}),
        "nta7516.remove": lambda: Request("DELETE", "/nta7516/listed.example", setup=_list_nta),
        "dkim.list": lambda: Request("GET", org + "/dkim-keys"),
        "dns.records": lambda: Request("GET", org + "/dns-records"),
        "dns.check": lambda: Request("GET", org + "/dns-check"),
        "contacts.list": lambda: Request("GET", org + "/contacts"),
        "contacts.add": lambda: Request(
            "POST", org + "/contacts", {"address": "bob@example.org", "phone": "+31612345678"}
        ),
        "contacts.remove": lambda: Request(
            "DELETE", org + "/contacts/bob@example.org", setup=_add_contact
        ),
        "contacts.import": lambda: Request(
            "POST",
            org + "/contacts/import",
            {"csv": "email_address,phone_number\nbob@example.org,+31612345678\n"},
            params={"confirm": "true"},
        ),
        "contacts.export": lambda: Request("GET", org + "/contacts/export"),
        "messages.search": lambda: Request("GET", "/messages"),
        "messages.show": lambda: Request("GET", msg),
        "messages.revoke": lambda: Request("POST", msg + "/revoke", {}, also=(409,)),
        "messages.unrevoke": lambda: Request("POST", msg + "/unrevoke", {}, also=(409,)),
        "messages.expire": lambda: Request("POST", msg + "/expire", {"in_days": 30}),
        "messages.unlock": lambda: Request(
            "POST", msg + "/unlock", {"recipient": "bob@example.org"}
        ),
        "messages.resend": lambda: Request(
            "POST", msg + "/resend", {"recipient": "bob@example.org"}
        ),
        "messages.evidence": lambda: Request("GET", msg + "/evidence"),
        "messages.evidence_verify": lambda: Request("GET", msg + "/evidence/verify"),
        "queue.list": lambda: Request("GET", "/queue"),
        "queue.retry": lambda: Request("POST", f"/queue/{h.job_id}/retry", also=(409,)),
        "queue.cancel": lambda: Request("POST", f"/queue/{h.job_id}/cancel", also=(409,)),
        "probes.run": lambda: Request("POST", "/probes", {"domain": "example.org"}),
        "probes.list": lambda: Request("GET", "/probes"),
        "audit.query": lambda: Request("GET", "/audit"),
        "audit.export": lambda: Request("GET", "/audit/export", params={"format": "csv"}),
        "audit.verify": lambda: Request("GET", "/audit/verify"),
    }


def expected(endpoint: Endpoint, role: Role, org: str | None) -> int | None:
    """None: allowed; else the refusal's status."""
    if role is Role.OPERATOR:
        return None
    if endpoint.gateway_wide or endpoint.capability not in ALLOWED[role]:
        return 403
    aims_at_hospital = "{" in endpoint.path
    return 404 if aims_at_hospital and org != "Hospital" else None


PRINCIPALS = [(role, org) for org in ORGS for role in ORG_ROLES] + [(Role.OPERATOR, None)]


def test_every_endpoint_has_a_matrix_request(world: ApiWorld) -> None:
    assert set(requests(world)) == {endpoint.name for endpoint in ENDPOINTS}


def _send(client: httpx.Client, request: Request) -> httpx.Response:
    return client.request(request.method, request.path, json=request.json, params=request.params)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_each_role_against_the_endpoint(world: ApiWorld, endpoint: Endpoint) -> None:
    make = requests(world)[endpoint.name]
    outcomes = {}
    for role, org in PRINCIPALS:
        request = make()
        if request.setup is not None:
            request.setup(world)
        with world.client(role, org) as client:
            response = _send(client, request)
        want = expected(endpoint, role, org)
        outcomes[f"{role.value}@{org}"] = response.status_code
        if want is None:
            assert response.status_code in (endpoint.status, *request.also), (
                role,
                org,
                response.text,
            )
        else:
            assert response.status_code == want, (role, org, response.text)
            assert response.json()["error"]["code"] == {403: "forbidden", 404: "not_found"}[want]
    # Some principal got through and, unless the endpoint is the operator's, some did not.
    assert endpoint.status in outcomes.values() or any(
        status in (200, 201, 409) for status in outcomes.values()
    ), outcomes


def test_listings_show_only_the_tokens_organisation(world: ApiWorld) -> None:
    clinic = world.orgs["Clinic"]
    with world.client(Role.AUDITOR, "Clinic") as client:
        orgs = client.get("/orgs").json()["items"]
        messages = client.get("/messages").json()["items"]
        jobs = client.get("/queue").json()["items"]
    assert [org["name"] for org in orgs] == ["Clinic"]
    assert [item["id"] for item in messages] == [clinic.message_id]
    assert [job["id"] for job in jobs] == [clinic.job_id]
    with world.operator() as client:
        assert len(client.get("/messages").json()["items"]) == 2
        names = {org["name"] for org in client.get("/orgs").json()["items"]}
    assert set(ORGS) <= names

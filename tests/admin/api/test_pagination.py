"""Cursor pages: `?limit=N&cursor=…` → `{"items", "next_cursor"}`; following the cursors
yields every item once, in order, and the last page says null."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sealgate.admin import Role
from tests.admin.api.world import ApiWorld


def pages(client: Any, path: str, limit: int, **params: str) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        query = {"limit": str(limit), **params, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"items", "next_cursor"} and len(body["items"]) <= limit
        yield body
        cursor = body["next_cursor"]
        if cursor is None:
            return


def test_contacts_come_in_pages_without_repeats(world: ApiWorld) -> None:
    org = world.orgs["Hospital"].id
    with world.operator() as client:
        for n in range(5):
            body = {"address": f"page{n}@example.org", "phone": f"+3161234567{n}"}
            assert client.post(f"/orgs/{org}/contacts", json=body).status_code == 201
        seen = [
            item["address"]
            for page in pages(client, f"/orgs/{org}/contacts", 2)
            for item in page["items"]
        ]
        whole = client.get(f"/orgs/{org}/contacts", params={"limit": "200"}).json()
    assert seen == [item["address"] for item in whole["items"]]
    assert len(seen) == len(set(seen)) >= 5 and whole["next_cursor"] is None


def test_messages_queue_orgs_and_audit_page_by_cursor(world: ApiWorld) -> None:
    with world.operator() as client:
        client.patch(f"/orgs/{world.orgs['Clinic'].id}/policy", json={"show_subject": True})
        for path, params in (
            ("/messages", {}),
            ("/queue", {"state": "deferred"}),
            ("/orgs", {}),
            ("/audit", {}),
        ):
            one_by_one = [
                item for page in pages(client, path, 1, **params) for item in page["items"]
            ]
            at_once = client.get(path, params={"limit": "200", **params}).json()["items"]
            assert one_by_one == at_once and len(at_once) >= 1, path


def test_a_page_never_crosses_into_another_organisation(world: ApiWorld) -> None:
    with world.client(Role.AUDITOR, "Hospital") as client:
        items = [item for page in pages(client, "/messages", 1) for item in page["items"]]
    assert [item["sender"] for item in items] == [world.orgs["Hospital"].sender]

"""A domain claim is proven by a TXT record at _sealgate-challenge.<domain>, looked up through
the configured resolver (here a DNS server on loopback that answers from a test's records)."""

from __future__ import annotations

import httpx

from sealgate.admin import create_token
from sealgate.bootstrap import open_runtime
from sealgate.directory import create_org
from sealgate.store import Domain
from tests.admin.api.world import served
from tests.conftest import free_port, make_settings
from tests.delivery.dns_zone import DnsZone


async def test_a_claim_is_verified_by_its_txt_record_only(
    tmp_path, database_url, tls_files, zone: DnsZone
) -> None:
    settings = make_settings(
        tmp_path, database_url, tls_files, SEALGATE_TRANSPORT__RESOLVER=f"127.0.0.1:{zone.port}"
    )
    rt = open_runtime(settings, create=True)
    try:
        with rt.db.begin() as session:
            org_id = create_org(session, "Hospital", ["hospital.example"]).id
            create_org(session, "Clinic", ["clinic.example"])
            _, secret = create_token(
                session, role_name="org-admin", org_name="Hospital", created_by="cli:test"
            )
        with served(rt) as base:
            headers = {"Authorization": f"Bearer {secret}"}
            async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                claim = await client.post(
                    f"/orgs/{org_id}/domains", json={"domain": "Zorg.Example"}
                )
                assert claim.status_code == 201, claim.text
                challenge = claim.json()
                assert challenge["record_name"] == "_sealgate-challenge.zorg.example"
                assert challenge["status"] == "pending" and challenge["record_type"] == "TXT"
                again = await client.post(
                    f"/orgs/{org_id}/domains", json={"domain": "zorg.example"}
                )
                assert again.json()["record_value"] == challenge["record_value"]

                verify = f"/orgs/{org_id}/domains/zorg.example/verify"
                missing = await client.post(verify)
                assert missing.status_code == 422, missing.text
                assert missing.json()["error"]["code"] == "challenge_failed"
                zone.add_txt(challenge["record_name"], "sealgate-challenge=someone-elses-value")
                assert (await client.post(verify)).status_code == 422
                zone.add_txt(challenge["record_name"], challenge["record_value"])
                verified = await client.post(verify)
                assert verified.status_code == 200, verified.text
                assert verified.json() == {
                    "domain": "zorg.example",
                    "status": "verified",
                    "idd": False,
                }
                listed = (await client.get(f"/orgs/{org_id}/domains")).json()["items"]
                assert [item["name"] for item in listed] == ["hospital.example", "zorg.example"]

                taken = await client.post(
                    f"/orgs/{org_id}/domains", json={"domain": "clinic.example"}
                )
                assert taken.status_code == 409 and taken.json()["error"]["code"] == "conflict"
                idd = await client.patch(f"/orgs/{org_id}/domains/zorg.example", json={"idd": True})
                assert idd.json() == {"name": "zorg.example", "idd": True}
        with rt.db.begin() as session:
            row = session.query(Domain).filter(Domain.name == "zorg.example").one()
            assert row.org_id == org_id and row.idd
    finally:
        rt.close()


def test_a_resolver_that_does_not_answer_is_502_and_claims_nothing(
    tmp_path, database_url, tls_files
) -> None:
    settings = make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_TRANSPORT__RESOLVER=f"127.0.0.1:{free_port()}",
        SEALGATE_TRANSPORT__DNS_TIMEOUT="0.5",
    )
    rt = open_runtime(settings, create=True)
    try:
        with rt.db.begin() as session:
            org_id = create_org(session, "Hospital", ["hospital.example"]).id
            _, secret = create_token(
                session, role_name="operator", org_name=None, created_by="cli:test"
            )
        with served(rt) as base:
            headers = {"Authorization": f"Bearer {secret}"}
            with httpx.Client(base_url=base, headers=headers) as client:
                response = client.post(f"/orgs/{org_id}/domains/zorg.example/verify")
        assert response.status_code == 502, response.text
        assert response.json()["error"]["code"] == "dns_lookup_failed"
        with rt.db.begin() as session:
            assert session.query(Domain).filter(Domain.name == "zorg.example").count() == 0
    finally:
        rt.close()

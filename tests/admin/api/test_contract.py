"""The contract: schemathesis, from PyPI, generates requests from the OpenAPI document and
sends them to the running server (uvicorn on loopback). No 5xx, every response as the
document describes it, every status one the document lists for that operation.

Run as the operator (reaches everything) and as an organisation's auditor (mostly 403 and
404), each with a fixed seed so that a failure can be replayed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from sealgate.admin import Role
from sealgate.admin.api.openapi import document_text
from tests.admin.api.world import ApiWorld

COMMITTED = Path(__file__).resolve().parents[3] / "docs" / "openapi.json"
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance"
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def test_the_served_document_is_the_committed_one(world: ApiWorld) -> None:
    response = httpx.get(world.base + "/openapi.json")  # no token needed
    assert response.status_code == 200
    assert response.json() == json.loads(COMMITTED.read_text()), "run scripts/openapi"
    assert COMMITTED.read_text() == document_text()
    assert response.json()["openapi"] == "3.1.0"


def test_every_operation_lists_its_error_codes(world: ApiWorld) -> None:
    document = httpx.get(world.base + "/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert {"400", "401", "403", "404", "422", "500"} <= statuses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415"} <= statuses, (method, path)
            assert operation["security"] == [{"bearer": []}]
    for name, response in document["components"]["responses"].items():
        assert "codes: " in response["description"], name


def _schemathesis(world: ApiWorld, token: str, seed: int, tmp_path: Path) -> None:
    if not SCHEMATHESIS.exists():
        pytest.fail("schemathesis is not installed: pip install -e '.[test]'")
    command = [
        str(SCHEMATHESIS),
        "run",
        world.base + "/openapi.json",
        "--url",
        world.base,
        "--checks",
        CHECKS,
        "--max-examples",
        os.environ.get("SEALGATE_CONTRACT_EXAMPLES", "8"),
        "--seed",
        str(seed),
        "--header",
        f"Authorization: Bearer {token}",
        "--workers",
        "1",
        "--request-timeout",
        "20",
        "--no-color",
        "--report-dir",
        str(tmp_path),
    ]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)  # noqa: S603
    elapsed = time.monotonic() - started
    assert done.returncode == 0, done.stdout[-8000:] + done.stderr[-2000:]
    print(f"schemathesis seed {seed}: {elapsed:.1f} s\n{done.stdout[-1500:]}")


def test_contract_as_the_operator(world: ApiWorld, tmp_path: Path) -> None:
    _schemathesis(world, world.tokens[(Role.OPERATOR, None)], 1, tmp_path)


def test_contract_as_an_organisations_auditor(world: ApiWorld, tmp_path: Path) -> None:
    _schemathesis(world, world.tokens[(Role.AUDITOR, "Clinic")], 2, tmp_path)

"""`/healthz` and `/readyz` over real HTTP, as a load balancer or orchestrator asks them.

Issue 13 item 2 (first part). A probe relies on: the status code (200 ready / 503 not), a
JSON body naming each check, no caching and no cookie; and on a broken dependency (the
database's folder gone, a database port closed, a resolver that never answers) turning into
503 that names it, promptly, while /healthz still says the process is alive.
"""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sealgate.bootstrap import Runtime, open_runtime
from tests.conftest import free_port, make_settings
from tests.portal.served import served_portal

CHECKS = {"database", "vault", "resolver"}


def get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=20)


def assert_probe_headers(response: httpx.Response) -> None:
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert "set-cookie" not in response.headers


def test_healthz_says_the_process_is_alive(runtime: Runtime):
    with served_portal(runtime) as url:
        response = get(f"{url}/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert_probe_headers(response)


def test_readyz_is_ready_when_database_vault_and_resolver_answer(runtime: Runtime):
    """The fixtures' quiet resolver answers NXDOMAIN: an answer, so the resolver is up."""
    with served_portal(runtime) as url:
        response = get(f"{url}/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": dict.fromkeys(CHECKS, "ok")}
    assert_probe_headers(response)


def test_readyz_takes_no_post(runtime: Runtime):
    with served_portal(runtime) as url:
        assert httpx.post(f"{url}/readyz", timeout=20).status_code == 405


@pytest.fixture
def runtime_in(tmp_path: Path, tls_files) -> Iterator:
    """A runtime made with `make_settings` overrides; closed at the end."""
    opened: list[Runtime] = []

    def make(database_url: str, *, migrate: bool = True, **env: str) -> Runtime:
        settings = make_settings(tmp_path, database_url, tls_files, **env)
        rt = open_runtime(settings, create=True, migrate=migrate)
        opened.append(rt)
        return rt

    yield make
    for rt in opened:
        rt.close()


def assert_unready(response: httpx.Response, failing: str) -> None:
    assert response.status_code == 503, response.text
    body = response.json()
    assert body["status"] == "unready"
    assert set(body["checks"]) == CHECKS
    assert body["checks"][failing] != "ok"
    assert all(body["checks"][name] == "ok" for name in CHECKS - {failing}), body
    assert_probe_headers(response)


def test_readyz_names_the_database_when_its_sqlite_folder_is_removed(tmp_path, runtime_in):
    folder = tmp_path / "db"
    folder.mkdir()
    rt = runtime_in(f"sqlite:///{folder / 'sealgate.db'}")
    with served_portal(rt) as url:
        assert get(f"{url}/readyz").status_code == 200
        shutil.rmtree(folder)
        response = get(f"{url}/readyz")
        alive = get(f"{url}/healthz")
    assert_unready(response, "database")
    assert "missing" in response.json()["checks"]["database"]
    assert alive.status_code == 200
    assert not folder.exists(), "the check must not create a new database"


def test_readyz_names_the_database_when_postgres_port_is_closed(runtime_in):
    """The sentence names no URL: it could carry the database password."""
    closed = f"postgresql+psycopg://sealgate:s3cret@127.0.0.1:{free_port()}/sealgate"
    rt = runtime_in(closed, migrate=False)
    with served_portal(rt) as url:
        response = get(f"{url}/readyz")
    assert_unready(response, "database")
    assert "s3cret" not in response.text and "127.0.0.1" not in response.text


def test_readyz_names_the_resolver_when_it_never_answers(runtime_in, database_url):
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never replies
    silent.bind(("127.0.0.1", 0))
    try:
        rt = runtime_in(
            database_url, SEALGATE_TRANSPORT__RESOLVER=f"127.0.0.1:{silent.getsockname()[1]}"
        )
        with served_portal(rt) as url:
            response = get(f"{url}/readyz")
    finally:
        silent.close()
    assert_unready(response, "resolver")


def test_readyz_names_the_vault_when_its_blob_folder_is_gone(runtime: Runtime):
    with served_portal(runtime) as url:
        shutil.rmtree(Path(runtime.settings.storage.data_dir) / "blobs")
        response = get(f"{url}/readyz")
    assert_unready(response, "vault")

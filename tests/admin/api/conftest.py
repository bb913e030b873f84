"""The served API with its two organisations (world.py), one per test module: building it
hashes passwords and credentials with argon2, which is too slow to repeat for every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sealgate.bootstrap import open_runtime
from sealgate.submission.tls import write_self_signed
from tests.admin.api.world import ApiWorld, build_world, served
from tests.conftest import PG_SCHEMA, TEST_DATABASE, _reset_postgres_schema, make_settings


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    folder = tmp_path_factory.mktemp("api")
    if TEST_DATABASE == "sqlite":
        url = f"sqlite:///{folder / 'sealgate.db'}"
    else:
        _reset_postgres_schema(TEST_DATABASE, PG_SCHEMA)
        separator = "&" if "?" in TEST_DATABASE else "?"
        url = f"{TEST_DATABASE}{separator}options=-csearch_path%3D{PG_SCHEMA}"
    cert, key = folder / "tls" / "cert.pem", folder / "tls" / "key.pem"
    write_self_signed(cert, key, "localhost")
    rt = open_runtime(make_settings(folder, url, (cert, key)), create=True)
    try:
        with served(rt) as base:
            yield build_world(rt, base)
    finally:
        rt.close()

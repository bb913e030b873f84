"""Shared fixtures: a fresh database (SQLite or PostgreSQL), settings, a runtime, a sender.

SEALGATE_TEST_DATABASE=postgresql+psycopg://postgres@127.0.0.1:5432/test runs the whole
suite on PostgreSQL; the default is SQLite in each test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from sealgate.bootstrap import Runtime, open_runtime
from sealgate.config import Settings, load
from sealgate.directory import CREDENTIAL_KEY_PURPOSE, add_account, create_credential, create_org
from sealgate.store.session import Database
from sealgate.submission.tls import write_self_signed
from tests.delivery.dns_zone import DnsZone
from tests.lab.dns_lab import missing_tools
from tests.lab.quiet_dns import quiet_resolver
from tests.lab.transport_world import TransportWorld

TEST_DATABASE = os.environ.get("SEALGATE_TEST_DATABASE", "sqlite")
# The `s3_lab` fixture: moto's S3 server on loopback, for the S3 blob store's tests.
pytest_plugins = ["tests.lab.s3_lab"]


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


# Each test run gets a schema of its own in the PostgreSQL database, so that two runs on one
# machine (a developer's and CI's) never drop each other's tables.
PG_SCHEMA = f"sealgate_test_{os.getpid()}"
# `database_url` gives each test a database of its own in the same PostgreSQL server, copied
# from one migrated once per run (a template database).
PG_DATABASE = f"sealgate_test_{os.getpid()}"
PG_TEMPLATE = f"{PG_DATABASE}_template"


def _reset_postgres_schema(url: str, schema: str, create: bool = True) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        if create:
            connection.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()


def _postgres_admin(statements: list[str]) -> None:
    """Run CREATE/DROP DATABASE statements (outside a transaction) on the test server."""
    engine = create_engine(TEST_DATABASE, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


def _postgres_database(name: str) -> str:
    return make_url(TEST_DATABASE).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def _drop_postgres_schema_at_end() -> Iterator[None]:
    yield
    if TEST_DATABASE != "sqlite":
        _reset_postgres_schema(TEST_DATABASE, PG_SCHEMA, create=False)
        _postgres_admin(
            [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)" for name in (PG_DATABASE, PG_TEMPLATE)]
        )


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database at the newest schema revision, made once per run: every test's database
    is a copy of it, because migrating costs 0.2 s (SQLite) to 0.5 s (PostgreSQL) a test."""
    if TEST_DATABASE == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'sealgate.db'}"
    else:
        drop = f"DROP DATABASE IF EXISTS {PG_TEMPLATE} WITH (FORCE)"
        _postgres_admin([drop, f"CREATE DATABASE {PG_TEMPLATE}"])
        url = _postgres_database(PG_TEMPLATE)
    template = Database(url)
    template.migrate()
    template.dispose()  # SQLite folds its write-ahead log back into the file
    return url


@pytest.fixture
def empty_database_url(tmp_path: Path) -> str:
    """A database without any schema."""
    if TEST_DATABASE == "sqlite":
        return f"sqlite:///{tmp_path / 'sealgate.db'}"
    _reset_postgres_schema(TEST_DATABASE, PG_SCHEMA)
    separator = "&" if "?" in TEST_DATABASE else "?"
    return f"{TEST_DATABASE}{separator}options=-csearch_path%3D{PG_SCHEMA}"


@pytest.fixture
def database_url(tmp_path: Path, _migrated_template: str) -> str:
    """A database of the test's own, already at the newest schema revision."""
    if TEST_DATABASE == "sqlite":
        database = tmp_path / "sealgate.db"
        shutil.copy(make_url(_migrated_template).database or "", database)  # its mode too
        return f"sqlite:///{database}"
    _postgres_admin(
        [
            f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)",
            f"CREATE DATABASE {PG_DATABASE} TEMPLATE {PG_TEMPLATE}",
        ]
    )
    return _postgres_database(PG_DATABASE)


def wipe_database(url: str) -> None:
    """Lose every table of the test's database (a crash that took the disk, say)."""
    if TEST_DATABASE == "sqlite":
        database = Path(make_url(url).database or "")
        for path in database.parent.glob(database.name + "*"):
            path.unlink()
    else:
        _reset_postgres_schema(url, "public")


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "tls" / "cert.pem", tmp_path / "tls" / "key.pem"
    write_self_signed(cert, key, "localhost")
    return cert, key


def make_settings(
    tmp_path: Path, database_url: str, tls_files: tuple[Path, Path], **env: str
) -> Settings:
    """Settings for a test: free loopback ports, fast retries; `env` adds SEALGATE_* overrides."""
    web_port = free_port()
    environ = {
        "SEALGATE_STORAGE__DATA_DIR": str(tmp_path / "data"),
        "SEALGATE_STORAGE__DATABASE_URL": database_url,
        "SEALGATE_SUBMISSION__LISTEN": f"127.0.0.1:{free_port()}",
        "SEALGATE_SUBMISSION__TLS_CERT": str(tls_files[0]),
        "SEALGATE_SUBMISSION__TLS_KEY": str(tls_files[1]),
        "SEALGATE_WEB__LISTEN": f"127.0.0.1:{web_port}",
        "SEALGATE_WEB__BASE_URL": f"http://127.0.0.1:{web_port}",
        "SEALGATE_DELIVERY__SYSTEM_FROM": "noreply@gateway.example",
        "SEALGATE_DELIVERY__POLL_INTERVAL": "0.05",
        "SEALGATE_DELIVERY__RETRY_BASE_SECONDS": "0.2",
        "SEALGATE_TRANSPORT__RESOLVER": quiet_resolver(),
    }
    environ.update(env)
    return load(None, environ)


@pytest.fixture
def settings(tmp_path: Path, database_url: str, tls_files: tuple[Path, Path]) -> Settings:
    return make_settings(tmp_path, database_url, tls_files)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    rt = open_runtime(settings, create=True)
    yield rt
    rt.close()


@dataclass(frozen=True)
class Sender:
    org: str
    address: str
    name: str
    username: str
    password: str


@pytest.fixture
def sender(runtime: Runtime) -> Sender:
    """Organisation Hospital (hospital.example) with active account alice and a credential."""
    with runtime.db.begin() as session:
        create_org(session, "Hospital", ["hospital.example"])
        add_account(session, "alice@hospital.example", "Hospital", "alice-pw", "Alice Arts")
        credential, password = create_credential(
            session, "Hospital", "tests", key=runtime.subkey(CREDENTIAL_KEY_PURPOSE)
        )
    return Sender("Hospital", "alice@hospital.example", "Alice Arts", credential.username, password)


@pytest.fixture
async def zone() -> AsyncIterator[DnsZone]:
    """A DNS server on 127.0.0.1 answering from the records a test adds (DnsZone.add)."""
    server = DnsZone()
    await server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def transport_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TransportWorld]:
    """The DNSSEC + mail server lab of tests/lab/transport_world.py, one per test module."""
    missing = missing_tools()
    if missing:
        pytest.skip(f"DNS lab tools missing: {', '.join(missing)}")
    with TransportWorld(tmp_path_factory.mktemp("world")) as world:
        yield world


def lab_settings(
    world: TransportWorld,
    tmp_path: Path,
    database_url: str,
    tls_files: tuple[Path, Path],
    **env: str,
) -> Settings:
    """Settings whose resolver, CA bundle and MX port are the transport world's."""
    return make_settings(
        tmp_path,
        database_url,
        tls_files,
        SEALGATE_TRANSPORT__RESOLVER=world.resolver,
        SEALGATE_TRANSPORT__CA_FILE=world.ca_file,
        SEALGATE_TRANSPORT__DNS_TIMEOUT="2",
        SEALGATE_TRANSPORT__CONNECT_TIMEOUT="5",
        **env,
    )

"""The Alembic migrations build exactly the schema that schema.py declares, both ways."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from sealgate.bootstrap import Runtime
from sealgate.store.schema import Base, Domain
from sealgate.store.session import MIGRATIONS, Database


def test_migrations_match_the_schema_after_a_downgrade_and_upgrade(runtime: Runtime) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with runtime.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        command.upgrade(config, "head")
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_foreign_keys_are_enforced_again_after_a_migration(empty_database_url: str) -> None:
    """The migration turns them off on its connection; that connection goes back to the pool
    and serves the process afterwards (`sealgate demo`, `init`)."""
    db = Database(empty_database_url)
    try:
        db.migrate()
        with db.engine.connect() as connection:
            if db.is_sqlite:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                connection.rollback()
            with pytest.raises(IntegrityError), connection.begin():
                connection.execute(insert(Domain).values(name="nowhere.example", org_id=999))
    finally:
        db.dispose()

"""The Alembic migrations build exactly the schema that schema.py declares, both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext

from sealgate.bootstrap import Runtime
from sealgate.store.schema import Base
from sealgate.store.session import MIGRATIONS


def test_migrations_match_the_schema_after_a_downgrade_and_upgrade(runtime: Runtime) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with runtime.db.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0002")
        command.upgrade(config, "head")
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []

"""Alembic environment: runs on the connection `Database.migrate` hands in.

On SQLite, batch mode rebuilds a table to change a column (copy, drop, rename); with foreign
keys enforced, dropping a table that other rows reference fails, so an upgrade of a database
that holds mail would stop half-way. SQLite ignores the pragma inside a transaction, so it
is switched off before the migration's transaction begins; `upgrade_schema` switches it
on again once that transaction has committed (here, still inside it, it would be ignored).
"""

from alembic import context

from sealgate.store.schema import Base

connection = context.config.attributes["connection"]
sqlite = connection.dialect.name == "sqlite"
if sqlite:
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

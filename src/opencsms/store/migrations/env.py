"""Alembic environment.

:func:`opencsms.store.migrate.upgrade` hands in an open connection (``config.attributes``);
that is the only supported way to run these migrations, so there is no alembic.ini and no
offline mode.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from opencsms.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations with opencsms.store.migrate.upgrade(), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

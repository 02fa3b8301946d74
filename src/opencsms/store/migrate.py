"""Run the Alembic migrations in ``migrations/`` from code (there is no alembic.ini)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from opencsms.store.engine import WRITER_OPTION

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Any fixed number: the PostgreSQL advisory lock that serialises nodes migrating at once.
_MIGRATION_LOCK_KEY = 0x6F63_736D_7300


def alembic_config() -> Config:
    """The Alembic configuration pointing at the packaged migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database behind ``engine`` to ``revision`` in one transaction.

    Several processes may call this at once: SQLite serialises them on the write lock,
    PostgreSQL on an advisory lock, so each migration runs exactly once.

    Raises:
        sqlalchemy.exc.SQLAlchemyError: the database refused a migration; nothing is applied.
        alembic.util.CommandError: ``revision`` is unknown.
    """
    async with engine.connect() as connection:
        connection = await connection.execution_options(**{WRITER_OPTION: True})
        async with connection.begin():
            await connection.run_sync(_upgrade, revision)


def _upgrade(connection: Connection, revision: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK_KEY})")
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, revision)

"""Migrations: an empty database reaches head, and head matches the code's tables."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

from opencsms.store import Store
from opencsms.store.migrate import alembic_config
from opencsms.store.schema import metadata


def _head() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


async def _version(store: Store) -> list[str]:
    async with store.engine.connect() as connection:
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
        return [row[0] for row in result]


async def test_empty_database_is_migrated_to_head(store: Store) -> None:
    assert await _version(store) == [_head()]
    tables = await store.read(lambda connection: set(inspect(connection).get_table_names()))
    assert set(metadata.tables) <= tables


async def test_reopening_a_migrated_database_changes_nothing(store: Store, database_url: str) -> None:
    async with await Store.open(database_url) as again:
        assert await _version(again) == [_head()]


async def test_migrations_build_exactly_the_tables_the_code_declares(store: Store) -> None:
    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    assert await store.read(differences) == []


async def test_nodes_opening_an_empty_database_at_once_migrate_it_once(database_url: str) -> None:
    stores = await asyncio.gather(*(Store.open(database_url) for _ in range(3)))
    try:
        assert [await _version(store) for store in stores] == [[_head()]] * 3
    finally:
        for store in stores:
            await store.close()

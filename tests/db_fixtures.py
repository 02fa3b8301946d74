"""Database fixtures for the store and domain tests: every test runs on SQLite and PostgreSQL.

``database_url`` is parametrized over ``sqlite`` (a file in tmp_path) and ``postgres`` (marked
``postgres``). PostgreSQL is reached through ``OPENCSMS_TEST_PG_URL`` (an admin URL, default
``postgresql+asyncpg://postgres@127.0.0.1:5432/postgres``); the first test that needs it
creates a uniquely named database, dropped when pytest exits, and each test starts from an
empty schema there. When the server is unreachable the postgres tests are skipped, or fail
when ``CI=true``.

Imported by ``tests/store/conftest.py`` and ``tests/domain/conftest.py``.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from opencsms.store import Store

PG_URL_ENV = "OPENCSMS_TEST_PG_URL"
DEFAULT_PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

T = TypeVar("T")
_DATABASE = pytest.StashKey[str]()
_UNREACHABLE = pytest.StashKey[str]()


def _dsn(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as a plain libpq DSN for asyncpg, optionally on another database."""
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _run_in_thread(make: Callable[[], Awaitable[T]]) -> T:
    # Its own thread and loop: the test's event loop is neither running nor to be disturbed here.
    async def run() -> T:
        return await make()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


async def _execute(dsn: str, *statements: str) -> None:
    connection = await asyncpg.connect(dsn, timeout=5)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _postgres_database(config: pytest.Config) -> str:
    """The URL of this session's test database, created on first use."""
    if _DATABASE in config.stash:
        return config.stash[_DATABASE]
    admin_url = os.environ.get(PG_URL_ENV, DEFAULT_PG_ADMIN_URL)
    if _UNREACHABLE not in config.stash:
        name = f"opencsms_test_{os.getpid()}_{secrets.token_hex(4)}"
        try:
            _run_in_thread(lambda: _execute(_dsn(admin_url), f'CREATE DATABASE "{name}"'))
        except Exception as error:
            shown = make_url(admin_url).render_as_string(hide_password=True)
            config.stash[_UNREACHABLE] = f"PostgreSQL not reachable at {shown} ({error!r}); set {PG_URL_ENV}"
        else:
            url = make_url(admin_url).set(drivername="postgresql+asyncpg", database=name)
            config.stash[_DATABASE] = url.render_as_string(hide_password=False)
            config.add_cleanup(
                lambda: _run_in_thread(
                    lambda: _execute(_dsn(admin_url), f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                )
            )
            return config.stash[_DATABASE]
    if os.environ.get("CI") == "true":
        pytest.fail(config.stash[_UNREACHABLE], pytrace=False)
    pytest.skip(config.stash[_UNREACHABLE])


def _empty_schema(url: str) -> None:
    _run_in_thread(lambda: _execute(_dsn(url), "DROP SCHEMA public CASCADE", "CREATE SCHEMA public"))


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database: a SQLite file, or this session's PostgreSQL database with no tables."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'opencsms.db'}"
    url = _postgres_database(request.config)
    _empty_schema(url)
    return url


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    """An open, migrated store on ``database_url``; closed after the test."""
    opened = await Store.open(database_url)
    try:
        yield opened
    finally:
        await opened.close()

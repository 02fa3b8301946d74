"""URL handling and the SQLite connection settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from opencsms.store import DEFAULT_URL, SqliteSynchronous, Store
from opencsms.store.engine import resolve_url


def test_default_url_is_a_sqlite_file_under_var() -> None:
    url = resolve_url(DEFAULT_URL)
    assert url.drivername == "sqlite+aiosqlite"
    assert url.database == "var/opencsms.db"


@pytest.mark.parametrize(
    ("given", "driver"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite"),
        ("postgresql://u@h/db", "postgresql+asyncpg"),
        ("postgres://u@h/db", "postgresql+asyncpg"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg"),
    ],
)
def test_a_bare_scheme_gets_the_async_driver(given: str, driver: str) -> None:
    assert resolve_url(given).drivername == driver


@pytest.mark.parametrize("url", ["sqlite+aiosqlite://", "sqlite+aiosqlite:///:memory:", "mysql://u@h/db"])
def test_unsupported_urls_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match=r"not supported|unsupported"):
        resolve_url(url)


async def _pragmas(store: Store) -> dict[str, object]:
    names = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
    async with store.engine.connect() as connection:
        return {name: (await connection.execute(text(f"PRAGMA {name}"))).scalar() for name in names}


async def test_sqlite_runs_in_wal_with_foreign_keys_and_full_sync(tmp_path: Path) -> None:
    async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'nested' / 'dir' / 'db.sqlite'}") as store:
        assert await _pragmas(store) == {
            "journal_mode": "wal",
            "foreign_keys": 1,
            "synchronous": 2,
            "busy_timeout": 10_000,
        }
    assert (tmp_path / "nested" / "dir" / "db.sqlite").exists()


async def test_sqlite_synchronous_normal_can_be_chosen(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}"
    async with await Store.open(url, sqlite_synchronous=SqliteSynchronous.NORMAL) as store:
        assert (await _pragmas(store))["synchronous"] == 1

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


async def test_sqlite_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    """The database, its WAL files and the message log file get mode 0600, also when an older
    install left them 0644."""
    import os
    import stat

    from opencsms.message_log import SqliteFrameFile

    old = tmp_path / "old.db"
    old.touch(mode=0o644)
    os.chmod(old, 0o644)
    for name in ("new.db", "old.db"):
        async with await Store.open(f"sqlite+aiosqlite:///{tmp_path / name}") as store:
            async with store.engine.begin() as connection:
                await connection.execute(text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
                await connection.execute(text("INSERT INTO t VALUES (1)"))
            modes = {
                file: stat.S_IMODE(os.stat(tmp_path / file).st_mode)
                for file in os.listdir(tmp_path)
                if file.startswith(name)
            }
            assert f"{name}-wal" in modes
            assert set(modes.values()) == {0o600}, modes
    log_file = await SqliteFrameFile.open(tmp_path / "messages.db")
    await log_file.close()
    assert stat.S_IMODE((tmp_path / "messages.db").stat().st_mode) == 0o600

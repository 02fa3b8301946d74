"""meter_values is indexed by station only for samples that name no known transaction.

A running fleet's inserts then touch one index position per running transaction; the lookups by
station still find their rows through an index (a full scan of the largest table would be a
stall on every link and every station view).
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Connection

from opencsms.store import Store
from opencsms.store import meter_values as meter_rows


def _plan(connection: Connection, statement: Any) -> str:
    compiled = statement.compile(dialect=connection.dialect)
    params = [None] * compiled.string.count("?")
    rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled.string}", tuple(params)).all()
    return "\n".join(row[-1] for row in rows)


@pytest.fixture
def sqlite_only(store: Store) -> Store:
    if store.dialect != "sqlite":
        pytest.skip("query plans are read from SQLite")
    return store


async def test_linking_early_samples_searches_the_partial_index(sqlite_only: Store) -> None:
    plan = await sqlite_only.read(lambda connection: _plan(connection, meter_rows._LINK))
    assert "USING INDEX ix_meter_values_unlinked_ref" in plan
    assert "SCAN meter_values" not in plan


async def test_latest_samples_of_a_station_need_no_scan(sqlite_only: Store) -> None:
    plan = await sqlite_only.read(lambda connection: _plan(connection, meter_rows._LATEST_OF_STATION))
    assert "ix_meter_values_transaction_id_timestamp" in plan
    assert "ix_meter_values_unlinked_timestamp" in plan
    assert "SCAN meter_values" not in plan


async def test_samples_of_running_transactions_are_not_indexed_by_station(sqlite_only: Store) -> None:
    def indexes(connection: Connection) -> dict[str, str]:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meter_values'"
        ).all()
        return {name: sql for name, sql in rows if sql}

    found = await sqlite_only.read(indexes)
    by_station = {name: sql for name, sql in found.items() if "station_id" in sql}
    assert set(by_station) == {"ix_meter_values_unlinked_ref", "ix_meter_values_unlinked_timestamp"}
    assert all("WHERE transaction_id IS NULL" in sql for sql in by_station.values())

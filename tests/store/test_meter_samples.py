"""meter_samples: one row per sample, and migrated from the row-per-value meter_values.

It is indexed by station only for samples that name no known transaction: a running fleet's
inserts then touch one index position per running transaction, and the lookups by station still
find their rows through an index (a full scan of the largest table would be a stall on every
link and every station view).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.engine import Connection

from opencsms.store import Store, migrate
from opencsms.store import meter_values as meter_rows
from opencsms.store.engine import SqliteSynchronous, create_engine, resolve_url


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
    assert "USING INDEX ix_meter_samples_unlinked_ref" in plan
    assert "SCAN meter_samples" not in plan


async def test_latest_samples_of_a_station_need_no_scan(sqlite_only: Store) -> None:
    plan = await sqlite_only.read(lambda connection: _plan(connection, meter_rows._LATEST_OF_STATION))
    assert "ix_meter_samples_transaction_id_timestamp" in plan
    assert "ix_meter_samples_unlinked_timestamp" in plan
    assert "SCAN meter_samples" not in plan


async def test_samples_of_running_transactions_are_not_indexed_by_station(sqlite_only: Store) -> None:
    def indexes(connection: Connection) -> dict[str, str]:
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'meter_samples'"
        ).all()
        return {name: sql for name, sql in rows if sql}

    found = await sqlite_only.read(indexes)
    by_station = {name: sql for name, sql in found.items() if "station_id" in sql}
    assert set(by_station) == {"ix_meter_samples_unlinked_ref", "ix_meter_samples_unlinked_timestamp"}
    assert all("WHERE transaction_id IS NULL" in sql for sql in by_station.values())


_OLD_COLUMNS = [
    "id",
    "transaction_id",
    "transaction_ref",
    "station_id",
    "evse_id",
    "connector_id",
    "timestamp",
    "measurand",
    "phase",
    "unit",
    "context",
    "location",
    "format",
    "value",
    "value_num",
    "signed_data",
]
_OLD = sa.table("meter_values", *(sa.column(name) for name in _OLD_COLUMNS))
_T1 = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
_T2 = datetime(2026, 5, 1, 10, 1, tzinfo=UTC)


def _old_row(ref: str, at: datetime, measurand: str, value: str, **more: Any) -> dict[str, Any]:
    fields = dict.fromkeys(("transaction_id", "evse_id", "phase", "location", "format", "signed_data"))
    return (
        fields
        | {
            "transaction_ref": ref,
            "station_id": "CP1",
            "connector_id": 1,
            "timestamp": at,
            "measurand": measurand,
            "unit": "Wh" if measurand.startswith("Energy") else "A",
            "context": "Sample.Periodic",
            "value": value,
            "value_num": float(value) if value[0].isdigit() else None,
        }
        | more
    )


def _downgrade(connection: Connection, revision: str) -> None:
    config = migrate.alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def test_stored_values_move_to_one_row_per_sample_and_back(database_url: str) -> None:
    """0010 groups each sample's rows (same transaction, station, connector, time), keeping the
    values in their order; downgrading splits them again."""
    engine = create_engine(resolve_url(database_url), sqlite_synchronous=SqliteSynchronous.NORMAL)
    old = [
        _old_row("T1", _T1, "Energy.Active.Import.Register", "1000"),
        _old_row("T1", _T1, "Current.Import", "16.5", phase="L1"),
        _old_row(
            "T1", _T2, "Energy.Active.Import.Register", "<s/>", format="SignedData", signed_data="OCMF|x"
        ),
        _old_row("T2", _T1, "Energy.Active.Import.Register", "5"),
    ]
    try:
        await migrate.upgrade(engine, "0009")
        async with engine.begin() as connection:
            await connection.execute(_OLD.insert(), old)
        await migrate.upgrade(engine, "head")
        async with engine.connect() as connection:
            rows = (await connection.execute(sa.text("SELECT * FROM meter_samples ORDER BY id"))).all()
        assert [(row.transaction_ref, row.connector_id) for row in rows] == [("T1", 1), ("T1", 1), ("T2", 1)]
        first = json.loads(rows[0].sampled_values)
        assert [(v["measurand"], v["value"], v["phase"]) for v in first] == [
            ("Energy.Active.Import.Register", "1000", None),
            ("Current.Import", "16.5", "L1"),
        ]
        assert json.loads(rows[1].sampled_values)[0]["signed_data"] == "OCMF|x"
        async with engine.connect() as connection:
            connection = await connection.execution_options(**{"opencsms_writer": True})
            async with connection.begin():
                await connection.run_sync(_downgrade, "0009")
            back = (await connection.execute(sa.text("SELECT * FROM meter_values ORDER BY id"))).all()
        keys = ("transaction_ref", "measurand", "phase", "value", "format", "signed_data")
        assert [tuple(getattr(row, k) for k in keys) for row in back] == [
            tuple(row[k] for k in keys) for row in old
        ]
    finally:
        await engine.dispose()

"""`opencsms backup` of a live SQLite deployment and `opencsms restore`: a real server with stations
charging while the backup runs; what was acknowledged before it began is in the restored copy."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import opencsms
from opencsms.runtime import Runtime
from opencsms.sqlite_backup import BackupError, backup, message_log_file, restore, sqlite_file_of
from tests.conftest import server_settings
from tests.e2e.wsclient import RawStation

STATIONS = 4
SOURCE = str(Path(opencsms.__file__).resolve().parents[1])
T0 = "2026-12-07T10:00:00Z"


async def opencsms_cli(*argv: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONPATH": SOURCE}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "opencsms.cli.main", *argv, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


class ChargingStation:
    """Starts a session, sends meter values, stops, starts the next: records what was answered."""

    def __init__(self, station: RawStation) -> None:
        self.station = station
        self.acknowledged: dict[int, int] = {}  # transaction id -> meter values answered
        self.ended: set[int] = set()
        self.first_session_ended = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        meter = 0
        while not stop.is_set():
            start = await self.station.call(
                "StartTransaction", {"connectorId": 1, "idTag": "TAG", "meterStart": meter, "timestamp": T0}
            )
            tx = start[2]["transactionId"]
            self.acknowledged[tx] = 0
            for _ in range(3):
                meter += 100
                value = {"timestamp": T0, "sampledValue": [{"value": str(meter)}]}
                answer = await self.station.call(
                    "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": [value]}
                )
                assert answer[0] == 3
                self.acknowledged[tx] += 1
            answer = await self.station.call(
                "StopTransaction", {"transactionId": tx, "meterStop": meter, "timestamp": T0}
            )
            assert answer[0] == 3
            self.ended.add(tx)
            self.first_session_ended.set()

    def snapshot(self) -> tuple[dict[int, int], set[int]]:
        return dict(self.acknowledged), set(self.ended)


async def test_a_backup_of_a_live_deployment_restores_everything_acknowledged_before_it(
    tmp_path: Path, server_factory: Callable[..., Any]
) -> None:
    from opencsms import runtime

    rt: Runtime = await server_factory()
    await rt.domain.tokens.add("TAG")
    chargers = []
    for number in range(STATIONS):
        station = await RawStation.open(rt.ocpp_url, f"CP-BACKUP-{number}")
        boot = await station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
        assert boot[2]["status"] == "Accepted"
        chargers.append(ChargingStation(station))
    stop = asyncio.Event()
    load = [asyncio.create_task(charger.run(stop)) for charger in chargers]
    try:
        for charger in chargers:  # some history first
            await charger.first_session_ended.wait()
        before = [charger.snapshot() for charger in chargers]
        # The frame log is written behind (it acknowledges nothing): its queue is flushed first, so
        # frames from before the backup are on disk when it begins.
        assert rt.message_log is not None
        await rt.message_log.flush()
        database = str(tmp_path / "opencsms.db")
        target = tmp_path / "backups" / "nightly.db"
        code, out = await opencsms_cli("backup", str(target), "--database-url", f"sqlite:///{database}")
        assert code == 0, out
        assert f"wrote {target}" in out and f"wrote {message_log_file(target)}" in out
        assert not any(load_task.done() for load_task in load), "the stations kept charging meanwhile"
        during = sum(len(c.acknowledged) for c in chargers)

        # The server is running: a restore onto its database is refused and changes nothing.
        code, out = await opencsms_cli("restore", str(target), "--database-url", f"sqlite:///{database}")
        assert code == 1 and "is in use" in out
    finally:
        stop.set()
        await asyncio.gather(*load)
        for charger in chargers:
            await charger.station.close()
        await rt.stop()
    assert sum(len(c.acknowledged) for c in chargers) >= during

    restored_db = tmp_path / "restored" / "opencsms.db"
    code, out = await opencsms_cli("restore", str(target), "--database-url", f"sqlite:///{restored_db}")
    assert code == 0, out
    assert restored_db.is_file() and message_log_file(restored_db).is_file()

    restored = await runtime.start(
        server_settings(tmp_path, database_url=f"sqlite+aiosqlite:///{restored_db}")
    )
    try:
        for (acknowledged, ended), number in zip(before, range(STATIONS), strict=True):
            for tx, values in acknowledged.items():
                transaction = await restored.domain.transactions.get(tx)
                assert transaction is not None and transaction.station_id == f"CP-BACKUP-{number}"
                assert len(await restored.domain.transactions.meter_values_of(tx)) >= values
                if tx in ended:
                    assert transaction.status == "ended"
        # The message log came along: frames of those stations from before the backup are there.
        with sqlite3.connect(message_log_file(restored_db)) as log:
            logged = log.execute("SELECT count(*) FROM message_log WHERE station_id LIKE 'CP-BACKUP-%'")
            assert logged.fetchone()[0] > 0
    finally:
        await restored.stop()


def _database_with(path: Path, rows: list[str]) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS t (v TEXT)")
        connection.execute("DELETE FROM t")
        connection.executemany("INSERT INTO t VALUES (?)", [(row,) for row in rows])
    connection.close()


def _rows(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        rows = [row[0] for row in connection.execute("SELECT v FROM t ORDER BY v")]
    connection.close()
    return rows


def test_restore_replaces_the_store_and_drops_a_message_log_the_backup_lacks(tmp_path: Path) -> None:
    live = tmp_path / "live" / "opencsms.db"
    live.parent.mkdir()
    _database_with(live, ["a", "b"])
    written = backup(live, tmp_path / "b.db")
    assert written == [tmp_path / "b.db"]  # no message log to copy
    _database_with(live, ["c"])
    _database_with(message_log_file(live), ["frame"])
    assert restore(tmp_path / "b.db", live) == [live]
    assert _rows(live) == ["a", "b"]
    assert not message_log_file(live).exists()


def test_a_damaged_or_missing_backup_is_refused_in_words(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="there is no backup"):
        restore(tmp_path / "missing.db", tmp_path / "opencsms.db")
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(BackupError, match="not a SQLite database"):
        restore(tmp_path / "junk.db", tmp_path / "opencsms.db")
    with pytest.raises(BackupError, match="there is no database"):
        backup(tmp_path / "nothing.db", tmp_path / "out.db")


def test_only_sqlite_urls_are_backed_up_and_postgresql_is_pointed_to_pg_dump() -> None:
    assert sqlite_file_of("sqlite+aiosqlite:///var/opencsms.db") == Path("var/opencsms.db")
    assert sqlite_file_of("sqlite:////srv/opencsms/db.sqlite") == Path("/srv/opencsms/db.sqlite")
    with pytest.raises(BackupError, match="pg_dump") as error:
        sqlite_file_of("postgresql+asyncpg://csms:secret@db/opencsms")
    assert "secret" not in str(error.value)

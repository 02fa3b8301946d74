"""Retention purges on SQLite and PostgreSQL: what is past its policy goes, a batch per write;
samples of a running transaction, recent rows and kinds without a policy stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Connection

from opencsms.message_log import StoreFrames
from opencsms.retention import RetentionPolicy, RetentionPurge
from opencsms.settings import Settings
from opencsms.store import Store
from opencsms.store.schema import connector_status_history, meter_samples, stations, transactions
from opencsms.store.schema_operator_api import message_log
from opencsms.store.schema_security import security_events
from tests.db_fixtures import database_url, store

__all__ = ["database_url", "store"]

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=40)
RECENT = NOW - timedelta(days=2)
OLD_SAMPLES = 450  # several batches of BATCH
BATCH = 100


def _fill(connection: Connection) -> None:
    connection.execute(
        insert(stations), [{"id": "CP1", "registration_status": "Accepted", "created_at": OLD}]
    )
    for tx, status in ((1, "ended"), (2, "active")):
        connection.execute(
            insert(transactions),
            [{"id": tx, "station_id": "CP1", "transaction_ref": str(tx), "started_at": OLD, "status": status,
              "updated_at": OLD}],
        )  # fmt: skip
    sample = {"station_id": "CP1", "sampled_values": json.dumps([{"value": "1"}])}
    rows: list[dict[str, Any]] = []
    rows += [{**sample, "transaction_id": 1, "timestamp": OLD} for _ in range(OLD_SAMPLES)]
    rows += [{**sample, "transaction_id": 2, "timestamp": OLD} for _ in range(5)]  # running: kept
    rows += [{**sample, "transaction_id": None, "timestamp": OLD} for _ in range(5)]  # unlinked: goes
    rows += [{**sample, "transaction_id": 1, "timestamp": RECENT} for _ in range(7)]
    connection.execute(insert(meter_samples), rows)
    status = {"station_id": "CP1", "evse_id": 1, "connector_id": 1, "status": "Available"}
    connection.execute(
        insert(connector_status_history),
        [{**status, "timestamp": at, "received_at": at} for at in [OLD] * 120 + [RECENT] * 3],
    )
    event = {"station_id": "CP1", "source": "station", "event_type": "TamperDetectionActivated"}
    connection.execute(
        insert(security_events),
        [{**event, "occurred_at": at, "received_at": at} for at in [OLD] * 4 + [RECENT] * 2],
    )


def _counts(connection: Connection) -> dict[str, int]:
    def count(table: Any, *where: Any) -> int:
        return int(connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one())

    return {
        "samples": count(meter_samples),
        "running": count(meter_samples, meter_samples.c.transaction_id == 2),
        "status": count(connector_status_history),
        "events": count(security_events),
    }


async def test_the_purge_deletes_what_is_past_each_policy_in_small_writes(store: Store) -> None:
    await store.write(_fill)
    policy = RetentionPolicy(meter_samples=timedelta(days=30), events=timedelta(days=30))
    purge = RetentionPurge(store, policy, batch=BATCH, clock=lambda: NOW)
    writes_before = store.write_stats.jobs
    deleted = await purge.purge()
    assert deleted == {
        "meter samples": OLD_SAMPLES + 5,
        "connector status changes": 120,
        "security events": 4,
    }
    assert await store.read(_counts) == {"samples": 5 + 7, "running": 5, "status": 3, "events": 2}
    # One write per batch of at most BATCH rows, never one transaction over the whole backlog.
    assert store.write_stats.jobs - writes_before >= (OLD_SAMPLES + 5 + 7 + 5) // BATCH + 2
    assert await purge.purge() == {"meter samples": 0, "connector status changes": 0, "security events": 0}


async def test_a_kind_without_a_policy_is_kept(store: Store) -> None:
    await store.write(_fill)
    purge = RetentionPurge(store, RetentionPolicy(events=timedelta(days=30)), batch=BATCH, clock=lambda: NOW)
    assert await purge.purge() == {"connector status changes": 120, "security events": 4}
    assert (await store.read(_counts))["samples"] == OLD_SAMPLES + 17


async def test_the_message_log_in_the_store_is_purged_in_batches(store: Store) -> None:
    frame = {"station_id": "CP1", "direction": "in", "frame": '[2,"1","Heartbeat",{}]'}

    def fill(connection: Connection) -> None:
        connection.execute(
            insert(message_log), [{**frame, "timestamp": OLD}] * 1200 + [{**frame, "timestamp": NOW}]
        )

    await store.write(fill)
    writes_before = store.write_stats.jobs
    assert await StoreFrames(store).purge(NOW - timedelta(days=7)) == 1200
    assert store.write_stats.jobs - writes_before >= 3
    left = await store.read(lambda c: c.execute(select(func.count()).select_from(message_log)).scalar_one())
    assert left == 1


def test_the_policies_are_settings_in_days_and_zero_keeps_everything() -> None:
    settings = Settings.from_env(
        {"OPENCSMS_METER_SAMPLE_RETENTION_DAYS": "90", "OPENCSMS_EVENT_RETENTION_DAYS": "0"}
    )
    policy = RetentionPolicy.of_days(settings.meter_sample_retention_days, settings.event_retention_days)
    assert policy == RetentionPolicy(meter_samples=timedelta(days=90), events=None)
    assert RetentionPolicy.of_days(0, 0).keeps_everything

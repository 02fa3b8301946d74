"""The audit log in the store: rows are recorded, searched, exported, and never changed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError

from opencsms.audit import AuditFilter, AuditLog, AuditRecord
from opencsms.store import Store
from opencsms.store.schema_accounts import audit_log

T0 = datetime(2026, 12, 7, 12, tzinfo=UTC)


async def _filled(store: Store) -> AuditLog:
    clock = iter(T0 + timedelta(minutes=i) for i in range(100))
    log = AuditLog(store, clock=lambda: next(clock))
    await log.record(
        AuditRecord(
            "POST /api/v1/stations/{station_id}/commands/reset",
            409,
            "key",
            1,
            "alice",
            7,
            "alice-ci",
            "POST",
            "/api/v1/stations/CP1/commands/reset",
            "CP1",
            {"query": "queue=true"},
            "127.0.0.2",
        )
    )
    await log.record(
        AuditRecord("login password", 401, "none", user_name="mallory", client_address="127.0.0.3")
    )
    await log.record(AuditRecord("POST /api/v1/tokens", 201, "session", 2, "bob", client_address="127.0.0.4"))
    await log.record_cli("user add", 0, target="carol", role="viewer")
    return log


async def test_rows_are_found_by_who_what_when_where_and_result(store: Store) -> None:
    log = await _filled(store)
    everything, total = await log.search(AuditFilter())
    assert total == 4 and everything[0].action == "cli user add"  # newest first
    first = everything[-1]
    assert (first.user_name, first.api_key_name, first.target, first.client_address, first.status) == (
        "alice",
        "alice-ci",
        "CP1",
        "127.0.0.2",
        409,
    )
    assert first.at == T0 and first.details == {"query": "queue=true"}
    assert [e.user_name for e in (await log.search(AuditFilter(succeeded=False)))[0]] == ["mallory", "alice"]
    assert (await log.search(AuditFilter(action="POST /api/v1/tokens")))[1] == 1
    assert (await log.search(AuditFilter(action="POST /api/v1/%")))[1] == 0  # a prefix, not a pattern
    assert (await log.search(AuditFilter(target="CP1")))[1] == 1
    assert (await log.search(AuditFilter(client_address="127.0.0.3")))[0][0].user_name == "mallory"
    window = AuditFilter(at_from=T0 + timedelta(minutes=1), at_to=T0 + timedelta(minutes=3))
    assert [e.user_name for e in (await log.search(window))[0]] == ["bob", "mallory"]
    cli = (await log.search(AuditFilter(auth="cli")))[0][0]
    assert (
        cli.user_name.startswith("os:")
        and cli.client_address == "local"
        and cli.details == {"role": "viewer"}
    )
    page, total = await log.search(AuditFilter(), limit=2, offset=1, newest_first=False)
    assert total == 4 and [e.status for e in page] == [401, 201]
    assert [e.status for e in [e async for e in log.export(AuditFilter(), batch=3)]] == [409, 401, 201, 0]


@pytest.mark.parametrize(
    "statement",
    [
        update(audit_log).values(status=200),
        delete(audit_log),
    ],
    ids=["update", "delete"],
)
async def test_the_database_refuses_to_change_or_delete_a_row(store: Store, statement: object) -> None:
    await _filled(store)
    with pytest.raises(DBAPIError, match="append-only"):
        await store.write(lambda connection: connection.execute(statement))  # type: ignore[call-overload]
    assert (await AuditLog(store).search(AuditFilter()))[1] == 4


async def test_postgresql_refuses_truncate_too(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    await _filled(store)
    with pytest.raises(DBAPIError, match="append-only"):
        await store.write(lambda connection: connection.execute(text("TRUNCATE audit_log")))

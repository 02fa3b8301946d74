"""Failed-login counts in the store: shared by every user of the database, kept across restarts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from opencsms.domain.security import StoredFailureCounts
from opencsms.store import Store

T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def test_counts_are_per_key_windowed_and_shared(store: Store) -> None:
    now = [T0]
    node_a = StoredFailureCounts(store, 60.0, clock=lambda: now[0])
    node_b = StoredFailureCounts(store, 60.0, clock=lambda: now[0])  # another node, or after a restart
    assert await node_a.add(["pair-1", "source-1"]) == [1, 1]
    assert await node_a.add(["pair-2", "source-1"]) == [1, 2]
    assert await node_b.add(["pair-1", "source-1"]) == [2, 3]
    now[0] = T0 + timedelta(seconds=59)
    assert await node_b.add(["source-1"]) == [4]
    now[0] = T0 + timedelta(seconds=60)  # the window that began at T0 has ended
    assert await node_a.add(["source-1", "pair-2"]) == [1, 1]
    assert await node_a.add(["source-1"]) == [2]


async def test_ended_windows_are_deleted_now_and_then(store: Store) -> None:
    from sqlalchemy import select
    from sqlalchemy.engine import Connection

    from opencsms.store.schema_security import login_failures

    now = [T0]
    counts = StoredFailureCounts(store, 60.0, clock=lambda: now[0], cleanup_every=3)
    await counts.add(["old-1", "old-2"])
    now[0] = T0 + timedelta(minutes=5)
    await counts.add(["new"])
    await counts.add(["new"])  # the third: ended windows go

    def keys(connection: Connection) -> list[str]:
        return list(connection.execute(select(login_failures.c.key).order_by("key")).scalars())

    assert await store.read(keys) == ["new"]

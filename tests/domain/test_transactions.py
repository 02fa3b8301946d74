"""Transactions: starts, meter values and stops are always stored, retries are recognised."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from opencsms.domain import (
    AuthorizationStatus,
    Domain,
    DomainEvent,
    MeterSample,
    SampledValue,
    TransactionStart,
    TransactionStatus,
    TransactionStop,
)
from opencsms.store import Store
from opencsms.store.schema import meter_samples, orphan_stops
from tests.domain.conftest import NOW

ENERGY = "Energy.Active.Import.Register"


def start_16(**changes: Any) -> TransactionStart:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "connector_id": 1,
        "id_token": "TAG",
        "meter_start_wh": 1000,
        "timestamp": NOW,
    }
    return TransactionStart(**(fields | changes))


def stop_16(transaction_id: int, **changes: Any) -> TransactionStop:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "meter_stop_wh": 5000,
        "timestamp": NOW + timedelta(hours=1),
        "transaction_id": transaction_id,
        "reason": "Local",
    }
    return TransactionStop(**(fields | changes))


def energy(wh: str, at: timedelta = timedelta(minutes=10), **changes: Any) -> MeterSample:
    return MeterSample(NOW + at, (SampledValue(wh, unit="Wh", context="Sample.Periodic", **changes),))


async def _meter_rows(store: Store) -> list[Any]:
    """Every stored sampled value: its sample's row fields, and ``value`` the value's own."""
    rows = await store.read(
        lambda connection: connection.execute(select(meter_samples).order_by(meter_samples.c.id)).all()
    )
    return [
        SimpleNamespace(**row._asdict(), value=value["value"])
        for row in rows
        for value in json.loads(row.sampled_values)
    ]


async def test_an_ocpp16_start_gets_an_id_that_is_also_its_reference(domain: Domain) -> None:
    await domain.tokens.add("TAG", parent_id_token="FLEET")
    result = await domain.transactions.start(start_16(reservation_id=7))
    assert result.id_token_info.status is AuthorizationStatus.ACCEPTED
    assert result.id_token_info.parent_id_token == "FLEET"
    transaction = await domain.transactions.get(result.transaction_id)
    assert transaction is not None
    assert transaction.transaction_ref == str(result.transaction_id)
    assert (transaction.station_id, transaction.connector_id, transaction.evse_id) == ("CP1", 1, None)
    assert (transaction.id_token, transaction.meter_start_wh, transaction.started_at) == ("TAG", 1000, NOW)
    assert (transaction.status, transaction.reservation_id) == (TransactionStatus.ACTIVE, 7)
    assert transaction.status == "active"


async def test_a_retried_ocpp16_start_gets_the_same_id(domain: Domain, events: list[DomainEvent]) -> None:
    first = await domain.transactions.start(start_16())
    again = await domain.transactions.start(start_16())
    at_once = await asyncio.gather(*(domain.transactions.start(start_16()) for _ in range(5)))
    assert {first.transaction_id, again.transaction_id} | {r.transaction_id for r in at_once} == {
        first.transaction_id
    }
    assert [event.kind for event in events] == ["transaction.started"]
    other = await domain.transactions.start(start_16(timestamp=NOW + timedelta(seconds=1)))
    assert other.transaction_id != first.transaction_id


async def test_a_start_with_a_bad_token_is_stored_and_the_token_status_told(domain: Domain) -> None:
    await domain.tokens.add("BLOCKED", status=AuthorizationStatus.BLOCKED)
    unknown = await domain.transactions.start(start_16(id_token="NOPE"))
    blocked = await domain.transactions.start(start_16(id_token="BLOCKED", connector_id=2))
    assert unknown.id_token_info.status is AuthorizationStatus.INVALID
    assert blocked.id_token_info.status is AuthorizationStatus.BLOCKED
    assert len(await domain.transactions.list(active=True)) == 2


async def test_the_token_is_judged_at_the_start_time(domain: Domain) -> None:
    await domain.tokens.add("TAG", expiry_date=NOW + timedelta(minutes=1))
    offline_start = await domain.transactions.start(start_16(timestamp=NOW))
    late_start = await domain.transactions.start(start_16(timestamp=NOW + timedelta(minutes=2)))
    assert offline_start.id_token_info.status is AuthorizationStatus.ACCEPTED
    assert late_start.id_token_info.status is AuthorizationStatus.EXPIRED


async def test_an_ocpp201_start_keeps_the_station_reference_and_is_idempotent(domain: Domain) -> None:
    first = await domain.transactions.start(
        start_16(transaction_ref="tx-abc", evse_id=1, token_type="ISO14443")
    )
    again = await domain.transactions.start(start_16(transaction_ref="tx-abc", meter_start_wh=1))
    elsewhere = await domain.transactions.start(start_16(station_id="CP2", transaction_ref="tx-abc"))
    assert again.transaction_id == first.transaction_id != elsewhere.transaction_id
    found = await domain.transactions.find("CP1", "tx-abc")
    assert found is not None
    assert (found.id, found.evse_id, found.token_type, found.meter_start_wh) == (
        first.transaction_id,
        1,
        "ISO14443",
        1000,
    )
    assert await domain.transactions.find("CP1", "tx-other") is None


async def test_stop_ends_the_transaction_and_stores_its_samples(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.tokens.add("TAG")
    started = await domain.transactions.start(start_16())
    result = await domain.transactions.stop(
        stop_16(started.transaction_id, id_token="TAG", samples=(energy("4999.5"),))
    )
    assert result.known
    assert result.id_token_info is not None and result.id_token_info.status is AuthorizationStatus.ACCEPTED
    transaction = await domain.transactions.get(started.transaction_id)
    assert transaction is not None
    assert (transaction.status, transaction.meter_stop_wh, transaction.stop_reason) == (
        "ended",
        5000,
        "Local",
    )
    assert (transaction.stopped_at, transaction.stop_id_token) == (NOW + timedelta(hours=1), "TAG")
    assert [
        value.value for _, value in await domain.transactions.meter_values_of(started.transaction_id)
    ] == ["4999.5"]
    assert [event.kind for event in events] == ["transaction.started", "transaction.ended"]


async def test_a_stop_without_a_token_has_no_token_info(domain: Domain) -> None:
    started = await domain.transactions.start(start_16())
    assert (await domain.transactions.stop(stop_16(started.transaction_id))).id_token_info is None


async def test_a_repeated_stop_changes_nothing_and_is_answered_the_same(domain: Domain, store: Store) -> None:
    started = await domain.transactions.start(start_16())
    stop = stop_16(started.transaction_id, samples=(energy("5000"),))
    first = await domain.transactions.stop(stop)
    again = await domain.transactions.stop(stop)
    later = await domain.transactions.stop(stop_16(started.transaction_id, meter_stop_wh=9999))
    assert first == again == later
    transaction = await domain.transactions.get(started.transaction_id)
    assert transaction is not None and transaction.meter_stop_wh == 5000
    assert len(await _meter_rows(store)) == 1


async def test_a_stop_of_an_unknown_transaction_is_recorded_with_its_samples(
    domain: Domain, store: Store, events: list[DomainEvent]
) -> None:
    stop = stop_16(424242, id_token="NOPE", samples=(energy("77"),))
    result = await domain.transactions.stop(stop)
    assert not result.known
    assert result.id_token_info is not None and result.id_token_info.status is AuthorizationStatus.INVALID
    assert (await domain.transactions.stop(stop)) == result
    rows = await store.read(lambda connection: connection.execute(select(orphan_stops)).all())
    assert len(rows) == 1
    orphan = rows[0]
    assert (orphan.station_id, orphan.transaction_ref, orphan.meter_stop_wh, orphan.reason) == (
        "CP1",
        "424242",
        5000,
        "Local",
    )
    assert orphan.payload["transaction_id"] == 424242
    assert orphan.payload["samples"][0]["values"][0]["value"] == "77"
    samples = await _meter_rows(store)
    assert [(row.transaction_id, row.transaction_ref, row.value) for row in samples] == [
        (None, "424242", "77")
    ]
    assert [event.kind for event in events] == ["transaction.orphan_stop"]


async def test_a_station_cannot_stop_another_stations_transaction(domain: Domain) -> None:
    started = await domain.transactions.start(start_16())
    result = await domain.transactions.stop(stop_16(started.transaction_id, station_id="CP2"))
    assert not result.known
    transaction = await domain.transactions.get(started.transaction_id)
    assert transaction is not None and transaction.status is TransactionStatus.ACTIVE


async def test_meter_values_are_stored_verbatim(domain: Domain, store: Store) -> None:
    started = await domain.transactions.start(start_16())
    signed = SampledValue(
        "<signed/>", measurand=ENERGY, unit="Wh", format="SignedData", signed_data="OCMF|{...}"
    )
    samples = [
        MeterSample(
            NOW + timedelta(minutes=1),
            (
                SampledValue("1.50", measurand="Current.Import", phase="L1", unit="A", location="Outlet"),
                SampledValue("1_000", measurand="Voltage", unit="V"),
                signed,
            ),
        ),
        energy("1200.000", at=timedelta(seconds=30)),
    ]
    await domain.transactions.meter_values(
        "CP1", samples, connector_id=1, transaction_id=started.transaction_id
    )
    stored = await domain.transactions.meter_values_of(started.transaction_id)
    assert [(at - NOW, value) for at, value in stored] == [
        (timedelta(seconds=30), SampledValue("1200.000", unit="Wh", context="Sample.Periodic")),
        (
            timedelta(minutes=1),
            SampledValue("1.50", measurand="Current.Import", phase="L1", unit="A", location="Outlet"),
        ),
        (timedelta(minutes=1), SampledValue("1_000", measurand="Voltage", unit="V")),
        (timedelta(minutes=1), signed),
    ]
    samples = await store.read(
        lambda connection: connection.execute(select(meter_samples).order_by(meter_samples.c.id)).all()
    )
    assert len(samples) == 2  # one row per sample, whatever its number of values


async def test_meter_values_of_an_unknown_transaction_are_kept_with_its_reference(
    domain: Domain, store: Store
) -> None:
    await domain.transactions.meter_values("CP1", [energy("10")], connector_id=2, transaction_id=999)
    await domain.transactions.meter_values("CP1", [energy("11")], evse_id=0)
    rows = await _meter_rows(store)
    assert [
        (row.transaction_id, row.transaction_ref, row.connector_id, row.evse_id, row.value) for row in rows
    ] == [
        (None, "999", 2, None, "10"),
        (None, None, None, 0, "11"),
    ]


async def test_meter_values_take_the_connector_of_their_transaction(domain: Domain, store: Store) -> None:
    started = await domain.transactions.start(start_16(transaction_ref="tx-1", evse_id=1, connector_id=1))
    await domain.transactions.meter_values("CP1", [energy("10")], transaction_ref="tx-1")
    (row,) = await _meter_rows(store)
    assert (row.transaction_id, row.evse_id, row.connector_id) == (started.transaction_id, 1, 1)


async def test_no_samples_means_no_write(domain: Domain, store: Store) -> None:
    before = store.write_stats.jobs
    await domain.transactions.meter_values("CP1", [MeterSample(NOW, ())])
    assert store.write_stats.jobs == before


async def test_ocpp201_messages_that_overtook_their_start_are_claimed_by_it(
    domain: Domain, store: Store, events: list[DomainEvent]
) -> None:
    await domain.transactions.meter_values("CP1", [energy("10")], transaction_ref="tx-late")
    stop = TransactionStop(
        "CP1", 2000, NOW + timedelta(hours=1), transaction_ref="tx-late", reason="EVDisconnected"
    )
    assert not (await domain.transactions.stop(stop)).known
    started = await domain.transactions.start(start_16(transaction_ref="tx-late"))
    transaction = await domain.transactions.get(started.transaction_id)
    assert transaction is not None
    assert (transaction.status, transaction.meter_stop_wh, transaction.stop_reason) == (
        "ended",
        2000,
        "EVDisconnected",
    )
    assert len(await domain.transactions.meter_values_of(started.transaction_id)) == 1
    (orphan,) = await store.read(lambda connection: connection.execute(select(orphan_stops)).all())
    assert orphan.resolved_transaction_id == started.transaction_id
    assert [event.kind for event in events][-2:] == ["transaction.started", "transaction.ended"]
    assert (await domain.transactions.stop(stop)).known


async def test_list_filters_by_station_and_activity_newest_first(domain: Domain) -> None:
    ids = []
    for minute, station_id in enumerate(["CP1", "CP2", "CP1"]):
        result = await domain.transactions.start(
            start_16(station_id=station_id, timestamp=NOW + timedelta(minutes=minute))
        )
        ids.append(result.transaction_id)
    await domain.transactions.stop(stop_16(ids[0]))
    assert [t.id for t in await domain.transactions.list()] == ids[::-1]
    assert [t.id for t in await domain.transactions.list(station_id="CP1")] == [ids[2], ids[0]]
    assert [t.id for t in await domain.transactions.list(active=True)] == [ids[2], ids[1]]
    assert [t.id for t in await domain.transactions.list(active=False)] == [ids[0]]
    assert [t.id for t in await domain.transactions.list(limit=1)] == [ids[2]]


async def test_unknown_ids_read_as_none(domain: Domain) -> None:
    assert await domain.transactions.get(12345) is None
    assert await domain.transactions.meter_values_of(12345) == []


async def test_a_stations_latest_samples_in_or_outside_transactions(domain: Domain) -> None:
    started = await domain.transactions.start(start_16())
    await domain.transactions.meter_values("CP1", [energy("1", at=timedelta(minutes=1))], connector_id=0)
    await domain.transactions.meter_values(
        "CP1", [energy("2", at=timedelta(minutes=2))], transaction_id=started.transaction_id
    )
    await domain.transactions.meter_values("CP2", [energy("9")])
    latest = await domain.transactions.meter_values_of_station("CP1")
    assert [value.value for _, value in latest] == ["1", "2"]
    assert [
        value.value for _, value in await domain.transactions.meter_values_of_station("CP1", limit=1)
    ] == ["2"]


async def test_a_stations_latest_values_are_counted_in_values_not_samples(domain: Domain) -> None:
    def sample(at: int, *values: str) -> MeterSample:
        return MeterSample(NOW + timedelta(minutes=at), tuple(SampledValue(v, unit="Wh") for v in values))

    await domain.transactions.meter_values("CP1", [sample(1, "a", "b"), sample(2, "c", "d", "e")])
    for limit, expected in ((2, ["d", "e"]), (4, ["b", "c", "d", "e"]), (9, ["a", "b", "c", "d", "e"])):
        latest = await domain.transactions.meter_values_of_station("CP1", limit=limit)
        assert [value.value for _, value in latest] == expected


async def test_meter_values_are_published_with_their_transaction(
    domain: Domain, events: list[DomainEvent]
) -> None:
    started = await domain.transactions.start(start_16())
    await domain.transactions.meter_values(
        "CP1", [energy("12", at=timedelta(0))], connector_id=1, transaction_id=started.transaction_id
    )
    assert events[-1] == DomainEvent(
        "transaction.meter",
        "CP1",
        {
            "transaction_id": started.transaction_id,
            "transaction_ref": str(started.transaction_id),
            "evse_id": None,
            "connector_id": 1,
            "meter_start_wh": 1000,
            "samples": [
                {
                    "timestamp": NOW.isoformat(),
                    "values": [
                        {"value": "12", "measurand": ENERGY, "unit": "Wh", "context": "Sample.Periodic"}
                    ],
                }
            ],
        },
    )

"""Remote starts tied to the transactions they make: the token a 2.x station leaves out, and the
TxProfile the request carried."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from opencsms.domain import Domain, DomainEvent, TransactionEvent, TransactionStart
from opencsms.domain.charging_profiles import Purpose, parse_profile
from opencsms.store import Store
from tests.domain.conftest import NOW

PROFILE = {
    "id": 5,
    "stackLevel": 0,
    "chargingProfilePurpose": "TxProfile",
    "chargingProfileKind": "Relative",
    "chargingSchedule": [
        {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16}]}
    ],
}


def event(event_type: str, seq_no: int, **changes: Any) -> TransactionEvent:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "transaction_ref": "tx-1",
        "event_type": event_type,
        "seq_no": seq_no,
        "timestamp": NOW,
        "trigger_reason": "RemoteStart",
    }
    return TransactionEvent(**(fields | changes))


def start_16(**changes: Any) -> TransactionStart:
    fields: dict[str, Any] = {
        "station_id": "CP1",
        "connector_id": 2,
        "id_token": "TAG",
        "meter_start_wh": 0,
        "timestamp": NOW,
    }
    return TransactionStart(**(fields | changes))


async def limit_now(domain: Domain, evse_id: int) -> float | None:
    composite = await domain.station_profiles.composite("CP1", evse_id, 60)
    return composite.periods[0].limit


async def test_a_2x_transaction_without_a_token_takes_the_one_its_remote_start_sent(
    domain: Domain, events: list[DomainEvent]
) -> None:
    await domain.remote_starts.requested("CP1", "TAG", token_type="ISO14443", evse_id=1, remote_start_id=77)
    await domain.transactions.transaction_event(event("Started", 0, evse_id=1, remote_start_id=77))
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and (tx.id_token, tx.token_type) == ("TAG", "ISO14443")
    (started,) = [e for e in events if e.kind == "transaction.started"]
    assert started.data["id_token"] == "TAG"


async def test_the_token_is_filled_when_a_later_event_first_names_the_remote_start(domain: Domain) -> None:
    await domain.remote_starts.requested("CP1", "TAG", token_type="Central", remote_start_id=78)
    await domain.transactions.transaction_event(event("Started", 0, trigger_reason="CablePluggedIn"))
    await domain.transactions.transaction_event(event("Updated", 1, remote_start_id=78))
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and (tx.id_token, tx.token_type) == ("TAG", "Central")


async def test_a_token_the_station_sends_is_kept(domain: Domain) -> None:
    await domain.remote_starts.requested("CP1", "TAG", remote_start_id=79)
    await domain.transactions.transaction_event(
        event("Started", 0, remote_start_id=79, id_token="CARD", token_type="ISO14443")
    )
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.id_token == "CARD"


async def test_an_unknown_remote_start_id_leaves_the_transaction_without_a_token(domain: Domain) -> None:
    await domain.remote_starts.requested("CP2", "TAG", remote_start_id=80)  # another station's
    await domain.transactions.transaction_event(event("Started", 0, remote_start_id=80))
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.id_token is None


async def test_the_profile_of_a_2x_remote_start_belongs_to_its_transaction(domain: Domain) -> None:
    profile = parse_profile(PROFILE, 0)
    await domain.remote_starts.requested("CP1", "TAG", remote_start_id=81, charging_profile=profile)
    await domain.remote_starts.answered("CP1", "Accepted", id_token="TAG", remote_start_id=81)
    assert await domain.station_profiles.installed("CP1") == []  # no transaction yet
    await domain.transactions.transaction_event(event("Started", 0, evse_id=2, remote_start_id=81))
    (installed,) = await domain.station_profiles.installed("CP1")
    assert (installed.id, installed.purpose, installed.evse_id) == (5, Purpose.TX, 2)
    assert installed.transaction_id == "tx-1"
    assert await limit_now(domain, 2) == 16
    await domain.transactions.transaction_event(event("Ended", 1, trigger_reason="EVDeparted"))
    assert await limit_now(domain, 2) is None  # it goes with its transaction


async def test_a_refused_remote_start_ties_nothing(domain: Domain) -> None:
    profile = parse_profile(PROFILE, 1)
    await domain.remote_starts.requested(
        "CP1", "TAG", evse_id=1, remote_start_id=82, charging_profile=profile
    )
    await domain.remote_starts.answered("CP1", "Rejected", id_token="TAG", evse_id=1, remote_start_id=82)
    await domain.transactions.transaction_event(event("Started", 0, evse_id=1, remote_start_id=82))
    assert await domain.station_profiles.installed("CP1") == []
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.id_token is None


async def test_a_remote_start_that_failed_ties_nothing(domain: Domain) -> None:
    """Answered with a CALLERROR: the station started nothing, whatever comes later."""
    profile = parse_profile(PROFILE, 2)
    await domain.remote_starts.requested("CP1", "TAG", evse_id=2, charging_profile=profile)
    await domain.remote_starts.answered("CP1", "Failed", id_token="TAG", evse_id=2)
    await domain.transactions.start(start_16(connector_id=2))
    assert await domain.station_profiles.installed("CP1") == []
    await domain.remote_starts.requested("CP1", "TAG", remote_start_id=84)
    await domain.remote_starts.answered("CP1", "Failed", id_token="TAG", remote_start_id=84)
    await domain.transactions.transaction_event(event("Started", 0, evse_id=1, remote_start_id=84))
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.id_token is None


async def test_a_2x_answer_naming_a_running_transaction_ties_it(domain: Domain) -> None:
    """F02, cable first: the transaction runs before the request; the answer names it."""
    await domain.transactions.transaction_event(
        event("Started", 0, evse_id=1, trigger_reason="CablePluggedIn")
    )
    profile = parse_profile(PROFILE, 1)
    await domain.remote_starts.requested(
        "CP1", "TAG", evse_id=1, remote_start_id=83, charging_profile=profile
    )
    await domain.remote_starts.answered(
        "CP1", "Accepted", id_token="TAG", evse_id=1, remote_start_id=83, transaction_ref="tx-1"
    )
    tx = await domain.transactions.find("CP1", "tx-1")
    assert tx is not None and tx.id_token == "TAG"
    assert await limit_now(domain, 1) == 16


async def test_the_profile_of_a_16_remote_start_belongs_to_the_transaction_on_its_connector(
    domain: Domain,
) -> None:
    profile = parse_profile(PROFILE, 0)
    await domain.remote_starts.requested("CP1", "TAG", charging_profile=profile)  # any connector
    await domain.remote_starts.answered("CP1", "Accepted", id_token="TAG")
    started = await domain.transactions.start(start_16(connector_id=2))
    (installed,) = await domain.station_profiles.installed("CP1")
    assert (installed.evse_id, installed.transaction_id) == (2, str(started.transaction_id))
    assert await limit_now(domain, 2) == 16
    # A second start with the token is not the remote start's: it made one transaction.
    await domain.transactions.start(start_16(connector_id=1, timestamp=NOW + timedelta(minutes=1)))
    assert len(await domain.station_profiles.installed("CP1")) == 1


async def test_a_16_start_is_tied_only_to_a_recent_remote_start_of_its_token_and_connector(
    make_domain: Any, store: Store
) -> None:
    now = [NOW]
    domain = Domain(store, clock=lambda: now[0])
    profile = parse_profile(PROFILE, 1)
    await domain.remote_starts.requested("CP1", "TAG", evse_id=1, charging_profile=profile)
    await domain.transactions.start(start_16(connector_id=2))  # another connector
    await domain.transactions.start(start_16(connector_id=1, id_token="OTHER"))  # another token
    assert await domain.station_profiles.installed("CP1") == []
    now[0] = NOW + timedelta(minutes=16)
    await domain.transactions.start(start_16(connector_id=1, timestamp=now[0]))  # too late
    assert await domain.station_profiles.installed("CP1") == []

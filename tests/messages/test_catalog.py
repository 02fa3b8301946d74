"""The action catalogue: complete against the schemas, and the directions make sense."""

from __future__ import annotations

import pytest

from opencsms.messages import (
    BOTH,
    CSMS_TO_STATION,
    STATION_TO_CSMS,
    SUPPORTED_VERSIONS,
    CatalogEntry,
    action_catalog,
    catalog_entry,
    get_validator,
    is_csms_initiated,
    is_station_initiated,
)
from opencsms.ocppj.errors import V16, V21, V201, NotImplementedCallError, UsageError


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_catalogue_covers_exactly_the_actions_with_schemas(version: str) -> None:
    assert set(action_catalog(version)) == get_validator(version).actions


@pytest.mark.parametrize("version", SUPPORTED_VERSIONS)
def test_only_data_transfer_goes_both_ways(version: str) -> None:
    both = {action for action, entry in action_catalog(version).items() if entry.direction == BOTH}
    assert both == {"DataTransfer"}


def test_16_profiles() -> None:
    groups: dict[str, set[str]] = {}
    for action, entry in action_catalog(V16).items():
        groups.setdefault(entry.group, set()).add(action)
        assert entry.block is None
    assert set(groups) == {
        "Core",
        "FirmwareManagement",
        "LocalAuthListManagement",
        "Reservation",
        "SmartCharging",
        "RemoteTrigger",
        "Security",
    }
    assert len(groups["Core"]) == 16
    assert groups["Security"] == {
        "SignCertificate",
        "CertificateSigned",
        "InstallCertificate",
        "DeleteCertificate",
        "GetInstalledCertificateIds",
        "ExtendedTriggerMessage",
        "GetLog",
        "LogStatusNotification",
        "SecurityEventNotification",
        "SignedFirmwareStatusNotification",
        "SignedUpdateFirmware",
    }


def test_201_blocks_a_to_p() -> None:
    letters = {entry.block or "": entry.group for entry in action_catalog(V201).values()}
    assert sorted(letters) == list("ABCDEFGHIJKLMNOP")
    assert letters["B"] == "Provisioning"
    assert letters["E"] == "Transactions"
    assert catalog_entry(V201, "TransactionEvent") == CatalogEntry("Transactions", "E", STATION_TO_CSMS)
    assert catalog_entry(V201, "GetBaseReport") == CatalogEntry("Provisioning", "B", CSMS_TO_STATION)


def test_21_keeps_the_201_entries() -> None:
    v21 = action_catalog(V21)
    for action, entry in action_catalog(V201).items():
        assert v21[action] == entry
    new_blocks = {entry.block for action, entry in v21.items() if action not in action_catalog(V201)}
    assert {"Q", "R", "S"} <= new_blocks


@pytest.mark.parametrize(
    ("version", "action", "station", "csms"),
    [
        (V16, "BootNotification", True, False),
        (V16, "StopTransaction", True, False),
        (V16, "RemoteStartTransaction", False, True),
        (V16, "SignCertificate", True, False),
        (V16, "DataTransfer", True, True),
        (V201, "TransactionEvent", True, False),
        (V201, "NotifyReport", True, False),
        (V201, "RequestStopTransaction", False, True),
        (V201, "DataTransfer", True, True),
        (V21, "NotifyPeriodicEventStream", True, False),
        (V21, "SetDERControl", False, True),
    ],
)
def test_directions(version: str, action: str, station: bool, csms: bool) -> None:
    assert is_station_initiated(version, action) is station
    assert is_csms_initiated(version, action) is csms


def test_unknown_action_and_version() -> None:
    with pytest.raises(NotImplementedCallError, match=r"Unknown action 'StartTransaction' in OCPP 2\.0\.1"):
        is_station_initiated(V201, "StartTransaction")
    with pytest.raises(UsageError):
        action_catalog("1.5")
    with pytest.raises(UsageError):
        is_csms_initiated("3.0", "Heartbeat")


def test_catalogue_is_read_only() -> None:
    entries = action_catalog(V16)
    with pytest.raises(TypeError):
        entries["Teleport"] = CatalogEntry("Core", None, BOTH)  # type: ignore[index]
    assert list(entries) == sorted(entries)

"""Virtual OCPP charging stations, on the same OCPP-J core as the CSMS.

- :class:`SimulatedStation16`: one OCPP 1.6J charge point, driven step by step (tests) or on its
  own with :meth:`SimulatedStation16.run` (demos), configured by a :class:`StationConfig`.
- :class:`SimulatedStation201`: the same for OCPP 2.0.1 (or 2.1), with EVSEs, a device model and
  TransactionEvents kept while offline and replayed in order.
- :class:`SimulatedStationBase`: what both share (connection, Heartbeat, ``run``).
- :func:`run_fleet`: many stations at once (1.6, 2.0.1, 2.1 or mixed), with a live display;
  ``add_arguments`` and ``run_from_args`` make up the ``opencsms simulate`` command.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from opencsms.simulate.configuration16 import Configuration16
    from opencsms.simulate.defaults import DEFAULT_ID_TAGS, DEFAULT_URL
    from opencsms.simulate.device_model201 import DeviceModel
    from opencsms.simulate.ev import ChargingSession, ElectricVehicle
    from opencsms.simulate.fleet import (
        SIMULATED_VERSIONS,
        FleetOptions,
        UnsupportedVersion,
        add_arguments,
        options_from_args,
        run_fleet,
        run_from_args,
    )
    from opencsms.simulate.progress import FleetSummary
    from opencsms.simulate.state import (
        ConnectorState,
        EvseState,
        StationConfig,
        StationStats,
        Transaction,
        Transaction201,
    )
    from opencsms.simulate.station16 import SimulatedStation16
    from opencsms.simulate.station201 import SimulatedStation201
    from opencsms.simulate.station_base import SimulatedStationBase

#: Where each public name lives. They are imported on first use, so that a program that needs one
#: small part (the CLI's parser needs the ``simulate`` options only) does not load the simulator.
_HOMES = {
    "DEFAULT_ID_TAGS": "defaults",
    "DEFAULT_URL": "defaults",
    "SIMULATED_VERSIONS": "fleet",
    "ChargingSession": "ev",
    "Configuration16": "configuration16",
    "ConnectorState": "state",
    "DeviceModel": "device_model201",
    "ElectricVehicle": "ev",
    "EvseState": "state",
    "FleetOptions": "fleet",
    "FleetSummary": "progress",
    "SimulatedStation16": "station16",
    "SimulatedStation201": "station201",
    "SimulatedStationBase": "station_base",
    "StationConfig": "state",
    "StationStats": "state",
    "Transaction": "state",
    "Transaction201": "state",
    "UnsupportedVersion": "fleet",
    "add_arguments": "arguments",
    "options_from_args": "fleet",
    "run_fleet": "fleet",
    "run_from_args": "fleet",
}

__all__ = [
    "DEFAULT_ID_TAGS",
    "DEFAULT_URL",
    "SIMULATED_VERSIONS",
    "ChargingSession",
    "Configuration16",
    "ConnectorState",
    "DeviceModel",
    "ElectricVehicle",
    "EvseState",
    "FleetOptions",
    "FleetSummary",
    "SimulatedStation16",
    "SimulatedStation201",
    "SimulatedStationBase",
    "StationConfig",
    "StationStats",
    "Transaction",
    "Transaction201",
    "UnsupportedVersion",
    "add_arguments",
    "options_from_args",
    "run_fleet",
    "run_from_args",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)

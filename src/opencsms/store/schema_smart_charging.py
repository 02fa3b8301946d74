"""Tables for smart charging: charging profiles, sites, circuits, price signals.

Registered on the shared metadata; built by migration 0005.
"""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, Float, Integer, PrimaryKeyConstraint, String, Table

from opencsms.store.column_types import UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

SITE_ID_MAX = 64

#: What each station holds: profiles the CSMS installed (source CSO) or a station reported.
charging_profiles = Table(
    "charging_profiles",
    metadata,
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("profile_id", Integer, nullable=False),
    Column("evse_id", Integer, nullable=False),
    Column("purpose", String(40), nullable=False),
    Column("stack_level", Integer, nullable=False),
    Column("transaction_id", String),
    Column("source", String(8), nullable=False),
    Column("profile", JSON, nullable=False),
    Column("installed_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "profile_id"),
)

#: 2.0.1 NotifyChargingLimit: limits set on a station by something other than the CSMS.
external_charging_limits = Table(
    "external_charging_limits",
    metadata,
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("evse_id", Integer, nullable=False),
    Column("source", String(8), nullable=False),
    Column("is_grid_critical", Boolean),
    Column("schedules", JSON),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "evse_id", "source"),
)

#: What a session needs: departure and energy (API or 2.0.1 NotifyEVChargingNeeds), the EV's own schedule.
charging_needs = Table(
    "charging_needs",
    metadata,
    Column("station_id", String(STATION_ID_MAX), nullable=False),
    Column("evse_id", Integer, nullable=False),
    Column("departure_time", UtcDateTime),
    Column("energy_wh", Float),
    Column("min_current_a", Float),
    Column("max_current_a", Float),
    Column("ev_schedule", JSON),
    Column("updated_at", UtcDateTime, nullable=False),
    PrimaryKeyConstraint("station_id", "evse_id"),
)

#: A grid connection: its limit (amps per phase, or kW), a time-varying limit, other measured load.
sites = Table(
    "sites",
    metadata,
    Column("id", String(SITE_ID_MAX), primary_key=True),
    Column("name", String),
    Column("limit_amps", Float),
    Column("limit_kw", Float),
    Column("limit_schedule", JSON),
    Column("other_load_kw", Float),
    Column("min_current_a", Float, nullable=False),
    Column("fail_safe_current_a", Float, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

#: Circuits of a site, a tree: each has its own limit and an optional parent circuit.
circuits = Table(
    "circuits",
    metadata,
    Column("id", String(SITE_ID_MAX), primary_key=True),
    Column("site_id", String(SITE_ID_MAX), nullable=False, index=True),
    Column("parent_id", String(SITE_ID_MAX)),
    Column("limit_amps", Float),
    Column("limit_kw", Float),
)

#: Which site (and circuit) a station belongs to, and what its points can take.
site_stations = Table(
    "site_stations",
    metadata,
    Column("station_id", String(STATION_ID_MAX), primary_key=True),
    Column("site_id", String(SITE_ID_MAX), nullable=False, index=True),
    Column("circuit_id", String(SITE_ID_MAX)),
    Column("max_current_a", Float, nullable=False),
    Column("phases", Integer, nullable=False),
    Column("priority", Integer, nullable=False),
)

#: A site's price signal: one price per slot.
site_prices = Table(
    "site_prices",
    metadata,
    Column("site_id", String(SITE_ID_MAX), nullable=False),
    Column("starts_at", UtcDateTime, nullable=False),
    Column("slot_seconds", Integer, nullable=False),
    Column("price", Float, nullable=False),
    PrimaryKeyConstraint("site_id", "starts_at"),
)

"""Tables for the 2.0.1 device model and station configuration: components, variables, reports.

Registered on the shared metadata; built by migration 0002.

``device_variables`` holds one row per variable attribute a station reported or answered, in one
shape for both versions: a 2.0.1 component/variable attribute (from NotifyReport, GetVariables,
SetVariables) and a 1.6 configuration key (from GetConfiguration, ChangeConfiguration; its
component is empty, its variable is the key). Key columns are never NULL ('' and 0 stand for
"none": a component's EVSE id is always > 0) so the primary key works on both backends.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, String, Table

from opencsms.store.column_types import UtcDateTime
from opencsms.store.schema import STATION_ID_MAX, metadata

device_variables = Table(
    "device_variables",
    metadata,
    Column("station_id", String(STATION_ID_MAX), primary_key=True),
    Column("component", String, primary_key=True),
    Column("component_instance", String, primary_key=True),
    Column("evse_id", Integer, primary_key=True),
    Column("connector_id", Integer, primary_key=True),
    Column("variable", String, primary_key=True),
    Column("variable_instance", String, primary_key=True),
    # Actual, Target, MinSet, MaxSet (1.6 keys: Actual).
    Column("attribute_type", String(8), primary_key=True),
    Column("value", String),
    Column("mutability", String(16)),
    Column("persistent", Boolean),
    Column("constant", Boolean),
    Column("unit", String),
    Column("data_type", String(16)),
    Column("min_limit", String),
    Column("max_limit", String),
    Column("values_list", String),
    # Where the value came from: NotifyReport, GetVariables, SetVariables, GetConfiguration, ...
    Column("source", String(24), nullable=False),
    # The station's status for the last Get/Set of this attribute (Accepted, Rejected, RebootRequired, ...).
    Column("status", String(24)),
    Column("updated_at", UtcDateTime, nullable=False),
)

device_reports = Table(
    "device_reports",
    metadata,
    Column("station_id", String(STATION_ID_MAX), primary_key=True),
    Column("request_id", Integer, primary_key=True),
    # The seqNos received so far, ascending, comma-separated (gaps show parts still missing).
    Column("seq_nos", String, nullable=False),
    # The seqNo of the part with tbc false, once it arrived.
    Column("final_seq_no", Integer),
    Column("items", Integer, nullable=False),
    Column("started_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

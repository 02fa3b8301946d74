"""meter_samples: one row per sample (its values as a JSON array) instead of one per sampled value.

The rows of ``meter_values`` that one sample made (same transaction, station, EVSE, connector and
time, inserted one after the other) become one ``meter_samples`` row, their values in id order.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_TIMESTAMP = sa.DateTime(timezone=True)
_BIGINT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_UNLINKED = sa.text("transaction_id IS NULL")
_KEY = ("transaction_id", "transaction_ref", "station_id", "evse_id", "connector_id", "timestamp")
_VALUE = ("value", "measurand", "phase", "unit", "context", "location", "format", "signed_data")
_CHUNK = 5000

# Untyped columns: values are copied as the driver gives them (the timestamp columns have the
# same type in both tables).
_old = sa.table("meter_values", sa.column("id"), *(sa.column(name) for name in (*_KEY, *_VALUE, "value_num")))
_new = sa.table("meter_samples", sa.column("id"), *(sa.column(name) for name in (*_KEY, "sampled_values")))


def _key_columns(table: str) -> list[Any]:
    """The id, the key of a sample (transaction, station, EVSE, connector, time) and the keys' constraints."""
    return [
        sa.Column("id", _BIGINT_ID, autoincrement=True, nullable=False),
        sa.Column("transaction_id", sa.Integer()),
        sa.Column("transaction_ref", sa.String()),
        sa.Column("station_id", sa.String(48), nullable=False),
        sa.Column("evse_id", sa.Integer()),
        sa.Column("connector_id", sa.Integer()),
        sa.Column("timestamp", _TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        sa.ForeignKeyConstraint(
            ["transaction_id"], ["transactions.id"], name=f"fk_{table}_transaction_id_transactions"
        ),
    ]


def _create_samples() -> None:
    values = sa.Column("sampled_values", sa.String(), nullable=False)
    op.create_table("meter_samples", *_key_columns("meter_samples"), values)
    _create_indexes("meter_samples")


def _create_indexes(table: str) -> None:
    """By transaction and time; by station only for samples of no known transaction (as 0009)."""
    op.create_index(f"ix_{table}_transaction_id_timestamp", table, ["transaction_id", "timestamp"])
    for name, column in (("unlinked_ref", "transaction_ref"), ("unlinked_timestamp", "timestamp")):
        index = f"ix_{table}_{name}"
        columns = ["station_id", column]
        op.create_index(index, table, columns, sqlite_where=_UNLINKED, postgresql_where=_UNLINKED)


def _chunks(rows: Iterator[Any]) -> Iterator[list[Any]]:
    while chunk := list(itertools.islice(rows, _CHUNK)):
        yield chunk


def upgrade() -> None:
    _create_samples()
    connection = op.get_bind()
    # Read all first: SQLite cannot insert on the connection while a cursor still reads.
    old = connection.execute(sa.select(_old).order_by(_old.c.id)).all()
    samples = []
    for key, group in itertools.groupby(old, key=lambda row: tuple(getattr(row, name) for name in _KEY)):
        values = [{name: getattr(row, name) for name in _VALUE} for row in group]
        samples.append({**dict(zip(_KEY, key, strict=True)), "sampled_values": json.dumps(values)})
    for chunk in _chunks(iter(samples)):
        connection.execute(_new.insert(), chunk)
    op.drop_table("meter_values")


def downgrade() -> None:
    op.create_table(
        "meter_values",
        *_key_columns("meter_values"),
        sa.Column("measurand", sa.String(), nullable=False),
        sa.Column("phase", sa.String()),
        sa.Column("unit", sa.String()),
        sa.Column("context", sa.String()),
        sa.Column("location", sa.String()),
        sa.Column("format", sa.String()),
        sa.Column("value", sa.String(), nullable=False),
        sa.Column("value_num", sa.Float()),
        sa.Column("signed_data", sa.String()),
    )
    _create_indexes("meter_values")
    connection = op.get_bind()
    samples = connection.execute(sa.select(_new).order_by(_new.c.id)).all()
    rows = [
        {
            **{name: getattr(sample, name) for name in _KEY},
            **{name: value.get(name) for name in _VALUE},
            "value_num": None,
        }
        for sample in samples
        for value in json.loads(sample.sampled_values)
    ]
    for chunk in _chunks(iter(rows)):
        connection.execute(_old.insert(), chunk)
    op.drop_table("meter_samples")

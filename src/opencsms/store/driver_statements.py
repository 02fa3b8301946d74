"""Hot statements run straight on the database driver, compiled and bound by SQLAlchemy once.

``Connection.execute`` costs 20-40 µs of Python per statement before the database sees it
(execution context, parameter processing, result metadata), several times what SQLite needs
to insert a meter value. The few statements every station message runs are therefore wrapped
in a :class:`DriverStatement`: SQLAlchemy compiles it once per dialect (so the SQL text and
the bind processors, e.g. :class:`~opencsms.store.column_types.UtcDateTime`, stay its own),
and each execution hands a parameter tuple to the driver's cursor. Result rows go through
SQLAlchemy's result processors of their columns (timestamps come back as aware datetimes) and
are plain tuples; :meth:`DriverResult.first_named` gives the first one with attribute access.

Both drivers opencsms uses take positional parameters (pysqlite ``?``, asyncpg ``$n``); on
another, or on a connection outside a transaction, the statement falls back to the ordinary
``Connection.execute`` path, so results stay correct either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable
from sqlalchemy.sql.compiler import SQLCompiler

Processor = Callable[[Any], Any]
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    # For each positional parameter: its name, SQLAlchemy's bind processor (or None), and the
    # value the statement itself gives it (a literal such as ``status == "active"``) or _MISSING.
    binds: tuple[tuple[str, Processor | None, Any], ...]
    # Result column names, and their processors when any column has one.
    columns: tuple[str, ...]
    results: tuple[Processor | None, ...] | None
    # With ``columns`` naming every bind: where each bind's value sits in a row given in
    # ``columns`` order, and the binds that have a processor.
    row_order: tuple[int, ...] | None = None
    row_processors: tuple[tuple[int, Processor], ...] = ()


class DriverStatement:
    """A Core statement compiled once per dialect and executed on the DBAPI cursor.

    ``columns``, for an INSERT, names the columns every execution gives (as in
    ``insert().compile(column_keys=...)``); the table must have no Python-side defaults for
    the others, since those are computed by ``Connection.execute`` only. Parameters are
    mappings by bind name, as for ``Connection.execute``.
    """

    __slots__ = ("_by_dialect", "_columns", "_statement")

    def __init__(self, statement: Executable, *, columns: Sequence[str] | None = None) -> None:
        self._statement = statement
        self._columns = list(columns) if columns is not None else None
        self._by_dialect: dict[str, _Compiled | None] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled | None:
        key = f"{dialect.name}+{dialect.driver}"
        try:
            return self._by_dialect[key]
        except KeyError:
            pass
        compiled: _Compiled | None = None
        if dialect.positional:
            sql_compiled = self._statement.compile(  # type: ignore[attr-defined]
                dialect=dialect, column_keys=self._columns
            )
            assert isinstance(sql_compiled, SQLCompiler)
            processors: Mapping[str, Any] = sql_compiled._bind_processors
            names = sql_compiled.positiontup or []
            given = sql_compiled.construct_params(_check=False)
            columns = tuple(entry.keyname for entry in sql_compiled._result_columns)
            results = tuple(
                entry.type._cached_result_processor(dialect, None) for entry in sql_compiled._result_columns
            )
            binds = tuple((name, processors.get(name), given.get(name, _MISSING)) for name in names)
            by_column = {name: position for position, name in enumerate(self._columns or ())}
            compiled = _Compiled(
                sql_compiled.string,
                binds,
                columns,
                results if any(results) else None,
                tuple(by_column[name] for name in names) if by_column.keys() >= set(names) else None,
                tuple((position, process) for position, (_, process, _) in enumerate(binds) if process),
            )
        self._by_dialect[key] = compiled
        return compiled

    def _bind(self, compiled: _Compiled, params: Mapping[str, Any]) -> tuple[Any, ...]:
        values = []
        for name, process, given in compiled.binds:
            value = params.get(name, given)
            if value is _MISSING:
                raise KeyError(f"no value for bind parameter {name!r}")
            values.append(value if process is None or value is None else process(value))
        return tuple(values)

    def execute(self, connection: Connection, params: Mapping[str, Any]) -> DriverResult:
        """Run the statement with ``params``; the result gives raw driver rows and the rowcount."""
        compiled = self._compiled(connection.dialect)
        if compiled is None or not connection.in_transaction():
            result = connection.execute(self._statement, dict(params))
            if result.returns_rows:
                return DriverResult([tuple(row) for row in result], -1, tuple(result.keys()))
            return DriverResult([], result.rowcount, ())
        cursor = connection.connection.cursor()
        try:
            cursor.execute(compiled.sql, self._bind(compiled, params))
            rows: list[tuple[Any, ...]] = list(cursor.fetchall()) if cursor.description is not None else []
            rowcount = cursor.rowcount
        finally:
            cursor.close()
        if compiled.results is not None and rows:
            processors = compiled.results
            rows = [
                tuple(v if p is None or v is None else p(v) for p, v in zip(processors, row, strict=True))
                for row in rows
            ]
        return DriverResult(rows, rowcount, compiled.columns)

    def execute_many(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run the statement once per mapping in ``rows`` (an executemany); no result."""
        if not rows:
            return
        compiled = self._compiled(connection.dialect)
        if compiled is None or not connection.in_transaction():
            connection.execute(self._statement, [dict(row) for row in rows])
            return
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, [self._bind(compiled, row) for row in rows])
        finally:
            cursor.close()

    def execute_many_tuples(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Like :meth:`execute_many`, each row a sequence of values in the order of ``columns``.

        For the hottest inserts: no mapping is built per row, and a value that is the same object
        as the one above it in its column (a sample's timestamp, shared by its values) is
        converted once.

        Raises:
            TypeError: the statement was built without ``columns``.
            KeyError: ``columns`` leaves out a bind of the statement.
        """
        if self._columns is None:
            raise TypeError("execute_many_tuples needs a statement built with columns")
        if not rows:
            return
        compiled = self._compiled(connection.dialect)
        if compiled is None or not connection.in_transaction():
            names = self._columns
            connection.execute(self._statement, [dict(zip(names, row, strict=True)) for row in rows])
            return
        order, processors = compiled.row_order, compiled.row_processors
        if order is None:
            raise KeyError(f"columns {self._columns} do not give every bind of {compiled.sql!r}")
        converted: list[tuple[Any, ...]] = []
        last_given: list[Any] = [_MISSING] * len(order)
        last_bound: list[Any] = [None] * len(order)
        for row in rows:
            values = [row[position] for position in order]
            for index, process in processors:
                value = values[index]
                if value is None:
                    continue
                if value is not last_given[index]:
                    last_given[index] = value
                    last_bound[index] = process(value)
                values[index] = last_bound[index]
            converted.append(tuple(values))
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, converted)
        finally:
            cursor.close()


@dataclass(frozen=True, slots=True)
class DriverResult:
    """What a :class:`DriverStatement` returned: rows, the driver's rowcount, column names."""

    rows: list[tuple[Any, ...]]
    rowcount: int
    columns: tuple[str, ...]

    def first(self) -> tuple[Any, ...] | None:
        """The first row, or None."""
        return self.rows[0] if self.rows else None

    def first_named(self) -> NamedRow | None:
        """The first row with its columns as attributes, or None."""
        return NamedRow(self.columns, self.rows[0]) if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row, or None when there is no row."""
        return self.rows[0][0] if self.rows else None


class NamedRow:
    """A result row whose columns read as attributes (``row.id``), like SQLAlchemy's ``Row``."""

    __slots__ = ("_index", "_values")

    def __init__(self, columns: tuple[str, ...], values: tuple[Any, ...]) -> None:
        self._index = {name: position for position, name in enumerate(columns)}
        self._values = values

    def __getattr__(self, name: str) -> Any:
        try:
            return self._values[self._index[name]]
        except KeyError:
            raise AttributeError(name) from None

    def __repr__(self) -> str:
        return f"NamedRow({dict(zip(self._index, self._values, strict=True))!r})"

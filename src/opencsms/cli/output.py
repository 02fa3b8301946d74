"""How the CLI prints: JSON for machines, tables for people."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")


def print_table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    """A plain aligned table (rich renders it when stdout is a terminal)."""
    if sys.stdout.isatty():
        from rich.console import Console
        from rich.table import Table

        table = Table(*columns)
        for row in rows:
            table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
        Console().print(table)
        return
    widths = [
        max([len(c)] + [len(str(r.get(c) if r.get(c) is not None else "")) for r in rows]) for c in columns
    ]
    print("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in rows:
        print(
            "  ".join(
                str(r.get(c) if r.get(c) is not None else "").ljust(w)
                for c, w in zip(columns, widths, strict=True)
            )
        )

"""Sections of docs/benchmarks.md that other benchmarks own, kept when the main report is rewritten.

A section is everything between ``<!-- section:NAME -->`` and ``<!-- /section:NAME -->``.
"""

from __future__ import annotations

import re
from pathlib import Path

_SECTION = re.compile(r"<!-- section:(?P<name>[\w-]+) -->\n.*?<!-- /section:(?P=name) -->\n", re.S)


def sections_of(text: str) -> dict[str, str]:
    return {m.group("name"): m.group(0) for m in _SECTION.finditer(text)}


def with_section(text: str, name: str, body: str) -> str:
    """``text`` with section ``name`` replaced by ``body`` (appended when absent)."""
    block = f"<!-- section:{name} -->\n{body.rstrip()}\n<!-- /section:{name} -->\n"
    existing = sections_of(text).get(name)
    if existing is not None:
        return text.replace(existing, block)
    return text.rstrip() + "\n\n" + block


def keeping_sections(new_report: str, path: Path) -> str:
    """``new_report`` plus the sections the file at ``path`` had and the new report lacks."""
    old = path.read_text() if path.exists() else ""
    report = new_report
    for name, block in sections_of(old).items():
        if name not in sections_of(report):
            report = report.rstrip() + "\n\n" + block
    return report

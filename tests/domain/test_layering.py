"""The domain stays version-neutral: it imports no transport, handler or message schema code."""

from __future__ import annotations

import ast
from pathlib import Path

import opencsms.domain

FORBIDDEN = (
    "opencsms.transport",
    "opencsms.handlers",
    "opencsms.messages",
    "opencsms.ocppj",
    "websockets",
    "ocpp",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            names.add(node.module)
    return names


def test_the_domain_imports_no_protocol_layer() -> None:
    (package_dir,) = opencsms.domain.__path__
    offending = {
        f"{path.name}: {name}"
        for path in Path(package_dir).glob("*.py")
        for name in _imports(path)
        if any(name == bad or name.startswith(f"{bad}.") for bad in FORBIDDEN)
    }
    assert offending == set()

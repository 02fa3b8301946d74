"""A CLI call imports what its command needs, no more: building the parser loads the standard
library only, and a command that asks the server loads no database layer, web framework, OCPP stack
or third-party HTTP client. Each call runs in a fresh interpreter; the test counts its modules."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

import opencsms
from opencsms.runtime import Runtime
from opencsms.simulate import SimulatedStation16, StationConfig
from tests.conftest import admin_key

#: Runs the CLI in a fresh interpreter, then reports its exit code and every module it loaded.
PROBE = """
import json, sys
from opencsms.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
sys.stdout.flush()
sys.stderr.write("\\nPROBE " + json.dumps({"code": code, "modules": sorted(sys.modules)}) + "\\n")
"""

#: What a simple command has no use for; each of these costs tens to hundreds of ms of CPU to load.
HEAVY = {
    "aiosqlite", "alembic", "anyio", "asyncpg", "cryptography", "fastapi", "h11", "httpcore", "httpx",
    "jinja2", "jsonschema_rs", "nats", "orjson", "prometheus_client", "psutil", "pydantic", "rich",
    "sqlalchemy", "starlette", "uvicorn", "uvloop", "websockets", "asyncio",
}  # fmt: skip

#: The opencsms modules a command that builds the parser and talks HTTP may load.
CLI_ONLY = ("opencsms.cli", "opencsms.simulate.arguments", "opencsms.simulate.defaults")
#: Modules loaded beyond those of an empty interpreter: `--help` needs 50 (argparse, json, pathlib,
#: ...), a call to the server about 100 (urllib, http.client, ssl, email). The CLI used to load
#: about 700.
HELP_BUDGET = 80
REMOTE_BUDGET = 140


def _env() -> dict[str, str]:
    source = str(Path(opencsms.__file__).resolve().parents[1])
    return {
        **os.environ,
        "PYTHONPATH": source,
        "OPENCSMS_API_KEY": "",
        "OPENCSMS_API_KEY_FILE": "/nonexistent",
    }


def _baseline() -> set[str]:
    import subprocess

    code = "import json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout))


async def cli(*argv: str) -> tuple[int, str, set[str]]:
    """Exit code, output (standard output, then error) and the modules loaded of ``opencsms ARGV`` in
    a new interpreter."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PROBE, *argv, env=_env(), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await process.communicate()
    errors, _, probe = err.decode().rpartition("\nPROBE ")
    report: dict[str, Any] = json.loads(probe)
    return int(report["code"] or 0), out.decode() + errors, set(report["modules"])


def assert_lean(modules: set[str], budget: int) -> None:
    heavy = sorted(m for m in modules if m.split(".")[0] in HEAVY)
    assert heavy == [], f"the CLI loaded {heavy}"
    ours = sorted(m for m in modules if m.startswith("opencsms.") and not m.startswith(CLI_ONLY))
    assert ours in ([], ["opencsms.simulate"]), f"the CLI loaded {ours}"
    added = modules - _baseline()
    assert len(added) <= budget, f"{len(added)} modules loaded: {sorted(added)}"


async def test_help_loads_the_parser_and_nothing_else() -> None:
    code, out, modules = await cli("--help")
    assert code == 0 and "simulate" in out
    assert_lean(modules, HELP_BUDGET)
    code, out, modules = await cli("station", "list", "--help")
    assert_lean(modules, HELP_BUDGET)
    assert code == 0 and "--server" in out


@pytest.fixture
async def station(server: Runtime) -> AsyncIterator[SimulatedStation16]:
    st = SimulatedStation16(StationConfig("CP-LEAN", server.ocpp_url))
    await st.connect()
    assert await st.boot() == "Accepted"
    yield st
    await st.disconnect()


async def test_commands_that_ask_the_server_load_no_database_or_web_stack(
    server: Runtime, station: SimulatedStation16
) -> None:
    target = ["--server", server.http_url, "--api-key", admin_key(server)]
    code, out, modules = await cli("station", "list", *target)
    assert code == 0, out
    assert "CP-LEAN" in out and "True" in out  # connected, as the server sees it
    assert_lean(modules, REMOTE_BUDGET)

    code, out, modules = await cli("tx", "list", "--active", *target)
    assert code == 0 and out.split()[:3] == ["id", "station", "evse"]
    assert_lean(modules, REMOTE_BUDGET)

    code, out, modules = await cli("command", *target, "clear-cache", "CP-LEAN")
    assert code == 0 and json.loads(out.strip())["status"] == "Accepted"
    assert_lean(modules, REMOTE_BUDGET)


async def test_an_unreachable_server_is_said_plainly(unused_tcp_port: int) -> None:
    code, out, modules = await cli("station", "list", "--server", f"http://127.0.0.1:{unused_tcp_port}")
    assert code == 2 and "cannot reach opencsms" in out
    assert_lean(modules, REMOTE_BUDGET)

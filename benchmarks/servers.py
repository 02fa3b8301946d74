"""The servers under test, each in its own process: the ceiling, and ``opencsms serve`` on fresh SQLite."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0


class ServerDidNotStart(Exception):
    """The server process exited or did not listen in time; the message ends with its log."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _console_script(name: str) -> list[str]:
    script = Path(sys.executable).parent / name
    return [str(script)] if script.exists() else [sys.executable, "-m", "opencsms.cli.main"]


@dataclass
class ServerProcess:
    """A running server: ``url`` to connect stations to, ``process`` for CPU and RSS."""

    kind: str  # "ceiling" or "opencsms"
    url: str
    popen: subprocess.Popen[bytes]
    process: psutil.Process
    workdir: tempfile.TemporaryDirectory[str]
    notes: list[str] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        times = self.process.cpu_times()
        return float(times.user + times.system)

    def rss(self) -> int:
        return int(self.process.memory_info().rss)

    def log_tail(self, lines: int = 30) -> str:
        return _tail(Path(self.workdir.name) / "server.log", lines)

    async def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                await asyncio.to_thread(self.popen.wait, STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.notes.append(f"did not stop within {STOP_TIMEOUT:.0f} s of SIGTERM; killed")
                self.popen.kill()
                await asyncio.to_thread(self.popen.wait, 10)
        self.workdir.cleanup()


def _tail(path: Path, lines: int) -> str:
    text = path.read_text(errors="replace") if path.exists() else ""
    return "\n".join(text.splitlines()[-lines:])


async def _wait_listening(popen: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            break
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=0.5):
            return
        await asyncio.sleep(0.1)
    if popen.poll() is None:
        popen.kill()
        popen.wait(10)
    raise ServerDidNotStart(f"exit status {popen.returncode}; log:\n{_tail(log, 25)}")


def _spawn(command: list[str], workdir: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start ``command`` in ``workdir``, its output to server.log there.

    Raises:
        ServerDidNotStart: the command could not be run.
    """
    with open(workdir / "server.log", "wb") as log:
        try:
            return subprocess.Popen(
                command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=workdir
            )
        except OSError as exc:
            raise ServerDidNotStart(f"{' '.join(command)}: {exc}") from exc


async def start_ceiling(work_us: float = 0.0) -> ServerProcess:
    """Start ``python -m benchmarks.ceiling`` on a free port of 127.0.0.1 (``work_us``: its
    busy-wait per CALL).

    Raises:
        ServerDidNotStart: with the server's log.
    """
    workdir = tempfile.TemporaryDirectory(prefix="opencsms-bench-ceiling-")
    port = free_port()
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    command = [sys.executable, "-m", "benchmarks.ceiling", "--host", HOST, "--port", str(port)]
    if work_us:
        command += ["--work-us", f"{work_us:g}"]
    try:
        popen = _spawn(command, Path(workdir.name), env)
        await _wait_listening(popen, port, Path(workdir.name) / "server.log")
    except ServerDidNotStart:
        workdir.cleanup()
        raise
    return ServerProcess("ceiling", f"ws://{HOST}:{port}/ocpp", popen, psutil.Process(popen.pid), workdir)


async def start_opencsms(id_tags: tuple[str, ...] = (), command: list[str] | None = None) -> ServerProcess:
    """Start ``opencsms serve`` with a fresh SQLite database in a temporary directory.

    ``command`` replaces the ``opencsms`` console script of this virtualenv (another build, a wrapper).

    ``id_tags`` are added first (``opencsms token add``) so that stations are authorized;
    when that fails the run goes on with unknown tags, and a note says so.

    Raises:
        ServerDidNotStart: with the server's log.
    """
    workdir = tempfile.TemporaryDirectory(prefix="opencsms-bench-")
    database_url = f"sqlite+aiosqlite:///{Path(workdir.name) / 'opencsms.db'}"
    env = dict(
        os.environ,
        OPENCSMS_OCPP_HOST=HOST,
        OPENCSMS_HTTP_HOST=HOST,
        OPENCSMS_DATABASE_URL=database_url,
        # Every simulated station comes from one address and runs flat out: lift the abuse limits.
        OPENCSMS_CONNECTIONS_PER_IP="0",
        OPENCSMS_STATION_MESSAGE_RATE="0",
        OPENCSMS_MAX_PENDING_HANDSHAKES="100000",
        OPENCSMS_MAX_PENDING_HANDSHAKES_PER_IP="100000",
    )
    opencsms = command or _console_script("opencsms")
    notes = await asyncio.to_thread(_add_tokens, opencsms, id_tags, env, workdir.name)
    ocpp_port, http_port = free_port(), free_port()
    command = [
        *opencsms,
        "serve",
        "--ocpp-port",
        str(ocpp_port),
        "--http-port",
        str(http_port),
        "--database-url",
        database_url,
    ]
    try:
        popen = _spawn(command, Path(workdir.name), env)
        await _wait_listening(popen, ocpp_port, Path(workdir.name) / "server.log")
    except ServerDidNotStart:
        workdir.cleanup()
        raise
    server = ServerProcess(
        "opencsms", f"ws://{HOST}:{ocpp_port}/ocpp", popen, psutil.Process(popen.pid), workdir
    )
    server.notes.extend(notes)
    return server


def _add_tokens(opencsms: list[str], id_tags: tuple[str, ...], env: dict[str, str], cwd: str) -> list[str]:
    """``opencsms token add`` each tag as Accepted; a note for each failure."""
    notes = []
    for tag in id_tags:
        try:
            added = subprocess.run(
                [*opencsms, "token", "add", tag],  # the database comes from OPENCSMS_DATABASE_URL
                env=env,
                cwd=cwd,
                capture_output=True,
                timeout=60,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            notes.append(f"`opencsms token add {tag}` failed ({exc}); the tag is unknown (Invalid)")
            continue
        if added.returncode != 0:
            last = (added.stderr or added.stdout).decode(errors="replace").strip().splitlines()[-1:]
            notes.append(
                f"`opencsms token add {tag}` failed ({' '.join(last)}); the tag is unknown (Invalid)"
            )
    return notes

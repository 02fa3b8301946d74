"""The built wheel runs on its own: installed into a clean venv, `opencsms serve` migrates a new
database and serves the dashboard from the package, with nothing from the source tree on its path.
The systemd unit in deploy/ verifies against that install.

Building needs setuptools >= 68 from the package index (pip's build isolation). The venv gets the
wheel alone; its dependencies come from this interpreter's site-packages through a .pth file
(the index would do as well, only slower), which holds no opencsms of its own: the source tree's
editable install is a .pth there, and .pth files of a directory named in a .pth are not read.
"""

from __future__ import annotations

import ast
import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

import opencsms

REPOSITORY = Path(opencsms.__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def _run(*argv: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in argv], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _verify_unit(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60
    )


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCSMS_", "PYTHON", "VIRTUAL_ENV"))}
    return {**env, **extra}


def _build_and_install(tmp_path: Path) -> Path:
    source = tmp_path / "source"  # a copy, so the build leaves nothing in the repository
    source.mkdir()
    shutil.copytree(
        REPOSITORY / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, source / name)
    _run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", tmp_path / "dist", source)
    (wheel,) = (tmp_path / "dist").glob("opencsms-*.whl")
    shutil.rmtree(source)  # from here on there is no source tree but the repository's, not on any path
    venv = tmp_path / "venv"
    _run(sys.executable, "-m", "venv", venv)
    _run(venv / "bin" / "pip", "install", "-q", "--no-deps", "--no-index", wheel, env=_clean_env())
    (site_packages,) = (venv / "lib").glob("python3*/site-packages")
    (site_packages / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


async def test_the_wheel_installed_in_a_clean_venv_serves_with_migrations_and_dashboard(
    tmp_path: Path, unused_tcp_port_factory: Callable[[], int]
) -> None:
    venv = await asyncio.to_thread(_build_and_install, tmp_path)
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    probe = "import opencsms, sys; print(opencsms.__file__); print(sys.path)"
    where = await asyncio.to_thread(_run, venv / "bin" / "python", "-c", probe, cwd=run_dir, env=_clean_env())
    assert where.splitlines()[0].startswith(str(venv)), where
    # The dependencies' site-packages may live inside the checkout (a .venv there); the sources may not.
    path = ast.literal_eval(where.splitlines()[1])
    sources = (REPOSITORY, REPOSITORY / "src")
    assert not [entry for entry in path if Path(entry) in sources], "the source tree is on the path"

    ocpp_port, http_port = unused_tcp_port_factory(), unused_tcp_port_factory()
    env = _clean_env(
        OPENCSMS_DATABASE_URL=f"sqlite+aiosqlite:///{run_dir / 'var' / 'opencsms.db'}",
        OPENCSMS_API_KEY_FILE=str(run_dir / "api-key"),
        OPENCSMS_LOG_FORMAT="json",
    )
    server = await asyncio.create_subprocess_exec(
        venv / "bin" / "opencsms", "serve", "--ocpp-port", str(ocpp_port), "--http-port", str(http_port),
        cwd=run_dir, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        banner = await asyncio.wait_for(server.stdout.readuntil(b"Press Ctrl-C to stop."), 60)
        assert f"127.0.0.1:{http_port}".encode() in banner
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{http_port}") as client:
            assert (await client.get("/ready")).status_code == 200
            page = await client.get("/", follow_redirects=True)
            assert page.status_code == 200 and "<html" in page.text.lower()
            css = await client.get("/static/css/dashboard.css")
            assert css.status_code == 200 and len(css.text) > 100
        with sqlite3.connect(run_dir / "var" / "opencsms.db") as db:
            (version,) = db.execute("SELECT version_num FROM alembic_version").fetchone()
        db.close()
        heads = sorted(p.name for p in (REPOSITORY / "src/opencsms/store/migrations/versions").glob("0*.py"))
        assert heads[-1].startswith(version), (version, heads[-1])
    finally:
        server.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(server.wait(), 30)
    assert code == 0

    # The unit file, pointed at this install, passes systemd's own check.
    if shutil.which("systemd-analyze") is None:
        return
    unit = (REPOSITORY / "deploy" / "opencsms.service").read_text().replace("/opt/opencsms", str(venv))
    (tmp_path / "opencsms.service").write_text(unit)
    verify = await asyncio.to_thread(_verify_unit, tmp_path / "opencsms.service")
    assert verify.returncode == 0 and "opencsms.service" not in verify.stderr, verify.stderr

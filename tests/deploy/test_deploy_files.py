"""deploy/: the compose file runs the HAProxy configuration the failover test runs, gives it every
variable it reads, and configures the nodes and the image only with settings opencsms has."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import yaml

from opencsms.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
FIELDS = {f.name for f in dataclasses.fields(Settings)}


def _setting(variable: str) -> str:
    return variable.removeprefix("OPENCSMS_").lower()


def test_compose_runs_the_tested_haproxy_config_with_every_variable_it_reads() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    haproxy = compose["services"]["haproxy"]
    assert "./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro" in haproxy["volumes"]
    config = (DEPLOY / "haproxy.cfg").read_text()
    needed = {name for name, default in re.findall(r'"\$\{(\w+)(-[^}]*)?\}"', config) if not default}
    assert needed and needed <= set(haproxy["environment"]), needed - set(haproxy["environment"])
    assert "send-proxy-v2" in config and "option httpchk GET /ready" in config


def test_compose_nodes_and_the_image_use_only_known_settings() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    nodes = [compose["services"][name] for name in ("node-a", "node-b")]
    assert {node["environment"]["OPENCSMS_NODE_ID"] for node in nodes} == {"node-a", "node-b"}
    for node in nodes:
        env = node["environment"]
        assert "proxy=protocol" in env["OPENCSMS_LISTENERS"]
        assert env["OPENCSMS_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["OPENCSMS_BUS_URL"] == "nats://nats:4222"
        unknown = {v for v in env if _setting(v) not in FIELDS}
        assert not unknown, unknown
    assert "-js" in compose["services"]["nats"]["command"]
    containerfile = (DEPLOY / "Containerfile").read_text()
    variables = set(re.findall(r"\b(OPENCSMS_\w+)=", containerfile))
    assert variables and all(_setting(v) in FIELDS for v in variables), variables
    assert re.search(r"^USER opencsms", containerfile, re.M)
    assert re.search(r"^HEALTHCHECK .*\n.*/ready", containerfile, re.M)
    assert containerfile.count("\nFROM ") == 2  # multi-stage

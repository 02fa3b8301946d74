"""Nodes starting at the same moment on an empty PostgreSQL database do not conflict."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from opencsms.auth import ApiKeyService
from tests.conftest import server_settings

pytestmark = [pytest.mark.nats, pytest.mark.postgres, pytest.mark.e2e]


async def test_three_nodes_starting_at_once_migrate_once_and_make_one_admin_key(
    tmp_path: Path, pg_url: str, nats_url: str, bus_prefix: str
) -> None:
    from opencsms import runtime

    names = ("a", "b", "c")
    for name in names:
        (tmp_path / name).mkdir()
    started = await asyncio.gather(
        *(
            runtime.start(
                server_settings(
                    tmp_path / name,
                    database_url=pg_url,
                    bus_url=nats_url,
                    bus_prefix=bus_prefix,
                    node_id=name,
                )
            )
            for name in names
        ),
        return_exceptions=True,
    )
    nodes = [node for node in started if isinstance(node, runtime.Runtime)]
    try:
        assert len(nodes) == 3, [repr(e) for e in started if not isinstance(e, runtime.Runtime)]
        assert len([n for n in nodes if n.bootstrap_api_key is not None]) == 1
        assert [key.name for key in await ApiKeyService(nodes[0].store).list()] == ["admin"]
        # writes through any node are seen by every node
        await asyncio.gather(*(node.domain.tokens.add(f"TAG-{i}") for i, node in enumerate(nodes)))
        for node in nodes:
            assert {f"TAG-{i}" for i in range(3)} <= {t.id_token for t in await node.domain.tokens.list()}
    finally:
        await asyncio.gather(*(node.stop() for node in nodes))

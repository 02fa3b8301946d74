"""API tests run against a real server on 127.0.0.1 with one key per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth


@dataclass
class Keys:
    admin: str
    operator: str
    viewer: str

    def of(self, role: str) -> str:
        key: str = getattr(self, role)
        return key


@pytest.fixture
async def keys(server: Runtime) -> Keys:
    operator = await server.api_keys.create("ops", "operator")
    viewer = await server.api_keys.create("watcher", "viewer")
    return Keys(admin_key(server), operator.key, viewer.key)


@pytest.fixture
async def client(server: Runtime, keys: Keys) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client with the admin key."""
    async with httpx.AsyncClient(base_url=server.http_url, headers=auth(keys.admin), timeout=10) as c:
        yield c


@pytest.fixture
async def anonymous(server: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=10) as c:
        yield c

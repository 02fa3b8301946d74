"""Fixtures of the end-to-end tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from opencsms.runtime import Runtime
from tests.conftest import admin_key, auth


@pytest.fixture
async def operator_http(server: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the server's API with the admin key."""
    async with httpx.AsyncClient(
        base_url=server.http_url, headers=auth(admin_key(server)), timeout=30.0
    ) as client:
        yield client

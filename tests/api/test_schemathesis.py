"""Property-based API test: schemathesis generates requests from /openapi.json of a real server.

It must find no 5xx and no answer that contradicts the document. Examples per operation are
bounded so the run stays around a minute. The event stream (never ends), revoking API keys
(would revoke the key under test) and changing users (would disable or demote its owner) are
left out; both have tests of their own. Webhook
deliveries are not dispatched, so generated URLs are stored but never called.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import auth, server_settings

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 12


class LiveServer:
    """opencsms running on its own event loop in a thread, for synchronous HTTP clients."""

    def __init__(self, tmp_path: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.started = threading.Event()
        self.stopping: asyncio.Event | None = None
        self.url = ""
        self.key = ""
        self.failure: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(tmp_path,), daemon=True)

    def _run(self, tmp_path: Path) -> None:
        self.loop.run_until_complete(self._serve(tmp_path))
        self.loop.close()

    async def _serve(self, tmp_path: Path) -> None:
        from opencsms import runtime

        try:
            rt = await runtime.start(server_settings(tmp_path))
            assert rt.bootstrap_api_key is not None and rt.webhooks is not None
            await rt.webhooks.close()  # keep generated webhook URLs from being called
            self.url, self.key = rt.http_url, rt.bootstrap_api_key
            self.stopping = asyncio.Event()
        except BaseException as exc:
            self.failure = exc
            self.started.set()
            return
        self.started.set()
        await self.stopping.wait()
        await rt.stop()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        self.started.wait(60)
        if self.failure is not None:
            raise self.failure
        return self

    def __exit__(self, *exc: object) -> None:
        if self.stopping is not None:
            self.loop.call_soon_threadsafe(self.stopping.set)
        self.thread.join(30)


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with LiveServer(tmp_path_factory.mktemp("schemathesis")) as server:
        yield server


def operations(live_server: LiveServer) -> list[schemathesis.APIOperation]:
    loaded = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json", headers=auth(live_server.key))
    wanted = (
        loaded.exclude(path="/api/v1/events")
        .exclude(method="DELETE", path_regex=r"^/api/v1/api-keys/")
        .exclude(method="PATCH", path_regex=r"^/api/v1/users/")
    )
    return [result.ok() for result in wanted.get_all_operations()]


def test_no_server_errors_and_every_answer_matches_the_document(live_server: LiveServer) -> None:
    found = operations(live_server)
    assert len(found) > 40
    failures: list[str] = []
    for operation in found:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(
                base_url=live_server.url,
                headers=auth(live_server.key),
                checks=[not_a_server_error, response_schema_conformance],
                timeout=10,
            )

        try:
            check()
        except Exception as exc:
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)

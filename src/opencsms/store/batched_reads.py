"""SQLite reads in batches on one blocking connection in a dedicated thread.

Through aiosqlite, one read (check out a connection, BEGIN, SELECT, ROLLBACK) costs four
thread hops, several times the SELECT itself; an Authorize spent most of its time there. Here
the reads queued while the previous batch ran go to the reader thread together and run in one
read transaction: one hop per batch. Each read still fails alone: its exception goes to its
caller only. A read sees every write committed before it was queued (the transaction's
snapshot is taken after that).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Engine

from opencsms.store.errors import StoreClosedError

T = TypeVar("T")
ReadJob = Callable[[Connection], T]

log = logging.getLogger(__name__)


class BatchedReader:
    """Runs read jobs on a blocking engine in one thread, many per transaction."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="opencsms-reader")
        self._pending: list[tuple[ReadJob[Any], asyncio.Future[Any]]] = []
        self._draining: asyncio.Task[None] | None = None
        self._closed = False
        self.batches = 0

    async def read(self, job: ReadJob[T]) -> T:
        """Run ``job`` in the next batch and return its result.

        Raises:
            StoreClosedError: the reader is closed.
            Exception: whatever the job raised.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._pending.append((job, future))
        if self._draining is None:
            self._draining = loop.create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                self.batches += 1
                try:
                    outcomes = await loop.run_in_executor(
                        self._thread, _run, self._engine, [j for j, _ in batch]
                    )
                except BaseException as error:  # the batch as a whole failed (or we were cancelled)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(
                                error
                                if isinstance(error, Exception)
                                else StoreClosedError("the store closed")
                            )
                    if not isinstance(error, Exception):
                        raise
                    continue
                for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                    if future.done():  # the caller was cancelled
                        continue
                    if ok:
                        future.set_result(value)
                    else:
                        future.set_exception(value)
        finally:
            self._draining = None

    async def close(self) -> None:
        """Refuse new reads, finish the queued ones and close the connection in its thread."""
        self._closed = True
        if self._draining is not None:
            await asyncio.shield(self._draining)
        await asyncio.get_running_loop().run_in_executor(self._thread, self._engine.dispose)
        self._thread.shutdown()


def _run(engine: Engine, jobs: list[ReadJob[Any]]) -> list[tuple[bool, Any]]:
    outcomes: list[tuple[bool, Any]] = []
    with engine.connect() as connection, connection.begin():
        for job in jobs:
            try:
                outcomes.append((True, job(connection)))
            except Exception as error:  # this read's failure is its caller's alone
                outcomes.append((False, error))
    return outcomes

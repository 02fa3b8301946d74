"""Group commit: one writer task runs many callers' write jobs in one database transaction.

Committing is the expensive part of a write (an fsync on SQLite, a round trip and a WAL flush on
PostgreSQL), so jobs that arrive while a commit is under way are gathered and committed
together. A caller's future resolves only after the commit that holds its job, so an awaited
write is durable. If a batch fails, its jobs are retried one transaction each, so a bad job
fails alone and the others still commit.

A job is a plain function of a synchronous SQLAlchemy ``Connection``. It may run more than
once (when its batch is retried) and on another thread (SQLite), so it must not have side
effects outside the database nor touch state shared with the event loop: give it its inputs
and take its result. It should raise only for a genuine failure, because a raise costs the
batch a retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy.engine import Connection

from opencsms.store.errors import StoreClosedError

T = TypeVar("T")
WriteJob = Callable[[Connection], T]

log = logging.getLogger(__name__)


class TransactionRunner(Protocol):
    """Runs jobs in one write transaction and commits it (see ``transaction_runners``)."""

    async def run(self, jobs: list[WriteJob[Any]]) -> list[Any]:
        """Return the jobs' results after the commit; raise (nothing committed) if any failed."""
        ...

    async def close(self) -> None:
        """Release what the runner holds; called once no transaction is running."""
        ...


@dataclass(slots=True)
class _Pending(Generic[T]):
    job: WriteJob[T]
    future: asyncio.Future[T]


@dataclass(slots=True)
class GroupCommitStats:
    """Counters, for benchmarks and metrics."""

    jobs: int = 0
    batches: int = 0
    failed_batches: int = 0
    largest_batch: int = 0


class GroupCommitWriter:
    """Runs write jobs in batches, one transaction at a time, in the order they were queued.

    ``max_batch`` caps the jobs per transaction. ``batch_window`` (seconds) is how long to wait
    for more jobs after the first; 0 takes whatever queued up during the previous commit,
    which already batches well under load and adds no latency when idle.
    """

    def __init__(self, runner: TransactionRunner, *, max_batch: int = 500, batch_window: float = 0.0) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._runner = runner
        self._max_batch = max_batch
        self._batch_window = batch_window
        # None is the stop marker close() queues behind the last job.
        self._queue: asyncio.Queue[_Pending[Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self.stats = GroupCommitStats()

    def start(self) -> None:
        """Start the writer task on the running loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="opencsms-group-commit")

    def submit(self, job: WriteJob[T]) -> asyncio.Future[T]:
        """Queue ``job``; the future resolves with its result once committed.

        Raises:
            StoreClosedError: the writer is closed.
        """
        if self._closed:
            raise StoreClosedError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(job, future))
        return future

    async def close(self) -> None:
        """Refuse new jobs, commit the queued ones, stop the task and close the runner."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._task is not None:
                self._queue.put_nowait(None)
                await asyncio.shield(self._task)
        finally:
            await self._runner.close()

    async def _run(self) -> None:
        stopping = False
        while not stopping:
            batch: list[_Pending[Any]] = []
            item = await self._queue.get()
            if item is not None and self._batch_window > 0 and self._queue.qsize() < self._max_batch - 1:
                await asyncio.sleep(self._batch_window)
            while item is not None:
                batch.append(item)
                if len(batch) == self._max_batch or self._queue.empty():
                    break
                item = self._queue.get_nowait()
            # Nothing can follow the stop marker: submit() refuses jobs once closed.
            stopping = item is None
            if batch:
                await self._commit(batch)

    async def _commit(self, batch: list[_Pending[Any]]) -> None:
        self.stats.batches += 1
        self.stats.jobs += len(batch)
        self.stats.largest_batch = max(self.stats.largest_batch, len(batch))
        try:
            results = await self._runner.run([pending.job for pending in batch])
        except asyncio.CancelledError:
            for pending in batch:
                _fail(pending, StoreClosedError("the store was closed during the write"))
            raise
        except Exception as error:
            if len(batch) == 1:
                _fail(batch[0], error)
                return
            self.stats.failed_batches += 1
            log.debug("batch of %d write jobs failed (%r); retrying one by one", len(batch), error)
            for pending in batch:
                await self._commit_alone(pending)
            return
        for pending, result in zip(batch, results, strict=True):
            _resolve(pending, result)

    async def _commit_alone(self, pending: _Pending[Any]) -> None:
        try:
            (result,) = await self._runner.run([pending.job])
        except Exception as error:
            _fail(pending, error)
        else:
            _resolve(pending, result)


def _resolve(pending: _Pending[Any], result: Any) -> None:
    # The caller may have been cancelled meanwhile; the write stands all the same.
    if not pending.future.done():
        pending.future.set_result(result)


def _fail(pending: _Pending[Any], error: BaseException) -> None:
    if not pending.future.done():
        pending.future.set_exception(error)

"""Enqueue jobs and read queue state. With worker.py, the only importers of bullmq."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from bullmq import Queue
from redis.exceptions import RedisError

from clipforge.config import Settings
from clipforge.queues.definitions import ALL_QUEUES, QueueName, job_options, queue_spec

T = TypeVar("T")

#: BullMQ's own state names, read in one call per queue.
_RAW_STATES = (
    "waiting",
    "prioritized",
    "waiting-children",
    "active",
    "completed",
    "failed",
    "delayed",
    "paused",
)


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Counts as a person means them: prioritized jobs are waiting too."""

    queue: str
    waiting: int
    active: int
    completed: int
    failed: int
    delayed: int
    paused: int


@dataclass(frozen=True, slots=True)
class JobInfo:
    queue: str
    job_id: str
    name: str
    state: str
    progress: int
    attempts_made: int
    attempts_max: int
    failed_reason: str | None
    data: dict[str, Any]
    created_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


def _ms_to_datetime(value: Any) -> datetime | None:
    try:
        ms = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(ms / 1000, UTC) if ms > 0 else None


def _progress(value: Any) -> int:
    if isinstance(value, int | float):
        return max(0, min(100, int(value)))
    return 0


class QueueUnavailable(Exception):
    """Redis did not answer in time; the request can be retried later."""


class JobQueues:
    """Producer side of the four queues, sharing one Redis URL (never one client)."""

    def __init__(self, settings: Settings, url: str) -> None:
        self._settings = settings
        self._url = url
        self._queues: dict[QueueName, Queue] = {}

    def _queue(self, name: QueueName) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            queue = Queue(
                name.value, {"connection": self._url, "prefix": self._settings.redis_prefix}
            )
            self._queues[name] = queue
        return queue

    async def _bounded(self, operation: Awaitable[T]) -> T:
        """The queue client retries a lost connection for minutes; callers get a clear error
        after `queue_timeout_seconds` instead of a request that hangs."""
        try:
            return await asyncio.wait_for(operation, self._settings.queue_timeout_seconds)
        except (TimeoutError, OSError, RedisError) as exc:
            raise QueueUnavailable("The job queue (Redis) is not answering.") from exc

    async def enqueue(self, name: QueueName, job_id: str, data: dict[str, Any]) -> str:
        """Add a job; adding an id that already exists is a no-op (that is the idempotency)."""
        spec = queue_spec(name, self._settings)
        job = await self._bounded(
            self._queue(name).add(name.value, data, job_options(spec, job_id))
        )
        return str(job.id)

    async def counts(self, name: QueueName) -> QueueCounts:
        raw = await self._bounded(self._queue(name).getJobCounts(*_RAW_STATES))
        return QueueCounts(
            queue=name.value,
            waiting=raw["waiting"] + raw["prioritized"] + raw["waiting-children"],
            active=raw["active"],
            completed=raw["completed"],
            failed=raw["failed"],
            delayed=raw["delayed"],
            paused=raw["paused"],
        )

    async def all_counts(self) -> list[QueueCounts]:
        return [await self.counts(name) for name in ALL_QUEUES]

    async def job(self, name: QueueName, job_id: str) -> JobInfo | None:
        queue = self._queue(name)
        # State and fields are two reads; a job finishing between them would pair "failed"
        # with no failure reason. Read the state on both sides until they agree.
        for _ in range(5):
            before = await self._bounded(queue.getJobState(job_id))
            job = await self._bounded(queue.getJob(job_id))
            if job is None:
                return None
            state = await self._bounded(queue.getJobState(job_id))
            if state == before:
                break
        return JobInfo(
            queue=name.value,
            job_id=job_id,
            name=job.name,
            state="waiting" if state == "prioritized" else str(state),
            progress=_progress(job.progress),
            attempts_made=int(job.attemptsMade or 0),
            attempts_max=int(job.opts.get("attempts", 1) or 1),
            failed_reason=job.failedReason or None,
            data=job.data if isinstance(job.data, dict) else {},
            created_at=_ms_to_datetime(job.timestamp),
            started_at=_ms_to_datetime(job.processedOn),
            finished_at=_ms_to_datetime(job.finishedOn),
        )

    async def remove(self, name: QueueName, job_id: str) -> None:
        """Forget a finished job so the same id can be enqueued again (a user's retry)."""
        job = await self._bounded(self._queue(name).getJob(job_id))
        if job is not None:
            await self._bounded(job.remove())

    async def close(self) -> None:
        for queue in self._queues.values():
            await queue.close()
        self._queues.clear()

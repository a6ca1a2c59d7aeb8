"""Run stage processors on BullMQ workers, one worker per queue, and drain on SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bullmq import Job, UnrecoverableError, Worker

from clipforge import metrics
from clipforge.config import Settings
from clipforge.logging_setup import job_context
from clipforge.pipeline.base import PermanentError, RetryableError, StageRunner
from clipforge.queues.definitions import QueueName, queue_spec

log = logging.getLogger(__name__)

_STAGE_LABEL = {
    QueueName.IMPORT: "Import",
    QueueName.TRANSCRIPTION: "Transcription",
    QueueName.DETECTION: "Clip detection",
    QueueName.EXPORT: "Export",
}


def failure_reason(queue: QueueName, error: BaseException, attempts: int) -> str:
    """A sentence for the person who submitted the video, not a traceback."""
    if isinstance(error, PermanentError):
        return str(error)
    if isinstance(error, RetryableError):
        return f"{_STAGE_LABEL[queue]} failed after {attempts} attempt(s): {error}"
    detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"{_STAGE_LABEL[queue]} failed after {attempts} attempt(s): {detail}. "
        "This looks like a temporary problem on our side; retry the video, and if it keeps "
        "failing ask the operator to check the worker logs."
    )


class _Processor:
    """Adapts one stage to BullMQ: progress, retry policy, and the final-failure hook."""

    def __init__(self, queue: QueueName, stage: StageRunner) -> None:
        self._queue = queue
        self._stage = stage
        # Jobs started and not yet settled in Redis. Tracked here because the queue library's
        # own close() can return before a running job's result is written.
        self._in_flight: set[str] = set()
        self._idle = asyncio.Event()
        self._idle.set()

    def settled(self, job: Job, *_: object) -> None:
        """Worker event hook: the job's completion or failure is recorded in Redis."""
        self._in_flight.discard(str(job.id))
        if not self._in_flight:
            self._idle.set()

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def __call__(self, job: Job, token: str) -> dict[str, Any]:
        data = job.data if isinstance(job.data, dict) else {}
        attempts = int(job.opts.get("attempts", 1) or 1)
        attempt = int(job.attemptsMade or 0) + 1
        last_sent = [-1, 0.0]

        async def progress(fraction: float) -> None:
            percent = int(max(0.0, min(1.0, fraction)) * 100)
            now = time.monotonic()
            if percent != last_sent[0] and (percent == 100 or now - last_sent[1] >= 0.5):
                last_sent[0], last_sent[1] = percent, now
                await job.updateProgress(percent)

        self._in_flight.add(str(job.id))
        self._idle.clear()
        queue = self._queue.value
        started = time.monotonic()
        with job_context(str(job.id)):
            log.info("%s job %s attempt %d/%d started", self._queue, job.id, attempt, attempts)
            try:
                await self._stage.run(data, progress)
            except PermanentError as exc:
                log.warning("%s job %s failed for good: %s", self._queue, job.id, exc)
                metrics.record_job_attempt(
                    queue, time.monotonic() - started, "failed", metrics.failure_class(exc, True)
                )
                await self._stage.on_failed(data, str(exc))
                raise UnrecoverableError(str(exc)) from exc
            except Exception as exc:
                final = attempt >= attempts
                log.exception(
                    "%s job %s attempt %d/%d failed%s",
                    self._queue,
                    job.id,
                    attempt,
                    attempts,
                    "" if final else "; will retry",
                )
                metrics.record_job_attempt(
                    queue,
                    time.monotonic() - started,
                    "failed" if final else "retried",
                    metrics.failure_class(exc),
                )
                if final:
                    await self._stage.on_failed(data, failure_reason(self._queue, exc, attempts))
                raise
            await progress(1.0)
            elapsed = time.monotonic() - started
            metrics.record_job_attempt(queue, elapsed, "completed")
            log.info("%s job %s done in %.1fs", self._queue, job.id, elapsed)
        return {"seconds": round(elapsed, 3)}


@dataclass(frozen=True, slots=True)
class QueueWorker:
    worker: Worker
    processor: _Processor


def build_worker(
    settings: Settings, redis_url: str, queue: QueueName, stage: StageRunner
) -> QueueWorker:
    spec = queue_spec(queue, settings)
    processor = _Processor(queue, stage)
    worker = Worker(
        queue.value,
        processor,
        {
            "connection": redis_url,
            "prefix": settings.redis_prefix,
            "concurrency": spec.concurrency,
            "lockDuration": settings.job_lock_ms,
            "stalledInterval": settings.job_stalled_interval_ms,
            "maxStalledCount": 1,
            "removeOnComplete": {"count": spec.keep_completed},
            "removeOnFail": {"age": spec.keep_failed_seconds},
        },
    )
    worker.on("completed", processor.settled)
    worker.on("failed", processor.settled)
    return QueueWorker(worker, processor)


async def close_workers(workers: list[QueueWorker], deadline_seconds: float) -> None:
    """Stop taking jobs, let running ones finish up to the deadline, then close.

    A job cut off at the deadline stays active in Redis without a lock; BullMQ's stalled
    check on any other worker moves it back to waiting, so it is retried, not lost.
    """
    for each in workers:
        await each.worker.pause(do_not_wait_active=True)
    force = False
    try:
        await asyncio.wait_for(
            asyncio.gather(*(each.processor.wait_idle() for each in workers)), deadline_seconds
        )
    except TimeoutError:
        log.warning("jobs still running after %.0fs; closing workers", deadline_seconds)
        force = True
    await asyncio.gather(
        *(each.worker.close(force=force) for each in workers), return_exceptions=True
    )


async def serve_workers(
    settings: Settings,
    redis_url: str,
    stages: Mapping[QueueName, StageRunner],
    stop: asyncio.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then drain gracefully."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    workers = [build_worker(settings, redis_url, q, s) for q, s in stages.items()]
    log.info("workers serving queues: %s", ", ".join(q.value for q in stages))
    try:
        await stop.wait()
    finally:
        log.info("stopping workers; draining running jobs")
        await close_workers(workers, settings.worker_shutdown_seconds)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)

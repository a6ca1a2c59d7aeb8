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
from clipforge.faults import DependencyProbe, FaultInjector, InjectedFault, is_outage_error
from clipforge.logging_setup import job_context
from clipforge.pipeline.base import (
    PermanentError,
    ProgressFn,
    RetryableError,
    StageRunner,
    StageTimeout,
)
from clipforge.queues.definitions import QueueName, queue_spec
from clipforge.queues.stalled import StalledFailures

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


#: How long a cancelled stage may take to clean up (kill ffmpeg, remove temp files).
_CANCEL_GRACE_SECONDS = 10.0
#: Waiting for a dependency to return: first and longest pause between probes.
_OUTAGE_POLL_FIRST_SECONDS = 0.25
_OUTAGE_POLL_MAX_SECONDS = 2.0
#: Longest outage wait for a processor built without a time budget.
_OUTAGE_WAIT_UNBUDGETED_SECONDS = 3600.0
#: Pause before a worker asks Redis again after a lost connection.
_REDIS_RETRY_MS = 1000
#: How long closing the stalled-failure sweeper's Redis connections may take at shutdown.
_SWEEPER_CLOSE_SECONDS = 5.0
#: How long closing waits for a just-created worker's fetch loop to start (see _started).
_LOOP_START_SECONDS = 2.0


class _Processor:
    """Adapts one stage to BullMQ: progress, time budget, outages, retry policy, final failure."""

    def __init__(
        self,
        queue: QueueName,
        stage: StageRunner,
        *,
        budget_seconds: float | None = None,
        faults: FaultInjector | None = None,
        probe: DependencyProbe | None = None,
    ) -> None:
        self._queue = queue
        self._stage = stage
        self._budget = budget_seconds  # None: no time limit
        self._faults = faults or FaultInjector(0.0)
        self._probe = probe
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

    def errored(self, error: BaseException, job: Job | None = None) -> None:
        """Worker event hook: a result could not be written (Redis gone). The job stays
        active in Redis and the stalled check re-runs it; here it no longer runs."""
        if job is not None:
            log.warning("%s job %s: result not recorded (%s)", self._queue, job.id, error)
            self.settled(job)

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
                self._faults.check(queue, str(job.id), attempt)
                await self._run_through_outages(str(job.id), data, progress)
            except PermanentError as exc:
                log.warning("%s job %s failed for good: %s", self._queue, job.id, exc)
                metrics.record_job_attempt(
                    queue, time.monotonic() - started, "failed", metrics.failure_class(exc, True)
                )
                await self._stage.on_failed(data, str(exc))
                raise UnrecoverableError(str(exc)) from exc
            except Exception as exc:
                final = attempt >= attempts
                if isinstance(exc, InjectedFault):
                    # Expected by whoever set the rate: one line, no traceback.
                    log.warning(
                        "%s job %s attempt %d/%d: %s", self._queue, job.id, attempt, attempts, exc
                    )
                else:
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

    async def _run_through_outages(
        self, job_id: str, data: dict[str, Any], progress: ProgressFn
    ) -> None:
        """Run the stage; when it fails because the database or storage is down, wait for
        them and run it again without spending one of the job's attempts (an outage says
        nothing about the job). Each run has the full time budget; so has the waiting."""
        while True:
            run_started = time.monotonic()
            try:
                await self._run_within_budget(data, progress)
                return
            except Exception as exc:
                if self._probe is None or not is_outage_error(exc):
                    raise
                down = await self._probe.failing()
                if not down:
                    raise  # the dependency answers: the failure is the job's own
                metrics.record_job_attempt(
                    self._queue.value,
                    time.monotonic() - run_started,
                    "retried",
                    metrics.failure_class(exc),
                )
                log.warning(
                    "%s job %s: %s not answering (%s); waiting for it, then running again",
                    self._queue,
                    job_id,
                    " and ".join(down),
                    type(exc).__name__,
                )
                wait_limit = self._budget or _OUTAGE_WAIT_UNBUDGETED_SECONDS
                if not await self._wait_for_dependencies(self._probe, wait_limit):
                    raise
                log.info("%s job %s: dependencies back; running again", self._queue, job_id)

    async def _run_within_budget(self, data: dict[str, Any], progress: ProgressFn) -> None:
        """Run the stage as its own task and cancel it at the time budget.

        Cancelling kills the stage's subprocesses (the ffmpeg runner kills its child on
        cancellation). Work already handed to a thread cannot be interrupted; it finishes in
        the background while the worker moves on.
        """
        if self._budget is None:
            await self._stage.run(data, progress)
            return
        task = asyncio.create_task(self._stage.run(data, progress))
        try:
            done, _ = await asyncio.wait({task}, timeout=self._budget)
            if task in done:
                task.result()
                return
            task.cancel()
            _, still = await asyncio.wait({task}, timeout=_CANCEL_GRACE_SECONDS)
            if still:
                log.error(
                    "%s stage did not stop within %.0fs of its cancel",
                    self._queue,
                    _CANCEL_GRACE_SECONDS,
                )
                task.add_done_callback(_consume_result)
            raise StageTimeout(_STAGE_LABEL[self._queue], self._budget)
        finally:
            if not task.done():  # the worker itself is being cancelled (forced close)
                task.cancel()
                task.add_done_callback(_consume_result)

    @staticmethod
    async def _wait_for_dependencies(probe: DependencyProbe, limit: float) -> bool:
        """Poll until every dependency answers (True) or `limit` seconds pass (False)."""
        deadline = time.monotonic() + limit
        pause = _OUTAGE_POLL_FIRST_SECONDS
        while time.monotonic() < deadline:
            await asyncio.sleep(min(pause, max(0.0, deadline - time.monotonic())))
            if not await probe.failing():
                return True
            pause = min(pause * 2, _OUTAGE_POLL_MAX_SECONDS)
        return False


def _consume_result(task: asyncio.Task[None]) -> None:
    """Retrieve an abandoned stage task's outcome so asyncio does not warn about it."""
    if not task.cancelled():
        task.exception()


@dataclass(frozen=True, slots=True)
class QueueWorker:
    worker: Worker
    processor: _Processor


def build_worker(
    settings: Settings,
    redis_url: str,
    queue: QueueName,
    stage: StageRunner,
    *,
    faults: FaultInjector | None = None,
    probe: DependencyProbe | None = None,
) -> QueueWorker:
    spec = queue_spec(queue, settings)
    processor = _Processor(
        queue,
        stage,
        budget_seconds=settings.job_timeout_seconds,
        faults=faults or FaultInjector(settings.fault_injection_rate),
        probe=probe,
    )
    worker = Worker(
        queue.value,
        processor,
        {
            "connection": redis_url,
            "prefix": settings.redis_prefix,
            "concurrency": spec.concurrency,
            "lockDuration": settings.job_lock_ms,
            "stalledInterval": settings.job_stalled_interval_ms,
            # A job whose worker died this many times runs again; one more and BullMQ fails it
            # without calling us (StalledFailures then records the reason).
            "maxStalledCount": settings.job_max_stalled,
            # After losing Redis, try again within a second of it returning (default 15 s).
            "runRetryDelay": _REDIS_RETRY_MS,
            "removeOnComplete": {"count": spec.keep_completed},
            "removeOnFail": {"age": spec.keep_failed_seconds},
        },
    )
    worker.on("completed", processor.settled)
    worker.on("failed", processor.settled)
    worker.on("error", processor.errored)
    return QueueWorker(worker, processor)


def _wake_on_stalled_failure(stalled: StalledFailures) -> Any:
    """Worker `failed` hook: BullMQ just failed a job it had marked for stalling too often
    (it does so without running the processor), so have its reason recorded now."""

    def hook(job: Job, *_: object) -> None:
        if getattr(job, "deferredFailure", None):
            stalled.wake()

    return hook


async def _started(worker: Worker) -> None:
    """Give a worker's fetch loop (BullMQ starts it on its own) time to get going first.

    The loop begins by naming its Redis connections; a worker closed during that step ends
    the loop with an error in a task nobody awaits, which asyncio prints as a traceback (a
    job that fails at once, then an immediate shutdown, as in `clipforge clip` with a bad
    link). Bounded: with Redis gone the loop never starts, and closing goes on regardless.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _LOOP_START_SECONDS
    while not worker.running and not worker.closing and loop.time() < deadline:
        await asyncio.sleep(0.02)


async def close_workers(workers: list[QueueWorker], deadline_seconds: float) -> None:
    """Stop taking jobs, let running ones finish up to the deadline, then close.

    A job cut off at the deadline stays active in Redis without a lock; BullMQ's stalled
    check on any other worker moves it back to waiting, so it is retried, not lost.
    """
    await asyncio.gather(*(_started(each.worker) for each in workers))
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
    *,
    faults: FaultInjector | None = None,
    probe: DependencyProbe | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop`), then drain gracefully.

    `probe` (see health.WorkerProbe) lets jobs wait out a database or storage outage;
    `faults` overrides the injector built from `fault_injection_rate` (tests fix its seed).
    """
    faults = faults or FaultInjector(settings.fault_injection_rate)
    if faults.enabled:
        log.warning("fault injection on: %.0f%% of job attempts fail on purpose", faults.rate * 100)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    workers = [
        build_worker(settings, redis_url, q, s, faults=faults, probe=probe)
        for q, s in stages.items()
    ]
    stalled = StalledFailures(settings, redis_url, stages)
    for each in workers:
        each.worker.on("failed", _wake_on_stalled_failure(stalled))
    sweeper = asyncio.create_task(
        stalled.run(stop, settings.job_stalled_interval_ms / 1000), name="stalled-failures"
    )
    log.info("workers serving queues: %s", ", ".join(q.value for q in stages))
    try:
        await stop.wait()
    finally:
        log.info("stopping workers; draining running jobs")
        # Cancelled rather than awaited: a sweep may be waiting on a Redis that is gone. A
        # report it had claimed is released for the next full look (see queues/stalled.py).
        sweeper.cancel()
        await asyncio.gather(sweeper, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stalled.close(), _SWEEPER_CLOSE_SECONDS)
        await close_workers(workers, settings.worker_shutdown_seconds)
        for sig in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)

"""A job whose worker keeps dying is failed by BullMQ behind our back; the video still says why.

A worker's death is reproduced exactly as Redis sees it: a worker takes the job (it is active
and locked), then vanishes, so nothing renews the lock. The lock is deleted rather than waited
out (that is what expiry amounts to), and BullMQ's own stalled check (the Lua every worker
runs on its timer) is run by hand, twice per death: one pass marks the active job, the next
finds it unlocked and puts it back in the queue, or, past `job_max_stalled`, marks it to fail.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from bullmq import Queue, UnrecoverableError, Worker

from clipforge import accounts, services
from clipforge.bootstrap import Resources
from clipforge.domain.status import Stage, stage_job_id
from clipforge.pipeline.base import ProgressFn
from clipforge.queues.definitions import QueueName
from clipforge.queues.stalled import STALLED_REASON, StalledFailures, stalled_failure_reason
from clipforge.queues.worker import serve_workers
from tests.conftest import SPEECH_WAV
from tests.support.polling import wait_until

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def _never_called(job: Any, token: str) -> None:
    raise AssertionError("the dying worker never processes anything")


class _DyingWorker:
    """Takes one job at a time and dies holding it; runs the stalled check a survivor would."""

    def __init__(self, res: Resources, queue: QueueName) -> None:
        opts = {"connection": res.redis_url, "prefix": res.settings.redis_prefix}
        self._settings = res.settings
        self._queue = Queue(queue.value, opts)
        self._worker = Worker(
            queue.value,
            _never_called,
            {**opts, "autorun": False, "lockDuration": res.settings.job_lock_ms},
        )

    async def take(self, job_id: str) -> tuple[Any, str]:
        token = uuid.uuid4().hex
        job = await self._worker.getNextJob(token)
        assert job is not None and job.id == job_id, "the job was waiting"
        return job, token

    async def die_holding(self, job_id: str) -> None:
        await self.take(job_id)
        client: Any = self._queue.client
        await client.delete(self._queue.toKey(job_id) + ":lock")  # nobody renews it any more
        await self._stalled_check()  # marks the active job as possibly stalled
        moved = await self._stalled_check()  # finds it unlocked: back to the queue
        assert job_id in moved

    async def _stalled_check(self) -> list[str]:
        client: Any = self._queue.client
        await client.delete(self._queue.keys["stalled-check"])  # the interval has passed
        moved: list[str] = await self._worker.backend.moveStalledJobsToWait(
            self._settings.job_max_stalled, self._settings.job_stalled_interval_ms
        )
        return moved

    async def close(self) -> None:
        await self._worker.close(force=True)
        await self._queue.close()


async def test_video_whose_worker_keeps_dying_fails_with_a_reason_and_retry_completes_it(
    resources: Resources,
) -> None:
    res = resources
    owner = accounts.local_user(res.sessions).id
    submitted = await services.submit_path(res, owner, SPEECH_WAV)
    video_id = submitted.video_id
    import_job = stage_job_id(video_id, Stage.IMPORT)

    dying = _DyingWorker(res, QueueName.IMPORT)
    try:
        for _ in range(res.settings.job_max_stalled + 1):
            await dying.die_holding(import_job)
    finally:
        await dying.close()

    stop = asyncio.Event()
    serving = asyncio.create_task(
        serve_workers(res.settings, res.redis_url, res.stages([QueueName.IMPORT]), stop)
    )
    try:

        async def failed() -> Any:
            video = await asyncio.to_thread(services.get_video, res, owner, video_id)
            return video if video.status == "failed" else None

        video = await wait_until(failed, 30, "the video to be marked failed", interval=0.1)
        assert video.error == stalled_failure_reason(QueueName.IMPORT, res.settings.job_max_stalled)
        assert "stopped unexpectedly three times" in video.error and "Retry" in video.error
        assert video.failed_stage == Stage.IMPORT
        job = await res.queues.job(QueueName.IMPORT, import_job)
        assert job is not None and job.state == "failed" and job.failed_reason == STALLED_REASON

        await services.retry_video(res, owner, video_id)

        async def imported() -> bool:
            job = await res.queues.job(QueueName.IMPORT, import_job)
            return job is not None and job.state == "completed"

        await wait_until(imported, 30, "the retried import to complete", interval=0.1)
        video = await asyncio.to_thread(services.get_video, res, owner, video_id)
        assert video.status != "failed" and video.error is None
        assert video.stage == Stage.TRANSCRIBE, "the pipeline moved on to its next stage"
    finally:
        stop.set()
        await asyncio.wait_for(serving, 30)


class _RecordingStage:
    def __init__(self, fail_first: int = 0) -> None:
        self.failures: list[tuple[dict[str, Any], str]] = []
        self._fail_first = fail_first

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        raise AssertionError("not run here")

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        if self._fail_first:
            self._fail_first -= 1
            raise RuntimeError("database not answering")
        await asyncio.sleep(0)  # let concurrent sweeps interleave
        self.failures.append((data, reason))


async def _fail_by_stalling(res: Resources, job_id: str) -> None:
    """Enqueue an export job, let its worker die past the limit, and let BullMQ fail it the
    way a worker does when it takes a job marked to fail (without running the processor)."""
    await res.queues.enqueue(QueueName.EXPORT, job_id, {"export_id": job_id})
    dying = _DyingWorker(res, QueueName.EXPORT)
    try:
        for _ in range(res.settings.job_max_stalled + 1):
            await dying.die_holding(job_id)
        job, token = await dying.take(job_id)
        assert job.deferredFailure == STALLED_REASON
        await job.moveToFailed(UnrecoverableError(job.deferredFailure), token)
    finally:
        await dying.close()


async def test_each_stalled_failure_is_reported_once_across_concurrent_sweepers(
    resources: Resources,
) -> None:
    res = resources
    await _fail_by_stalling(res, "exp1-export")
    # A job failed for its own reason is not ours to report.
    await res.queues.enqueue(QueueName.EXPORT, "exp2-export", {"export_id": "exp2-export"})
    dying = _DyingWorker(res, QueueName.EXPORT)
    try:
        job, token = await dying.take("exp2-export")
        await job.moveToFailed(UnrecoverableError("The clip is empty."), token)
    finally:
        await dying.close()

    stage = _RecordingStage()
    # Four worker processes looking at the same moment.
    sweepers = [
        StalledFailures(res.settings, res.redis_url, {QueueName.EXPORT: stage}) for _ in range(4)
    ]
    try:
        counts = await asyncio.gather(*(s.sweep() for s in sweepers))
        assert sum(counts) == 1
        reason = stalled_failure_reason(QueueName.EXPORT, res.settings.job_max_stalled)
        assert stage.failures == [({"export_id": "exp1-export"}, reason)]
        assert "rendering this export" in reason
        assert await sweepers[0].sweep() == 0, "already reported"

        # Retry: the job is removed and enqueued again under the same id; if that one dies
        # past the limit too, it is a new failure and is reported again.
        await res.queues.remove(QueueName.EXPORT, "exp1-export")
        await _fail_by_stalling(res, "exp1-export")
        assert await sweepers[1].sweep() == 1
        assert len(stage.failures) == 2
    finally:
        for sweeper in sweepers:
            await sweeper.close()


async def test_a_report_that_could_not_be_recorded_is_tried_again(resources: Resources) -> None:
    res = resources
    await _fail_by_stalling(res, "exp3-export")
    stage = _RecordingStage(fail_first=1)
    sweeper = StalledFailures(res.settings, res.redis_url, {QueueName.EXPORT: stage})
    try:
        assert await sweeper.sweep() == 0  # on_failed raised: logged, claim released
        assert stage.failures == []
        assert await sweeper.sweep() == 1
        assert [data for data, _ in stage.failures] == [{"export_id": "exp3-export"}]
    finally:
        await sweeper.close()

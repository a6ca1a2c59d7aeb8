"""The queue machinery on a real Redis: retries, backoff, failure reasons, progress, drain."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from clipforge.pipeline.base import PermanentError, ProgressFn
from clipforge.queues.client import JobQueues
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import serve_workers
from tests.conftest import make_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


class ScriptedStage:
    """A stage whose attempts fail as scripted, recording when each attempt started."""

    def __init__(self, failures: list[Exception | None], hold: asyncio.Event | None = None):
        self.failures = failures
        self.hold = hold
        self.started: list[float] = []
        self.failed_reasons: list[str] = []
        self.progress_seen = asyncio.Event()

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        self.started.append(time.monotonic())
        await progress(0.42)
        self.progress_seen.set()
        if self.hold is not None:
            await self.hold.wait()
        attempt = len(self.started) - 1
        error = self.failures[attempt] if attempt < len(self.failures) else None
        if error is not None:
            raise error

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        self.failed_reasons.append(reason)


async def _wait_for_state(queues: JobQueues, job_id: str, state: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = await queues.job(QueueName.DETECTION, job_id)
        if info is not None and info.state == state:
            return info
        await asyncio.sleep(0.05)
    info = await queues.job(QueueName.DETECTION, job_id)
    raise AssertionError(f"job {job_id} never reached {state}; last seen {info}")


async def _run(resources, stage, job_id, until_state):
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_workers(resources.settings, resources.redis_url, {QueueName.DETECTION: stage}, stop)
    )
    try:
        await resources.queues.enqueue(QueueName.DETECTION, job_id, {"video_id": "x"})
        return await _wait_for_state(resources.queues, job_id, until_state)
    finally:
        stop.set()
        await task


@pytest.fixture
def settings(tmp_path, database_url, redis_url_setting):
    # Backoff long enough that the doubling stands out from the worker's polling granularity.
    return make_settings(tmp_path / "data", database_url, redis_url_setting, job_backoff_ms=1000)


async def test_a_transient_failure_is_retried_with_growing_delays(resources):
    stage = ScriptedStage([RuntimeError("network blip"), RuntimeError("network blip")])
    info = await _run(resources, stage, "transient-1", "completed")
    assert len(stage.started) == 3
    first_gap = stage.started[1] - stage.started[0]
    second_gap = stage.started[2] - stage.started[1]
    backoff = resources.settings.job_backoff_ms / 1000
    assert first_gap >= backoff * 0.9
    assert second_gap >= backoff * 2 * 0.9, "the second retry waits twice as long"
    assert second_gap > first_gap
    assert info.attempts_made == 3
    assert stage.failed_reasons == []


async def test_a_persistent_failure_ends_failed_after_three_attempts_with_its_reason(resources):
    stage = ScriptedStage([OSError("disk on fire")] * 5)
    info = await _run(resources, stage, "persistent-1", "failed")
    assert len(stage.started) == 3
    assert info.attempts_made == 3
    assert info.failed_reason == "disk on fire"
    assert len(stage.failed_reasons) == 1, "the final failure is recorded exactly once"
    assert "after 3 attempt(s): disk on fire" in stage.failed_reasons[0]
    counts = await resources.queues.counts(QueueName.DETECTION)
    assert counts.failed == 1


async def test_bad_input_fails_at_once_with_the_message_for_the_user(resources):
    stage = ScriptedStage([PermanentError("The file has no audio track.")])
    info = await _run(resources, stage, "permanent-1", "failed")
    assert len(stage.started) == 1, "retrying bad input cannot help"
    assert stage.failed_reasons == ["The file has no audio track."]
    assert info.failed_reason == "The file has no audio track."


async def test_enqueueing_the_same_job_id_twice_adds_one_job(resources):
    queues = resources.queues
    await queues.enqueue(QueueName.DETECTION, "same-id", {"video_id": "a"})
    await queues.enqueue(QueueName.DETECTION, "same-id", {"video_id": "a"})
    counts = await queues.counts(QueueName.DETECTION)
    assert counts.waiting == 1


async def test_progress_is_visible_while_a_job_runs_and_sigterm_drains_it(resources):
    hold = asyncio.Event()
    stage = ScriptedStage([], hold=hold)
    stop = asyncio.Event()
    task = asyncio.create_task(
        serve_workers(resources.settings, resources.redis_url, {QueueName.DETECTION: stage}, stop)
    )
    try:
        await resources.queues.enqueue(QueueName.DETECTION, "drain-1", {"video_id": "x"})
        await asyncio.wait_for(stage.progress_seen.wait(), 20)
        info = await _wait_for_state(resources.queues, "drain-1", "active")
        assert info.progress == 42
        assert info.started_at is not None
        counts = await resources.queues.counts(QueueName.DETECTION)
        assert counts.active == 1
        # Ask the worker to stop while the job is running: it must finish the job first.
        stop.set()
        await asyncio.sleep(0.3)
        assert not task.done(), "the worker waits for its running job"
        hold.set()
        await asyncio.wait_for(task, 20)
        done = await resources.queues.job(QueueName.DETECTION, "drain-1")
        assert done is not None and done.state == "completed"
    finally:
        hold.set()
        stop.set()
        await task

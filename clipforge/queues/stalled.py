"""Give a readable reason to jobs BullMQ failed because their worker kept dying.

When a worker dies mid-job (SIGKILL, out of memory, power loss) its lock expires and BullMQ's
stalled check, run by any worker, puts the job back in the queue. After more than
`job_max_stalled` such stalls the check marks the job to fail instead, and the next worker that
takes it moves it straight to `failed` without running our processor, so no stage's
`on_failed` ever hears of it: the video or export would stay "in progress" forever.

`StalledFailures` closes that gap from the outside: it reads the queue's failed set (only
what failed since its last look), picks the jobs BullMQ failed for stalling, and calls the
stage's `on_failed` with a reason a person can act on. Every worker process runs one; a claim
written atomically on the job itself makes each failure reported at most once however many
processes look at the same moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from bullmq import Queue
from redis.exceptions import RedisError

from clipforge.config import Settings
from clipforge.pipeline.base import StageRunner
from clipforge.queues.definitions import QueueName

log = logging.getLogger(__name__)

#: BullMQ's own failedReason for a job stalled past `maxStalledCount` (moveStalledJobsToWait).
STALLED_REASON = "job stalled more than allowable limit"

#: Field on the job's hash holding the `finishedOn` of the failure already reported. It lives
#: and dies with the job: a Retry removes the job and enqueues a fresh one under the same id.
_CLAIM_FIELD = "clipforgeStalledReported"

#: A full look reaches this far back, so a failure whose reporter died (or was stopped)
#: before recording it is still found; other looks start where the last one ended.
_FULL_LOOK_BACK_MS = 24 * 3600 * 1000
#: Each process makes a full look when it starts and then this often.
_FULL_LOOK_EVERY_SECONDS = 3600.0
#: Longest wait to release a claim whose report did not happen (Redis may be the reason).
_RELEASE_SECONDS = 2.0
#: Overlap between looks: `finishedOn` comes from the failing worker's clock, not ours.
_CLOCK_MARGIN_MS = 60_000
#: Failed jobs read per Redis round trip.
_PAGE = 200

# Claim the report of one failure: only while the job is still failed with that `finishedOn`
# (a Retry may have replaced it), and only if nobody claimed that failure yet. Checking the
# hash exists first also keeps HSET from creating a stray hash for a removed job, which
# BullMQ would later take for an existing job id.
_CLAIM_LUA = """
if redis.call("ZSCORE", KEYS[1], ARGV[1]) == false then return 0 end
if redis.call("HGET", KEYS[2], "finishedOn") ~= ARGV[2] then return 0 end
if redis.call("HGET", KEYS[2], ARGV[3]) == ARGV[2] then return 0 end
redis.call("HSET", KEYS[2], ARGV[3], ARGV[2])
return 1
"""

_STAGE_WORK = {
    QueueName.IMPORT: "importing this video",
    QueueName.TRANSCRIPTION: "transcribing this video",
    QueueName.DETECTION: "finding clips in this video",
    QueueName.EXPORT: "rendering this export",
}


def _times(count: int) -> str:
    return {1: "once", 2: "twice", 3: "three times"}.get(count, f"{count} times")


def stalled_failure_reason(queue: QueueName, max_stalled: int) -> str:
    """The sentence shown on the video or export; BullMQ fails a job on stall max+1."""
    return (
        f"The worker {_STAGE_WORK[queue]} stopped unexpectedly {_times(max_stalled + 1)} "
        "(for example it ran out of memory or was restarted); press Retry. If it happens "
        "again, ask the operator to check the workers' memory and logs."
    )


class StalledFailures:
    """Reports jobs failed for stalling to their stage's `on_failed`, once each."""

    def __init__(
        self, settings: Settings, redis_url: str, stages: Mapping[QueueName, StageRunner]
    ) -> None:
        self._stages = dict(stages)
        self._max_stalled = settings.job_max_stalled
        self._queues = {
            name: Queue(name.value, {"connection": redis_url, "prefix": settings.redis_prefix})
            for name in self._stages
        }
        self._since: dict[QueueName, int] = {}
        self._next_full_look = 0.0
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look now rather than at the next interval (a worker just failed a stalled job)."""
        self._wake.set()

    async def sweep(self) -> int:
        """Look once at every queue; the number of failures reported by this call."""
        if time.monotonic() >= self._next_full_look:
            self._since.clear()
            self._next_full_look = time.monotonic() + _FULL_LOOK_EVERY_SECONDS
        reported = 0
        for name in self._stages:
            try:
                reported += await self._sweep_queue(name)
            except (OSError, RedisError) as exc:
                log.warning("%s: could not look for stalled jobs (%s)", name, exc)
            except Exception:
                # on_failed could not record it (database down): the watermark stays put and
                # the claim was released, so the next look tries again.
                log.exception("%s: recording a stalled job's failure failed", name)
        return reported

    async def run(self, stop: asyncio.Event, interval_seconds: float) -> None:
        """Sweep every `interval_seconds`, or sooner when woken, until `stop` is set."""
        while not stop.is_set():
            self._wake.clear()
            await self.sweep()
            stopped = asyncio.ensure_future(stop.wait())
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait(
                    {stopped, woken}, timeout=interval_seconds, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                for waiter in (stopped, woken):
                    waiter.cancel()

    async def close(self) -> None:
        for queue in self._queues.values():
            with contextlib.suppress(Exception):
                await queue.close()

    async def _sweep_queue(self, name: QueueName) -> int:
        queue = self._queues[name]
        client: Any = queue.client
        failed_key: str = queue.keys["failed"]
        job_prefix: str = queue.keys[""]
        started = int(time.time() * 1000)
        since = self._since.get(name, started - _FULL_LOOK_BACK_MS) - _CLOCK_MARGIN_MS
        reported = 0
        offset = 0
        while True:
            ids: list[str] = await client.zrangebyscore(
                failed_key, since, "+inf", start=offset, num=_PAGE
            )
            if not ids:
                break
            pipe = client.pipeline(transaction=False)
            for job_id in ids:
                pipe.hmget(job_prefix + job_id, "failedReason", "finishedOn")
            rows = await pipe.execute()
            for job_id, (reason, finished_on) in zip(ids, rows, strict=True):
                if reason != STALLED_REASON or not finished_on:
                    continue
                if await self._report(name, job_id, str(finished_on)):
                    reported += 1
            if len(ids) < _PAGE:
                break
            offset += _PAGE
        # Only a complete look moves the watermark (an exception above leaves it).
        self._since[name] = started
        return reported

    async def _report(self, name: QueueName, job_id: str, finished_on: str) -> bool:
        queue = self._queues[name]
        client: Any = queue.client
        job_key = queue.keys[""] + job_id
        claimed = await client.eval(
            _CLAIM_LUA, 2, queue.keys["failed"], job_key, job_id, finished_on, _CLAIM_FIELD
        )
        if not claimed:
            return False
        data = _job_data(await client.hget(job_key, "data"))
        if not data:
            log.error("%s job %s failed after stalling but has no data to report to", name, job_id)
            return False
        log.warning("%s job %s failed after stalling too often; recording it", name, job_id)
        try:
            reason = stalled_failure_reason(name, self._max_stalled)
            await self._stages[name].on_failed(data, reason)
        except BaseException:
            with contextlib.suppress(Exception):  # let a later look try again
                await asyncio.wait_for(client.hdel(job_key, _CLAIM_FIELD), _RELEASE_SECONDS)
            raise
        return True


def _job_data(raw: Any) -> dict[str, Any]:
    try:
        value = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}

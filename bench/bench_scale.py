"""Pipeline throughput as worker processes are added: videos per minute with 1, 2, 4 workers.

    DATABASE_URL=postgresql://... REDIS_URL=redis://... python -m bench.bench_scale \
        [--workers 1,2,4] [--videos 8] [--seconds 10] [--whisper-threads 1]

Each round starts N `clipforge worker` processes (separate OS processes, as deployed) against
a fresh PostgreSQL database and Redis prefix, submits the same batch of short speech videos
and times import -> transcribe -> detect until every video is ready. Transcription dominates;
each worker runs one recognition at a time on `--whisper-threads` cores, so throughput grows
with processes until the machine's cores are all busy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import select

from bench._cluster import Processes, scratch_database, server_urls
from clipforge import accounts, services
from clipforge.asr.bundled_model import ensure_bundled_model
from clipforge.bootstrap import build_resources
from clipforge.config import Settings
from clipforge.db.tables import Video
from tests.support.speech_video import make_speech_video

COLOURS = ("red", "green", "blue", "yellow", "purple", "orange", "white", "gray")


async def one_round(
    workers: int, videos: list[Path], model: Path, args: argparse.Namespace, scratch: Path
) -> tuple[float, int]:
    """Seconds from submitting the batch until every video is finished, and how many failed."""
    db_base, redis_url = server_urls()
    with scratch_database(db_base) as db_url:
        prefix = f"benchscale{uuid.uuid4().hex[:8]}"
        storage = scratch / f"storage-{workers}"
        env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "CLIPFORGE_REDIS_PREFIX": prefix,
            "CLIPFORGE_STORAGE_LOCAL_DIR": str(storage),
            "CLIPFORGE_WHISPER_MODEL": str(model),
            "CLIPFORGE_WHISPER_THREADS": str(args.whisper_threads),
            "CLIPFORGE_QUEUE_TRANSCRIPTION_CONCURRENCY": "1",
            "CLIPFORGE_CLIP_MIN_SECONDS": "3",
            "CLIPFORGE_CLIP_MAX_SECONDS": "8",
            "CLIPFORGE_LOG_FORMAT": "text",
        }
        settings = Settings.model_validate(
            {
                "data_dir": scratch / f"submit-{workers}",
                "database_url": db_url,
                "redis_url": redis_url,
                "redis_prefix": prefix,
                "storage_local_dir": storage,
                "max_concurrent_jobs": 1000,
            }
        )
        res = build_resources(settings)  # migrates the fresh database
        procs = Processes(scratch / f"round-{workers}", env)
        procs.root.mkdir(parents=True)
        try:
            for i in range(workers):
                log = procs.spawn(f"worker{i}", "worker")
                procs.wait_for_log(log, "workers serving queues")
            owner = accounts.local_user(res.sessions).id
            started = time.perf_counter()
            ids = [(await services.submit_path(res, owner, v)).video_id for v in videos]
            while True:
                procs.check_alive()
                with res.sessions() as session:
                    statuses = session.scalars(select(Video.status).where(Video.id.in_(ids))).all()
                if all(s in ("ready", "failed") for s in statuses):
                    break
                await asyncio.sleep(0.2)
            return time.perf_counter() - started, sum(s == "failed" for s in statuses)
        finally:
            procs.stop()
            await res.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", default="1,2,4", help="worker process counts to try")
    parser.add_argument("--videos", type=int, default=8, help="videos in the batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each video")
    parser.add_argument("--whisper-threads", type=int, default=1, help="cores per recognition")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="clipforge-bench-scale-") as tmp:
        scratch = Path(tmp)
        model = ensure_bundled_model(scratch / "shared")
        videos = [
            make_speech_video(scratch / f"v{i}.mp4", COLOURS[i % len(COLOURS)], args.seconds)
            for i in range(args.videos)
        ]
        print(
            f"batch: {args.videos} videos x {args.seconds:.0f} s of speech; "
            f"{os.cpu_count()} CPUs; whisper threads per worker: {args.whisper_threads}"
        )
        print(f"{'workers':>7} | {'seconds':>7} | {'videos/min':>10} | {'speed-up':>8} | failed")
        print(f"{'-' * 7}-+-{'-' * 7}-+-{'-' * 10}-+-{'-' * 8}-+-------")
        base: float | None = None
        for n in counts:
            elapsed, failed = await one_round(n, videos, model, args, scratch)
            rate = args.videos / elapsed * 60
            base = base or rate
            print(f"{n:>7} | {elapsed:>7.1f} | {rate:>10.1f} | {rate / base:>7.2f}x | {failed}")


if __name__ == "__main__":
    asyncio.run(main())

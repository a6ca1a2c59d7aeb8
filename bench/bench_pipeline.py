"""Whole-pipeline speed on the sample: seconds of video processed per wall second.

    python -m bench.bench_pipeline [--source samples/sample.mp4]

Runs import -> transcribe -> detect through the real queues with in-process workers on
embedded defaults (or DATABASE_URL / REDIS_URL when set), then, as the baseline measured in
the same run, the bare speech recognition of the same audio, which dominates the pipeline.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from clipforge import accounts, services
from clipforge.asr.transcriber import FasterWhisperTranscriber
from clipforge.bootstrap import build_resources
from clipforge.config import Settings
from clipforge.media.audio import extract_audio
from clipforge.queues.worker import serve_workers

ROOT = Path(__file__).resolve().parents[1]


async def run_pipeline(settings: Settings, source: Path) -> tuple[float, float, int]:
    res = build_resources(settings)
    await res.start()
    stop = asyncio.Event()
    workers = asyncio.create_task(serve_workers(settings, res.redis_url, res.stages(), stop))
    try:
        res.transcriber.transcribe  # noqa: B018 - build the transcriber before timing
        started = time.perf_counter()
        owner = accounts.local_user(res.sessions).id
        submitted = await services.submit_path(res, owner, source)
        while True:
            video = await asyncio.to_thread(services.get_video, res, owner, submitted.video_id)
            if video.status in ("ready", "failed"):
                break
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - started
        if video.status == "failed":
            raise SystemExit(f"pipeline failed: {video.error}")
        clips = len(await asyncio.to_thread(services.list_clips, res, owner, submitted.video_id))
        return elapsed, float(video.duration or 0), clips
    finally:
        stop.set()
        await workers
        await res.aclose()


async def bare_transcription(settings: Settings, source: Path) -> float:
    audio = settings.data_dir / "baseline.wav"
    await extract_audio(source, audio)
    transcriber = FasterWhisperTranscriber(
        model="base", data_dir=settings.data_dir, cpu_threads=settings.whisper_threads
    )
    transcriber.transcribe(audio)  # warm: load the model outside the timing
    started = time.perf_counter()
    transcriber.transcribe(audio)
    return time.perf_counter() - started


async def main(source: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="clipforge-bench-"))
    settings = Settings(
        data_dir=data_dir,
        database_url=os.environ.get("DATABASE_URL") or None,
        redis_url=os.environ.get("REDIS_URL") or None,
        redis_prefix=f"bench{uuid.uuid4().hex[:6]}",
    )
    elapsed, duration, clips = await run_pipeline(settings, source)
    baseline = await bare_transcription(settings, source)
    print(f"source: {source.name}, {duration:.1f} s of video, {os.cpu_count()} cores")
    print(f"pipeline (import+transcribe+detect): {elapsed:6.1f} s -> {clips} clips")
    print(f"  video seconds per wall second:     {duration / elapsed:6.2f}")
    print(f"baseline bare transcription:         {baseline:6.1f} s")
    print(f"  video seconds per wall second:     {duration / baseline:6.2f}")
    print(f"pipeline / bare transcription:       {elapsed / baseline:6.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--source", type=Path, default=ROOT / "samples" / "sample.mp4")
    asyncio.run(main(parser.parse_args().source))

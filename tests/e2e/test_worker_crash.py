"""A worker SIGKILLed mid-job: another worker recovers the job; nothing is duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from clipforge import accounts, services
from clipforge.db.tables import Clip, Transcript, Video
from clipforge.domain.status import Stage, stage_job_id
from clipforge.queues.definitions import QueueName
from tests.conftest import SAMPLE_VIDEO, SPEECH_WAV
from tests.support.polling import wait_until

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.slow]


def _worker_env(resources) -> dict[str, str]:
    settings = resources.settings
    return {
        **os.environ,
        "CLIPFORGE_DATA_DIR": str(settings.data_dir),
        "DATABASE_URL": settings.database().url,
        "REDIS_URL": resources.redis_url,
        "CLIPFORGE_REDIS_PREFIX": settings.redis_prefix,
        "CLIPFORGE_JOB_LOCK_MS": str(settings.job_lock_ms),
        "CLIPFORGE_JOB_STALLED_INTERVAL_MS": str(settings.job_stalled_interval_ms),
        "CLIPFORGE_WHISPER_THREADS": "2",
    }


def _start_worker(resources, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "clipforge", "worker"],
        env=_worker_env(resources),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def test_killed_worker_job_is_finished_by_another_without_duplicates(resources, tmp_path):
    log = tmp_path / "workers.log"
    owner = accounts.local_user(resources.sessions).id
    submitted = await services.submit_path(resources, owner, SAMPLE_VIDEO)
    video_id = submitted.video_id
    transcribe_job = stage_job_id(video_id, Stage.TRANSCRIBE)
    first = _start_worker(resources, log)
    second: subprocess.Popen[bytes] | None = None
    try:

        async def transcribing() -> bool:
            job = await resources.queues.job(QueueName.TRANSCRIPTION, transcribe_job)
            return job is not None and job.state == "active" and job.progress > 0

        await wait_until(transcribing, 240, "the transcription job to be under way")
        first.send_signal(signal.SIGKILL)
        first.wait()

        second = _start_worker(resources, log)

        async def finished() -> Video | None:
            video = services.get_video(resources, owner, video_id)
            return video if video.status in ("ready", "failed") else None

        video = await wait_until(finished, 400, "the video to finish after the crash")
        assert video.status == "ready", f"{video.error}\n{log.read_text()[-3000:]}"

        job = await resources.queues.job(QueueName.TRANSCRIPTION, transcribe_job)
        assert job is not None and job.state == "completed"
        assert job.attempts_made == 1, "a stall is recovered, not counted as a failed attempt"
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()

    with resources.sessions() as session:
        transcripts = session.scalar(
            select(func.count()).select_from(Transcript).where(Transcript.video_id == video_id)
        )
        ranks = session.scalars(select(Clip.rank).where(Clip.video_id == video_id)).all()
    assert transcripts == 1
    assert ranks and sorted(ranks) == list(range(1, len(ranks) + 1)), "no duplicate clips"

    stored = sorted(
        p.relative_to(resources.settings.storage_root).as_posix()
        for p in resources.settings.storage_root.rglob("*")
        if p.is_file()
    )
    assert stored == [
        f"videos/{video_id}/audio.wav",
        f"videos/{video_id}/original",
        f"videos/{video_id}/poster.jpg",
    ]


async def test_sigterm_lets_the_running_job_finish_before_the_worker_exits(resources, tmp_path):
    log = tmp_path / "worker.log"
    owner = accounts.local_user(resources.sessions).id
    submitted = await services.submit_path(resources, owner, SPEECH_WAV)
    transcribe_job = stage_job_id(submitted.video_id, Stage.TRANSCRIBE)
    worker = _start_worker(resources, log)
    try:

        async def transcribing() -> bool:
            job = await resources.queues.job(QueueName.TRANSCRIPTION, transcribe_job)
            return job is not None and job.state == "active"

        await wait_until(transcribing, 240, "the transcription job to start", interval=0.05)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=120) == 0, log.read_text()[-3000:]
    finally:
        if worker.poll() is None:
            worker.kill()
    job = await resources.queues.job(QueueName.TRANSCRIPTION, transcribe_job)
    assert job is not None and job.state == "completed", "the running job was finished"
    with resources.sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Transcript)
            .where(Transcript.video_id == submitted.video_id)
        )
    assert count == 1
    # The worker took no new job after SIGTERM: detection is still waiting for a worker.
    detect = await resources.queues.job(
        QueueName.DETECTION, stage_job_id(submitted.video_id, Stage.DETECT)
    )
    assert detect is not None and detect.state == "waiting"

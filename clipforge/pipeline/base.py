"""What every stage shares: its failure types, progress reporting and status writes.

Stages know nothing about HTTP or BullMQ: a worker hands them the job's data and a progress
callback, and calls `on_failed` when the last attempt has failed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from clipforge.db.tables import Video
from clipforge.domain.status import STAGE_STATUS, Stage, VideoStatus, overall_progress

#: Reports progress within one stage as a fraction 0..1.
ProgressFn = Callable[[float], Awaitable[None]]


class PermanentError(Exception):
    """The input itself is the problem (bad media, unsafe URL): retrying cannot help.

    The message is shown to the user as it is, so it must say what to do.
    """


class RetryableError(Exception):
    """A problem outside our control that may pass (a remote server timing out).

    Retried like any error, but its message is meant for the user as it is.
    """


class StageTimeout(PermanentError):
    """The stage ran past its time budget (`job_timeout_seconds`) and was stopped.

    Permanent: the same input would take as long again, so retrying only wastes the budget
    once more. The message says so in words a person can act on.
    """

    def __init__(self, stage_label: str, budget_seconds: float) -> None:
        super().__init__(
            f"{stage_label} took longer than {budget_seconds:g} s, the time allowed for one "
            "job, and was stopped. Try a shorter video, or ask the operator to raise "
            "CLIPFORGE_JOB_TIMEOUT_SECONDS."
        )
        self.budget_seconds = budget_seconds


class StageRunner(Protocol):
    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None: ...

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        """Record a failure that will not be retried, in words a person can act on."""
        ...


class VideoStageWriter:
    """Writes a video's status and stage progress, throttled so ffmpeg ticks don't flood the DB."""

    def __init__(self, sessions: sessionmaker[Session], video_id: str, stage: Stage) -> None:
        self._sessions = sessions
        self._video_id = video_id
        self._stage = stage
        self._last_write = 0.0
        self._last_percent = -1

    async def start(self) -> None:
        await self.write(0.0, force=True)

    async def write(self, fraction: float, *, force: bool = False) -> None:
        percent = int(max(0.0, min(1.0, fraction)) * 100)
        now = time.monotonic()
        if not force and (percent == self._last_percent or now - self._last_write < 0.5):
            return
        self._last_write, self._last_percent = now, percent
        await asyncio.to_thread(self._write_sync, percent)

    def _write_sync(self, percent: int) -> None:
        with self._sessions.begin() as session:
            video = session.get(Video, self._video_id, with_for_update=False)
            if video is None or video.status in (VideoStatus.READY, VideoStatus.FAILED):
                return
            video.status = STAGE_STATUS[self._stage]
            video.stage = self._stage
            video.stage_progress = percent
            video.progress = overall_progress(self._stage, percent / 100)


def mark_video_failed(
    sessions: sessionmaker[Session], video_id: str, stage: Stage, reason: str
) -> None:
    with sessions.begin() as session:
        video = session.get(Video, video_id)
        if video is None:
            return
        video.status = VideoStatus.FAILED
        video.failed_stage = stage
        video.stage = stage
        video.error = reason

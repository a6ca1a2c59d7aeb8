"""Detection stage: candidate clips from the transcript, written once per video."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from uuid import uuid4

from sqlalchemy.orm import Session, sessionmaker

from clipforge.config import Settings
from clipforge.db import repository
from clipforge.db.tables import Clip, Video
from clipforge.domain.clips import ClipCandidate, detect_clips
from clipforge.domain.status import Stage, VideoStatus
from clipforge.domain.transcript import Transcript
from clipforge.pipeline.base import PermanentError, ProgressFn, VideoStageWriter, mark_video_failed

log = logging.getLogger(__name__)


class DetectStage:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        video_id = str(data["video_id"])
        transcript = await asyncio.to_thread(self._load_transcript, video_id)
        if transcript is None:
            raise PermanentError("The transcript is missing; run the video again from the start.")
        writer = VideoStageWriter(self._sessions, video_id, Stage.DETECT)
        await writer.start()
        candidates = await asyncio.to_thread(
            detect_clips,
            transcript,
            min_seconds=self._settings.clip_min_seconds,
            max_seconds=self._settings.clip_max_seconds,
            count=self._settings.clip_count,
        )
        await progress(0.8)
        await asyncio.to_thread(self._save, video_id, candidates)
        await progress(1.0)

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(
            mark_video_failed, self._sessions, str(data["video_id"]), Stage.DETECT, reason
        )

    def _load_transcript(self, video_id: str) -> Transcript | None:
        with self._sessions() as session:
            row = repository.get_transcript(session, video_id)
            return None if row is None else Transcript.from_dict(row.data)

    def _save(self, video_id: str, candidates: list[ClipCandidate]) -> None:
        with self._sessions.begin() as session:
            video = session.get(Video, video_id)
            if video is None:
                return
            # A replay keeps the clips already written: users may be exporting them.
            if repository.count_clips(session, video_id) == 0:
                for rank, candidate in enumerate(candidates, start=1):
                    session.add(
                        Clip(
                            id=uuid4().hex,
                            video_id=video_id,
                            rank=rank,
                            start=candidate.start,
                            end=candidate.end,
                            score=candidate.score,
                            breakdown=dict(candidate.breakdown),
                            title=candidate.title,
                            reason=candidate.reason,
                            text=candidate.text,
                        )
                    )
            video.status = VideoStatus.READY
            video.stage = None
            video.stage_progress = 100
            video.progress = 100
            video.error = None

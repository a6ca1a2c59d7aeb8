"""Detection stage: candidate clips from the transcript, written once per video.

The local detector always runs; when an LLM endpoint is configured it refines the local
candidates (and falls back to them on any error). A re-detection (`replace` in the job data)
swaps the clip list for a new one but keeps every clip a user has already exported.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any
from uuid import uuid4

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from clipforge.config import Settings
from clipforge.db import repository
from clipforge.db.tables import Clip, Export, Video
from clipforge.detection import detect_highlights
from clipforge.detection.llm import LLMScorer
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.status import Stage, VideoStatus
from clipforge.domain.transcript import Transcript
from clipforge.pipeline.base import PermanentError, ProgressFn, VideoStageWriter, mark_video_failed

log = logging.getLogger(__name__)


def resolve_detect_options(
    settings: Settings, overrides: Mapping[str, Any] | None = None
) -> DetectOptions:
    """The settings' defaults with whatever the user asked for on top (ValueError if invalid)."""
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    keywords = given.get("keywords") or ()
    return DetectOptions(
        min_seconds=float(given.get("min_seconds", settings.clip_min_seconds)),
        max_seconds=float(given.get("max_seconds", settings.clip_max_seconds)),
        count=int(given.get("count", settings.clip_count)),
        keywords=tuple(str(k).strip() for k in keywords if str(k).strip()),
        search_start=given.get("search_start"),
        search_end=given.get("search_end"),
    )


class DetectStage:
    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self._settings = settings
        self._sessions = sessions

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        video_id = str(data["video_id"])
        loaded = await asyncio.to_thread(self._load, video_id)
        if loaded is None:
            raise PermanentError("The transcript is missing; run the video again from the start.")
        transcript, stored_options = loaded
        try:
            options = resolve_detect_options(self._settings, stored_options)
        except ValueError as exc:
            raise PermanentError(f"The detection options are invalid: {exc}") from exc
        writer = VideoStageWriter(self._sessions, video_id, Stage.DETECT)
        await writer.start()
        candidates = await asyncio.to_thread(self._detect, transcript, options)
        await progress(0.8)
        await asyncio.to_thread(self._save, video_id, candidates, bool(data.get("replace")))
        await progress(1.0)

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(
            mark_video_failed, self._sessions, str(data["video_id"]), Stage.DETECT, reason
        )

    def _detect(self, transcript: Transcript, options: DetectOptions) -> list[ClipCandidate]:
        candidates = detect_highlights(transcript, options)
        scorer = LLMScorer.from_settings(self._settings)
        if scorer is None:
            return candidates
        refined = scorer.refine(transcript, candidates, options)
        # Ranks follow scores everywhere, whichever scorer produced them.
        return sorted(refined, key=lambda c: (-c.score, c.start))

    def _load(self, video_id: str) -> tuple[Transcript, dict[str, Any] | None] | None:
        with self._sessions() as session:
            row = repository.get_transcript(session, video_id)
            video = session.get(Video, video_id)
            if row is None or video is None:
                return None
            return Transcript.from_dict(row.data), video.detect_options

    def _save(self, video_id: str, candidates: list[ClipCandidate], replace: bool) -> None:
        with self._sessions.begin() as session:
            video = session.get(Video, video_id)
            if video is None:
                return
            if replace:
                _replace_clips(session, video_id, candidates)
            # A replay keeps the clips already written: users may be exporting them.
            elif repository.count_clips(session, video_id) == 0:
                for rank, candidate in enumerate(candidates, start=1):
                    session.add(_clip_row(video_id, rank, candidate))
            video.status = VideoStatus.READY
            video.stage = None
            video.stage_progress = 100
            video.progress = 100
            video.error = None


def _clip_row(video_id: str, rank: int, candidate: ClipCandidate) -> Clip:
    return Clip(
        id=uuid4().hex,
        video_id=video_id,
        rank=rank,
        start=candidate.start,
        end=candidate.end,
        score=candidate.score,
        breakdown=dict(candidate.breakdown),
        title=candidate.title,
        description=candidate.description,
        hashtags=list(candidate.hashtags),
        reason=candidate.reason,
        text=candidate.text,
    )


def _replace_clips(session: Session, video_id: str, candidates: Sequence[ClipCandidate]) -> None:
    """New clips in place of the old, except those already exported (their files stay valid).

    New candidates that overlap a kept clip are dropped; everything is ranked by score again.
    """
    exported = set(
        session.scalars(
            select(Export.clip_id)
            .join(Clip, Clip.id == Export.clip_id)
            .where(Clip.video_id == video_id)
        )
    )
    existing = list(session.scalars(select(Clip).where(Clip.video_id == video_id)))
    kept = [c for c in existing if c.id in exported]
    for clip in existing:
        if clip.id not in exported:
            session.delete(clip)
    fresh = [
        _clip_row(video_id, 0, c)
        for c in candidates
        if all(c.end <= k.start or c.start >= k.end for k in kept)
    ]
    # Every row first gets a distinct negative rank, so no final rank can hit the unique key.
    for offset, clip in enumerate([*kept, *fresh], start=1):
        clip.rank = -offset
    session.add_all(fresh)
    session.flush()
    ordered = sorted([*kept, *fresh], key=lambda c: (-c.score, c.start))
    for rank, clip in enumerate(ordered, start=1):
        clip.rank = rank

"""Transcription stage: word-level transcript of the extracted audio, stored once per video.

The transcript carries the audio's loudness envelope (`extra["loudness"]`, dBFS per 0.1 s) and
the voice's pitch (`extra["pitch"]`, Hz per 0.1 s), which clip detection reads for pauses,
speech energy and changes of speaker.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from clipforge.asr.base import Transcriber, TranscriptionError
from clipforge.asr.postprocess import with_audio_tracks
from clipforge.db import repository
from clipforge.db.tables import Transcript as TranscriptRow
from clipforge.db.tables import Video
from clipforge.domain.keys import audio_key
from clipforge.domain.status import Stage, VideoStatus, stage_job_id
from clipforge.domain.transcript import Transcript
from clipforge.pipeline.base import (
    PermanentError,
    ProgressFn,
    RetryableError,
    VideoStageWriter,
    mark_video_failed,
)
from clipforge.queues.client import JobQueues
from clipforge.queues.definitions import QueueName
from clipforge.storage import Storage

log = logging.getLogger(__name__)


class TranscribeStage:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        storage: Storage,
        queues: JobQueues,
        transcriber: Transcriber,
    ) -> None:
        self._sessions = sessions
        self._storage = storage
        self._queues = queues
        self._transcriber = transcriber

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        video_id = str(data["video_id"])
        if not await asyncio.to_thread(self._video_exists, video_id):
            log.warning("transcribe: video %s no longer exists", video_id)
            return
        if await asyncio.to_thread(self._has_transcript, video_id):
            await self._enqueue_next(video_id, data.get("owner_id"))
            return
        writer = VideoStageWriter(self._sessions, video_id, Stage.TRANSCRIBE)
        await writer.start()
        loop = asyncio.get_running_loop()
        latest = [0.0]

        def on_progress(fraction: float) -> None:
            # Called from the recognition thread; the loop publishes it.
            latest[0] = fraction

        async def publish() -> None:
            while True:
                await asyncio.sleep(1.0)
                await writer.write(latest[0])
                await progress(latest[0])

        work = Path(tempfile.mkdtemp(prefix=f"clipforge-asr-{video_id}-"))
        publisher = loop.create_task(publish())
        try:
            audio = work / "audio.wav"
            local = self._storage.local_path(audio_key(video_id))
            if local is not None and local.exists():
                audio = local
            else:
                await self._storage.get_file(audio_key(video_id), audio)
            # The job may name a language; otherwise the one the user chose for the video.
            language = data.get("language") or await asyncio.to_thread(
                self._chosen_language, video_id
            )
            transcript = await self._transcribe(audio, on_progress, language)
            # Engines that clean against loudness store the tracks already; others get them here.
            transcript = await asyncio.to_thread(with_audio_tracks, transcript, audio)
        finally:
            publisher.cancel()
            shutil.rmtree(work, ignore_errors=True)
        if not transcript.words:
            raise PermanentError(
                "No speech was found in the audio, so there is nothing to clip. "
                "Check that the video has spoken words and that its sound is not muted."
            )
        await asyncio.to_thread(self._save, video_id, transcript)
        await progress(1.0)
        await self._enqueue_next(video_id, data.get("owner_id"))

    async def _transcribe(
        self, audio: Path, on_progress: Callable[[float], None], language: object
    ) -> Transcript:
        """Run the engine in a thread; its errors become the stage's failure types."""
        try:
            return await asyncio.to_thread(
                self._transcriber.transcribe,
                audio,
                on_progress=on_progress,
                language=language if isinstance(language, str) and language else None,
            )
        except TranscriptionError as exc:
            # A rejected key or a wrong URL will not fix itself: fail now, say what to fix.
            if exc.retryable:
                raise RetryableError(f"Speech recognition failed: {exc}") from exc
            raise PermanentError(f"Speech recognition failed: {exc}") from exc

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(
            mark_video_failed, self._sessions, str(data["video_id"]), Stage.TRANSCRIBE, reason
        )

    def _video_exists(self, video_id: str) -> bool:
        with self._sessions() as session:
            return session.get(Video, video_id) is not None

    def _chosen_language(self, video_id: str) -> str | None:
        with self._sessions() as session:
            video = session.get(Video, video_id)
            return None if video is None else video.language

    def _has_transcript(self, video_id: str) -> bool:
        with self._sessions() as session:
            return repository.get_transcript(session, video_id) is not None

    def _save(self, video_id: str, transcript: Transcript) -> None:
        with self._sessions.begin() as session:
            if repository.get_transcript(session, video_id) is not None:
                return  # another attempt got here first; the unique key would refuse us anyway
            session.add(
                TranscriptRow(
                    video_id=video_id,
                    language=transcript.language,
                    duration=transcript.duration,
                    engine=transcript.engine,
                    model=transcript.model,
                    word_count=len(transcript.words),
                    data=transcript.to_dict(),
                )
            )
            video = session.get(Video, video_id)
            if video is not None:
                video.status = VideoStatus.DETECTING
                video.stage = Stage.DETECT
                video.stage_progress = 0

    async def _enqueue_next(self, video_id: str, owner_id: object) -> None:
        # The owner rides along so every job in the chain says whose work it is.
        await self._queues.enqueue(
            QueueName.DETECTION,
            stage_job_id(video_id, Stage.DETECT),
            {"video_id": video_id, "owner_id": owner_id},
        )

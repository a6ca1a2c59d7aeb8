"""Import stage: get the original into storage, probe it, extract 16 kHz mono audio.

Named `importing` because `import` is a keyword.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from clipforge.config import Settings
from clipforge.db.tables import Video
from clipforge.domain.keys import audio_key, original_key, poster_key
from clipforge.domain.status import Stage, VideoStatus, stage_job_id
from clipforge.fetch import DownloadError, download_media
from clipforge.media.audio import extract_audio
from clipforge.media.ffmpeg import FFmpegError
from clipforge.media.poster import extract_poster
from clipforge.media.probe import MediaError, MediaInfo, MediaLimits, probe_media
from clipforge.net_safety import UnsafeURLError
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


class ImportStage:
    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        storage: Storage,
        queues: JobQueues,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._storage = storage
        self._queues = queues

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        video_id = str(data["video_id"])
        video = await asyncio.to_thread(self._load, video_id)
        if video is None:
            log.warning("import: video %s no longer exists; nothing to do", video_id)
            return
        if video.audio_key and video.duration:
            # A replay after the stage finished: only make sure the chain continues.
            await self._enqueue_next(video_id, data.get("owner_id"))
            return
        writer = VideoStageWriter(self._sessions, video_id, Stage.IMPORT)
        await writer.start()

        async def report(fraction: float) -> None:
            await writer.write(fraction)
            await progress(fraction)

        work = Path(tempfile.mkdtemp(prefix=f"clipforge-import-{video_id}-"))
        try:
            source = await self._fetch_original(video, work, report)
            info = await self._probe(source)
            await report(0.5)
            audio = work / "audio.wav"

            async def audio_progress(fraction: float) -> None:
                await report(0.5 + 0.4 * fraction)

            try:
                await extract_audio(
                    source,
                    audio,
                    duration=info.duration,
                    on_progress=audio_progress,
                    max_seconds=self._settings.max_media_seconds,
                )
            except FFmpegError as exc:
                raise PermanentError(
                    "The audio track could not be decoded; the file may be damaged."
                ) from exc
            await self._storage.put_file(audio_key(video_id), audio, "audio/wav")
            if info.has_video:
                await self._store_poster(video_id, source, work, info.duration)
            size = source.stat().st_size
            await asyncio.to_thread(self._record, video_id, info, size)
            await report(1.0)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        await self._enqueue_next(video_id, data.get("owner_id"))

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(
            mark_video_failed, self._sessions, str(data["video_id"]), Stage.IMPORT, reason
        )

    def _load(self, video_id: str) -> Video | None:
        with self._sessions() as session:
            return session.get(Video, video_id)

    async def _fetch_original(self, video: Video, work: Path, report: ProgressFn) -> Path:
        """The original as a local file, stored under our key whatever its source."""
        key = original_key(video.id)
        local = work / "original"
        if video.source_kind == "url" and not await self._storage.exists(key):

            async def download_progress(fraction: float) -> None:
                await report(0.4 * fraction)

            try:
                result = await download_media(
                    video.source,
                    work / "download",
                    max_bytes=self._settings.max_download_bytes,
                    timeout=self._settings.download_timeout_seconds,
                    allow_private=self._settings.allow_private_urls,
                    on_progress=download_progress,
                )
            except UnsafeURLError as exc:
                raise PermanentError(str(exc)) from exc
            except DownloadError as exc:
                if exc.retryable:
                    raise RetryableError(str(exc)) from exc
                raise PermanentError(str(exc)) from exc
            await self._storage.put_file(key, result.path, result.content_type)
            if result.title:
                await asyncio.to_thread(self._set_title, video.id, result.title)
            return result.path
        if video.source_kind == "path" and not await self._storage.exists(key):
            path = Path(video.source)
            if not path.is_file():
                raise PermanentError(f"The file {path} does not exist or is not a regular file.")
            await self._storage.put_file(key, path)
        local_path = self._storage.local_path(key)
        if local_path is not None and local_path.exists():
            return local_path
        await self._storage.get_file(key, local)
        return local

    async def _probe(self, source: Path) -> MediaInfo:
        try:
            limits = MediaLimits(
                max_duration_seconds=self._settings.max_media_seconds,
                max_pixels=self._settings.max_video_pixels,
                max_streams=self._settings.max_media_streams,
            )
            return await asyncio.to_thread(probe_media, source, limits=limits)
        except MediaError as exc:
            raise PermanentError(str(exc)) from exc

    async def _store_poster(self, video_id: str, source: Path, work: Path, duration: float) -> None:
        """Best effort: a video without a poster is still a video."""
        poster = work / "poster.jpg"
        try:
            await extract_poster(source, poster, duration=duration)
        except FFmpegError as exc:
            log.warning("no poster for video %s: %s", video_id, exc)
            return
        await self._storage.put_file(poster_key(video_id), poster, "image/jpeg")

    def _set_title(self, video_id: str, title: str) -> None:
        with self._sessions.begin() as session:
            video = session.get(Video, video_id)
            if video is not None and not video.title:
                video.title = title[:300]

    def _record(self, video_id: str, info: MediaInfo, size: int) -> None:
        with self._sessions.begin() as session:
            video = session.get(Video, video_id)
            if video is None:
                return
            video.original_key = original_key(video_id)
            video.audio_key = audio_key(video_id)
            video.duration = info.duration
            video.width = info.width
            video.height = info.height
            video.size_bytes = size
            video.status = VideoStatus.TRANSCRIBING
            video.stage = Stage.TRANSCRIBE
            video.stage_progress = 0

    async def _enqueue_next(self, video_id: str, owner_id: object) -> None:
        # The owner rides along so every job in the chain says whose work it is.
        await self._queues.enqueue(
            QueueName.TRANSCRIPTION,
            stage_job_id(video_id, Stage.TRANSCRIBE),
            {"video_id": video_id, "owner_id": owner_id},
        )

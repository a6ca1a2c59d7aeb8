"""Export stage: render one clip to MP4 + thumbnail + SRT and store them."""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from clipforge.db import repository
from clipforge.db.tables import Export
from clipforge.domain.keys import (
    export_srt_key,
    export_thumbnail_key,
    export_video_key,
    export_vtt_key,
    original_key,
)
from clipforge.domain.status import ExportStatus
from clipforge.domain.transcript import Transcript, Word
from clipforge.media.export import ExportRequest, ExportResult, render_clip
from clipforge.media.ffmpeg import FFmpegError
from clipforge.media.probe import MediaError
from clipforge.pipeline.base import PermanentError, ProgressFn
from clipforge.pipeline.branding import prepare_branding
from clipforge.storage import Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _ExportPlan:
    video_id: str
    start: float
    end: float
    words: list[Word]
    aspect_ratio: str
    caption_style: str
    quality: str
    reframe: str
    already_done: bool
    caption_options: dict[str, Any] | None = None
    brand: dict[str, Any] | None = None


class ExportStage:
    def __init__(self, sessions: sessionmaker[Session], storage: Storage) -> None:
        self._sessions = sessions
        self._storage = storage

    async def run(self, data: dict[str, Any], progress: ProgressFn) -> None:
        export_id = str(data["export_id"])
        plan = await asyncio.to_thread(self._plan, export_id)
        if plan is None:
            log.warning("export %s no longer exists", export_id)
            return
        if plan.already_done:
            return
        await asyncio.to_thread(self._set_status, export_id, ExportStatus.RENDERING, 0)
        last = [0]

        async def report(fraction: float) -> None:
            percent = int(fraction * 100)
            await progress(fraction)
            if percent >= last[0] + 5:
                last[0] = percent
                await asyncio.to_thread(
                    self._set_status, export_id, ExportStatus.RENDERING, percent
                )

        work = Path(tempfile.mkdtemp(prefix=f"clipforge-export-{export_id}-"))
        try:
            key = original_key(plan.video_id)
            source = self._storage.local_path(key)
            if source is None or not source.exists():
                source = work / "original"
                await self._storage.get_file(key, source)
            custom_style, brand = await prepare_branding(
                self._storage,
                caption_style=plan.caption_style,
                caption_options=plan.caption_options,
                brand=plan.brand,
                folder=work / "brand",
            )
            request = ExportRequest(
                source=source,
                start=plan.start,
                end=plan.end,
                words=plan.words,
                aspect_ratio=plan.aspect_ratio,
                caption_style=plan.caption_style,
                quality=plan.quality,
                custom_style=custom_style,
                brand=brand,
                reframe=plan.reframe,
            )
            try:
                result = await render_clip(request, work / "out", on_progress=report)
            except (MediaError, FFmpegError) as exc:
                raise PermanentError(f"The clip could not be rendered: {exc}") from exc
            await self._store(export_id, result)
            await asyncio.to_thread(self._finish, export_id, result)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        await progress(1.0)

    async def on_failed(self, data: dict[str, Any], reason: str) -> None:
        await asyncio.to_thread(self._fail, str(data["export_id"]), reason)

    def _plan(self, export_id: str) -> _ExportPlan | None:
        with self._sessions() as session:
            export = repository.get_export(session, export_id)
            if export is None:
                return None
            clip = export.clip
            row = repository.get_transcript(session, clip.video_id)
            words = []
            if row is not None:
                transcript = Transcript.from_dict(row.data)
                words = [w for w in transcript.words if w.end > clip.start and w.start < clip.end]
            return _ExportPlan(
                video_id=clip.video_id,
                start=clip.start,
                end=clip.end,
                words=words,
                aspect_ratio=export.aspect_ratio,
                caption_style=export.caption_style,
                quality=export.quality,
                reframe=export.reframe,
                caption_options=export.caption_options,
                brand=export.brand,
                already_done=export.status == ExportStatus.READY,
            )

    async def _store(self, export_id: str, result: ExportResult) -> None:
        # Fixed keys per export: a replay overwrites the same objects, never adds new ones.
        await self._storage.put_file(export_video_key(export_id), result.video, "video/mp4")
        await self._storage.put_file(
            export_thumbnail_key(export_id), result.thumbnail, "image/jpeg"
        )
        await self._storage.put_file(export_srt_key(export_id), result.srt, "application/x-subrip")
        if result.vtt is not None:
            await self._storage.put_file(export_vtt_key(export_id), result.vtt, "text/vtt")

    def _set_status(self, export_id: str, status: ExportStatus, percent: int) -> None:
        with self._sessions.begin() as session:
            export = session.get(Export, export_id)
            if export is not None and export.status != ExportStatus.READY:
                export.status = status
                export.progress = percent

    def _finish(self, export_id: str, result: ExportResult) -> None:
        with self._sessions.begin() as session:
            export = session.get(Export, export_id)
            if export is None:
                return
            export.status = ExportStatus.READY
            export.progress = 100
            export.error = None
            export.video_key = export_video_key(export_id)
            export.thumbnail_key = export_thumbnail_key(export_id)
            export.srt_key = export_srt_key(export_id)
            export.vtt_key = export_vtt_key(export_id) if result.vtt is not None else None
            export.duration = result.duration
            export.width = result.width
            export.height = result.height

    def _fail(self, export_id: str, reason: str) -> None:
        with self._sessions.begin() as session:
            export = session.get(Export, export_id)
            if export is not None:
                export.status = ExportStatus.FAILED
                export.error = reason

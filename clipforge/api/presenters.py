"""Turn rows into response models (one place, so every route shows the same shape)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import Request

from clipforge.api.schemas import BatchOut, ClipOut, ExportOut, StageOut, VideoOut
from clipforge.db.tables import Clip, Export, ExportBatch, Video
from clipforge.domain.status import Stage, VideoStatus, export_job_id, stage_states
from clipforge.services import batch_state


def _aware(value: datetime) -> datetime:
    """SQLite returns naive datetimes; every one we store is UTC, so say so."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def video_out(video: Video, request: Request) -> VideoOut:
    stages = stage_states(
        VideoStatus(video.status),
        Stage(video.stage) if video.stage else None,
        video.stage_progress,
        Stage(video.failed_stage) if video.failed_stage else None,
    )
    # Built once: url_for walks the route table, and this runs on every status poll.
    media = str(request.url_for("video_media", video_id=video.id)) if video.original_key else None
    return VideoOut(
        id=video.id,
        status=video.status,  # type: ignore[arg-type]
        stage=video.stage,
        progress=video.progress,
        stage_progress=video.stage_progress,
        stages=[StageOut(name=s.value, state=st.value, progress=p) for s, st, p in stages],
        error=video.error,
        failed_stage=video.failed_stage,
        source_kind=video.source_kind,
        source=video.source if video.source_kind != "path" else video.title or "",
        title=video.title,
        duration=video.duration,
        width=video.width,
        height=video.height,
        created_at=_aware(video.created_at),
        updated_at=_aware(video.updated_at),
        poster_url=f"{media}?kind=poster" if media and video.width else None,
        source_url=f"{media}?kind=source" if media else None,
        detect_options=video.detect_options,
        language=video.language,
    )


def clip_out(clip: Clip) -> ClipOut:
    return ClipOut(
        id=clip.id,
        video_id=clip.video_id,
        rank=clip.rank,
        start=clip.start,
        end=clip.end,
        duration=round(clip.end - clip.start, 3),
        score=clip.score,
        breakdown=clip.breakdown,
        title=clip.title,
        description=clip.description or "",
        hashtags=list(clip.hashtags or []),
        reason=clip.reason,
        text=clip.text,
    )


def export_out(export: Export, request: Request) -> ExportOut:
    ready = export.status == "ready"

    def link(kind: str) -> str | None:
        if not ready:
            return None
        return str(request.url_for("download_export", export_id=export.id)) + f"?file={kind}"

    return ExportOut(
        id=export.id,
        clip_id=export.clip_id,
        aspect_ratio=export.aspect_ratio,
        caption_style=export.caption_style,
        quality=export.quality,
        reframe=export.reframe,
        status=export.status,  # type: ignore[arg-type]
        progress=export.progress,
        error=export.error,
        job_id=export_job_id(export.id),
        duration=export.duration,
        width=export.width,
        height=export.height,
        download_url=link("video"),
        thumbnail_url=link("thumbnail"),
        srt_url=link("srt"),
        vtt_url=link("vtt") if export.vtt_key else None,
        created_at=_aware(export.created_at),
        updated_at=_aware(export.updated_at),
        caption=export.caption_options,
        brand=export.brand,
    )


def batch_out(batch: ExportBatch, request: Request) -> BatchOut:
    status, progress = batch_state(batch.exports)
    ready = sum(e.status == "ready" for e in batch.exports)
    finished = status in ("ready", "partial", "failed")
    return BatchOut(
        id=batch.id,
        video_id=batch.video_id,
        status=status,  # type: ignore[arg-type]
        progress=progress,
        total=len(batch.exports),
        ready=ready,
        failed=sum(e.status == "failed" for e in batch.exports),
        items=[export_out(e, request) for e in batch.exports],
        zip_url=(
            str(request.url_for("batch_zip", batch_id=batch.id)) if finished and ready else None
        ),
        created_at=_aware(batch.created_at),
    )

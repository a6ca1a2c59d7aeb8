"""Use cases shared by the API, the CLI and the dashboard. They own the transactions.

A request records intent and enqueues; it never does media work itself.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit
from uuid import uuid4

from clipforge.bootstrap import Resources
from clipforge.db import repository
from clipforge.db.tables import Clip, Export, Transcript, Video
from clipforge.domain.captions import get_caption_style
from clipforge.domain.framing import parse_aspect_ratio
from clipforge.domain.keys import original_key, poster_key
from clipforge.domain.status import (
    STAGE_ORDER,
    ExportStatus,
    Stage,
    VideoStatus,
    export_job_id,
    stage_job_id,
)
from clipforge.domain.transcript import Transcript as TranscriptData
from clipforge.domain.trim import snap_to_words
from clipforge.media.export import get_quality_preset
from clipforge.net_safety import UnsafeURLError, check_url
from clipforge.pipeline.base import mark_video_failed
from clipforge.queues.client import QueueUnavailable
from clipforge.queues.definitions import QueueName

_STAGE_QUEUE = {
    Stage.IMPORT: QueueName.IMPORT,
    Stage.TRANSCRIBE: QueueName.TRANSCRIPTION,
    Stage.DETECT: QueueName.DETECTION,
}


class NotFound(Exception):
    """The resource does not exist (or is not visible to the caller)."""


class InvalidRequest(ValueError):
    """The request is well-formed but cannot be carried out; the message says why."""


class LimitExceeded(Exception):
    """A per-user limit (running jobs, storage quota) stops this request for now."""

    def __init__(self, message: str, *, retry_after: int | None = None, status: int = 429):
        super().__init__(message)
        self.retry_after = retry_after
        self.status = status


@dataclass(frozen=True, slots=True)
class Submitted:
    video_id: str
    job_id: str


def _new_id() -> str:
    return uuid4().hex


def _check_job_limit(res: Resources, owner_id: str) -> None:
    limit = res.settings.max_concurrent_jobs
    with res.sessions() as session:
        running = repository.active_job_count(session, owner_id)
    if running >= limit:
        raise LimitExceeded(
            f"You have {running} jobs running; the limit is {limit}. "
            "Wait for one to finish, then try again.",
            retry_after=30,
        )


def _check_quota(res: Resources, owner_id: str, new_bytes: int) -> None:
    quota = res.settings.storage_quota_bytes
    with res.sessions() as session:
        used = repository.stored_bytes(session, owner_id)
    if used + new_bytes > quota:
        raise LimitExceeded(
            f"This upload would take your storage to {_gib(used + new_bytes)} of your "
            f"{_gib(quota)} quota. Delete videos you no longer need, or ask the operator.",
            status=413,
        )


def _gib(size: int) -> str:
    return f"{size / 1024**3:.2f} GiB"


async def _create_and_enqueue(res: Resources, video: Video) -> Submitted:
    def insert() -> None:
        with res.sessions.begin() as session:
            session.add(video)

    await asyncio.to_thread(insert)
    job_id = stage_job_id(video.id, Stage.IMPORT)
    try:
        await res.queues.enqueue(
            QueueName.IMPORT, job_id, {"video_id": video.id, "owner_id": video.owner_id}
        )
    except QueueUnavailable:
        # Keep what the user sent: the video shows why and can be retried when Redis is back.
        await asyncio.to_thread(
            mark_video_failed,
            res.sessions,
            video.id,
            Stage.IMPORT,
            "The job queue was unavailable when this video was submitted; press Retry.",
        )
        raise
    return Submitted(video.id, job_id)


def _display_name(name: str | None) -> str:
    """A user's file name, for display only: no path parts, no control characters, bounded."""
    if not name:
        return "upload"
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    if cleaned in ("", ".", ".."):
        return "upload"
    return cleaned[:200]


async def submit_upload(
    res: Resources, owner_id: str, temp_file: Path, filename: str | None
) -> Submitted:
    """Store an uploaded file under a generated key and start the pipeline."""
    size = temp_file.stat().st_size
    await asyncio.to_thread(_check_job_limit, res, owner_id)
    await asyncio.to_thread(_check_quota, res, owner_id, size)
    video_id = _new_id()
    await res.storage.put_file(original_key(video_id), temp_file)
    display = _display_name(filename)
    video = Video(
        id=video_id,
        owner_id=owner_id,
        status=VideoStatus.QUEUED,
        source_kind="upload",
        source=display,
        title=display,
        size_bytes=size,
    )
    return await _create_and_enqueue(res, video)


async def submit_url(res: Resources, owner_id: str, url: str) -> Submitted:
    """Vet the URL now (a clear 400 beats a failed job); the worker vets it again."""
    url = url.strip()
    try:
        await asyncio.to_thread(check_url, url, allow_private=res.settings.allow_private_urls)
    except UnsafeURLError as exc:
        raise InvalidRequest(str(exc)) from exc
    await asyncio.to_thread(_check_job_limit, res, owner_id)
    host = urlsplit(url).hostname or url
    video = Video(
        id=_new_id(),
        owner_id=owner_id,
        status=VideoStatus.QUEUED,
        source_kind="url",
        source=url,
        title=host,
    )
    return await _create_and_enqueue(res, video)


async def submit_path(res: Resources, owner_id: str, path: Path) -> Submitted:
    """A file on the server's own disk (CLI). Copied into storage by the import stage."""
    path = path.expanduser().resolve()
    if not path.is_file():
        raise InvalidRequest(f"{path} does not exist or is not a file.")
    video = Video(
        id=_new_id(),
        owner_id=owner_id,
        status=VideoStatus.QUEUED,
        source_kind="path",
        source=str(path),
        title=path.name[:200],
        size_bytes=path.stat().st_size,
    )
    return await _create_and_enqueue(res, video)


def get_video(res: Resources, owner_id: str, video_id: str) -> Video:
    with res.sessions() as session:
        video = repository.get_video(session, video_id, owner_id)
        if video is None:
            raise NotFound(f"video {video_id} not found")
        return video


def list_videos(
    res: Resources, owner_id: str, *, limit: int, offset: int
) -> tuple[Sequence[Video], int]:
    with res.sessions() as session:
        return repository.list_videos(session, owner_id, limit=limit, offset=offset)


def get_transcript(res: Resources, owner_id: str, video_id: str) -> Transcript:
    with res.sessions() as session:
        if repository.get_video(session, video_id, owner_id) is None:
            raise NotFound(f"video {video_id} not found")
        row = repository.get_transcript(session, video_id)
        if row is None:
            raise InvalidRequest("The transcript is not ready yet; wait for the video to finish.")
        return row


def list_clips(res: Resources, owner_id: str, video_id: str) -> Sequence[Clip]:
    with res.sessions() as session:
        if repository.get_video(session, video_id, owner_id) is None:
            raise NotFound(f"video {video_id} not found")
        return repository.list_clips(session, video_id)


async def retry_video(res: Resources, owner_id: str, video_id: str) -> Submitted:
    """Run a failed video again from the stage that failed."""
    video = await asyncio.to_thread(get_video, res, owner_id, video_id)
    if video.status != VideoStatus.FAILED:
        raise InvalidRequest("Only a failed video can be retried.")
    stage = Stage(video.failed_stage) if video.failed_stage else STAGE_ORDER[0]
    queue = _STAGE_QUEUE[stage]
    job_id = stage_job_id(video_id, stage)
    await res.queues.remove(queue, job_id)

    def reset() -> None:
        with res.sessions.begin() as session:
            row = session.get(Video, video_id)
            if row is not None:
                row.status = VideoStatus.QUEUED
                row.error = None
                row.failed_stage = None
                row.stage = stage

    await asyncio.to_thread(reset)
    try:
        await res.queues.enqueue(queue, job_id, {"video_id": video_id, "owner_id": owner_id})
    except QueueUnavailable:
        await asyncio.to_thread(
            mark_video_failed,
            res.sessions,
            video_id,
            stage,
            "The job queue was unavailable when the retry was requested; press Retry again.",
        )
        raise
    return Submitted(video_id, job_id)


async def create_export(
    res: Resources,
    owner_id: str,
    clip_id: str,
    aspect_ratio: str,
    caption_style: str,
    quality: str = "standard",
) -> Export:
    try:
        aspect = parse_aspect_ratio(aspect_ratio)
        style = get_caption_style(caption_style)
        preset = get_quality_preset(quality)
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc

    def insert() -> Export:
        with res.sessions.begin() as session:
            if repository.get_clip(session, clip_id, owner_id) is None:
                raise NotFound(f"clip {clip_id} not found")
            export = Export(
                id=_new_id(),
                clip_id=clip_id,
                owner_id=owner_id,
                aspect_ratio=str(aspect),
                caption_style=style.name,
                quality=preset.name,
                status=ExportStatus.QUEUED,
                progress=0,
            )
            session.add(export)
            return export

    await asyncio.to_thread(_check_job_limit, res, owner_id)
    export = await asyncio.to_thread(insert)
    try:
        await res.queues.enqueue(
            QueueName.EXPORT,
            export_job_id(export.id),
            {"export_id": export.id, "owner_id": owner_id},
        )
    except QueueUnavailable:

        def fail() -> None:
            with res.sessions.begin() as session:
                row = session.get(Export, export.id)
                if row is not None:
                    row.status = ExportStatus.FAILED
                    row.error = "The job queue was unavailable; request the export again."

        await asyncio.to_thread(fail)
        raise
    return export


def get_export(res: Resources, owner_id: str, export_id: str) -> Export:
    with res.sessions() as session:
        export = repository.get_export(session, export_id, owner_id)
        if export is None:
            raise NotFound(f"export {export_id} not found")
        return export


async def trim_clip(res: Resources, owner_id: str, clip_id: str, start: float, end: float) -> Clip:
    """Move a clip's edges, snapped to word boundaries; later exports use the new range."""

    def update() -> Clip:
        with res.sessions.begin() as session:
            clip = repository.get_clip(session, clip_id, owner_id)
            if clip is None:
                raise NotFound(f"clip {clip_id} not found")
            row = repository.get_transcript(session, clip.video_id)
            if row is None:
                raise InvalidRequest("The transcript is missing; the clip cannot be adjusted.")
            transcript = TranscriptData.from_dict(row.data)
            try:
                trim = snap_to_words(transcript.words, start, end, duration=transcript.duration)
            except ValueError as exc:
                raise InvalidRequest(str(exc)) from exc
            clip.start, clip.end, clip.text = trim.start, trim.end, trim.text
            return clip

    return await asyncio.to_thread(update)


async def media_key(res: Resources, owner_id: str, video_id: str, kind: str) -> str:
    """The storage key of a video's original or poster, after the ownership check."""
    video = await asyncio.to_thread(get_video, res, owner_id, video_id)
    key = original_key(video.id) if kind == "source" else poster_key(video.id)
    if kind == "source" and video.original_key is None:
        raise InvalidRequest("The video has not been imported yet.")
    if not await res.storage.exists(key):
        raise NotFound(f"the video has no {kind}")
    return key

"""Use cases shared by the API, the CLI and the dashboard. They own the transactions.

A request records intent and enqueues; it never does media work itself.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

from clipforge.asr.languages import language_code
from clipforge.bootstrap import Resources
from clipforge.db import repository
from clipforge.db.tables import Clip, Export, ExportBatch, Transcript, Video
from clipforge.domain.captions import get_caption_style
from clipforge.domain.framing import DEFAULT_REFRAME, parse_aspect_ratio, parse_reframe
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
from clipforge.pipeline.detect import resolve_detect_options
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
    await _enqueue_stage(
        res,
        video.id,
        Stage.IMPORT,
        job_id,
        {"video_id": video.id, "owner_id": video.owner_id},
        "The job queue was unavailable when this video was submitted; press Retry.",
    )
    return Submitted(video.id, job_id)


async def _enqueue_stage(
    res: Resources,
    video_id: str,
    stage: Stage,
    job_id: str,
    data: dict[str, Any],
    unavailable_reason: str,
) -> None:
    """Queue a stage's job. If Redis is down, keep what the user sent: the video is marked
    failed with `unavailable_reason` (so it can be retried when Redis is back) and the
    QueueUnavailable goes on to the caller (a 503)."""
    try:
        await res.queues.enqueue(_STAGE_QUEUE[stage], job_id, data)
    except QueueUnavailable:
        await asyncio.to_thread(
            mark_video_failed, res.sessions, video_id, stage, unavailable_reason
        )
        raise


def _display_name(name: str | None) -> str:
    """A user's file name, for display only: no path parts, no control characters, bounded."""
    if not name:
        return "upload"
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = "".join(ch for ch in base if ch.isprintable()).strip()
    if cleaned in ("", ".", ".."):
        return "upload"
    return cleaned[:200]


def _checked_language(language: str | None) -> str | None:
    """The ISO code of a language a user named ("German", "de", "de-AT"); None: detect."""
    if language is None or not language.strip() or language.strip().lower() == "auto":
        return None
    code = language_code(language)
    if code is None:
        raise InvalidRequest(
            f"Unknown language {language[:40]!r}: use an ISO code such as 'en' or 'de', "
            "or leave it empty to detect the language."
        )
    return code


def _checked_detect_options(
    res: Resources, overrides: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """What the user asked detection for, validated now (a clear 400 beats a failed job)."""
    if not overrides or all(v is None for v in overrides.values()):
        return None
    return _resolved_detect_options(res, overrides)


def _resolved_detect_options(res: Resources, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """The settings' defaults with the user's overrides, as stored on the video."""
    try:
        return resolve_detect_options(res.settings, overrides).to_dict()
    except ValueError as exc:
        raise InvalidRequest(f"Detection options: {exc}") from exc


async def submit_upload(
    res: Resources,
    owner_id: str,
    temp_file: Path,
    filename: str | None,
    detect: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> Submitted:
    """Store an uploaded file under a generated key and start the pipeline."""
    detect_options = _checked_detect_options(res, detect)
    code = _checked_language(language)
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
        detect_options=detect_options,
        language=code,
    )
    return await _create_and_enqueue(res, video)


async def submit_url(
    res: Resources,
    owner_id: str,
    url: str,
    detect: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> Submitted:
    """Vet the URL now (a clear 400 beats a failed job); the worker vets it again."""
    detect_options = _checked_detect_options(res, detect)
    code = _checked_language(language)
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
        detect_options=detect_options,
        language=code,
    )
    return await _create_and_enqueue(res, video)


async def submit_path(
    res: Resources,
    owner_id: str,
    path: Path,
    detect: Mapping[str, Any] | None = None,
    language: str | None = None,
) -> Submitted:
    """A file on the server's own disk (CLI). Copied into storage by the import stage."""
    detect_options = _checked_detect_options(res, detect)
    code = _checked_language(language)
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
        detect_options=detect_options,
        language=code,
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
    await _enqueue_stage(
        res,
        video_id,
        stage,
        job_id,
        {"video_id": video_id, "owner_id": owner_id},
        "The job queue was unavailable when the retry was requested; press Retry again.",
    )
    return Submitted(video_id, job_id)


async def redetect_video(
    res: Resources, owner_id: str, video_id: str, detect: Mapping[str, Any]
) -> Submitted:
    """Find clips again with new options. Clips already exported are kept; the rest replaced."""
    options = _resolved_detect_options(res, detect)
    video = await asyncio.to_thread(get_video, res, owner_id, video_id)
    if video.status != VideoStatus.READY:
        raise InvalidRequest("Clips can be found again once the video is ready.")
    await asyncio.to_thread(_check_job_limit, res, owner_id)

    def mark_queued() -> None:
        with res.sessions.begin() as session:
            row = session.get(Video, video_id)
            if row is not None:
                row.detect_options = options
                row.status = VideoStatus.QUEUED
                row.stage = Stage.DETECT
                row.stage_progress = 0

    await asyncio.to_thread(mark_queued)
    # A fresh id each time: the first detection's job id is taken (and kept for a while).
    job_id = f"{stage_job_id(video_id, Stage.DETECT)}-{uuid4().hex[:8]}"
    await _enqueue_stage(
        res,
        video_id,
        Stage.DETECT,
        job_id,
        {"video_id": video_id, "owner_id": owner_id, "replace": True},
        "The job queue was unavailable when new clips were requested; press Retry.",
    )
    return Submitted(video_id, job_id)


@dataclass(frozen=True, slots=True)
class ExportOptions:
    """Validated render options shared by single and batch exports."""

    caption_style: str
    quality: str
    reframe: str = DEFAULT_REFRAME.value
    #: Caption overrides and brand snapshots recorded on the export (services_brand).
    caption: dict[str, Any] | None = None
    brand: dict[str, Any] | None = None

    @classmethod
    def parse(
        cls, caption_style: str, quality: str, reframe: str = DEFAULT_REFRAME.value
    ) -> ExportOptions:
        try:
            return cls(
                get_caption_style(caption_style).name,
                get_quality_preset(quality).name,
                parse_reframe(reframe).value,
            )
        except ValueError as exc:
            raise InvalidRequest(str(exc)) from exc

    def branded(
        self, res: Resources, owner_id: str, caption: Mapping[str, Any] | None, brand: bool | None
    ) -> ExportOptions:
        """These options plus the caller's caption overrides and brand kit, checked."""
        # Imported here: services_brand builds on this module's errors.
        from clipforge.services_brand import export_branding

        caption_json, brand_json = export_branding(
            res, owner_id, self.caption_style, caption, brand
        )
        return dataclasses.replace(self, caption=caption_json, brand=brand_json)


def _parse_aspect(value: str) -> str:
    try:
        return str(parse_aspect_ratio(value))
    except ValueError as exc:
        raise InvalidRequest(str(exc)) from exc


def _new_export(
    owner_id: str, clip_id: str, aspect: str, options: ExportOptions, batch_id: str | None
) -> Export:
    return Export(
        id=_new_id(),
        clip_id=clip_id,
        owner_id=owner_id,
        aspect_ratio=aspect,
        caption_style=options.caption_style,
        quality=options.quality,
        reframe=options.reframe,
        status=ExportStatus.QUEUED,
        progress=0,
        batch_id=batch_id,
        caption_options=options.caption,
        brand=options.brand,
    )


async def _enqueue_exports(res: Resources, owner_id: str, exports: Sequence[Export]) -> None:
    """One job per export; if the queue is down, the rows say so instead of waiting forever."""
    try:
        for export in exports:
            await res.queues.enqueue(
                QueueName.EXPORT,
                export_job_id(export.id),
                {"export_id": export.id, "owner_id": owner_id},
            )
    except QueueUnavailable:

        def fail() -> None:
            with res.sessions.begin() as session:
                for export in exports:
                    row = session.get(Export, export.id)
                    if row is not None and row.status == ExportStatus.QUEUED:
                        row.status = ExportStatus.FAILED
                        row.error = "The job queue was unavailable; request the export again."

        await asyncio.to_thread(fail)
        raise


async def create_export(
    res: Resources,
    owner_id: str,
    clip_id: str,
    aspect_ratio: str,
    caption_style: str,
    quality: str = "standard",
    *,
    caption: Mapping[str, Any] | None = None,
    brand: bool | None = None,
    reframe: str = DEFAULT_REFRAME.value,
) -> Export:
    aspect = _parse_aspect(aspect_ratio)
    options = ExportOptions.parse(caption_style, quality, reframe)
    options = await asyncio.to_thread(options.branded, res, owner_id, caption, brand)

    def insert() -> Export:
        with res.sessions.begin() as session:
            if repository.get_clip(session, clip_id, owner_id) is None:
                raise NotFound(f"clip {clip_id} not found")
            export = _new_export(owner_id, clip_id, aspect, options, None)
            session.add(export)
            return export

    await asyncio.to_thread(_check_job_limit, res, owner_id)
    export = await asyncio.to_thread(insert)
    await _enqueue_exports(res, owner_id, [export])
    return export


MAX_BATCH_ITEMS = 100


async def create_batch(
    res: Resources,
    owner_id: str,
    video_id: str,
    clip_ids: Sequence[str] | None,
    aspect_ratios: Sequence[str],
    caption_style: str,
    quality: str = "standard",
    *,
    caption: Mapping[str, Any] | None = None,
    brand: bool | None = None,
    reframe: str = DEFAULT_REFRAME.value,
) -> ExportBatch:
    """Export many clips x many aspect ratios; each item is its own job, so one failure
    leaves the others alone. A batch counts once against the running-jobs limit."""
    aspects = list(dict.fromkeys(_parse_aspect(a) for a in aspect_ratios))
    if not aspects:
        raise InvalidRequest("Choose at least one aspect ratio.")
    options = ExportOptions.parse(caption_style, quality, reframe)
    options = await asyncio.to_thread(options.branded, res, owner_id, caption, brand)

    def insert() -> ExportBatch:
        with res.sessions.begin() as session:
            if repository.get_video(session, video_id, owner_id) is None:
                raise NotFound(f"video {video_id} not found")
            clips = list(repository.list_clips(session, video_id))
            if clip_ids is not None:
                wanted = list(dict.fromkeys(clip_ids))
                by_id = {c.id: c for c in clips}
                missing = [c for c in wanted if c not in by_id]
                if missing:
                    raise NotFound(f"clip {missing[0]} not found in this video")
                clips = [by_id[c] for c in wanted]
            if not clips:
                raise InvalidRequest("This video has no clips to export yet.")
            if len(clips) * len(aspects) > MAX_BATCH_ITEMS:
                raise InvalidRequest(
                    f"A batch can hold at most {MAX_BATCH_ITEMS} exports; "
                    f"this one would have {len(clips) * len(aspects)}."
                )
            batch = ExportBatch(id=_new_id(), owner_id=owner_id, video_id=video_id)
            session.add(batch)
            session.flush()
            for clip in clips:
                for aspect in aspects:
                    session.add(_new_export(owner_id, clip.id, aspect, options, batch.id))
            session.flush()
            session.refresh(batch)
            _ = list(batch.exports)  # load the items before the session closes
            return batch

    await asyncio.to_thread(_check_job_limit, res, owner_id)
    batch = await asyncio.to_thread(insert)
    await _enqueue_exports(res, owner_id, batch.exports)
    return batch


def get_batch(res: Resources, owner_id: str, batch_id: str) -> ExportBatch:
    with res.sessions() as session:
        batch = session.get(ExportBatch, batch_id)
        if batch is None or batch.owner_id != owner_id:
            raise NotFound(f"batch {batch_id} not found")
        _ = list(batch.exports)
        return batch


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


def batch_state(exports: Sequence[Export]) -> tuple[str, int]:
    """A batch's status and mean progress: finished items count as 100 %."""
    if not exports:
        return "failed", 0
    done = [e for e in exports if e.status in (ExportStatus.READY, ExportStatus.FAILED)]
    progress = sum(100 if e in done else e.progress for e in exports) // len(exports)
    if len(done) < len(exports):
        running = any(e.status == ExportStatus.RENDERING for e in exports) or done
        return ("rendering" if running else "queued"), progress
    ready = sum(e.status == ExportStatus.READY for e in exports)
    if ready == len(exports):
        return "ready", 100
    return ("partial" if ready else "failed"), 100


async def write_batch_zip(res: Resources, batch: ExportBatch, dest: Path) -> Path:
    """A ZIP of every ready item's MP4, SRT and VTT, plus a manifest naming failed items."""
    with res.sessions() as session:
        clips = {c.id: c for c in repository.list_clips(session, batch.video_id)}
    entries: list[dict[str, object]] = []
    work = dest.parent / f"{dest.name}.parts"
    work.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as archive:
            for export in batch.exports:
                clip = clips.get(export.clip_id)
                rank = clip.rank if clip else 0
                stem = f"clip-{rank:02d}-{export.aspect_ratio.replace(':', 'x')}-{export.id[:6]}"
                entry: dict[str, object] = {
                    "export_id": export.id,
                    "clip_rank": rank,
                    "title": clip.title if clip else None,
                    "aspect_ratio": export.aspect_ratio,
                    "status": export.status,
                    "error": export.error,
                    "files": [],
                }
                if export.status == ExportStatus.READY:
                    for key, ext in (
                        (export.video_key, "mp4"),
                        (export.srt_key, "srt"),
                        (export.vtt_key, "vtt"),
                    ):
                        if key is None:
                            continue
                        local = work / f"{stem}.{ext}"
                        await res.storage.get_file(key, local)
                        # MP4s are already compressed: store, don't deflate again.
                        archive.write(local, local.name)
                        local.unlink()
                        entry["files"].append(local.name)  # type: ignore[attr-defined]
                entries.append(entry)
            archive.writestr(
                "manifest.json",
                json.dumps(
                    {"batch_id": batch.id, "video_id": batch.video_id, "items": entries}, indent=2
                ),
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest

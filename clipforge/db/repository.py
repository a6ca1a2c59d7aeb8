"""Queries and writes on the tables. Callers own the transaction (services, stage runners).

Every read a user can trigger is scoped by owner: another user's row is simply not found.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, contains_eager

from clipforge.db.tables import Clip, Export, Transcript, Video


def get_video(session: Session, video_id: str, owner_id: str | None = None) -> Video | None:
    """A video by id; with `owner_id`, only if that user owns it."""
    video = session.get(Video, video_id)
    if video is None or (owner_id is not None and video.owner_id != owner_id):
        return None
    return video


def list_videos(
    session: Session, owner_id: str, *, limit: int, offset: int
) -> tuple[Sequence[Video], int]:
    rows = session.scalars(
        select(Video)
        .where(Video.owner_id == owner_id)
        .order_by(Video.created_at.desc(), Video.id)
        .limit(limit)
        .offset(offset)
    ).all()
    total = session.scalar(select(func.count()).where(Video.owner_id == owner_id)) or 0
    return rows, total


def get_transcript(session: Session, video_id: str) -> Transcript | None:
    return session.scalar(select(Transcript).where(Transcript.video_id == video_id))


def list_clips(session: Session, video_id: str) -> Sequence[Clip]:
    return session.scalars(select(Clip).where(Clip.video_id == video_id).order_by(Clip.rank)).all()


def count_clips(session: Session, video_id: str) -> int:
    return session.scalar(select(func.count()).where(Clip.video_id == video_id)) or 0


def get_clip(session: Session, clip_id: str, owner_id: str | None = None) -> Clip | None:
    """A clip by id; with `owner_id`, only if that user owns its video.

    One query: the video (which carries the owner) is joined and loaded with the clip.
    """
    query = (
        select(Clip).join(Clip.video).options(contains_eager(Clip.video)).where(Clip.id == clip_id)
    )
    if owner_id is not None:
        query = query.where(Video.owner_id == owner_id)
    return session.scalar(query)


def get_export(session: Session, export_id: str, owner_id: str | None = None) -> Export | None:
    export = session.get(Export, export_id)
    if export is None or (owner_id is not None and export.owner_id != owner_id):
        return None
    return export


def active_job_count(session: Session, owner_id: str) -> int:
    """Videos still in the pipeline plus exports still rendering: the user's running work."""
    videos = session.scalar(
        select(func.count()).where(
            Video.owner_id == owner_id, Video.status.not_in(("ready", "failed"))
        )
    )
    exports = session.scalar(
        select(func.count()).where(
            Export.owner_id == owner_id, Export.status.in_(("queued", "rendering"))
        )
    )
    return int(videos or 0) + int(exports or 0)


def stored_bytes(session: Session, owner_id: str) -> int:
    """Bytes of originals the user has stored (what the storage quota counts)."""
    total = session.scalar(
        select(func.coalesce(func.sum(Video.size_bytes), 0)).where(Video.owner_id == owner_id)
    )
    return int(total or 0)

"""Queries and writes on the tables. Callers own the transaction (services, stage runners)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clipforge.db.tables import Clip, Export, Transcript, Video


def get_video(session: Session, video_id: str) -> Video | None:
    return session.get(Video, video_id)


def list_videos(session: Session, *, limit: int, offset: int) -> tuple[Sequence[Video], int]:
    rows = session.scalars(
        select(Video).order_by(Video.created_at.desc(), Video.id).limit(limit).offset(offset)
    ).all()
    total = session.scalar(select(func.count()).select_from(Video)) or 0
    return rows, total


def get_transcript(session: Session, video_id: str) -> Transcript | None:
    return session.scalar(select(Transcript).where(Transcript.video_id == video_id))


def list_clips(session: Session, video_id: str) -> Sequence[Clip]:
    return session.scalars(select(Clip).where(Clip.video_id == video_id).order_by(Clip.rank)).all()


def count_clips(session: Session, video_id: str) -> int:
    return session.scalar(select(func.count()).where(Clip.video_id == video_id)) or 0


def get_clip(session: Session, clip_id: str) -> Clip | None:
    return session.get(Clip, clip_id)


def get_export(session: Session, export_id: str) -> Export | None:
    return session.get(Export, export_id)

"""A short Redis cache of video status rows, so dashboards polling every few seconds do not
each cost a database query.

What is cached is the row (its column values), not the response: the response carries
absolute URLs built from the request, which differ between API hosts. Keys name the owner as
well as the video, and a hit is checked against the caller again, so one user's entry can
never answer another user. Entries live `status_cache_seconds`: a stage a worker finished
shows within that time. API-side writes (retry) delete the entry at once. Redis trouble never
fails a read: the cache is skipped and the database answers.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import DateTime
from sqlalchemy.orm.attributes import manager_of_class

from clipforge.db.tables import Video

log = logging.getLogger(__name__)

_COLUMNS = tuple(Video.__table__.columns)
_VIDEO_CLASS = manager_of_class(Video)
_DATETIME_COLUMNS = frozenset(c.key for c in _COLUMNS if isinstance(c.type, DateTime))
#: Errors that mean "Redis is not answering": the cache is skipped, never the request.
_REDIS_ERRORS = (RedisError, OSError, TimeoutError)


def encode_video(video: Video) -> bytes:
    row: dict[str, Any] = {}
    for column in _COLUMNS:
        value = getattr(video, column.key)
        row[column.key] = value.isoformat() if isinstance(value, datetime) else value
    return json.dumps(row, separators=(",", ":")).encode()


def decode_video(raw: bytes | str) -> Video:
    """A detached, read-only Video built from a cached row.

    Made the way the ORM makes loaded rows (a new instance, values put in its __dict__),
    not through `Video(**row)`, whose per-attribute change tracking costs more than the
    rest of a cached poll together.
    """
    row: dict[str, Any] = json.loads(raw)
    for key in _DATETIME_COLUMNS:
        if row.get(key) is not None:
            row[key] = datetime.fromisoformat(row[key])
    video: Video = _VIDEO_CLASS.new_instance()
    video.__dict__.update(row)
    return video


class StatusCache:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl_ms = int(ttl_seconds * 1000)

    @property
    def enabled(self) -> bool:
        return self._ttl_ms > 0

    def key(self, owner_id: str, video_id: str) -> str:
        return f"{self._prefix}:status:{owner_id}:{video_id}"

    async def get(self, owner_id: str, video_id: str) -> Video | None:
        """The cached row, or None (not cached, disabled, unreadable, or Redis down)."""
        if not self.enabled:
            return None
        try:
            raw = await self._redis.get(self.key(owner_id, video_id))
        except _REDIS_ERRORS as exc:
            log.warning("status cache skipped, Redis unavailable: %s", type(exc).__name__)
            return None
        if raw is None:
            return None
        try:
            video = decode_video(raw)
        except (ValueError, TypeError) as exc:  # written by another release, or damaged
            log.warning("status cache entry ignored: %s", exc)
            return None
        # The key already names the owner; checking the row too costs nothing.
        if video.owner_id != owner_id or video.id != video_id:
            return None
        return video

    async def put(self, video: Video) -> None:
        if not self.enabled:
            return
        try:
            await self._redis.set(
                self.key(video.owner_id, video.id), encode_video(video), px=self._ttl_ms
            )
        except _REDIS_ERRORS as exc:
            log.warning("status not cached, Redis unavailable: %s", type(exc).__name__)

    async def invalidate(self, owner_id: str, video_id: str) -> None:
        try:
            await self._redis.delete(self.key(owner_id, video_id))
        except _REDIS_ERRORS as exc:
            # The entry expires on its own within the TTL.
            log.warning("status cache not cleared, Redis unavailable: %s", type(exc).__name__)

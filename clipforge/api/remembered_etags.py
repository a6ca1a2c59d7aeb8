"""ETags of video reads remembered in Redis, so a poll whose answer has not changed is a 304
without touching the database.

Each video has one Redis hash (clipforge/video_versions.py): a version, bumped by every
commit that changes the video, its clips or its transcript, and one field per read (host and
request target) holding the owner, the ETag answered and the version it was computed at. A
remembered ETag counts only while the version is unchanged, so a write anywhere makes it
stale at once; the version is read *before* the database is, so a write racing with the read
can only make the entry stale, never wrong. Redis trouble only costs the shortcut.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from clipforge.video_versions import VERSION_FIELD, versions_key

log = logging.getLogger(__name__)

_REDIS_ERRORS = (RedisError, OSError, TimeoutError)
_NO_VERSION = "-"


@dataclass(frozen=True, slots=True)
class Lookup:
    """What Redis holds for one read: the video's version now, and the remembered answer."""

    version: str
    owner_id: str | None = None
    etag: str | None = None
    at_version: str | None = None

    def answers(self, owner_id: str, request_tags: list[str]) -> bool:
        """True when the caller's ETag is the one remembered, for this owner, still current."""
        return (
            self.etag is not None
            and self.owner_id == owner_id
            and self.at_version == self.version
            and self.etag in request_tags
        )


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RememberedETags:
    def __init__(self, redis: Redis, prefix: str, ttl_seconds: float) -> None:
        self._redis = redis
        self._prefix = prefix
        self._ttl = max(1, int(ttl_seconds))

    async def lookup(self, video_id: str, read: str) -> Lookup | None:
        """One round trip; None when Redis cannot answer (then nothing is remembered either)."""
        try:
            version, entry = await self._redis.hmget(
                versions_key(self._prefix, video_id), [VERSION_FIELD, read]
            )
        except _REDIS_ERRORS as exc:
            log.warning("remembered ETags skipped, Redis unavailable: %s", type(exc).__name__)
            return None
        now = _text(version) if version is not None else _NO_VERSION
        if entry is None:
            return Lookup(now)
        owner_id, at_version, etag = _text(entry).split(" ", 2)
        return Lookup(now, owner_id, etag, at_version)

    async def remember(
        self, video_id: str, read: str, owner_id: str, etag: str, version: str
    ) -> None:
        key = versions_key(self._prefix, video_id)
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hset(key, read, f"{owner_id} {version} {etag}")
                pipe.expire(key, self._ttl)
                await pipe.execute()
        except _REDIS_ERRORS as exc:
            log.warning("ETag not remembered, Redis unavailable: %s", type(exc).__name__)

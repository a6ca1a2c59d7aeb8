"""A version number per video in Redis, bumped whenever a commit changes the video, its clips
or its transcript — from any process: API, worker or CLI.

The API answers conditional reads of a video (`If-None-Match` on its status, clips or
transcript) from ETags it remembered together with the version they were computed at
(clipforge/api/conditional.py); a bump makes every one of them stale at once. This module is
the writing half: a SQLAlchemy session hook, so no write path can forget it.

Redis being down never fails a commit: the bump is skipped with a warning and retried with
the process's next bump; until then a remembered ETag of that video is trusted for at most
`etag_cache_seconds` (the lifetime of its hash).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import redis
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, UOWTransaction, sessionmaker

from clipforge.db.tables import Clip, Transcript, Video

log = logging.getLogger(__name__)

#: The hash field holding the version; the other fields are remembered ETags.
VERSION_FIELD = "_v"
_PENDING = "clipforge_changed_videos"
_REDIS_ERRORS = (redis.RedisError, OSError)
#: Bumps that failed and wait for the next attempt, at most this many videos.
_MAX_UNBUMPED = 10_000


def versions_key(prefix: str, video_id: str) -> str:
    """One Redis hash per video: its version and the ETags remembered at that version."""
    return f"{prefix}:video:{video_id}:reads"


def changed_video_ids(objects: Iterable[object]) -> set[str]:
    """The videos whose reads change when these rows are written."""
    out: set[str] = set()
    for obj in objects:
        if isinstance(obj, Video):
            out.add(obj.id)
        elif isinstance(obj, Clip | Transcript):
            out.add(obj.video_id)
    return out


class VersionBumper:
    """Bumps the versions of the videos a committed transaction changed."""

    def __init__(self, client: redis.Redis, prefix: str, ttl_seconds: float) -> None:
        self._client = client
        self._prefix = prefix
        self._ttl = max(1, int(ttl_seconds))
        self._lock = threading.Lock()  # commits happen on many threads
        self._unbumped: set[str] = set()

    def bump(self, video_ids: Iterable[str]) -> None:
        with self._lock:
            wanted = self._unbumped | set(video_ids)
            self._unbumped = set()
        if not wanted:
            return
        ids = sorted(wanted)
        try:
            with self._client.pipeline(transaction=False) as pipe:
                for video_id in ids:
                    key = versions_key(self._prefix, video_id)
                    pipe.hincrby(key, VERSION_FIELD, 1)
                    pipe.expire(key, self._ttl)
                pipe.execute()
        except _REDIS_ERRORS as exc:
            log.warning(
                "video read versions not bumped (%d videos, retried with the next commit),"
                " Redis unavailable: %s",
                len(ids),
                type(exc).__name__,
            )
            with self._lock:
                self._unbumped.update(ids[:_MAX_UNBUMPED])

    def install(self, sessions: sessionmaker[Session]) -> None:
        """Hook every session the factory makes: collect at flush, bump after commit."""

        def collect(session: Session, _flush: UOWTransaction, _instances: object) -> None:
            # After a flush, the flushed rows are no longer in new/dirty: record them here.
            changed = changed_video_ids([*session.new, *session.dirty, *session.deleted])
            if changed:
                session.info.setdefault(_PENDING, set()).update(changed)

        def committed(session: Session) -> None:
            self.bump(session.info.pop(_PENDING, ()))

        def rolled_back(session: Session, previous: SessionTransaction) -> None:
            if previous.parent is None:  # the whole transaction, not a savepoint in it
                session.info.pop(_PENDING, None)

        event.listen(sessions, "before_flush", collect)
        event.listen(sessions, "after_commit", committed)
        event.listen(sessions, "after_soft_rollback", rolled_back)

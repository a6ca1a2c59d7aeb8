"""What the scale and load benchmarks share: a scratch database, processes, small videos.

The benchmarks run ClipForge as production does: `clipforge api` and `clipforge worker` as
separate OS processes against one PostgreSQL and one Redis (from DATABASE_URL / REDIS_URL or
their TEST_ twins), each run in a database of its own that is dropped afterwards.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy import create_engine, text

from tests.support.processes import Processes as _Processes


def server_urls() -> tuple[str, str]:
    """PostgreSQL and Redis to run against; both are needed (several processes share them)."""
    db = os.environ.get("DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    redis = os.environ.get("REDIS_URL") or os.environ.get("TEST_REDIS_URL")
    if not (db and redis and db.startswith(("postgres://", "postgresql"))):
        raise SystemExit(
            "set DATABASE_URL (PostgreSQL) and REDIS_URL, or TEST_DATABASE_URL / TEST_REDIS_URL"
        )
    return db, redis


@contextmanager
def scratch_database(base_url: str) -> Iterator[str]:
    """A new, empty database on the server of `base_url`; dropped on exit."""
    parts = urlsplit(base_url)
    scheme = "postgresql+psycopg" if parts.scheme in ("postgres", "postgresql") else parts.scheme
    admin = create_engine(
        urlunsplit((scheme, parts.netloc, parts.path, "", "")), isolation_level="AUTOCOMMIT"
    )
    name = f"clipforge_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Processes(_Processes):
    """The shared process group, with a benchmark's way to fail: exit with the log's tail."""

    def check_alive(self) -> None:
        for proc, log in zip(self.procs, self.logs, strict=True):
            if proc.poll() is not None:
                tail = log.read_text(errors="replace")[-2000:]
                raise SystemExit(f"{log.stem} exited ({proc.returncode}):\n{tail}")

    def wait_for_log(self, log: Path, needle: str, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while needle not in log.read_text(errors="replace"):
            self.check_alive()
            if time.monotonic() > deadline:
                raise SystemExit(f"{log.stem} did not say {needle!r} in {timeout:.0f}s")
            time.sleep(0.2)

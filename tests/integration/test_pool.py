"""The pool hands out `connection_limit` connections and times out the next checkout."""

import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout

from clipforge.config import parse_database_url
from clipforge.db.engine import build_engine


def _target(database_url, tmp_path, limit, timeout):
    base = database_url or f"sqlite:///{tmp_path / 'pool.sqlite3'}"
    sep = "&" if "?" in base else "?"
    return parse_database_url(f"{base}{sep}connection_limit={limit}&pool_timeout={timeout}", 1, 1)


def test_the_21st_checkout_waits_then_fails_after_pool_timeout(database_url, tmp_path):
    engine = build_engine(_target(database_url, tmp_path, 20, 1.5))
    held = []
    try:
        for _ in range(20):
            conn = engine.connect()
            conn.execute(text("SELECT 1"))
            held.append(conn)
        started = time.monotonic()
        with pytest.raises(PoolTimeout) as caught:
            engine.connect()
        waited = time.monotonic() - started
        assert waited >= 1.4, "the 21st checkout must wait for pool_timeout before failing"
        assert "timed out" in str(caught.value).lower()
        # Returning one connection lets the next checkout through at once.
        held.pop().close()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar() == 1
    finally:
        for conn in held:
            conn.close()
        engine.dispose()


def test_settings_map_onto_the_pool(database_url, tmp_path):
    engine = build_engine(_target(database_url, tmp_path, 3, 2))
    try:
        assert engine.pool.size() == 3
        assert engine.pool._timeout == 2  # type: ignore[attr-defined]
        assert engine.pool._max_overflow == 0  # type: ignore[attr-defined]
    finally:
        engine.dispose()

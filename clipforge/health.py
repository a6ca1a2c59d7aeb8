"""Dependency checks for the health endpoints: database, Redis and storage.

The Redis check connects with the very URL the queues use (see queues.connection), so it
reports `up` exactly when the queues can work.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import text

from clipforge.bootstrap import Resources
from clipforge.queues.connection import ping_redis

CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    up: bool
    latency_ms: float
    error: str | None


def _describe(exc: BaseException) -> str:
    # Class names only: messages can carry hosts, ports and credentials.
    if isinstance(exc, TimeoutError):
        return f"no answer within {CHECK_TIMEOUT_SECONDS:.0f}s"
    return f"unreachable ({type(exc).__name__})"


async def _timed(name: str, probe: Callable[[], Awaitable[None]]) -> CheckResult:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(probe(), timeout=CHECK_TIMEOUT_SECONDS)
    except Exception as exc:
        return CheckResult(name, False, (time.perf_counter() - started) * 1000, _describe(exc))
    return CheckResult(name, True, (time.perf_counter() - started) * 1000, None)


def _database_probe(res: Resources) -> Callable[[], Awaitable[None]]:
    def database() -> None:
        with res.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    async def probe() -> None:
        await asyncio.to_thread(database)

    return probe


def _storage_probe(res: Resources) -> Callable[[], Awaitable[None]]:
    async def probe() -> None:
        await res.storage.ping()

    return probe


async def check_all(res: Resources) -> list[CheckResult]:
    async def redis_probe() -> None:
        await asyncio.to_thread(ping_redis, res.redis_url, CHECK_TIMEOUT_SECONDS)

    return list(
        await asyncio.gather(
            _timed("database", _database_probe(res)),
            _timed("redis", redis_probe),
            _timed("storage", _storage_probe(res)),
        )
    )


class WorkerProbe:
    """What a worker asks before it waits out an outage: do the database and storage answer?

    Redis is not asked: a worker that cannot reach Redis has no job to hold (the queue
    library reconnects by itself, and the stalled check re-runs a job whose lock lapsed).
    """

    def __init__(self, res: Resources) -> None:
        self._checks = {"database": _database_probe(res), "storage": _storage_probe(res)}

    async def failing(self) -> list[str]:
        results = await asyncio.gather(
            *(_timed(name, probe) for name, probe in self._checks.items())
        )
        return [r.name for r in results if not r.up]


def overall_status(results: list[CheckResult]) -> str:
    """`down` when the database is (nothing can be served), `degraded` when anything else is."""
    by_name = {r.name: r for r in results}
    if not by_name["database"].up:
        return "down"
    return "ok" if all(r.up for r in results) else "degraded"

"""Requests per minute per API key (or user), counted in Redis so every API process shares it."""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

from clipforge.api.errors import ApiError

log = logging.getLogger(__name__)

WINDOW_SECONDS = 60


def _now() -> float:
    """Wall-clock seconds (a seam, so tests can hold the window still)."""
    return time.time()


async def check_rate(redis: Redis, prefix: str, identity: str, limit: int) -> None:
    """Fixed one-minute windows: simple, one INCR per request, and shared across processes.

    Fails open: a Redis outage must not lock every user out of reading their own work.
    """
    now = _now()
    window = int(now // WINDOW_SECONDS)
    key = f"{prefix}:ratelimit:{identity}:{window}"
    try:
        count = int(await redis.incr(key))
        if count == 1:
            await redis.expire(key, WINDOW_SECONDS * 2)
    except (RedisError, OSError, TimeoutError) as exc:
        log.warning("rate limit not checked, Redis unavailable: %s", type(exc).__name__)
        return
    if count > limit:
        retry_after = max(1, int((window + 1) * WINDOW_SECONDS - now) + 1)
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests: the limit is {limit} per minute. Retry in {retry_after} s.",
            headers={"Retry-After": str(retry_after)},
        )

"""Waiting in a test for something another task or process will do."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def wait_until(
    predicate: Callable[[], Awaitable[T | None]],
    timeout: float,
    what: str,
    interval: float = 0.2,
) -> T:
    """The predicate's first truthy value, polled every `interval` seconds up to `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")

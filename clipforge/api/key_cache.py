"""A few seconds' memory of valid credentials (API keys, dashboard sessions), per API process.

Every API call names its key or carries its session cookie; looking either up is a database
round trip that would otherwise be most of a status poll's cost. Only credentials found valid
are remembered (an unknown one always reaches the database), by digest (the secret itself is
not kept), for `TTL_SECONDS`: a revoked key or an ended session stops working within that
time in every process (at once in the process that signed it out).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

from clipforge.accounts import SignedIn, digest
from clipforge.db.tables import ApiKey, User

TTL_SECONDS = 10.0
MAX_ENTRIES = 10_000

V = TypeVar("V")


class KeyCache(Generic[V]):
    def __init__(self, ttl_seconds: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, V]] = OrderedDict()

    def get(self, secret: str) -> V | None:
        name = digest(secret)
        entry = self._entries.get(name)
        if entry is None:
            return None
        if time.monotonic() - entry[0] > self._ttl:
            del self._entries[name]
            return None
        return entry[1]

    async def get_or_load(self, secret: str, load: Callable[[str], V | None]) -> V | None:
        """The remembered value, else `load(secret)` run in a worker thread (a database
        read), remembered when found. An unknown secret is never remembered."""
        found = self.get(secret)
        if found is None:
            found = await asyncio.to_thread(load, secret)
            if found is not None:
                self.put(secret, found)
        return found

    def put(self, secret: str, value: V) -> None:
        name = digest(secret)
        self._entries[name] = (time.monotonic(), value)
        self._entries.move_to_end(name)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)  # oldest first

    def forget(self, secret: str) -> None:
        self._entries.pop(digest(secret), None)


def app_key_cache(state: object) -> KeyCache[tuple[User, ApiKey]]:
    """The API-key cache of one app (its `app.state`), made on first use."""
    cache: KeyCache[tuple[User, ApiKey]] | None = getattr(state, "key_cache", None)
    if cache is None:
        cache = KeyCache()
        state.key_cache = cache  # type: ignore[attr-defined]
    return cache


def app_session_cache(state: object) -> KeyCache[SignedIn]:
    """The dashboard-session cache of one app (its `app.state`), made on first use."""
    cache: KeyCache[SignedIn] | None = getattr(state, "session_cache", None)
    if cache is None:
        cache = KeyCache()
        state.session_cache = cache  # type: ignore[attr-defined]
    return cache

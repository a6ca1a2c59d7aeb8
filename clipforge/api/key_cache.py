"""A few seconds' memory of valid API keys, per API process.

Every API call names its key; looking it up is a database round trip that would otherwise be
most of a status poll's cost. Only keys found valid are remembered (an unknown key always
reaches the database), by digest (the secret itself is not kept), for `TTL_SECONDS`: a
revoked key stops working within that time in every process.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from clipforge.accounts import digest
from clipforge.db.tables import ApiKey, User

TTL_SECONDS = 10.0
MAX_ENTRIES = 10_000


class KeyCache:
    def __init__(self, ttl_seconds: float = TTL_SECONDS, max_entries: int = MAX_ENTRIES) -> None:
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, User, ApiKey]] = OrderedDict()

    def get(self, secret: str) -> tuple[User, ApiKey] | None:
        name = digest(secret)
        entry = self._entries.get(name)
        if entry is None:
            return None
        if time.monotonic() - entry[0] > self._ttl:
            del self._entries[name]
            return None
        return entry[1], entry[2]

    def put(self, secret: str, user: User, key: ApiKey) -> None:
        name = digest(secret)
        self._entries[name] = (time.monotonic(), user, key)
        self._entries.move_to_end(name)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)  # oldest first


def app_key_cache(state: object) -> KeyCache:
    """The cache of one app (its `app.state`), made on first use."""
    cache: KeyCache | None = getattr(state, "key_cache", None)
    if cache is None:
        cache = KeyCache()
        state.key_cache = cache  # type: ignore[attr-defined]
    return cache

"""The loudness track stored on a transcript (`extra["loudness"]`), read defensively.

Transcripts come from the database and from older versions: a missing or malformed track
means "no audio evidence", never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def read_loudness(extra: Mapping[str, Any]) -> tuple[float, list[float]] | None:
    """(hop in seconds, dBFS per hop), or None when the track is absent or malformed."""
    raw = extra.get("loudness")
    if not isinstance(raw, Mapping):
        return None
    hop, dbfs = raw.get("hop_seconds"), raw.get("dbfs")
    if not isinstance(hop, int | float) or hop <= 0 or not isinstance(dbfs, list) or not dbfs:
        return None
    try:
        return float(hop), [float(v) for v in dbfs]
    except (TypeError, ValueError):
        return None

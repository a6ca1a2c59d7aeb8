"""The audio tracks stored on a transcript (`extra["loudness"]`, `extra["pitch"]`), read
defensively.

Transcripts come from the database and from older versions: a missing or malformed track
means "no audio evidence", never an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def read_track(extra: Mapping[str, Any], name: str, field: str) -> tuple[float, list[float]] | None:
    """(hop in seconds, one value per hop) of `extra[name]`, whose values are in `field`
    ("dbfs" for loudness, "hz" for pitch), or None when the track is absent or malformed."""
    raw = extra.get(name)
    if not isinstance(raw, Mapping):
        return None
    hop, values = raw.get("hop_seconds"), raw.get(field)
    if not isinstance(hop, int | float) or hop <= 0 or not isinstance(values, list) or not values:
        return None
    try:
        return float(hop), [float(v) for v in values]
    except (TypeError, ValueError):
        return None

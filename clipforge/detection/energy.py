"""Speech energy from the loudness track the transcription stage stores with a transcript.

`transcript.extra["loudness"]` is {"hop_seconds": float, "dbfs": [float, ...]}: one level per
hop from the start of the source. Prefix sums make the mean and spread of any window O(1).
Without a track (older transcripts) every window is neutral, so energy never decides alone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from clipforge.detection.audio_tracks import read_track

#: Levels at or below this are pauses or noise floor, not speech: they are left out of the
#: window's statistics so that pauses do not count as quiet speech.
SPEECH_DBFS = -50.0
#: Decibels above the show's average speech level that count as fully energetic.
LOUDER_DB = 6.0
NEUTRAL = 0.5


class LoudnessProfile:
    """Mean and spread of the speech level over any time range, and the show's average."""

    def __init__(self, hop_seconds: float, dbfs: list[float]) -> None:
        self.hop = hop_seconds
        speech = [v if math.isfinite(v) and v > SPEECH_DBFS else None for v in dbfs]
        self._count = [0]
        self._sum = [0.0]
        self._sq = [0.0]
        for v in speech:
            self._count.append(self._count[-1] + (v is not None))
            self._sum.append(self._sum[-1] + (v or 0.0))
            self._sq.append(self._sq[-1] + (v or 0.0) ** 2)
        levels = [v for v in speech if v is not None]
        self.average = sum(levels) / len(levels) if levels else SPEECH_DBFS

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> LoudnessProfile | None:
        """The profile from a transcript's extra data, or None if absent or malformed."""
        track = read_track(extra, "loudness", "dbfs")
        return None if track is None else cls(*track)

    def stats(self, start: float, end: float) -> tuple[float, float] | None:
        """Mean and standard deviation of the speech level over [start, end], None if the
        range holds no speech the track knows of."""
        n = len(self._sum) - 1
        a = max(0, min(n, int(start / self.hop)))
        b = max(0, min(n, math.ceil(end / self.hop)))
        count = self._count[b] - self._count[a] if b > a else 0
        if count == 0:
            return None
        mean = (self._sum[b] - self._sum[a]) / count
        var = max(0.0, (self._sq[b] - self._sq[a]) / count - mean * mean)
        return mean, math.sqrt(var)


def speech_energy(profile: LoudnessProfile | None, start: float, end: float) -> float:
    """0-1: louder than the show's average speech is higher, quieter lower; 0.5 if unknown.

    Emphasis, laughter and excitement raise the level; a quiet aside lowers it. The level is
    relative to the same show, so recording gain does not matter.
    """
    if profile is None:
        return NEUTRAL
    found = profile.stats(start, end)
    if found is None:
        return NEUTRAL
    mean, _spread = found
    value = NEUTRAL + 0.5 * (mean - profile.average) / LOUDER_DB
    return min(1.0, max(0.0, value))

"""Changes of voice between sentences, heard in the pitch track the transcription stage stores.

A clip is best when it is one person's turn: the host's question before an answer, or a
listener's remark after a story, belongs to another turn. Words and pauses only hint at
where turns change; the voice itself says it. One speaker's typical pitch stays within a
few semitones from one sentence to the next, while two people usually differ by more (men
and women by about an octave), so a large jump in a sentence's median pitch is a change of
speaker. Two similar voices (two men of the same register) show no jump: the evidence is
one-sided, a jump marks a change and its absence says nothing.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from clipforge.detection.audio_tracks import read_track

#: Voiced hops a sentence needs before its pitch is trusted (0.3 s of voice at 0.1 s hops).
MIN_VOICED_HOPS = 3
#: Jumps in median pitch (natural log of the ratio) between sentences. Up to NO_CHANGE
#: (16%, under three semitones) one speaker moves as often as not; from CHANGE (28%, about
#: four semitones) it is another voice.
NO_CHANGE = 0.15
CHANGE = 0.25


@dataclass(frozen=True, slots=True)
class PitchTrack:
    """Pitch in Hz per hop (0 where no voice is heard), from `extra["pitch"]`."""

    hop_seconds: float
    hz: Sequence[float]

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> PitchTrack | None:
        """The track stored on a transcript, or None when it is absent or malformed."""
        track = read_track(extra, "pitch", "hz")
        if track is None or any(v < 0 for v in track[1]):
            return None
        return cls(*track)

    def median(self, start: float, end: float) -> float | None:
        """Median pitch of the voiced hops from start to end, None with too few of them."""
        first = max(0, int(start / self.hop_seconds))
        last = min(len(self.hz), math.ceil(end / self.hop_seconds))
        voiced = [v for v in self.hz[first:last] if v > 0]
        return statistics.median(voiced) if len(voiced) >= MIN_VOICED_HOPS else None


class Timed(Protocol):
    """A sentence, or anything else with a start and an end in seconds."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


def voice_changes(track: PitchTrack, spans: Sequence[Timed]) -> list[float]:
    """0-1 per gap between consecutive spans: how surely another voice speaks after it.

    0 up to a jump of NO_CHANGE in median pitch, 1 from CHANGE, linear between; 0 where
    either side has too little voice to measure (a one-word reply may be too short).
    """
    pitches = [track.median(s.start, s.end) for s in spans]
    changes: list[float] = []
    for a, b in itertools.pairwise(pitches):
        if a is None or b is None:
            changes.append(0.0)
            continue
        jump = abs(math.log(b / a))
        changes.append(min(1.0, max(0.0, (jump - NO_CHANGE) / (CHANGE - NO_CHANGE))))
    return changes

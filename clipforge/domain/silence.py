"""Where silence begins in a loudness envelope (dBFS per hop): one rule for the transcript
clean-up (words made up in silence) and the detector (pauses heard in the audio)."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Silence lies this far under the loud end of the recording (its 95th percentile), clamped
#: to [FLOOR_DB, CEILING_DB]: relative, so a noisy recording's noise floor is not taken for
#: speech, and bounded, so a quiet or whispered one still has silence.
BELOW_SPEECH_DB = 35.0
FLOOR_DB = -60.0
CEILING_DB = -40.0


def silence_threshold(
    levels: Sequence[float],
    *,
    below_speech_db: float = BELOW_SPEECH_DB,
    floor_db: float = FLOOR_DB,
    ceiling_db: float = CEILING_DB,
) -> float:
    """The level (dBFS) under which a hop is silent; `floor_db` when there are no levels.
    Levels must be finite (sorting needs them comparable)."""
    if not levels:
        return floor_db
    ordered = sorted(levels)
    loud = ordered[min(len(ordered) - 1, math.floor(0.95 * len(ordered)))]
    return min(ceiling_db, max(floor_db, loud - below_speech_db))

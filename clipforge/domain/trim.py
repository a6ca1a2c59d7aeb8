"""Adjusting a clip's edges by hand: snap requested times onto word boundaries. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.domain.transcript import Word

#: A clip shorter than this is not worth exporting.
MIN_CLIP_SECONDS = 1.0
#: Breathing room kept before the first word and after the last, never into a neighbour.
EDGE_PAD_SECONDS = 0.15


@dataclass(frozen=True, slots=True)
class Trim:
    start: float
    end: float
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.clean for w in self.words).strip()


def snap_to_words(
    words: Sequence[Word], start: float, end: float, *, duration: float | None = None
) -> Trim:
    """The clip covering the words that start in [start, end), with edges at word edges.

    The start moves to the first such word's start and the end to the last one's end, each
    padded a little but never past the neighbouring word, so a clip never begins or ends
    mid-word. ValueError, with a sentence a person can act on, when nothing sensible is left.
    """
    if end <= start:
        raise ValueError("The clip must end after it starts.")
    inside = [w for w in words if w.start >= start - 1e-6 and w.start < end]
    if not inside:
        raise ValueError("No words are spoken between those times; choose a wider range.")
    first, last = inside[0], inside[-1]
    before = [w for w in words if w.end <= first.start]
    after = [w for w in words if w.start >= last.end]
    low = max(before[-1].end if before else 0.0, first.start - EDGE_PAD_SECONDS, 0.0)
    high = min(
        after[0].start if after else last.end + EDGE_PAD_SECONDS, last.end + EDGE_PAD_SECONDS
    )
    if duration is not None:
        high = min(high, duration)
    if high - low < MIN_CLIP_SECONDS:
        raise ValueError(f"The clip would be shorter than {MIN_CLIP_SECONDS:.0f} second.")
    return Trim(round(low, 3), round(high, 3), tuple(inside))

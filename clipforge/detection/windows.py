"""Candidate windows over whole sentences: fitting, duration repair, overlaps and padding.

A window is a run of consecutive sentence units (i, j), inclusive. It starts on a sentence's
first word and ends on a sentence's last word; only a sentence longer than the longest clip
is cut, at a clause break, so that it can fit at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from clipforge.detection.sentences import Sentence, make_sentence
from clipforge.domain.clips import SOFT_BREAK
from clipforge.domain.transcript import Word

#: Silence kept before the first and after the last word, so no syllable is clipped. The
#: tail is longer because speech decays after a word's timestamped end.
PAD_BEFORE = 0.2
PAD_AFTER = 0.3


def fit_units(sentences: Sequence[Sentence], max_seconds: float) -> list[Sentence]:
    """Sentences as they are, except any longer than max_seconds, cut into clause pieces.

    A piece ends at the last clause break (comma, semicolon, dash) that keeps it within
    max_seconds, or else at the longest pause between its words, or else at the last word
    that fits; never inside a word.
    """
    out: list[Sentence] = []
    for sentence in sentences:
        rest = list(sentence.words)
        while rest[-1].end - rest[0].start > max_seconds and len(rest) > 1:
            fit = 1
            while fit < len(rest) and rest[fit].end - rest[0].start <= max_seconds:
                fit += 1
            cut = _best_cut(rest, fit)
            out.append(make_sentence(rest[:cut]))
            rest = rest[cut:]
        out.append(make_sentence(rest) if len(rest) != len(sentence.words) else sentence)
    return out


def _best_cut(words: list[Word], fit: int) -> int:
    """Where to cut `words` so the first piece holds at most `fit` words (1 <= cut <= fit)."""
    fit = max(1, min(fit, len(words) - 1))
    for k in range(fit, 0, -1):
        if SOFT_BREAK.search(words[k - 1].clean):
            return k
    pauses = [(words[k].start - words[k - 1].end, k) for k in range(1, fit + 1)]
    gap, k = max(pauses)
    return k if gap > 0 else fit


def span(units: Sequence[Sentence], i: int, j: int) -> float:
    """Seconds from the first word of unit i to the last word of unit j."""
    return units[j].end - units[i].start


def windows(
    units: Sequence[Sentence], min_seconds: float, max_seconds: float
) -> Iterator[tuple[int, int]]:
    """Every run of units lasting between min_seconds and max_seconds, by start then end."""
    for i in range(len(units)):
        for j in range(i, len(units)):
            length = span(units, i, j)
            if length > max_seconds:
                break
            if length >= min_seconds:
                yield i, j


def repair(
    units: Sequence[Sentence],
    i: int,
    j: int,
    min_seconds: float,
    max_seconds: float,
    gap: Callable[[int], float],
) -> tuple[int, int] | None:
    """Grow or shrink the run (i, j) by whole units until it lasts min-max seconds.

    Too short: take in the neighbour across the weaker boundary (`gap(g)` is the strength
    of the boundary after unit g; edges of the transcript count as walls). Too long: drop the
    end unit that is more loosely attached, i.e. behind the stronger boundary. None if no
    run of whole units around (i, j) fits.
    """
    n = len(units)
    while span(units, i, j) < min_seconds:
        can_left, can_right = i > 0, j < n - 1
        if not (can_left or can_right):
            return None
        if can_left and (not can_right or gap(i - 1) < gap(j)):
            i -= 1
        else:
            j += 1
    while span(units, i, j) > max_seconds:
        if i == j:
            return None
        if gap(i) >= gap(j - 1):
            i += 1
        else:
            j -= 1
    return (i, j) if span(units, i, j) >= min_seconds else None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A window with the score it is ranked by."""

    score: float
    i: int
    j: int
    start: float
    end: float


R = TypeVar("R", bound=Ranked)


def remove_overlaps(ranked: Iterable[R], count: int) -> list[R]:
    """The best `count` windows, highest first, none sharing a moment with a better one.

    Ties go to the earlier, then the longer window, so the result is deterministic.
    """
    chosen: list[R] = []
    for cand in sorted(ranked, key=lambda r: (-r.score, r.start, -(r.end - r.start))):
        if all(cand.end <= c.start or cand.start >= c.end for c in chosen):
            chosen.append(cand)
            if len(chosen) == count:
                break
    return chosen


def pad(
    first: Word,
    last: Word,
    before: Word | None,
    after: Word | None,
    lower: float,
    upper: float,
    max_seconds: float,
) -> tuple[float, float]:
    """Clip edges around [first.start, last.end] with a little silence either side.

    Never reaching into the neighbouring words `before`/`after`, outside [lower, upper],
    or past max_seconds in total (the padding shrinks evenly if needed).
    """
    room = max(0.0, max_seconds - (last.end - first.start))
    scale = min(1.0, room / (PAD_BEFORE + PAD_AFTER))
    floor = max(lower, before.end if before is not None else lower)
    ceiling = min(upper, after.start if after is not None else upper)
    start = max(first.start - PAD_BEFORE * scale, min(floor, first.start))
    end = min(last.end + PAD_AFTER * scale, max(ceiling, last.end))
    return round(start, 3), round(end, 3)

"""Topic segmentation: where the talk moves on, scored at every gap between sentences.

TextTiling (Hearst, 1997) over lexical cohesion: at each sentence gap the content-word stems
just before are compared with those just after (cosine of term counts); a gap whose
similarity sits in a valley deeper than its surroundings (the depth score) is a likely topic
shift. Blocks of several sizes are compared and their depth scores averaged, so both quick
shifts and slow drifts show. Three more kinds of evidence join in: a longer pause than the
speaker's usual one, a change of register between content and filler (a sponsor read or
greeting ending), and a listener's response (a reaction or an echo) opening the next turn.
Each gap gets a strength in 0-1; gaps that stand out are the boundaries.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from clipforge.detection.analysis import SentenceInfo, opens_turn

#: Content words compared on each side of a gap: roughly one, two and four sentences.
BLOCK_SIZES = (10, 20, 40)
WEIGHT_LEXICAL = 0.35
WEIGHT_PAUSE = 0.35
WEIGHT_REGISTER = 0.3
#: Added where a listener's reaction opens the next sentence: the turn changes there.
WEIGHT_TURN = 0.3
#: Gaps either side a boundary is compared with to tell whether it is the local peak.
PEAK_SPAN = 2
#: Sentences either side averaged to tell content from filler around a gap.
REGISTER_SPAN = 2


@dataclass(frozen=True, slots=True)
class Segmentation:
    """`strength[g]` scores the gap after sentence g (len = sentences - 1);
    `segments` are the (first, last) sentence indices of each topic segment."""

    strength: tuple[float, ...]
    segments: tuple[tuple[int, int], ...]

    def gap(self, g: int) -> float:
        """Strength of the gap after sentence g; the transcript's edges count as full ones."""
        if g < 0 or g >= len(self.strength):
            return 1.0
        return self.strength[g]

    def edge(self, g: int) -> float:
        """How good a clip edge the gap after sentence g is: its strength, and whether it is
        the strongest gap within PEAK_SPAN sentences (a window that stops one sentence short
        of the real boundary is a worse fit than its strength alone says)."""
        if g < 0 or g >= len(self.strength):
            return 1.0
        s = self.strength[g]
        near = self.strength[max(0, g - PEAK_SPAN) : g] + self.strength[g + 1 : g + 1 + PEAK_SPAN]
        peak = 1.0 if not near or s >= max(near) else 0.0
        return 0.5 * s + 0.5 * peak


def segment(
    infos: Sequence[SentenceInfo],
    heard: Sequence[float] | None = None,
    voices: Sequence[float] | None = None,
) -> Segmentation:
    """Gap strengths and topic segments for the sentences in order.

    `heard`, when given, is the pause the audio shows at each gap (seconds), which counts
    where the word timings show less. `voices`, when given, is the evidence (0-1) that
    another voice speaks after each gap (`voices.voice_changes`): a turn as surely as a
    listener's reaction is.
    """
    n = len(infos)
    if n <= 1:
        return Segmentation(strength=(), segments=((0, 0),) if n else ())
    lexical = lexical_depth(infos)
    pauses = pause_evidence(infos, heard)
    register = register_change(infos)
    turns = reaction_turns(infos)
    if voices is not None:
        if len(voices) != len(turns):
            raise ValueError("voices must hold one change per gap between sentences")
        turns = [max(t, v) for t, v in zip(turns, voices, strict=True)]
    strength = tuple(
        min(1.0, WEIGHT_LEXICAL * a + WEIGHT_PAUSE * b + WEIGHT_REGISTER * c + WEIGHT_TURN * d)
        for a, b, c, d in zip(lexical, pauses, register, turns, strict=True)
    )
    return Segmentation(strength=strength, segments=tuple(_segments(strength)))


def lexical_depth(infos: Sequence[SentenceInfo]) -> list[float]:
    """TextTiling depth scores at each gap, averaged over BLOCK_SIZES, scaled to 0-1."""
    stems: list[str] = []
    cuts: list[int] = []  # position in `stems` of each gap
    for info in infos[:-1]:
        stems.extend(info.stems)
        cuts.append(len(stems))
    stems.extend(infos[-1].stems)
    combined = [0.0] * len(cuts)
    for size in BLOCK_SIZES:
        sims = [_cosine(stems[max(0, c - size) : c], stems[c : c + size]) for c in cuts]
        for g, d in enumerate(_depths(sims)):
            combined[g] += d / len(BLOCK_SIZES)
    return _scale(combined)


def pause_evidence(
    infos: Sequence[SentenceInfo],
    heard: Sequence[float] | None = None,
    spoken: Sequence[bool] | None = None,
) -> list[float]:
    """0-1 per gap: how much longer the pause is than the speaker's median pause.

    A gap's pause is the longer of the word timings' gap and `heard[g]`, the silence the
    audio shows there: recognisers often stretch a word over the pause after or before it.
    Where `spoken[g]` says the audio shows mostly sound between the words' timings, the
    gap is speech the recogniser did not write down, and only `heard[g]` counts.
    """
    gaps = [max(0.0, b.start - a.end) for a, b in itertools.pairwise(infos)]
    if heard is not None:
        if len(heard) != len(gaps):
            raise ValueError("heard must hold one pause per gap between sentences")
        gaps = [max(g, h) for g, h in zip(gaps, heard, strict=True)]
    if heard is not None and spoken is not None:
        # Where the audio shows sound through most of the words' gap, the recogniser left
        # speech out (a word it dropped, laughter): only the silence heard is a pause.
        if len(spoken) != len(gaps):
            raise ValueError("spoken must hold one flag per gap between sentences")
        gaps = [h if s else g for g, h, s in zip(gaps, heard, spoken, strict=True)]
    if not gaps:  # one sentence: no pause to weigh
        return []
    ordered = sorted(gaps)
    median = ordered[len(ordered) // 2]
    high = ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]
    spread = max(high - median, 0.25)
    return [min(1.0, max(0.0, (g - median) / spread)) for g in gaps]


def reaction_turns(infos: Sequence[SentenceInfo]) -> list[float]:
    """1 per gap followed by a listener's response (a reaction, "Wow.", "That's so true,
    ...", or an echo of the line before), else 0: whatever was being told ended there, and
    another speaker's turn begins."""
    return [1.0 if opens_turn(a, b) else 0.0 for a, b in itertools.pairwise(infos)]


def register_change(infos: Sequence[SentenceInfo]) -> list[float]:
    """0-1 per gap: difference in filler share between the sentences before and after it."""
    out = []
    for g in range(len(infos) - 1):
        before = infos[max(0, g - REGISTER_SPAN + 1) : g + 1]
        after = infos[g + 1 : g + 1 + REGISTER_SPAN]
        out.append(abs(_mean_filler(before) - _mean_filler(after)))
    return out


def _mean_filler(run: Sequence[SentenceInfo]) -> float:
    return sum(i.filler for i in run) / len(run) if run else 0.0


def _cosine(a: Sequence[str], b: Sequence[str]) -> float:
    if not a or not b:
        return 0.0
    ca, cb = Counter(a), Counter(b)
    dot = sum(v * cb.get(k, 0) for k, v in ca.items())
    if dot == 0:
        return 0.0
    na = math.sqrt(sum(v * v for v in ca.values()))
    nb = math.sqrt(sum(v * v for v in cb.values()))
    return dot / (na * nb)


def _depths(sims: Sequence[float]) -> list[float]:
    """Depth of each similarity valley: climb to the highest point on each side."""
    out = []
    n = len(sims)
    for g, s in enumerate(sims):
        left = s
        k = g - 1
        while k >= 0 and sims[k] >= left:
            left = sims[k]
            k -= 1
        right = s
        k = g + 1
        while k < n and sims[k] >= right:
            right = sims[k]
            k += 1
        out.append((left - s) + (right - s))
    return out


def _scale(values: list[float]) -> list[float]:
    """Divide by a high but robust level (mean + 2 std), so outliers do not flatten the rest."""
    if not values:
        return []
    mean = sum(values) / len(values)
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))
    top = mean + 2 * std
    if top <= 0:
        return [0.0] * len(values)
    return [min(1.0, v / top) for v in values]


def _segments(strength: Sequence[float]) -> list[tuple[int, int]]:
    """Boundaries at gaps that are local peaks above mean + std/2 (TextTiling's cut-off)."""
    n = len(strength) + 1
    mean = sum(strength) / len(strength)
    std = math.sqrt(sum((v - mean) ** 2 for v in strength) / len(strength))
    cutoff = mean + std / 2
    cuts = [
        g
        for g, v in enumerate(strength)
        if v > cutoff
        and (g == 0 or v >= strength[g - 1])
        and (g == len(strength) - 1 or v >= strength[g + 1])
    ]
    segments = []
    first = 0
    for g in cuts:
        segments.append((first, g))
        first = g + 1
    segments.append((first, n - 1))
    return segments

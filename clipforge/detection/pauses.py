"""Pauses the audio shows, where word timings hide them.

Whisper stretches a word's start back over the silence before it (and sometimes its end
forward), so the gap between two words' timestamps can be zero at a real pause. The loudness
track the transcription stage stores (`transcript.extra["loudness"]`, {"hop_seconds",
"dbfs"}) still shows that silence. This module finds silent runs inside a time range, which
segmentation uses as pause evidence and clip edges use to sit exactly in the silence.
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from clipforge.detection.audio_tracks import read_track
from clipforge.detection.sentences import Sentence, make_sentence
from clipforge.domain.silence import FLOOR_DB, silence_threshold

#: Shortest silence that counts as a pause (or the hop, if coarser): a stop consonant's
#: closure inside a word is shorter.
MIN_PAUSE_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class Run:
    """A silent stretch [start, end) in seconds."""

    start: float
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


class Silences:
    """Which hops of the loudness track are silent, and the silent runs inside a range."""

    def __init__(self, hop_seconds: float, dbfs: Sequence[float]) -> None:
        self.hop = hop_seconds
        # Silence is where the transcript clean-up finds it (one rule, domain/silence.py).
        levels = [v if math.isfinite(v) else FLOOR_DB - 1 for v in dbfs]
        self.threshold = silence_threshold(levels)
        self.silent = [v < self.threshold for v in levels]
        self.min_hops = max(1, math.ceil(MIN_PAUSE_SECONDS / hop_seconds - 1e-9))

    @classmethod
    def from_extra(cls, extra: Mapping[str, Any]) -> Silences | None:
        """From a transcript's extra data; None when the track is absent or malformed."""
        track = read_track(extra, "loudness", "dbfs")
        return None if track is None else cls(*track)

    def runs(self, start: float, end: float) -> list[Run]:
        """Silent runs of at least MIN_PAUSE_SECONDS made of hops wholly inside [start, end]."""
        first = max(0, math.ceil(start / self.hop - 1e-9))
        last = min(len(self.silent), math.floor(end / self.hop + 1e-9))  # exclusive
        out: list[Run] = []
        k = first
        while k < last:
            if not self.silent[k]:
                k += 1
                continue
            begin = k
            while k < last and self.silent[k]:
                k += 1
            if k - begin >= self.min_hops:
                out.append(Run(begin * self.hop, k * self.hop))
        return out

    def longest(self, start: float, end: float) -> float:
        """Seconds of the longest pause inside [start, end]; 0 when there is none."""
        return max((r.seconds for r in self.runs(start, end)), default=0.0)

    def voiced(self, start: float, end: float) -> bool:
        """Whether the audio shows mostly sound, not silence, in [start, end]: between two
        words' timings, speech the recogniser left out (a dropped word), not a pause.
        A stretch shorter than MIN_PAUSE_SECONDS is never called voiced."""
        if end - start < MIN_PAUSE_SECONDS:
            return False
        quiet = sum(r.seconds for r in self.runs(start, end))
        return quiet < 0.5 * (end - start)


def sentence_pause(silences: Silences, last_start: float, next_end: float) -> float:
    """The longest pause between one sentence and the next.

    The range runs from the start of the sentence's last word to the end of the next one's
    first word: either word may have been stretched over the pause, but no other word lies
    inside it, so a silence there is the pause between the two sentences.
    """
    return silences.longest(last_start, next_end)


#: A sentence longer than this (s) with a clear pause inside is more likely several that the
#: recogniser ran together (it writes no full stop in fast speech, across a listener's
#: interjection or after a dropped word) than one long one.
RUN_ON_SECONDS = 15.0
#: The silence (s) at which such a run-on is cut: well past a comma's pause, about the pause
#: between one speaker's sentences. Of the sentences over 15 s in the evaluation transcripts,
#: those made of one script sentence show none; the run-ons show one to eight.
RUN_ON_PAUSE = 0.6


def split_run_ons(sentences: Sequence[Sentence], silences: Silences) -> list[Sentence]:
    """The sentences, with any longer than RUN_ON_SECONDS cut at every silence of at least
    RUN_ON_PAUSE the audio shows between two of its words. Word timings cannot show these
    pauses: the recogniser stretches the words on either side over them."""
    out: list[Sentence] = []
    for sentence in sentences:
        if sentence.end - sentence.start <= RUN_ON_SECONDS:
            out.append(sentence)
            continue
        words = sentence.words
        ends = [w.end for w in words]
        # The pause comes before the first word still sounding after it: the recogniser
        # stretches that word back over the silence, and a word may hold a whole pause.
        cuts = sorted(
            {
                k
                for run in silences.runs(sentence.start, sentence.end)
                if run.seconds >= RUN_ON_PAUSE
                and 0 < (k := bisect.bisect_right(ends, run.end)) < len(words)
            }
        )
        if not cuts:
            out.append(sentence)
            continue
        bounds = [0, *cuts, len(words)]
        out.extend(make_sentence(words[a:b]) for a, b in itertools.pairwise(bounds))
    return out


#: How far before a clip's first word (or after its last) to look for the pause when there
#: is no neighbouring word to bound the search.
LOOK_SECONDS = 2.0
#: Silence kept before the speech onset and after the offset the audio shows. Small: the
#: onset is found to within a hop, and the hop's edge already lies in the silence.
ROOM_SECONDS = 0.05


def onset(silences: Silences, previous_start: float, first_end: float) -> float | None:
    """Where to start a clip: just before the end of the last pause between the previous
    word's start and the clip's first word's end, or None when the audio shows none."""
    runs = silences.runs(previous_start, first_end)
    if not runs:
        return None
    last = runs[-1]
    return max(last.start, last.end - ROOM_SECONDS)


def offset(silences: Silences, last_start: float, next_end: float) -> float | None:
    """Where to end a clip: just after the start of the first pause between the clip's last
    word's start and the next word's end, or None when the audio shows none."""
    runs = silences.runs(last_start, next_end)
    if not runs:
        return None
    first = runs[0]
    return min(first.end, first.start + ROOM_SECONDS)

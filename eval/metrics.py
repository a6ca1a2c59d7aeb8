"""Clip-detection metrics against labelled highlights. Pure: spans in, numbers out.

Definitions (all times in seconds on the episode's timeline):

* **Match.** A proposed clip C and a labelled highlight H match when their overlap is at
  least half of the shorter of the two spans: `overlap(C, H) >= 0.5 * min(|C|, |H|)` (and
  the overlap is positive). Matching is one-to-one: clips are taken in rank order and each
  takes the still-unmatched highlight it overlaps most, so a highlight counts at most once
  and two clips cut from one highlight earn one hit.
* **precision@k.** Matched clips among the top k proposals, divided by k. Fewer than k
  proposals count as misses (the detector was asked for k and a user sees what it gave).
* **tight precision@k.** The same with a stricter match: intersection over union >= 0.5.
  The half-of-the-shorter rule accepts a 15 s clip anywhere inside a 30 s highlight or a
  60 s clip that half-covers one; this one asks for a clip that is about the highlight.
* **recall.** Share of labelled highlights matched by any of the proposals given.
* **Boundary error.** Over matched pairs, the mean of |C.start - H.start| and of
  |C.end - H.end|, reported separately; None when nothing matched.
* **Mid-sentence share.** The script's sentences (exact spans from rendering) are mapped to
  the transcript's words. Each word belongs to the script sentence its text aligns with
  (difflib's longest matching blocks over `normalize_for_wer` tokens of script and
  transcript). A word that aligns with nothing (misheard) belongs to the sentence whose span
  is nearest its anchor in time (containing it, else the closest edge; the earlier on a
  tie); the anchor is 0.1 s before the word's end, or its midpoint if later, because
  recognisers often stretch a word's start back over the pause before it. A misheard word
  whose anchor falls in the pause between two sentences belongs to neither (a name heard
  as "you and...", its last piece stretched over the pause: nothing says which side it is
  on). A sentence's first and last words so mapped are its boundary words. A clip's edge
  words are the first and the last placed transcript word whose midpoint lies inside the
  clip. The clip *starts
  mid-sentence* when its first edge word is not the first word of a sentence, and *ends
  mid-sentence* when its last edge word is not the last word of a sentence; a clip that
  holds no word counts as both. The share is the fraction of proposals that start or end
  mid-sentence.
* **WER** is `clipforge.domain.text.word_error_rate(script, transcript text)`; **real-time
  factor** is recognition seconds / audio seconds.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol

from clipforge.domain.text import normalize_for_wer


class Timed(Protocol):
    """Anything with a start and an end in seconds (labels' spans, clips, transcript words)."""

    @property
    def start(self) -> float: ...

    @property
    def end(self) -> float: ...


#: Minimum overlap, as a share of the shorter span, for a clip to hit a highlight.
MATCH_RATIO = 0.5
#: Intersection over union needed under the stricter rule.
TIGHT_IOU = 0.5
#: How far before a word's end its anchor lies (see the module docstring).
ANCHOR_BEFORE_END = 0.1


def overlap(a: Timed, b: Timed) -> float:
    return max(0.0, min(a.end, b.end) - max(a.start, b.start))


def is_match(clip: Timed, highlight: Timed, ratio: float = MATCH_RATIO) -> bool:
    shorter = min(clip.end - clip.start, highlight.end - highlight.start)
    shared = overlap(clip, highlight)
    return shared > 0 and shared >= ratio * shorter


def iou(a: Timed, b: Timed) -> float:
    """Intersection over union of two spans (0 when they do not overlap)."""
    shared = overlap(a, b)
    union = (a.end - a.start) + (b.end - b.start) - shared
    return shared / union if union > 0 else 0.0


def is_tight_match(clip: Timed, highlight: Timed) -> bool:
    """The stricter rule: intersection over union >= 0.5, so the clip must be about the
    highlight, not a part of it or a long stretch around it."""
    return iou(clip, highlight) >= TIGHT_IOU


Rule = Callable[[Timed, Timed], bool]


def match(
    clips: Sequence[Timed], highlights: Sequence[Timed], rule: Rule = is_match
) -> list[tuple[int, int]]:
    """One-to-one (clip index, highlight index) pairs, clips taken in rank order."""
    taken: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for i, clip in enumerate(clips):
        best: int | None = None
        for j, highlight in enumerate(highlights):
            if j in taken or not rule(clip, highlight):
                continue
            if best is None or overlap(clip, highlight) > overlap(clip, highlights[best]):
                best = j
        if best is not None:
            taken.add(best)
            pairs.append((i, best))
    return pairs


def precision_at(
    clips: Sequence[Timed], highlights: Sequence[Timed], k: int = 5, rule: Rule = is_match
) -> float:
    if k < 1:
        raise ValueError("k must be >= 1")
    return len(match(clips[:k], highlights, rule)) / k


def recall(clips: Sequence[Timed], highlights: Sequence[Timed]) -> float:
    if not highlights:
        raise ValueError("recall needs at least one labelled highlight")
    return len(match(clips, highlights)) / len(highlights)


@dataclass(frozen=True, slots=True)
class BoundaryError:
    start: float
    end: float
    pairs: int


def boundary_error(clips: Sequence[Timed], highlights: Sequence[Timed]) -> BoundaryError | None:
    """Mean absolute start and end offsets over matched pairs; None when nothing matched."""
    pairs = match(clips, highlights)
    if not pairs:
        return None
    starts = [abs(clips[i].start - highlights[j].start) for i, j in pairs]
    ends = [abs(clips[i].end - highlights[j].end) for i, j in pairs]
    return BoundaryError(sum(starts) / len(pairs), sum(ends) / len(pairs), len(pairs))


# --- sentence edges ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SentenceEdges:
    """Indices (into the transcript's word list) of words that begin or end a sentence."""

    starts: frozenset[int]
    ends: frozenset[int]
    #: Words placed in no sentence: misheard, and timed in the pause between two.
    unplaced: frozenset[int] = frozenset()

    def shifted(self, by: int) -> SentenceEdges:
        """The same edges for these words placed `by` words later in a longer list."""
        return SentenceEdges(
            frozenset(w + by for w in self.starts),
            frozenset(w + by for w in self.ends),
            frozenset(w + by for w in self.unplaced),
        )


def sentence_edges(
    words: Sequence[Timed],
    sentences: Sequence[Timed],
    *,
    word_texts: Sequence[str] | None = None,
    sentence_texts: Sequence[str] | None = None,
) -> SentenceEdges:
    """Map script sentences onto transcript words (see the module docstring).

    With both texts given, words are placed by aligning their text with the script's;
    words that do not align (misrecognised) fall back to their timing.
    """
    if (word_texts is None) != (sentence_texts is None):
        raise ValueError("give both word_texts and sentence_texts, or neither")
    if not sentences:
        return SentenceEdges(frozenset(), frozenset())
    owners: list[int | None] = [None] * len(words)
    if word_texts is not None and sentence_texts is not None:
        if len(word_texts) != len(words) or len(sentence_texts) != len(sentences):
            raise ValueError("one text per word and one per sentence")
        owners = _aligned_owners(word_texts, sentence_texts)
    ordered = sorted(range(len(sentences)), key=lambda k: sentences[k].start)
    starts = [sentences[k].start for k in ordered]
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    unplaced: set[int] = set()
    for w, word in enumerate(words):
        owner = owners[w]
        if owner is None:
            owner = _nearest(
                sentences, ordered, starts, anchor(word), in_pause=word_texts is not None
            )
        if owner is None:
            unplaced.add(w)
            continue
        first.setdefault(owner, w)
        last[owner] = w
    return SentenceEdges(frozenset(first.values()), frozenset(last.values()), frozenset(unplaced))


def _aligned_owners(word_texts: Sequence[str], sentence_texts: Sequence[str]) -> list[int | None]:
    """For each word, the sentence its text aligns with in the script (None: no match)."""
    script: list[str] = []
    sentence_of: list[int] = []
    for k, text in enumerate(sentence_texts):
        tokens = normalize_for_wer(text)
        script.extend(tokens)
        sentence_of.extend([k] * len(tokens))
    heard: list[str] = []
    word_of: list[int] = []
    for w, text in enumerate(word_texts):
        tokens = normalize_for_wer(text)
        heard.extend(tokens)
        word_of.extend([w] * len(tokens))
    owners: list[int | None] = [None] * len(word_texts)
    matcher = SequenceMatcher(None, script, heard, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for i in range(size):
            owners[word_of[b + i]] = sentence_of[a + i]
    return owners


def anchor(word: Timed) -> float:
    """The instant that places an unaligned word in a sentence (see the module docstring)."""
    return max((word.start + word.end) / 2, word.end - ANCHOR_BEFORE_END)


def _nearest(
    sentences: Sequence[Timed],
    ordered: list[int],
    starts: list[float],
    t: float,
    *,
    in_pause: bool = False,
) -> int | None:
    """The sentence containing t, else the one whose nearer edge is closest (earlier on
    ties); with `in_pause`, None for a t between two sentences (before the first or after
    the last, the nearest still)."""
    pos = bisect.bisect_right(starts, t)
    candidates = [ordered[p] for p in (pos - 1, pos) if 0 <= p < len(ordered)]

    def distance(k: int) -> float:
        s = sentences[k]
        return 0.0 if s.start <= t <= s.end else min(abs(t - s.start), abs(t - s.end))

    best = min(candidates, key=lambda k: (distance(k), sentences[k].start))
    if in_pause and len(candidates) == 2 and distance(best) > 0:
        return None
    return best


def edge_words(
    words: Sequence[Timed], clip: Timed, skip: frozenset[int] = frozenset()
) -> tuple[int, int] | None:
    """Indices of the first and last word (not in `skip`) whose midpoint lies inside the
    clip, if any."""
    inside = [
        w
        for w, word in enumerate(words)
        if clip.start <= (word.start + word.end) / 2 <= clip.end and w not in skip
    ]
    return (inside[0], inside[-1]) if inside else None


def is_mid_sentence(clip: Timed, words: Sequence[Timed], edges: SentenceEdges) -> bool:
    found = edge_words(words, clip, edges.unplaced)
    if found is None:
        return True
    first, last = found
    return first not in edges.starts or last not in edges.ends


def mid_sentence_share(
    clips: Sequence[Timed], words: Sequence[Timed], edges: SentenceEdges
) -> float | None:
    """Fraction of clips that start or end mid-sentence; None when there are no clips."""
    if not clips:
        return None
    return sum(is_mid_sentence(c, words, edges) for c in clips) / len(clips)


def real_time_factor(processing_seconds: float, audio_seconds: float) -> float:
    if audio_seconds <= 0:
        raise ValueError("audio_seconds must be positive")
    return processing_seconds / audio_seconds

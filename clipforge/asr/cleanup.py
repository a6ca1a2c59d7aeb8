"""Transcript clean-up shared by every engine: pure functions over words and segments.

1. `merge_word_pieces`: Whisper emits sub-word tokens (" Kub" "ern" "etes", " don" "'t");
   a piece is glued onto the word before it.
2. `remove_hallucinations`: Whisper invents text where there is none: a phrase looped over
   and over, low-confidence words in silence, and stock captions learnt from subtitled
   videos ("Thank you.", "Subtitles by the Amara.org community").
3. `split_sentences`: segments are re-cut from the words so each one ends where a sentence
   ends, and none spans a long silence (clip edges and captions follow segments).

Silence is judged from the engine's own word gaps and, when available, from the audio's
loudness envelope (`Silence`), which is the stronger evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from clipforge.domain.silence import silence_threshold
from clipforge.domain.transcript import Segment, Transcript, Word

#: Languages written without spaces: a word piece without a leading space is normal there, so
#: gluing pieces together would turn a whole sentence into one "word".
NO_SPACE_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "yue", "bo"})

_TERMINAL = ".?!…。？！"
_CLOSERS = "\"'”’)]}»"
_OPENERS = '([{“‘¿¡«"'
#: Words ending in a full stop that do not end a sentence.
_ABBREVIATIONS = frozenset(
    {"mr.", "mrs.", "ms.", "dr.", "prof.", "st.", "vs.", "e.g.", "i.e.", "jr.", "sr.", "approx."}
)
#: Contraction tails Whisper sometimes emits with a leading space (" 's", " n't").
_CONTRACTIONS = frozenset({"'s", "'t", "'re", "'ve", "'ll", "'d", "'m", "n't", "’s", "’t", "’re"})

_NORMALIZE = re.compile(r"[^\w']+", re.UNICODE)

#: Stock phrases Whisper produces over silence or music (learnt from subtitle credits).
#: Matched against a whole sentence's normalized text, and only removed in silence.
_STOCK_PHRASES = re.compile(
    r"^(?:"
    r"(?:thank you|thanks)(?: (?:so|very) much)?(?: (?:all|everyone))?"
    r"(?: for (?:watching|listening|your attention))?(?: and (?:see you|goodbye|bye)\b.*)?"
    r"|you|bye|bye bye|goodbye|okay|music|applause|silence|laughter"
    r"|(?:please )?(?:like and )?subscribe\b.*"
    r"|(?:subtitles?|captions?|captioning|transcript(?:ion)?|transcribed|translated|translation"
    r"|subtitled|edited)\b.{0,40}\bby\b.*"
    r"|.*\bamara org\b.*"
    r"|(?:see you|i'll see you) (?:next time|in the next video)"
    r")$"
)


# --- word pieces ----------------------------------------------------------------------------


def merge_word_pieces(
    words: Sequence[Word], language: str = "en", *, max_gap: float = 1.0
) -> list[Word]:
    """Glue sub-word pieces onto the word before them; drop empty words.

    A piece is a token without a leading space (" Kub" "ern" "etes"), a punctuation-only token
    (" ?"), or a contraction tail (" 's"). A word right after an opening quote or bracket is
    glued onto it. Pieces further than `max_gap` seconds from the previous word are not glued
    (a chunk boundary is not a word boundary we trust). The merged word spans both timings and
    keeps the lower probability (the weakest piece). Skipped for languages written without
    spaces, where every token lacks a leading space.
    """
    if language in NO_SPACE_LANGUAGES:
        return [w for w in words if w.text.strip()]
    merged: list[Word] = []
    for word in words:
        if not word.text.strip():
            continue
        if merged and word.start - merged[-1].end <= max_gap:
            prev = merged[-1]
            if _is_piece(word.text):
                glued = prev.text + (word.text if not word.text[:1].isspace() else word.clean)
                merged[-1] = _join(prev, word, glued)
                continue
            if _is_opener(prev.text):
                merged[-1] = _join(prev, word, prev.text + word.clean)
                continue
        merged.append(word)
    return merged


def _is_piece(text: str) -> bool:
    clean = text.strip()
    if not text[:1].isspace():
        return True
    if not any(ch.isalnum() for ch in clean):
        return not _is_opener(text)  # " (" starts the next word rather than ending this one
    return clean.lower() in _CONTRACTIONS


def _is_opener(text: str) -> bool:
    clean = text.strip()
    return bool(clean) and all(ch in _OPENERS for ch in clean)


def _join(prev: Word, word: Word, text: str) -> Word:
    return Word(
        text=text,
        start=prev.start,
        end=max(prev.end, word.end),
        probability=min(prev.probability, word.probability),
    )


# --- sentences ------------------------------------------------------------------------------


def is_sentence_end(word: Word) -> bool:
    """Whether the word closes a sentence: terminal punctuation, not an abbreviation."""
    text = word.clean.rstrip(_CLOSERS)
    if not text or text[-1] not in _TERMINAL:
        return False
    if text.lower() in _ABBREVIATIONS:
        return False
    # A lone initial ("J.") is part of a name.
    return not (len(text) == 2 and text[0].isalpha() and text[0].isupper() and text[1] == ".")


def sentence_groups(words: Sequence[Word], *, max_gap: float = 2.0) -> list[list[Word]]:
    """Words grouped into sentences: cut after terminal punctuation and at gaps >= max_gap.

    An ellipsis followed by a lower-case word trails off mid-sentence ("So... what now?"),
    so it does not cut.
    """
    groups: list[list[Word]] = []
    current: list[Word] = []
    for index, word in enumerate(words):
        if current and word.start - current[-1].end >= max_gap:
            groups.append(current)
            current = []
        current.append(word)
        following = words[index + 1] if index + 1 < len(words) else None
        if is_sentence_end(word) and not _trails_off(word, following):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _trails_off(word: Word, following: Word | None) -> bool:
    text = word.clean.rstrip(_CLOSERS)
    if following is None or not text.endswith(("...", "…")):
        return False
    first = next((ch for ch in following.clean if ch.isalpha()), "")
    return first.islower()


def split_sentences(
    words: Sequence[Word], *, max_gap: float = 2.0, max_seconds: float = 30.0
) -> list[Segment]:
    """Segments re-cut from the words: one per sentence, never across a silence of `max_gap`.

    Speech without punctuation (some languages, some engines) would otherwise become one
    huge segment, so a sentence longer than `max_seconds` is cut at its widest pause.
    """
    segments: list[Segment] = []
    for group in sentence_groups(words, max_gap=max_gap):
        for part in _limit_length(group, max_seconds):
            segments.append(make_segment(part))
    return segments


def make_segment(words: Sequence[Word]) -> Segment:
    """A segment whose text, start and end follow its words exactly."""
    return Segment(
        text="".join(w.text for w in words).strip(),
        start=words[0].start,
        end=words[-1].end,
        words=tuple(words),
    )


def _limit_length(words: list[Word], max_seconds: float) -> list[list[Word]]:
    if len(words) < 2 or words[-1].end - words[0].start <= max_seconds:
        return [words]
    middle = (len(words) - 1) / 2
    # Widest pause; among equal pauses the one nearest the middle, for even halves.
    cut = max(
        range(1, len(words)),
        key=lambda i: (round(words[i].start - words[i - 1].end, 3), -abs(i - 0.5 - middle)),
    )
    return _limit_length(words[:cut], max_seconds) + _limit_length(words[cut:], max_seconds)


# --- hallucinations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Silence:
    """Which spans of the audio are quiet, from a loudness envelope (dBFS per hop).

    The threshold is `clipforge.domain.silence.silence_threshold` (the detector's too).
    """

    hop_seconds: float
    dbfs: tuple[float, ...]
    threshold: float

    @classmethod
    def from_envelope(cls, dbfs: Sequence[float], hop_seconds: float) -> Silence:
        if hop_seconds <= 0:
            raise ValueError("hop_seconds must be positive")
        levels = tuple(float(d) for d in dbfs)
        return cls(hop_seconds, levels, silence_threshold(levels))

    @classmethod
    def from_track(cls, loudness: Mapping[str, Any]) -> Silence:
        """From the loudness track as transcripts store it (`{"hop_seconds", "dbfs"}`)."""
        return cls.from_envelope(loudness["dbfs"], loudness["hop_seconds"])

    def _hops(self, start: float, end: float) -> tuple[int, tuple[float, ...]]:
        """How many hops overlap [start, end], and the levels of those the envelope holds
        (fewer beyond its end)."""
        first = max(0, math.floor(start / self.hop_seconds))
        last = max(first + 1, math.ceil(end / self.hop_seconds))
        return last - first, self.dbfs[first:last]

    def quiet_share(self, start: float, end: float) -> float:
        """Share of the hops overlapping [start, end] below the threshold; hops beyond the
        envelope count as sound (nothing known there is no evidence of silence)."""
        hops, window = self._hops(start, end)
        return sum(1 for d in window if d < self.threshold) / hops

    def is_quiet(self, start: float, end: float) -> bool:
        """True when every hop overlapping [start, end] is below the threshold."""
        _, window = self._hops(start, end)
        # Beyond the envelope we know nothing: not evidence of silence.
        return bool(window) and max(window) < self.threshold


def normalized(text: str) -> str:
    """Lower case, punctuation to spaces, apostrophes kept: for comparing phrases."""
    return " ".join(_NORMALIZE.sub(" ", text.lower()).replace("'", "").split())


def collapse_repeats(
    words: Sequence[Word],
    *,
    max_phrase: int = 12,
    min_repeats: int = 3,
    min_single_repeats: int = 6,
    max_gap: float = 2.0,
) -> list[Word]:
    """Keep one copy of a phrase repeated back to back `min_repeats`+ times.

    This is Whisper's decoding loop ("Thank you. Thank you. Thank you."). One-word repeats
    need `min_single_repeats`, because people do say "no, no, no" on purpose. Copies must
    follow each other within `max_gap` seconds: a phrase said again after a pause is not a
    loop.
    """
    keys = [normalized(w.text) for w in words]
    out: list[Word] = []
    i = 0
    while i < len(words):
        loop = _repeat_at(words, keys, i, max_phrase, (min_repeats, min_single_repeats), max_gap)
        if loop is None:
            out.append(words[i])
            i += 1
        else:
            n, repeats = loop
            out.extend(words[i : i + n])
            i += n * repeats
    return out


def _repeat_at(
    words: Sequence[Word],
    keys: list[str],
    i: int,
    max_phrase: int,
    min_repeats: tuple[int, int],
    max_gap: float,
) -> tuple[int, int] | None:
    """(phrase length, copies) of the shortest loop starting at word i, if any."""
    for n in range(1, max_phrase + 1):
        phrase = keys[i : i + n]
        if len(phrase) < n or "" in phrase:
            return None
        copies = 1
        while keys[i + copies * n : i + (copies + 1) * n] == phrase and (
            words[i + copies * n].start - words[i + copies * n - 1].end < max_gap
        ):
            copies += 1
        if copies >= (min_repeats[1] if n == 1 else min_repeats[0]):
            return n, copies
    return None


def remove_hallucinations(
    words: Sequence[Word],
    *,
    silence: Silence | None = None,
    min_gap: float = 2.0,
    low_probability: float = 0.5,
    max_island_words: int = 4,
) -> list[Word]:
    """Drop what Whisper made up: loops, anything in silence, stock phrases standing alone.

    A sentence the loudness envelope calls quiet from end to end holds no speech, whatever the
    decoder says: it goes. Without that verdict, a short sentence or a stock phrase that
    stands alone (`min_gap` of nothing on each side) and that the engine itself was unsure of
    (mean probability < `low_probability`) goes. Single unsure words over quiet audio go too.
    Real speech after a pause is loud, or confidently recognised, so it stays.
    """
    groups = sentence_groups(collapse_repeats(words), max_gap=min_gap)
    out: list[Word] = []
    for index, group in enumerate(groups):
        if silence is not None and silence.is_quiet(group[0].start, group[-1].end):
            continue
        before = group[0].start - groups[index - 1][-1].end if index > 0 else math.inf
        after = groups[index + 1][0].start - group[-1].end if index + 1 < len(groups) else math.inf
        alone = before >= min_gap and after >= min_gap
        unsure = sum(w.probability for w in group) / len(group) < low_probability
        stock = _STOCK_PHRASES.match(normalized("".join(w.text for w in group))) is not None
        if alone and unsure and (stock or len(group) <= max_island_words):
            continue
        out.extend(
            w
            for w in group
            if not (
                w.probability < low_probability
                and silence is not None
                and silence.is_quiet(w.start, w.end)
            )
        )
    return out


def clean_transcript(transcript: Transcript, *, silence: Silence | None = None) -> Transcript:
    """Pieces merged, hallucinations removed, segments re-cut at sentence ends."""
    words = merge_word_pieces(transcript.words, transcript.language)
    words = remove_hallucinations(words, silence=silence)
    return replace(transcript, segments=tuple(split_sentences(words)))

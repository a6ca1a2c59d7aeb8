"""Reading an OpenAI-compatible `verbose_json` transcription into our word types (pure).

OpenAI returns `words` at the top level, bare ("Hello", no space, no punctuation) and without
probabilities; the punctuation lives in `text` and `segments[].text`. Some self-hosted servers
instead nest `words` inside each segment, with spaces, punctuation and a `probability`. Both
shapes map to the same `Word`s: leading space, punctuation restored from the text, times on
the source timeline, probability from the word, else from its segment's average log-prob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, TypeGuard

from clipforge.asr.cleanup import NO_SPACE_LANGUAGES, normalized
from clipforge.asr.languages import language_code
from clipforge.domain.transcript import Word

#: How far ahead in the text a word's token is looked for before giving up on it.
_ALIGN_WINDOW = 6


class ResponseFormatError(ValueError):
    """The answer is JSON but not the verbose_json shape we need; says what is wrong."""


@dataclass(frozen=True, slots=True)
class ChunkResult:
    language: str | None
    words: list[Word]


def parse_verbose_json(
    payload: Any, *, offset: float, chunk_end: float, language: str | None = None
) -> ChunkResult:
    """Words of one chunk's answer, on the source timeline [offset, chunk_end].

    `language` is the one that was asked for; the answer's own language wins when it names one.
    """
    if not isinstance(payload, dict):
        raise ResponseFormatError(f"expected a JSON object, got {type(payload).__name__}")
    text = payload.get("text", "")
    if not isinstance(text, str):
        raise ResponseFormatError("'text' is not a string")
    reported = payload.get("language")
    lang = language_code(reported if isinstance(reported, str) else None) or language
    segments = _segments(payload.get("segments"))
    raw_words = payload.get("words")
    if raw_words is None and any("words" in s for s in segments):
        raw_words = [w for s in segments for w in (s.get("words") or [])]
    if raw_words is None:
        if text.strip():
            raise ResponseFormatError(
                "it has text but no 'words': the endpoint gave no word timestamps (it must "
                "support response_format=verbose_json with timestamp_granularities[]=word)"
            )
        raw_words = []
    if not isinstance(raw_words, list):
        raise ResponseFormatError("'words' is not a list")

    parsed = [_word(raw, i) for i, raw in enumerate(raw_words)]
    raw_texts = [w for w, _, _, _ in parsed]
    if any(w[:1].isspace() for w in raw_texts):
        # The server spells words the way Whisper does (leading space, punctuation, pieces
        # without a space): keep that, the clean-up glues the pieces.
        texts = raw_texts
    else:
        full_text = " ".join(str(s.get("text", "")) for s in segments) if segments else text
        space = "" if lang in NO_SPACE_LANGUAGES else " "
        texts = [space + w.strip() for w in restore_punctuation(raw_texts, full_text)]
    words: list[Word] = []
    for (_, start, end, probability), word_text in zip(parsed, texts, strict=True):
        if not word_text.strip():
            continue
        s = round(_clamp(offset + start, offset, chunk_end), 3)
        e = round(_clamp(offset + end, s, chunk_end), 3)
        if probability is None:
            probability = _segment_confidence(segments, (start + end) / 2)
        words.append(Word(word_text, s, e, _clamp(probability, 0.0, 1.0)))
    return ChunkResult(language=lang, words=words)


def restore_punctuation(words: list[str], text: str) -> list[str]:
    """Each word replaced by its punctuated token from `text` when they match, in order.

    ["Hello", "world"] with "Hello, world!" gives ["Hello,", "world!"]. A word that cannot be
    found within a few tokens ahead is kept as it is, and alignment carries on after it.
    """
    tokens = text.split()
    keys = [normalized(t) for t in tokens]
    out: list[str] = []
    position = 0
    for word in words:
        key = normalized(word)
        match = None
        if key:
            for j in range(position, min(len(tokens), position + _ALIGN_WINDOW)):
                if keys[j] == key:
                    match = j
                    break
        if match is None:
            out.append(word.strip())
        else:
            out.append(tokens[match])
            position = match + 1
    return out


def _segments(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
        raise ResponseFormatError("'segments' is not a list of objects")
    return value


def _word(raw: Any, index: int) -> tuple[str, float, float, float | None]:
    if not isinstance(raw, dict):
        raise ResponseFormatError(f"word #{index} is not an object: {raw!r:.80}")
    text, start, end = raw.get("word"), raw.get("start"), raw.get("end")
    if not isinstance(text, str) or not _is_number(start) or not _is_number(end):
        raise ResponseFormatError(
            f"word #{index} needs 'word' (text) and numeric 'start' and 'end': {raw!r:.120}"
        )
    probability = raw.get("probability")
    return text, float(start), float(end), float(probability) if _is_number(probability) else None


def _segment_confidence(segments: list[dict[str, Any]], at: float) -> float:
    """exp(avg_logprob) of the segment holding time `at` (chunk-local); 1.0 if unknown."""
    for segment in segments:
        start, end, logprob = segment.get("start"), segment.get("end"), segment.get("avg_logprob")
        if _is_number(start) and _is_number(end) and start <= at <= end and _is_number(logprob):
            return math.exp(min(0.0, float(logprob)))
    return 1.0


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _clamp(value: float, lo: float, hi: float) -> float:
    return min(hi, max(lo, value))

"""Transcript builders shared by the detection tests (and a check that they build honestly)."""

from __future__ import annotations

from clipforge.domain.transcript import Segment, Transcript, Word

WORD_SECONDS = 0.3
WORD_GAP = 0.1
SENTENCE_GAP = 0.5


def build(
    sentences: list[str],
    *,
    start: float = 0.0,
    tail: float = 1.0,
    per_segment: int = 2,
    gaps: dict[int, float] | None = None,
    extra: dict[str, object] | None = None,
) -> Transcript:
    """Words 0.3 s long, 0.1 s apart, 0.5 s between sentences (or `gaps[i]` after sentence i).

    Sentences are grouped `per_segment` to a Segment, as an engine would, so sentence
    splitting cannot lean on segment edges.
    """
    t = start
    segments: list[Segment] = []
    for k in range(0, len(sentences), per_segment):
        words: list[Word] = []
        for i, sentence in enumerate(sentences[k : k + per_segment], start=k):
            for token in sentence.split():
                words.append(Word(" " + token, round(t, 3), round(t + WORD_SECONDS, 3), 0.9))
                t += WORD_SECONDS + WORD_GAP
            t += (gaps or {}).get(i, SENTENCE_GAP)
        text = " ".join(sentences[k : k + per_segment])
        segments.append(Segment(text, words[0].start, words[-1].end, tuple(words)))
    duration = (segments[-1].end if segments else start) + tail
    return Transcript(
        language="en", duration=duration, segments=tuple(segments), extra=dict(extra or {})
    )


def test_build_spaces_words_and_sentences() -> None:
    transcript = build(["One two.", "Three."], gaps={0: 2.0})
    words = transcript.words
    assert [w.text for w in words] == [" One", " two.", " Three."]
    assert round(words[1].start - words[0].end, 3) == WORD_GAP
    assert round(words[2].start - words[1].end, 3) == WORD_GAP + 2.0
    assert transcript.duration == words[-1].end + 1.0

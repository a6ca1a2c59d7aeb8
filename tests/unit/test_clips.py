"""Clip detection on synthetic transcripts: bounds, boundaries, ranking, edge cases."""

from __future__ import annotations

import pytest

from clipforge.domain.clips import PAD_SECONDS, ClipCandidate, detect_clips
from clipforge.domain.transcript import Segment, Transcript, Word

WORD_SECONDS = 0.3
WORD_GAP = 0.1
SENTENCE_GAP = 0.5

DULL = "We walked to the shop and then we walked back home again."
HOT = [
    "Why do 90 percent of startups fail in their first year?",
    "Most founders think it is money, but actually it is focus.",
    "Here are 3 numbers that changed how I work!",
]


def make_transcript(
    sentences: list[str], *, start: float = 0.0, tail: float = 1.0, per_segment: int = 2
) -> Transcript:
    """Words 0.3 s long, 0.1 s apart, 0.5 s between sentences; `per_segment` per Segment."""
    t = start
    segments: list[Segment] = []
    for k in range(0, len(sentences), per_segment):
        words: list[Word] = []
        for sentence in sentences[k : k + per_segment]:
            for token in sentence.split():
                words.append(Word(" " + token, round(t, 3), round(t + WORD_SECONDS, 3), 0.9))
                t += WORD_SECONDS + WORD_GAP
            t += SENTENCE_GAP
        text = " ".join(sentences[k : k + per_segment])
        segments.append(Segment(text, words[0].start, words[-1].end, tuple(words)))
    duration = (segments[-1].end if segments else 0.0) + tail
    return Transcript(language="en", duration=duration, segments=tuple(segments))


def overlaps(a: ClipCandidate, b: ClipCandidate) -> bool:
    return a.start < b.end and b.start < a.end


def assert_on_word_boundaries(clip: ClipCandidate, transcript: Transcript) -> None:
    words = transcript.words
    inside = [w for w in words if w.start >= clip.start and w.end <= clip.end]
    assert inside, "clip contains no words"
    for w in words:
        assert not (w.start < clip.start < w.end), f"clip start cuts {w}"
        assert not (w.start < clip.end < w.end), f"clip end cuts {w}"
    first, last = inside[0], inside[-1]
    # padding is small and never reaches into the neighbouring words
    assert 0 <= first.start - clip.start <= PAD_SECONDS + 1e-9
    assert 0 <= clip.end - last.end <= PAD_SECONDS + 1e-9
    i, j = words.index(first), words.index(last)
    if i > 0:
        assert clip.start >= words[i - 1].end
        assert words[i - 1].clean[-1] in ".?!", "clip must start on a sentence's first word"
    if j + 1 < len(words):
        assert clip.end <= words[j + 1].start
    assert last.clean[-1] in ".?!", "clip must end on a sentence's last word"
    assert clip.end <= transcript.duration


def test_clips_respect_duration_count_overlap_and_rank() -> None:
    transcript = make_transcript([DULL] * 20 + HOT + [DULL] * 20)
    clips = detect_clips(transcript, min_seconds=15, max_seconds=30, count=4)
    assert len(clips) == 4
    for clip in clips:
        assert 15 <= clip.duration <= 30 + 1e-9
        assert 0 <= clip.score <= 100
        assert clip.score == sum(clip.breakdown.values())
        assert set(clip.breakdown) == {"hook", "flow", "value", "engagement"}
        assert_on_word_boundaries(clip, transcript)
    for a in range(len(clips)):
        for b in range(a + 1, len(clips)):
            assert not overlaps(clips[a], clips[b])
    scores = [c.score for c in clips]
    assert scores == sorted(scores, reverse=True)


def test_the_engaging_passage_ranks_first() -> None:
    transcript = make_transcript([DULL] * 20 + HOT + [DULL] * 20)
    best = detect_clips(transcript, min_seconds=15, max_seconds=30, count=3)[0]
    assert best.text.startswith(HOT[0])
    assert "startups" in best.text and "focus" in best.text
    assert best.reason.startswith("Strong hook: opens with a question")
    assert '"Why do 90 percent of' in best.reason
    assert best.title == "Why do 90 percent of startups fail"


@pytest.mark.parametrize(
    ("opener", "neutral"),
    [
        ("Why do people quit running in winter?", "People often quit running in winter."),
        ("People quit running after 3 weeks.", "People quit running after some weeks."),
    ],
)
def test_question_or_number_opening_raises_hook_and_score(opener: str, neutral: str) -> None:
    body = [DULL] * 6

    def top(first: str) -> ClipCandidate:
        clips = detect_clips(make_transcript([first, *body]), min_seconds=15, max_seconds=60)
        return next(c for c in clips if c.text.startswith(first))

    strong, plain = top(opener), top(neutral)
    assert strong.breakdown["hook"] > plain.breakdown["hook"]
    assert strong.score > plain.score


def test_count_is_respected_and_fewer_when_no_room() -> None:
    transcript = make_transcript([DULL] * 12)  # ~ 62 s of speech
    assert len(detect_clips(transcript, min_seconds=15, max_seconds=20, count=2)) == 2
    clips = detect_clips(transcript, min_seconds=15, max_seconds=20, count=10)
    assert 2 <= len(clips) <= 4  # at most floor(62 / 15) disjoint clips fit


def test_short_transcript_gives_one_clip_of_all_speech() -> None:
    transcript = make_transcript(["Is this thing on?", "Hello there, world."], start=1.0)
    clips = detect_clips(transcript, min_seconds=15, max_seconds=60)
    assert len(clips) == 1
    clip = clips[0]
    words = transcript.words
    assert clip.start <= words[0].start and clip.end >= words[-1].end
    assert clip.duration < 15
    assert clip.reason.startswith("Short video")
    assert clip.text == "Is this thing on? Hello there, world."


def test_empty_transcripts_give_nothing() -> None:
    empty = Transcript(language="en", duration=0.0, segments=())
    assert detect_clips(empty) == []
    blank = Transcript(
        language="en",
        duration=5.0,
        segments=(Segment("", 0.0, 1.0, (Word(" ", 0.0, 1.0, 0.5),)),),
    )
    assert detect_clips(blank) == []


def test_deterministic() -> None:
    transcript = make_transcript([DULL] * 10 + HOT + [DULL] * 10)
    assert detect_clips(transcript) == detect_clips(transcript)


def test_padding_is_clamped_to_transcript_edges() -> None:
    transcript = make_transcript(HOT, start=0.05, tail=0.1)  # only all of it is >= 12 s
    clips = detect_clips(transcript, min_seconds=12, max_seconds=60)
    assert len(clips) == 1
    assert clips[0].start == 0.0  # 0.25 s pad clamped at the start of the media
    assert clips[0].end == pytest.approx(transcript.duration)  # and at its end


def test_unpunctuated_run_longer_than_max_is_still_clipped_within_bounds() -> None:
    words = " ".join(["word", "another", "thing,"] * 60)  # one 72 s "sentence"
    transcript = make_transcript([words], per_segment=1)
    clips = detect_clips(transcript, min_seconds=10, max_seconds=20, count=3)
    assert clips
    for clip in clips:
        assert clip.duration <= 20 + 1e-9
        assert clip.breakdown["flow"] < 25  # not credited with a complete ending


def test_speech_split_by_long_gaps_falls_back_to_shorter_clips() -> None:
    first = make_transcript(["Short opening line here."] * 2)
    later = make_transcript(["Another short remark now."] * 2, start=first.duration + 120)
    transcript = Transcript(
        language="en", duration=later.duration, segments=first.segments + later.segments
    )
    clips = detect_clips(transcript, min_seconds=15, max_seconds=30, count=2)
    assert len(clips) == 2
    assert all(c.reason.startswith("Under the 15s minimum") for c in clips)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_seconds": 0}, {"min_seconds": 30, "max_seconds": 20}, {"count": 0}],
)
def test_invalid_arguments_raise(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        detect_clips(make_transcript([DULL]), **kwargs)  # type: ignore[arg-type]


def test_sentences_spanning_engine_segments_are_not_cut() -> None:
    # Engines often split a segment mid-sentence; a clip must still start at "Most".
    base = make_transcript([DULL] * 3 + [HOT[1]] + [DULL] * 3, per_segment=1)
    segments = list(base.segments)
    hot = segments[3]
    half = len(hot.words) // 2
    first, second = hot.words[:half], hot.words[half:]
    segments[3:4] = [
        Segment("", first[0].start, first[-1].end, first),
        Segment("", second[0].start, second[-1].end, second),
    ]
    transcript = Transcript(language="en", duration=base.duration, segments=tuple(segments))
    clips = detect_clips(transcript, min_seconds=5, max_seconds=12, count=10)
    assert clips
    for clip in clips:
        assert_on_word_boundaries(clip, transcript)


def test_long_pause_inside_a_clip_costs_flow() -> None:
    tight = make_transcript(HOT)
    gap = make_transcript(HOT[:1])
    later = make_transcript(HOT[1:], start=gap.segments[-1].end + 2.5)
    paused = Transcript("en", later.duration, gap.segments + later.segments)
    a = detect_clips(tight, min_seconds=5, max_seconds=60, count=1)[0]
    b = next(
        c for c in detect_clips(paused, min_seconds=5, max_seconds=60, count=3) if c.text == a.text
    )
    assert b.breakdown["flow"] < a.breakdown["flow"]


def test_title_skips_discourse_openers_and_keeps_number_units() -> None:
    sentences = ["So, the best meal I ever had cost 3 euros in Lisbon.", DULL, DULL, DULL]
    clip = detect_clips(make_transcript(sentences), min_seconds=5, max_seconds=60, count=1)[0]
    assert clip.title == "The best meal I ever had cost 3 euros"

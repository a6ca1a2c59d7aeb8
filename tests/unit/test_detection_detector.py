"""detect_highlights end to end: ranking, boundaries, options and edge cases."""

from __future__ import annotations

from dataclasses import replace

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection.windows import PAD_AFTER, PAD_BEFORE
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Segment, Transcript, Word
from tests.unit.test_detection_fixtures import build

PART_GAP = 1.5  # a longer pause between parts of the show, as between topics

INTRO = [
    "Hey everyone, welcome back to the show.",
    "Before we start, thanks to everyone who left a review last week.",
    "My guest today runs a small software company.",
    "Thanks so much for having me, happy to be here.",
]
PRICING = [
    "Why did we nearly kill our company by charging too little?",
    "For two years our pricing page asked nineteen dollars a month.",
    "Clinics signed up, but the cheap price told them the product was a toy.",
    "When we raised the price to two hundred dollars, cancellations dropped by half.",
    "That's why a price is a signal, not just a number.",
]
SPONSOR = [
    "Let's take a quick break.",
    "This episode is brought to you by Ledgerly, the bookkeeping app.",
    "Use code SHOW at checkout for twenty percent off your first three months.",
    "Okay, and we're back.",
]
HIRING = [
    "The best hire we ever made had never worked in software.",
    "She was a dental receptionist, and in her first week she rewrote our sign-up form.",
    "Trials that turned into paying customers went up by a third.",
    "We had spent months testing button colours while she fixed the real problem.",
    "Hire people who have felt the pain you are solving.",
]
OUTRO = [
    "Well, um, yeah, I guess that's kind of it, you know.",
    "Thanks for listening, everyone, and see you next week.",
    "Bye.",
]


def episode(extra: dict[str, object] | None = None) -> Transcript:
    parts = [INTRO, PRICING, SPONSOR, HIRING, OUTRO]
    sentences: list[str] = []
    gaps: dict[int, float] = {}
    for part in parts:
        sentences.extend(part)
        gaps[len(sentences) - 1] = PART_GAP
    return build(sentences, gaps=gaps, extra=extra)


def part_span(transcript: Transcript, first_words: str, last_words: str) -> tuple[float, float]:
    text = [w.clean for w in transcript.words]
    starts = [k for k in range(len(text)) if " ".join(text[k:]).startswith(first_words)]
    ends = [k for k in range(len(text)) if " ".join(text[: k + 1]).endswith(last_words)]
    words = transcript.words
    return words[starts[0]].start, words[ends[0]].end


def assert_clean_edges(clip: ClipCandidate, transcript: Transcript) -> None:
    """Starts on a sentence's first word and ends on a sentence's last word, padded a little."""
    words = transcript.words
    inside = [w for w in words if w.start >= clip.start and w.end <= clip.end]
    assert inside
    for w in words:
        assert not (w.start < clip.start < w.end) and not (w.start < clip.end < w.end)
    i, j = words.index(inside[0]), words.index(inside[-1])
    assert 0 <= inside[0].start - clip.start <= PAD_BEFORE + 1e-9
    assert 0 <= clip.end - inside[-1].end <= PAD_AFTER + 1e-9
    if i > 0:
        assert words[i - 1].clean[-1] in ".?!"
        assert clip.start >= words[i - 1].end
    if j + 1 < len(words):
        assert clip.end <= words[j + 1].start
    assert inside[-1].clean[-1] in ".?!"


def test_the_two_stories_win_and_filler_does_not() -> None:
    transcript = episode()
    clips = detect_highlights(transcript, DetectOptions(min_seconds=10, max_seconds=40, count=2))
    assert len(clips) == 2
    pricing = part_span(transcript, "Why did we nearly", "not just a number.")
    hiring = part_span(transcript, "The best hire", "you are solving.")
    got = sorted((c.start + PAD_BEFORE, c.end - PAD_AFTER) for c in clips)
    for (start, end), (want_start, want_end) in zip(got, sorted([pricing, hiring]), strict=True):
        assert start == pytest.approx(want_start, abs=0.01)
        assert end == pytest.approx(want_end, abs=0.01)


def test_every_clip_is_well_formed() -> None:
    transcript = episode()
    options = DetectOptions(min_seconds=10, max_seconds=40, count=5)
    clips = detect_highlights(transcript, options)
    assert clips
    for clip in clips:
        assert options.min_seconds <= clip.duration <= options.max_seconds + 1e-9
        assert set(clip.breakdown) == {"hook", "flow", "value", "shareability"}
        assert all(0 <= v <= 25 for v in clip.breakdown.values())
        assert clip.score == sum(clip.breakdown.values())
        assert 0 < len(clip.title) <= 60
        assert clip.description and 3 <= len(clip.hashtags) <= 5
        assert '"' in clip.reason and "\n" not in clip.reason
        assert_clean_edges(clip, transcript)
    for a in clips:
        for b in clips:
            assert a is b or a.end <= b.start or b.end <= a.start
    assert [c.score for c in clips] == sorted((c.score for c in clips), reverse=True)


def test_reason_quotes_the_clip() -> None:
    clips = detect_highlights(episode(), DetectOptions(min_seconds=10, max_seconds=40, count=1))
    quoted = clips[0].reason.split('"')[1].rstrip(" .")
    assert quoted in clips[0].text


def test_deterministic() -> None:
    options = DetectOptions(min_seconds=10, max_seconds=40, count=4)
    assert detect_highlights(episode(), options) == detect_highlights(episode(), options)


def test_count_limits_the_clips() -> None:
    for count in (1, 3):
        options = DetectOptions(min_seconds=10, max_seconds=40, count=count)
        assert len(detect_highlights(episode(), options)) == count


def test_keywords_favour_the_matching_story() -> None:
    plain = DetectOptions(min_seconds=10, max_seconds=40, count=1)
    top = detect_highlights(episode(), plain)[0]
    other = "hire" if "price" in top.text else "price"
    asked = DetectOptions(min_seconds=10, max_seconds=40, count=1, keywords=("zebra", other))
    favoured = detect_highlights(episode(), asked)[0]
    assert other in favoured.text.lower()
    assert favoured.start != top.start
    assert favoured.reason.startswith(f"About {other}, as asked")


def test_search_range_restricts_every_clip() -> None:
    transcript = episode()
    hiring_start, hiring_end = part_span(transcript, "The best hire", "you are solving.")
    options = DetectOptions(
        min_seconds=10,
        max_seconds=40,
        count=5,
        search_start=hiring_start - 0.5,
        search_end=transcript.duration,
    )
    clips = detect_highlights(transcript, options)
    assert clips
    assert all(c.start >= hiring_start - 0.5 for c in clips)
    assert clips[0].start == pytest.approx(hiring_start - PAD_BEFORE)
    assert clips[0].end == pytest.approx(hiring_end + PAD_AFTER)


def test_search_range_without_speech_gives_nothing() -> None:
    transcript = episode()
    options = DetectOptions(
        min_seconds=10, max_seconds=40, search_start=transcript.duration + 10, search_end=1e6
    )
    assert detect_highlights(transcript, options) == []


def test_loudness_track_is_used_when_present() -> None:
    transcript = episode()
    hop = 0.5
    n = int(transcript.duration / hop) + 1
    hiring_start, hiring_end = part_span(transcript, "The best hire", "you are solving.")
    dbfs = [-14.0 if hiring_start <= k * hop <= hiring_end else -30.0 for k in range(n)]
    loud = episode(extra={"loudness": {"hop_seconds": hop, "dbfs": dbfs}})
    options = DetectOptions(min_seconds=10, max_seconds=40, count=2)
    plain = {c.start: c.breakdown["shareability"] for c in detect_highlights(transcript, options)}
    louder = {c.start: c.breakdown["shareability"] for c in detect_highlights(loud, options)}
    start = min(louder, key=lambda s: abs(s - hiring_start))
    assert louder[start] > plain[start]


# --- edge cases ---------------------------------------------------------------------------


def test_empty_transcript_gives_nothing() -> None:
    empty = Transcript(language="en", duration=0.0, segments=())
    assert detect_highlights(empty, DetectOptions()) == []
    blank = Transcript(
        language="en",
        duration=5.0,
        segments=(Segment(" ", 0.0, 1.0, (Word(" ", 0.0, 1.0, 0.5),)),),
    )
    assert detect_highlights(blank, DetectOptions()) == []


def test_speech_shorter_than_the_minimum_is_one_clip_of_all_of_it() -> None:
    transcript = build(["Short and sweet.", "That is all."])
    clips = detect_highlights(transcript, DetectOptions(min_seconds=15, max_seconds=60))
    assert len(clips) == 1
    words = transcript.words
    assert clips[0].start <= words[0].start and clips[0].end >= words[-1].end
    assert clips[0].reason.startswith("Short video")
    assert clips[0].title


def test_a_single_short_sentence_is_one_clip() -> None:
    """A four-second upload with one sentence: no pause between sentences to weigh."""
    transcript = build(["Hello there, this is a short test."])
    clips = detect_highlights(transcript, DetectOptions())
    assert len(clips) == 1
    assert clips[0].start <= transcript.words[0].start
    assert clips[0].end >= transcript.words[-1].end


def test_one_long_sentence_is_cut_at_clause_breaks_to_fit() -> None:
    clause = "we kept adding features nobody asked for, "
    sentence = "For three whole years " + clause * 12 + "and that is how we lost the market."
    transcript = build([sentence.capitalize()])
    options = DetectOptions(min_seconds=5, max_seconds=20, count=3)
    clips = detect_highlights(transcript, options)
    assert clips
    words = transcript.words
    for clip in clips:
        assert clip.duration <= 20 + 1e-9
        inside = [w for w in words if w.start >= clip.start and w.end <= clip.end]
        last = words.index(inside[-1])
        # Each piece ends at a comma or the sentence's end, never inside a clause.
        assert inside[-1].clean[-1] in ",." or last == len(words) - 1


def test_unpunctuated_speech_splits_on_pauses() -> None:
    story = [
        "we raised prices by ten times and customers stayed",
        "the cheap plan had attracted people who never used the product",
        "so the lesson is to charge what the value is worth",
    ]
    chatter = ["okay so um yeah", "anyway where was i", "right yeah okay"]
    transcript = build(chatter + story + chatter, gaps={k: 1.0 for k in range(9)})
    clips = detect_highlights(transcript, DetectOptions(min_seconds=5, max_seconds=20, count=1))
    assert len(clips) == 1
    # Whole pause-delimited sentences of the story, none of the chatter around it.
    assert clips[0].text in {" ".join(story[a:b]) for a in range(3) for b in range(a + 1, 4)}
    for w in transcript.words:
        assert not (w.start < clips[0].start < w.end) and not (w.start < clips[0].end < w.end)


def test_speech_broken_by_long_silences_still_offers_short_clips() -> None:
    transcript = build(
        ["A short first thought here.", "A short second thought here."], gaps={0: 60.0}
    )
    clips = detect_highlights(transcript, DetectOptions(min_seconds=10, max_seconds=30, count=2))
    assert len(clips) == 2
    assert all(c.reason.startswith("Under the 10s minimum") for c in clips)


def test_a_last_word_timed_past_the_duration_is_kept() -> None:
    transcript = build(["The first part is here.", "And the very last word counts."], tail=0.0)
    short = Transcript(
        language="en",
        duration=transcript.duration - 0.1,
        segments=transcript.segments,
    )
    clips = detect_highlights(short, DetectOptions(min_seconds=3, max_seconds=60))
    assert clips and clips[0].text.endswith("last word counts.")


def test_a_clip_ends_before_a_listeners_reaction() -> None:
    # The listener reacts straight after the story (no longer pause than between its
    # sentences) and runs on into a question about it; the story's clip still ends on its
    # last line. The same two lines without the reaction read as the story going on.
    follow = "And did the clinics ever complain about the new price?"
    reacted = "That's so true, I worked somewhere that priced everything far too low."
    told = "I worked somewhere that priced everything far too low."

    def ending(reply: str) -> float:
        parts = [INTRO, [*PRICING, reply, follow], SPONSOR, HIRING, OUTRO]
        sentences: list[str] = []
        gaps: dict[int, float] = {}
        for part in parts:
            sentences.extend(part)
            gaps[len(sentences) - 1] = PART_GAP
        transcript = build(sentences, gaps=gaps)
        options = DetectOptions(min_seconds=10, max_seconds=40, count=2)
        story = part_span(transcript, "Why did we nearly", "not just a number.")
        clip = next(c for c in detect_highlights(transcript, options) if c.start < story[1])
        return clip.end - PAD_AFTER - story[1]

    assert ending(reacted) == pytest.approx(0.0, abs=0.01)
    assert ending(told) > 5.0


def test_two_halves_of_a_story_become_one_clip_and_free_a_slot(monkeypatch) -> None:
    """Windows that score the pricing story's two halves above the whole: the halves meet
    across no pause, so they are returned as one clip, and the slot goes to the next best
    window (the hiring story)."""
    import clipforge.detection.detector as detector

    transcript = episode()
    options = DetectOptions(min_seconds=5, max_seconds=40, count=2)
    pricing = part_span(transcript, "Why did we nearly", "not just a number.")
    halves = [
        part_span(transcript, "Why did we nearly", "asked nineteen dollars a month."),
        part_span(transcript, "Clinics signed up", "not just a number."),
    ]
    rank = detector._rank

    def halves_first(ctx, min_seconds):  # type: ignore[no-untyped-def]
        ranked = rank(ctx, min_seconds)
        return [
            replace(r, score=r.score + 100)
            if any(abs(r.start - a) < 0.01 and abs(r.end - b) < 0.01 for a, b in halves)
            else r
            for r in ranked
        ]

    monkeypatch.setattr(detector, "_rank", halves_first)
    clips = detect_highlights(transcript, options)
    assert len(clips) == 2
    spans = sorted((c.start + PAD_BEFORE, c.end - PAD_AFTER) for c in clips)
    assert spans[0] == pytest.approx(pricing, abs=0.01)
    assert spans[1][0] == pytest.approx(part_span(transcript, "The best hire", ".")[0], abs=0.01)
    # Without the join the two halves take both slots.
    monkeypatch.setattr(detector, "joins", lambda ev, spans, fits: list(spans))
    halved = sorted(
        (c.start + PAD_BEFORE, c.end - PAD_AFTER) for c in detect_highlights(transcript, options)
    )
    for got, want in zip(halved, sorted(halves), strict=True):
        assert got == pytest.approx(want, abs=0.01)


def test_a_joined_clip_leaves_out_the_question_put_before_the_answer(monkeypatch) -> None:
    """Windows that score the question to the guest plus the answer's first line, and the
    rest of the answer, above the whole answer: the two meet across no pause and are
    joined, and the joined clip is narrowed like any other, at the pause after the
    question (the first window alone was too short to be split there)."""
    import clipforge.detection.detector as detector

    question = "So tell me, what was the worst week you ever had in this business?"
    sentences = [*INTRO, question, *PRICING, *OUTRO]
    gaps = {len(INTRO) - 1: PART_GAP, len(INTRO): PART_GAP}
    transcript = build(sentences, gaps=gaps)
    options = DetectOptions(min_seconds=10, max_seconds=40, count=2)
    first = part_span(transcript, "So tell me,", "nineteen dollars a month.")
    rest = part_span(transcript, "Clinics signed up", "not just a number.")
    answer = part_span(transcript, "Why did we nearly", "not just a number.")
    rank = detector._rank

    def halves_first(ctx, min_seconds):  # type: ignore[no-untyped-def]
        return [
            replace(r, score=r.score + 100)
            if any(abs(r.start - a) < 0.01 and abs(r.end - b) < 0.01 for a, b in (first, rest))
            else r
            for r in rank(ctx, min_seconds)
        ]

    monkeypatch.setattr(detector, "_rank", halves_first)
    spans = [
        (c.start + PAD_BEFORE, c.end - PAD_AFTER) for c in detect_highlights(transcript, options)
    ]
    assert any(s == pytest.approx(answer, abs=0.01) for s in spans)
    # Joined but not narrowed, the clip would hold the question.
    monkeypatch.setattr(detector, "within_breaks", lambda ev, i, j, fits, value=None: (i, j))
    spans = [
        (c.start + PAD_BEFORE, c.end - PAD_AFTER) for c in detect_highlights(transcript, options)
    ]
    assert any(s == pytest.approx((first[0], answer[1]), abs=0.01) for s in spans)

"""Subtitle cues and SRT/VTT formatting."""

from __future__ import annotations

import itertools
import re

import pytest

from clipforge.domain.subtitles import (
    Cue,
    caption_times,
    clip_cues,
    group_captions,
    group_words,
    srt_timestamp,
    to_srt,
    to_vtt,
    transcript_cues,
    vtt_timestamp,
    wrap_lines,
)
from clipforge.domain.transcript import Segment, Transcript, Word


def words_from(text: str, start: float = 0.0, step: float = 0.4, dur: float = 0.3) -> list[Word]:
    return [
        Word(f" {t}", start + i * step, start + i * step + dur, 0.9)
        for i, t in enumerate(text.split())
    ]


def segment(text: str, start: float = 0.0, with_words: bool = True) -> Segment:
    ws = words_from(text, start)
    end = ws[-1].end if ws else start
    return Segment(text=f" {text}", start=start, end=end, words=tuple(ws) if with_words else ())


def transcript(*segs: Segment) -> Transcript:
    return Transcript(language="en", duration=max(s.end for s in segs), segments=segs)


@pytest.mark.parametrize(
    ("seconds", "srt", "vtt"),
    [
        (0, "00:00:00,000", "00:00:00.000"),
        (1, "00:00:01,000", "00:00:01.000"),
        (61.5, "00:01:01,500", "00:01:01.500"),
        (3723.4567, "01:02:03,457", "01:02:03.457"),
        (59.9996, "00:01:00,000", "00:01:00.000"),
        (-0.2, "00:00:00,000", "00:00:00.000"),
    ],
)
def test_timestamps(seconds: float, srt: str, vtt: str) -> None:
    assert srt_timestamp(seconds) == srt
    assert vtt_timestamp(seconds) == vtt


def test_to_srt_numbers_and_formats_cues() -> None:
    out = to_srt([Cue(0, 1, "Hello there"), Cue(1.25, 2.5, "line one\nline two")])
    assert out == (
        "1\n00:00:00,000 --> 00:00:01,000\nHello there\n\n"
        "2\n00:00:01,250 --> 00:00:02,500\nline one\nline two\n"
    )


def test_to_srt_drops_blank_lines_and_empty_cues() -> None:
    out = to_srt([Cue(0, 1, "a\n\nb"), Cue(1, 2, "   "), Cue(2, 3, "c")])
    assert "\n\n\n" not in out
    assert "1\n00:00:00,000 --> 00:00:01,000\na\nb\n" in out
    assert "2\n00:00:02,000 --> 00:00:03,000\nc\n" in out


def test_to_vtt_header_dot_times_and_escaping() -> None:
    out = to_vtt([Cue(0.5, 1.75, "A --> B & <i>")])
    assert out.startswith("WEBVTT\n\n")
    assert "00:00:00.500 --> 00:00:01.750\n" in out
    body = out.splitlines()[-1]
    assert "-->" not in body
    assert "&amp;" in body and "&lt;i&gt;" in body


def test_short_segment_is_one_single_line_cue() -> None:
    seg = segment("Sleep is the best drug.", 2.0)
    cues = transcript_cues(transcript(seg))
    assert cues == [Cue(seg.start, seg.end, "Sleep is the best drug.")]


def test_medium_segment_is_two_balanced_lines() -> None:
    text = "The startup ran out of money twice before the first paying customer arrived"
    cues = transcript_cues(transcript(segment(text)))
    assert len(cues) == 1
    lines = cues[0].text.split("\n")
    assert len(lines) == 2 and all(len(ln) <= 42 for ln in lines)
    assert " ".join(lines) == text


def test_long_segment_is_split_on_word_timings() -> None:
    text = " ".join(f"word{i}" for i in range(60))
    seg = segment(text, 10.0)
    cues = transcript_cues(transcript(seg))
    assert len(cues) > 1
    assert cues[0].start == seg.start and cues[-1].end == seg.end
    for a, b in itertools.pairwise(cues):
        assert a.end == b.start  # contiguous, no overlap
    for c in cues:
        lines = c.text.split("\n")
        assert len(lines) <= 2 and all(len(ln) <= 42 for ln in lines)
    assert " ".join(" ".join(c.text.split("\n")) for c in cues) == text


def test_long_segment_without_words_is_split_proportionally() -> None:
    text = " ".join(f"token{i}" for i in range(40))
    seg = Segment(text=text, start=0.0, end=40.0, words=())
    cues = transcript_cues(transcript(seg))
    assert len(cues) > 1
    assert cues[0].start == 0.0 and cues[-1].end == pytest.approx(40.0)
    assert all(len(c.text.split("\n")) <= 2 for c in cues)


def test_wrap_lines_keeps_overlong_word_whole() -> None:
    word = "x" * 50
    assert wrap_lines(f"a {word} b", 42) == ["a", word, "b"]


def test_group_words_breaks_on_pause_sentence_and_length() -> None:
    ws = [
        Word(" one", 0.0, 0.3, 1),
        Word(" two.", 0.4, 0.7, 1),  # sentence end
        Word(" three", 0.8, 1.0, 1),
        Word(" four", 2.5, 2.8, 1),  # pause 1.5 s before
        *words_from("a b c d e f g h", start=3.0),
    ]
    lines = group_words(ws, max_words=5, max_chars=40, pause=0.7)
    texts = [" ".join(w.clean for w in ln) for ln in lines]
    assert texts == ["one two.", "three", "four a b c d", "e f g h"]


def test_clip_cues_are_relative_and_clamped() -> None:
    ws = words_from("alpha beta gamma delta epsilon zeta eta theta", start=9.0, step=0.5)
    cues = clip_cues(ws, clip_start=10.0, clip_end=12.0)
    assert cues, "words inside the clip must produce cues"
    assert cues[0].start == 0.0  # 'gamma' starts exactly at the clip start
    assert all(0.0 <= c.start < c.end <= 2.0 for c in cues)
    joined = " ".join(c.text for c in cues)
    assert "alpha" not in joined and "beta" not in joined  # both end before the clip
    assert "theta" not in joined  # starts at 12.5, after the clip
    assert "gamma" in joined and "epsilon" in joined


def test_clip_cue_holds_at_most_a_second_after_last_word() -> None:
    ws = [Word(" hi", 1.0, 1.4, 1), Word(" there", 5.0, 5.4, 1)]
    cues = clip_cues(ws, 0.0, 10.0)
    assert [c.text for c in cues] == ["hi", "there"]
    assert cues[0].end == pytest.approx(2.4)
    assert cues[1].end == pytest.approx(6.4)


def test_clip_cue_ends_when_next_line_starts() -> None:
    ws = words_from("a b c d e f g h i j k l", step=0.3)
    cues = clip_cues(ws, 0.0, 10.0, max_words=3)
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start + 1e-9


def test_clip_cues_empty_range() -> None:
    assert clip_cues(words_from("a b"), 5.0, 5.0) == []
    assert clip_cues([], 0.0, 5.0) == []


def test_srt_of_clip_cues_parses_back() -> None:
    ws = words_from("one two three four five six seven eight nine ten", start=0.0)
    srt = to_srt(clip_cues(ws, 0.0, 5.0))
    pattern = re.compile(r"^\d+\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n.+$", re.M)
    assert len(pattern.findall(srt)) == srt.count(" --> ")
    assert "one" in srt and "ten" in srt


# --- caption grouping and timing rules -------------------------------------------------


def texts_of(captions: list[list[list[Word]]]) -> list[list[str]]:
    return [[" ".join(w.clean for w in line) for line in cap] for cap in captions]


def test_group_captions_fills_lines_then_starts_a_new_caption() -> None:
    ws = words_from("a b c d e f g h i j")
    caps = group_captions(ws, max_words_per_line=3, max_chars_per_line=40, lines_per_caption=2)
    assert texts_of(caps) == [["a b c", "d e f"], ["g h i", "j"]]


def test_group_captions_character_limit_and_overlong_word() -> None:
    ws = words_from("tiny extraordinarily ok")
    caps = group_captions(ws, max_words_per_line=5, max_chars_per_line=10)
    assert texts_of(caps) == [["tiny"], ["extraordinarily"], ["ok"]]


def test_no_caption_crosses_a_long_pause_or_a_sentence_end() -> None:
    ws = [
        *words_from("one two", start=0.0),
        *words_from("three four.", start=3.0),  # 2.3 s pause before 'three'
        *words_from("five", start=4.0),
    ]
    caps = group_captions(ws, max_words_per_line=6, max_chars_per_line=40, lines_per_caption=2)
    assert texts_of(caps) == [["one two"], ["three four."], ["five"]]


def test_group_captions_rejects_zero_limits() -> None:
    with pytest.raises(ValueError):
        group_captions(words_from("a"), lines_per_caption=0)


def test_short_caption_is_extended_to_the_readable_minimum() -> None:
    caps = [[Word(" hi", 1.0, 1.1, 1)], [Word(" there", 5.0, 5.4, 1)]]
    # hold would give 1.1 + 1.0 = 2.1 anyway; with hold=0 the minimum rule is what holds it up
    (s, e), _ = caption_times(caps, hold=0.0, min_duration=0.5)
    assert s == 1.0 and e == pytest.approx(1.5)


def test_minimum_extension_never_overlaps_the_next_caption() -> None:
    caps = [[Word(" a", 1.0, 1.1, 1)], [Word(" b", 1.3, 1.6, 1)]]
    times = caption_times(caps, hold=0.0, min_duration=0.5)
    assert times[0] == (1.0, pytest.approx(1.3))  # stops where 'b' starts
    assert times[1][1] - times[1][0] >= 0.5 - 1e-9


def test_last_word_held_until_next_caption_starts_without_gap() -> None:
    caps = [[Word(" a", 0.0, 0.6, 1)], [Word(" b", 1.2, 1.8, 1)]]
    (_, e0), (s1, _) = caption_times(caps, hold=1.0)
    assert e0 == s1 == 1.2  # no flicker between captions


def test_hold_is_capped_through_a_long_pause() -> None:
    caps = [[Word(" a", 0.0, 0.6, 1)], [Word(" b", 9.0, 9.5, 1)]]
    times = caption_times(caps, hold=1.0)
    assert times[0][1] == pytest.approx(1.6)
    assert times[1][1] == pytest.approx(10.5)


def test_every_clip_cue_is_readable_and_cues_never_overlap() -> None:
    # Machine-gun speech: 0.12 s words with tiny gaps, plus lone blips after pauses.
    ws = [Word(f" w{i}", i * 0.15, i * 0.15 + 0.12, 1) for i in range(12)]
    ws += [Word(" blip", 4.0, 4.05, 1), Word(" end", 8.0, 8.1, 1)]
    cues = clip_cues(ws, 0.0, 20.0, max_words=2)
    for a, b in itertools.pairwise(cues):
        assert a.end <= b.start + 1e-9
    for c in cues[:-1]:
        # Either readable, or cut short only because the next cue starts right there.
        nxt = cues[cues.index(c) + 1]
        assert c.end - c.start >= 0.5 - 1e-9 or c.end == pytest.approx(nxt.start)
    assert cues[-1].end - cues[-1].start >= 0.5


def test_clip_cues_multi_line() -> None:
    cues = clip_cues(words_from("a b c d"), 0.0, 5.0, max_words=2, lines_per_caption=2)
    assert [c.text for c in cues] == ["a b\nc d"]
    assert "a b\nc d" in to_vtt(cues)

"""Pauses from the loudness track: silent runs, the pause between sentences, clip edges."""

from __future__ import annotations

import pytest

from clipforge.detection import detect_highlights
from clipforge.detection.analysis import analyse
from clipforge.detection.pauses import (
    ROOM_SECONDS,
    RUN_ON_SECONDS,
    Silences,
    offset,
    onset,
    sentence_pause,
    split_run_ons,
)
from clipforge.detection.segmentation import pause_evidence, segment
from clipforge.detection.sentences import split_sentences
from clipforge.domain.clips import ClipCandidate
from clipforge.domain.detect_options import DetectOptions
from clipforge.domain.transcript import Segment, Transcript, Word
from tests.unit.test_detection_fixtures import build

HOP = 0.1
SPEECH = -20.0
QUIET = -80.0


def track(seconds: float, quiet: list[tuple[float, float]]) -> list[float]:
    """Speech level everywhere except the given (start, end) spans."""
    n = round(seconds / HOP)
    return [
        QUIET
        if any(a <= k * HOP + 1e-9 and (k + 1) * HOP <= b + 1e-9 for a, b in quiet)
        else SPEECH
        for k in range(n)
    ]


def test_runs_are_whole_silent_hops_inside_the_range() -> None:
    silences = Silences(HOP, track(5.0, [(1.0, 1.5), (3.0, 3.1), (4.0, 4.4)]))
    edges = [t for r in silences.runs(0.0, 5.0) for t in (r.start, r.end)]
    assert edges == pytest.approx([1.0, 1.5, 4.0, 4.4])
    # A hop only partly inside the range does not count: the run is cut to the range.
    cut = silences.runs(1.15, 5.0)[0]
    assert (cut.start, cut.end) == pytest.approx((1.2, 1.5))
    assert silences.longest(0.0, 3.5) == pytest.approx(0.5)
    assert silences.longest(1.6, 3.9) == 0.0  # 0.1 s is a consonant's closure, not a pause


def test_threshold_follows_the_recording() -> None:
    # A noisy recording: the floor at -50 dBFS is silence when speech is at -10 ...
    noisy = Silences(HOP, [-10.0] * 20 + [-50.0] * 5)
    assert noisy.longest(0.0, 2.5) == pytest.approx(0.5)
    # ... but not when the speech itself is quiet (-20): then -50 is within 35 dB of it.
    quiet = Silences(HOP, [-20.0] * 20 + [-50.0] * 5)
    assert quiet.longest(0.0, 2.5) == 0.0


def test_from_extra_rejects_missing_or_malformed_tracks() -> None:
    assert Silences.from_extra({}) is None
    assert Silences.from_extra({"loudness": "loud"}) is None
    assert Silences.from_extra({"loudness": {"hop_seconds": 0, "dbfs": [1.0]}}) is None
    assert Silences.from_extra({"loudness": {"hop_seconds": 0.1, "dbfs": []}}) is None
    assert Silences.from_extra({"loudness": {"hop_seconds": 0.1, "dbfs": ["x"]}}) is None
    found = Silences.from_extra({"loudness": {"hop_seconds": 0.5, "dbfs": [-20.0, -90.0]}})
    assert found is not None and found.longest(0.0, 1.0) == pytest.approx(0.5)


def test_onset_and_offset_sit_in_the_silence_next_to_the_speech() -> None:
    silences = Silences(HOP, track(6.0, [(2.0, 2.6), (4.0, 4.5)]))
    # The clip's first word is timed 1.8-3.0 (stretched over the pause): speech begins at 2.6.
    assert onset(silences, 1.0, 3.0) == pytest.approx(2.6 - ROOM_SECONDS)
    # The last word is timed 3.5-4.4 (stretched into the pause): speech ends at 4.0.
    assert offset(silences, 3.5, 5.5) == pytest.approx(4.0 + ROOM_SECONDS)
    assert onset(silences, 0.0, 1.9) is None
    assert offset(silences, 4.6, 6.0) is None


def test_sentence_pause_reads_between_the_last_word_start_and_the_next_first_word_end() -> None:
    silences = Silences(HOP, track(4.0, [(1.5, 2.0)]))
    assert sentence_pause(silences, 1.0, 2.5) == pytest.approx(0.5)
    assert sentence_pause(silences, 2.0, 3.0) == 0.0


# --- segmentation ---------------------------------------------------------------------------


STORY = [
    "The bakery opened at five every morning.",
    "Customers queued for the sourdough loaves.",
    "The owner sold out before nine.",
    "Then the oven broke in winter.",
    "She baked in a neighbour's kitchen for a month.",
    "The queue never got shorter.",
]


def test_a_heard_pause_strengthens_its_gap_where_word_timings_show_none() -> None:
    infos = [analyse(s) for s in split_sentences(build(STORY))]
    heard = [0.0, 0.0, 1.2, 0.0, 0.0]
    plain, loud = pause_evidence(infos), pause_evidence(infos, heard)
    assert loud[2] > plain[2]
    assert loud[2] == max(loud)
    assert segment(infos, heard).strength[2] > segment(infos).strength[2]


def test_voiced_means_mostly_sound_between_the_words() -> None:
    silences = Silences(HOP, track(6.0, [(1.0, 1.9), (3.0, 3.3)]))
    assert not silences.voiced(1.0, 2.0)  # 0.9 s of 1 s silent: a pause
    assert silences.voiced(3.0, 4.0)  # 0.3 s of 1 s silent: speech the words leave out
    assert silences.voiced(4.0, 5.0)  # no silence at all
    assert not silences.voiced(4.0, 4.1)  # too short to tell


def test_a_word_gap_the_audio_shows_full_of_sound_is_no_pause() -> None:
    # The recogniser dropped a word after sentence 2: its timings show a 2 s gap, but the
    # audio shows only the ordinary 0.5 s of silence there.
    infos = [analyse(s) for s in split_sentences(build(STORY, gaps={2: 2.0}))]
    heard = [0.5, 0.5, 0.5, 0.5, 0.5]
    dropped = [False, False, True, False, False]
    assert pause_evidence(infos, heard)[2] == 1.0
    assert pause_evidence(infos, heard, dropped)[2] == 0.0
    # A gap the audio shows silent keeps the word timings' evidence.
    assert pause_evidence(infos, heard, [False] * 5)[2] == 1.0
    with pytest.raises(ValueError, match="one flag per gap"):
        pause_evidence(infos, heard, [True])


def test_heard_pauses_must_match_the_gaps() -> None:
    infos = [analyse(s) for s in split_sentences(build(STORY))]
    with pytest.raises(ValueError, match="one pause per gap"):
        pause_evidence(infos, [0.0])


# --- clip edges -----------------------------------------------------------------------------


def glued(texts: list[str], extra: dict[str, object] | None = None) -> Transcript:
    """Sentences whose words follow each other with no gap, as Whisper times them when it
    stretches words over the pauses; 0.8 s a word."""
    words: list[Word] = []
    t = 0.0
    for text in texts:
        for token in text.split():
            words.append(Word(" " + token, round(t, 3), round(t + 0.8, 3), 0.9))
            t += 0.8
    duration = t + 1.0
    segment_ = Segment(" ".join(texts), words[0].start, words[-1].end, tuple(words))
    return Transcript(language="en", duration=duration, segments=(segment_,), extra=extra or {})


def test_clip_edges_move_into_the_pauses_the_audio_shows() -> None:
    texts = STORY * 3
    plain = glued(texts)
    words = plain.words
    # Every sentence's first word is stretched over a 0.3 s pause before its speech.
    firsts = [s.words[0] for s in split_sentences(plain)]
    quiet = [(w.start, w.start + 0.3) for w in firsts if w.start > 0]
    loudness = {"hop_seconds": HOP, "dbfs": track(plain.duration, quiet)}
    heard = glued(texts, extra={"loudness": loudness})
    options = DetectOptions(min_seconds=10, max_seconds=30, count=3)
    before = detect_highlights(plain, options)
    after = detect_highlights(heard, options)
    assert after
    starts = {round(w.start, 3) for w in firsts}
    for clip in after:
        # The clip opens where the speech does (3 decimals of rounding), not 0.3 s earlier.
        word = min(words, key=lambda w: abs(w.start + 0.3 - ROOM_SECONDS - clip.start))
        assert round(word.start, 3) in starts
        assert clip.start == pytest.approx(word.start + 0.3 - ROOM_SECONDS, abs=1e-3)
        # Never past the middle of the first word, so it still belongs to the clip.
        assert clip.start <= (word.start + word.end) / 2
    assert [c.start for c in before] != [c.start for c in after]


def test_without_a_track_edges_are_the_padded_word_edges() -> None:
    plain = glued(STORY * 3)
    clips = detect_highlights(plain, DetectOptions(min_seconds=10, max_seconds=30, count=2))
    starts = {w.start for w in plain.words}
    # Glued words leave no room for padding: the clip starts exactly on a word.
    assert all(c.start in starts for c in clips)


def test_a_pause_only_the_audio_shows_becomes_a_clip_edge() -> None:
    texts = STORY * 2
    plain = glued(texts)
    firsts = [s.words[0] for s in split_sentences(plain)]
    # Short pauses before every sentence, a long one (a topic change) before the seventh.
    quiet = [(w.start, w.start + (0.7 if k == 6 else 0.3)) for k, w in enumerate(firsts) if k]
    loudness = {"hop_seconds": HOP, "dbfs": track(plain.duration, quiet)}
    clips = detect_highlights(
        glued(texts, extra={"loudness": loudness}),
        DetectOptions(min_seconds=10, max_seconds=30, count=2),
    )
    # Both clips have an edge in that pause: one ends as it begins, the next starts as it ends
    # (at the latest, the middle of the first word stretched over it).
    pause = (firsts[6].start, firsts[6].start + 0.7)
    edges = [e for c in clips for e in (c.start, c.end) if pause[0] <= e <= pause[1]]
    assert len(edges) == 2


# --- breaks the audio does not confirm ---------------------------------------------------


def unconfirmed_story(unheard: set[int]) -> tuple[Transcript, list[Word]]:
    """STORY three times over, glued word to word, with a 0.3 s pause heard before every
    sentence but those in `unheard`: there the recogniser's full stop has no pause."""
    texts = STORY * 3
    plain = glued(texts)
    firsts = [s.words[0] for s in split_sentences(plain)]
    quiet = [(w.start, w.start + 0.3) for k, w in enumerate(firsts) if k and k not in unheard]
    loudness = {"hop_seconds": HOP, "dbfs": track(plain.duration, quiet)}
    return glued(texts, extra={"loudness": loudness}), firsts


def edge_sentences(clip: ClipCandidate, transcript: Transcript, firsts: list[Word]) -> set[int]:
    """The sentences a clip opens on and stops before (by their first words)."""
    words = transcript.words
    inside = [w for w in words if clip.start <= (w.start + w.end) / 2 <= clip.end]
    after = words.index(inside[-1]) + 1
    edges = {firsts.index(inside[0])}  # every clip opens on a sentence
    if after < len(words):
        edges.add(firsts.index(words[after]))
    return edges


#: Edges the best clips have where the audio shows a pause before every sentence.
CHOSEN = {5, 8}
OPTIONS = DetectOptions(min_seconds=8, max_seconds=20, count=4)


def test_no_clip_starts_or_ends_at_a_full_stop_the_audio_shows_no_pause_at() -> None:
    transcript, firsts = unconfirmed_story(CHOSEN)
    clips = detect_highlights(transcript, OPTIONS)
    assert len(clips) == 4
    for clip in clips:
        assert not edge_sentences(clip, transcript, firsts) & CHOSEN


def test_the_same_full_stops_are_clip_edges_where_the_audio_shows_pauses_there() -> None:
    transcript, firsts = unconfirmed_story(set())
    clips = detect_highlights(transcript, OPTIONS)
    edges = set().union(*(edge_sentences(c, transcript, firsts) for c in clips))
    assert edges >= CHOSEN  # the rule above is what kept them out


def test_a_track_that_shows_almost_no_pauses_confirms_nothing_and_forbids_nothing() -> None:
    # Under music the track shows a pause before one sentence in six: its silence elsewhere
    # says nothing about where sentences end, and every full stop stays a possible edge.
    transcript, firsts = unconfirmed_story({k for k in range(18) if k % 6})
    clips = detect_highlights(transcript, OPTIONS)
    assert len(clips) == 4
    edges = set().union(*(edge_sentences(c, transcript, firsts) for c in clips))
    assert edges & CHOSEN


# --- run-on sentences ----------------------------------------------------------------------


def test_a_long_run_on_is_cut_where_the_audio_shows_a_clear_pause() -> None:
    # 24 words of 0.8 s, one "sentence" of 19 s with no full stop; the speech stops for
    # 0.7 s inside the tenth word (stretched back over the pause) and 0.3 s inside the 18th.
    texts = ["so we went down to the harbour early and the boats were all in " * 2]
    plain = glued([t.strip() for t in texts])
    words = plain.words
    quiet = [(words[9].start, words[9].start + 0.7), (words[17].start, words[17].start + 0.3)]
    silences = Silences(HOP, track(plain.duration, quiet))
    [sentence] = split_sentences(plain)
    assert sentence.end - sentence.start > RUN_ON_SECONDS
    pieces = split_run_ons([sentence], silences)
    # Cut once, before the word sounding after the long pause; the short one is a comma's.
    assert [len(p.words) for p in pieces] == [9, len(words) - 9]
    assert pieces[1].words[0] is words[9]
    assert "".join(p.text for p in pieces).replace(" ", "") == sentence.text.replace(" ", "")


def test_a_sentence_of_ordinary_length_is_never_cut() -> None:
    plain = glued(["the boats were all in and the harbour was quiet that morning"])
    quiet = [(w.start, w.start + 0.7) for w in plain.words[1:]]
    silences = Silences(HOP, track(plain.duration, quiet))
    sentences = split_sentences(plain)
    assert split_run_ons(sentences, silences) == sentences

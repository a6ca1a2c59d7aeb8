"""Stretches the recogniser skipped: found from the loudness track, recognised again, and
the words heard there put in place."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipforge.asr.cleanup import Silence
from clipforge.asr.refill import (
    MAX_SHARE,
    MIN_BUDGET_SECONDS,
    MIN_GAP_SECONDS,
    dropped_stretches,
    refill,
)
from clipforge.asr.wav import SAMPLE_RATE, FloatArray, read_span
from clipforge.domain.transcript import Segment, Transcript, Word
from tests.support.pcm import write_pcm16

HOP = 0.1
LOUD, QUIET = -20.0, -70.0


def silence(levels: list[tuple[float, float]]) -> Silence:
    """A loudness track from (seconds, dBFS) runs."""
    dbfs: list[float] = []
    for seconds, level in levels:
        dbfs += [level] * round(seconds / HOP)
    return Silence.from_envelope(dbfs, HOP)


def words(*spans: tuple[float, float]) -> list[Word]:
    return [Word(f" w{k}", a, b, 0.9) for k, (a, b) in enumerate(spans)]


def test_quiet_share_counts_the_quiet_hops() -> None:
    s = silence([(2.0, LOUD), (2.0, QUIET)])
    assert s.quiet_share(0.0, 2.0) == 0.0
    assert s.quiet_share(2.0, 4.0) == 1.0
    assert s.quiet_share(1.0, 3.0) == pytest.approx(0.5)
    assert s.quiet_share(10.0, 12.0) == 0.0  # beyond the track: no evidence of silence


def test_a_long_gap_full_of_sound_is_a_dropped_stretch() -> None:
    track = silence([(20.0, LOUD)])
    spoken = words((0.0, 1.0), (5.0, 6.0), (7.0, 8.0), (19.0, 20.0))
    assert dropped_stretches(spoken, 20.0, track) == [(1.0, 5.0), (8.0, 19.0)]
    # Shorter than MIN_GAP_SECONDS: a pause, however loud.
    close = words((0.0, 1.0), (1.0 + MIN_GAP_SECONDS - 0.1, 5.0))
    assert dropped_stretches(close, 5.0, track) == []


def test_a_quiet_gap_is_a_pause_and_the_edges_count_too() -> None:
    track = silence([(1.0, LOUD), (4.0, QUIET), (5.0, LOUD)])
    spoken = words((0.0, 1.0), (5.0, 6.0))
    # 1-5 s is silence; after the last word, 6-10 s is sound with no words.
    assert dropped_stretches(spoken, 10.0, track) == [(6.0, 10.0)]
    # No words at all: the whole file, if it is sound.
    assert dropped_stretches([], 10.0, silence([(10.0, LOUD)])) == [(0.0, 10.0)]


def test_only_a_share_of_the_audio_is_recognised_again_longest_first() -> None:
    track = silence([(400.0, LOUD)])
    spoken = words((0.0, 1.0), (21.0, 22.0), (112.0, 113.0), (313.0, 400.0))
    # Gaps of 20, 90 and 200 s; a quarter of 400 s is 100 s: the 200 s one never fits,
    # the 90 s one does, and then the 20 s one no longer fits beside it.
    assert (MAX_SHARE, MIN_BUDGET_SECONDS) == (0.25, 60.0)
    assert dropped_stretches(spoken, 400.0, track) == [(22.0, 112.0)]
    # A short recording may be looked at again whole, up to a minute.
    assert dropped_stretches(words((0.0, 1.0)), 40.0, silence([(40.0, LOUD)])) == [(1.0, 40.0)]


def tone(path: Path, seconds: float) -> Path:
    t = np.arange(round(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    return write_pcm16(path, 0.3 * np.sin(2 * np.pi * 220 * t))


def test_read_span_reads_the_seconds_asked_for_within_the_file(tmp_path: Path) -> None:
    path = tone(tmp_path / "a.wav", 3.0)
    chunk = read_span(path, 1.0, 2.5)
    assert chunk.offset == 1.0 and chunk.duration == pytest.approx(1.5)
    assert read_span(path, 2.0, 9.0).duration == pytest.approx(1.0)
    assert read_span(path, 5.0, 9.0).duration == 0.0


def test_refill_puts_the_words_heard_in_the_gap_in_place(tmp_path: Path) -> None:
    audio = tone(tmp_path / "a.wav", 10.0)
    before = Segment("w0", 0.0, 1.0, (Word(" w0", 0.0, 1.0, 0.9),))
    after = Segment("w9", 9.0, 10.0, (Word(" w9", 9.0, 10.0, 0.9),))
    transcript = Transcript(
        language="en", duration=10.0, segments=(before, after), engine="e", model="m"
    )
    asked: list[tuple[float, float]] = []

    def recognise(samples: FloatArray, offset: float) -> list[Segment]:
        asked.append((offset, len(samples) / SAMPLE_RATE))
        heard = (
            Word(" early", 0.5, 1.5, 0.9),  # middle before the gap: belongs to w0's time
            Word(" found", 2.0, 3.0, 0.9),
            Word(" late", 8.6, 9.3, 0.9),  # middle inside, end past it: held inside
        )
        return [Segment("early found late", 0.5, 9.3, heard)]

    filled = refill(transcript, audio, silence([(10.0, LOUD)]), recognise)
    assert asked == [(1.0, pytest.approx(8.0))]
    assert [w.text for w in filled.words] == [" w0", " found", " late", " w9"]
    assert filled.words[2].end == 9.0
    assert filled.extra["refilled"] == [[1.0, 9.0, 2]]
    # Nothing skipped: the transcript comes back as it was, and nothing is recognised.
    full = Transcript(language="en", duration=1.0, segments=(before,), engine="e", model="m")
    assert refill(full, audio, silence([(1.0, LOUD)]), recognise) is full
    assert len(asked) == 1


def test_a_word_run_over_a_stretch_of_speech_is_recognised_again(tmp_path: Path) -> None:
    # "... never spoke to anyone.――――" timed over 2-9 s of speech: the speech is not written.
    audio = tone(tmp_path / "a.wav", 10.0)
    run_over = Word(" anyone.――――――――", 2.0, 9.0, 0.2)
    first = Segment("spoke to anyone", 0.0, 9.0, (Word(" spoke", 0.0, 1.0, 0.9), run_over))
    after = Segment("w9", 9.0, 10.0, (Word(" w9", 9.0, 10.0, 0.9),))
    transcript = Transcript(
        language="en", duration=10.0, segments=(first, after), engine="e", model="m"
    )
    assert dropped_stretches(transcript.words, 10.0, silence([(10.0, LOUD)])) == [(2.0, 9.0)]

    def recognise(samples: FloatArray, offset: float) -> list[Segment]:
        heard = (Word(" anyone.", 2.0, 2.5, 0.9), Word(" Every", 3.0, 3.4, 0.9))
        return [Segment("anyone. Every", 2.0, 3.4, heard)]

    filled = refill(transcript, audio, silence([(10.0, LOUD)]), recognise)
    assert [w.text for w in filled.words] == [" spoke", " anyone.", " Every", " w9"]
    assert filled.extra["refilled"] == [[2.0, 9.0, 2]]
    # Over silence, a long word is a pause the recogniser timed generously: left alone.
    hushed = silence([(2.0, LOUD), (7.0, QUIET), (1.0, LOUD)])
    assert dropped_stretches(transcript.words, 10.0, hushed) == []

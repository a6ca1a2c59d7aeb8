"""Loudness envelope: dBFS per hop over a WAV, read in blocks so memory stays flat."""

from __future__ import annotations

import math
import tracemalloc
import wave
from pathlib import Path

import numpy as np
import pytest

from clipforge.media.loudness import FLOOR_DBFS, loudness_envelope
from tests.support.pcm import RATE, write_pcm16


def sine(seconds: float, amplitude: float) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return amplitude * np.sin(2 * np.pi * 440 * t)


def test_levels_per_hop_match_the_signal(tmp_path: Path) -> None:
    audio = np.concatenate([sine(1.0, 0.5), np.zeros(RATE), sine(0.25, 0.05)])
    levels = loudness_envelope(write_pcm16(tmp_path / "a.wav", audio), hop_seconds=0.5)
    assert len(levels) == 5  # 2.25 s: four full hops and a short last one
    loud = 20 * math.log10(0.5 / math.sqrt(2))  # RMS of a sine is peak / sqrt(2): -9.03 dBFS
    assert levels[0] == pytest.approx(loud, abs=0.05)
    assert levels[1] == pytest.approx(loud, abs=0.05)
    assert levels[2] == levels[3] == FLOOR_DBFS  # digital silence
    assert levels[4] == pytest.approx(loud - 20, abs=0.1)  # a tenth of the amplitude


def test_hops_line_up_across_read_blocks(tmp_path: Path) -> None:
    # 100 s crosses several internal read blocks; a step at 70 s must land in hop 140.
    audio = np.concatenate([sine(70.0, 0.01), sine(30.0, 0.5)])
    levels = loudness_envelope(write_pcm16(tmp_path / "long.wav", audio))
    assert len(levels) == 200
    assert max(levels[:140]) < -40 < min(levels[140:])


def test_stereo_is_mixed_down(tmp_path: Path) -> None:
    left = sine(1.0, 0.5)
    stereo = np.stack([left, left], axis=1).reshape(-1)
    levels = loudness_envelope(write_pcm16(tmp_path / "s.wav", stereo, channels=2), 1.0)
    assert levels == [pytest.approx(20 * math.log10(0.5 / math.sqrt(2)), abs=0.05)]


def test_memory_stays_flat_for_long_audio(tmp_path: Path) -> None:
    path = tmp_path / "ten-minutes.wav"
    with wave.open(str(path), "wb") as wf:  # 10 min written in slices: 19 MB on disk
        wf.setnchannels(1)
        wf.setsampwidth(2)
        wf.setframerate(RATE)
        for _ in range(10):
            wf.writeframes((sine(60.0, 0.3) * 32767).astype("<i2").tobytes())
    tracemalloc.start()
    try:
        levels = loudness_envelope(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(levels) == 1200
    assert peak < 8 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB: the file was read whole"


def test_bad_input_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="hop_seconds"):
        loudness_envelope(tmp_path / "x.wav", hop_seconds=0)
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"not a wav")
    with pytest.raises(ValueError, match="not a readable WAV"):
        loudness_envelope(junk)
    eight_bit = tmp_path / "u8.wav"
    with wave.open(str(eight_bit), "wb") as wf:
        wf.setnchannels(1)
        wf.setsampwidth(1)
        wf.setframerate(RATE)
        wf.writeframes(bytes(RATE))
    with pytest.raises(ValueError, match="16-bit"):
        loudness_envelope(eight_bit)

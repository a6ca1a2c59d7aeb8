"""Pitch track: the fundamental of voiced hops, 0 for silence and noise, no octave errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from clipforge.media.pitch import pitch_track
from tests.support.pcm import RATE, write_pcm16


def write_wav(path: Path, samples: np.ndarray, channels: int = 1) -> Path:
    """The same signal on every channel."""
    return write_pcm16(path, np.repeat(samples, channels), channels)


def voice(seconds: float, hz: float, amplitude: float = 0.3) -> np.ndarray:
    """A buzz with falling harmonics, like a voiced vowel (a plain sine is too easy)."""
    t = np.arange(round(seconds * RATE)) / RATE
    wave_ = sum(np.sin(2 * np.pi * hz * k * t) / k for k in range(1, 8))
    return np.asarray(amplitude * wave_ / np.max(np.abs(wave_)))


def test_each_hop_reports_the_fundamental_of_the_voice(tmp_path: Path) -> None:
    audio = np.concatenate([voice(1.0, 110), np.zeros(RATE // 2), voice(1.0, 220)])
    track = pitch_track(write_wav(tmp_path / "a.wav", audio), hop_seconds=0.1)
    assert len(track) == 25
    assert track[2:8] == pytest.approx([110] * 6, rel=0.03)
    assert track[11:14] == [0.0] * 3  # silence has no pitch
    assert track[17:23] == pytest.approx([220] * 6, rel=0.03)


def test_a_strong_second_harmonic_does_not_halve_or_double_the_pitch(tmp_path: Path) -> None:
    t = np.arange(RATE) / RATE
    audio = 0.1 * np.sin(2 * np.pi * 150 * t) + 0.3 * np.sin(2 * np.pi * 300 * t)
    track = pitch_track(write_wav(tmp_path / "h.wav", audio), hop_seconds=0.1)
    assert np.median(track) == pytest.approx(150, rel=0.03)


def test_noise_and_out_of_range_tones_are_not_voiced(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    t = np.arange(RATE) / RATE
    audio = np.concatenate([0.2 * rng.standard_normal(RATE), 0.3 * np.sin(2 * np.pi * 30 * t)])
    track = pitch_track(write_wav(tmp_path / "n.wav", audio), hop_seconds=0.1)
    assert sum(1 for p in track if p) <= 2


def test_stereo_is_averaged_and_long_files_stream(tmp_path: Path) -> None:
    audio = np.tile(voice(1.0, 180), 60)  # a minute: more than one block
    track = pitch_track(write_wav(tmp_path / "s.wav", audio, channels=2), hop_seconds=0.5)
    assert len(track) == 120
    assert np.median(track) == pytest.approx(180, rel=0.03)


def test_bad_input_is_refused(tmp_path: Path) -> None:
    not_wav = tmp_path / "x.wav"
    not_wav.write_bytes(b"not a wav")
    with pytest.raises(ValueError, match="not a readable WAV"):
        pitch_track(not_wav)
    with pytest.raises(ValueError, match="hop_seconds"):
        pitch_track(write_wav(tmp_path / "a.wav", voice(0.5, 100)), hop_seconds=0.001)
    assert pitch_track(write_wav(tmp_path / "e.wav", np.zeros(0))) == []
